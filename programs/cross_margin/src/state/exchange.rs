use anchor_lang::prelude::*;

use crate::constants::MAX_LIQUIDATION_BUFFER;
use crate::error::ErrorCode;

/// The deployment's root account (PDA `["exchange"]`). Its PDA is also the authority of the
/// collateral vault (PDA `["vault", exchange]`), which holds every margin account's collateral and
/// the insurance balance.
#[account]
#[derive(InitSpace, Debug)]
pub struct Exchange {
    /// May list markets and change their parameters within the program's hard bounds.
    pub admin: Pubkey,
    /// Set by `transfer_admin`; becomes admin when it signs `accept_admin`. Default = none.
    pub pending_admin: Pubkey,
    /// The collateral (USDC) mint, 6 decimals.
    pub collateral_mint: Pubkey,
    /// The collateral vault token account (PDA).
    pub vault: Pubkey,
    /// Quote native units of the vault that belong to the insurance fund.
    pub insurance_balance: u64,
    /// Deficits that neither insurance nor socialization could cover (quote native, cumulative).
    pub bad_debt: u64,
    /// Deficits socialized over open interest (quote native, cumulative).
    pub socialized_loss: u64,
    /// Liquidation stops once equity is at least `(1 + buffer) * maintenance` (ppm).
    pub liquidation_buffer: u32,
    /// Markets listed so far; the next market gets this index.
    pub market_count: u16,
    pub bump: u8,
    pub vault_bump: u8,
    pub reserved: [u8; 64],
}

impl Exchange {
    pub fn validate_liquidation_buffer(buffer: u32) -> Result<()> {
        require!(
            buffer <= MAX_LIQUIDATION_BUFFER,
            ErrorCode::InvalidLiquidationBuffer
        );
        Ok(())
    }

    pub fn has_pending_admin(&self) -> bool {
        self.pending_admin != Pubkey::default()
    }
}
