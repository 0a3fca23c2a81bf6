use anchor_lang::prelude::*;

use crate::constants::{
    MAX_LIQUIDATION_BUFFER, MAX_LOOKUP_TABLES, MAX_TIMELOCK_DELAY_SECS, MIN_TIMELOCK_DELAY_SECS,
};
use crate::error::ErrorCode;

/// The deployment's root account (PDA `["exchange"]`). Its PDA is also the authority of the
/// collateral vault (PDA `["vault", exchange]`), which holds every margin account's collateral and
/// the insurance balance.
#[account]
#[derive(InitSpace, Debug)]
pub struct Exchange {
    /// Queues admin changes (they take effect after `timelock_delay_secs`) and takes the
    /// protective actions (pause, reduce-only) at once.
    pub admin: Pubkey,
    /// Set by an executed `TransferAdmin`; becomes admin when it signs `accept_admin`.
    pub pending_admin: Pubkey,
    /// May cancel queued changes (not a `SetGuardian`, nor another's `TransferAdmin`), take
    /// protective actions, and queue a `TransferAdmin` (so either key can rotate the other away).
    pub guardian: Pubkey,
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
    /// The id the next queued admin change gets.
    pub next_action_id: u64,
    /// Liquidation stops once equity is at least `(1 + buffer) * maintenance` (ppm).
    pub liquidation_buffer: u32,
    /// How long a queued admin change waits (within `MIN/MAX_TIMELOCK_DELAY_SECS`).
    pub timelock_delay_secs: u32,
    /// Markets listed so far; the next market gets this index.
    pub market_count: u16,
    /// Whether accounts may switch to portfolio margin.
    pub portfolio_margin_enabled: bool,
    pub bump: u8,
    pub vault_bump: u8,
    /// The address lookup tables that hold every market, oracle and fixed account the
    /// instructions name; clients compile v0 transactions against them. They only resolve
    /// addresses: the program checks every account it is given as before.
    #[max_len(MAX_LOOKUP_TABLES)]
    pub lookup_tables: Vec<Pubkey>,
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

    pub fn validate_timelock_delay(delay: u32) -> Result<()> {
        require!(
            (MIN_TIMELOCK_DELAY_SECS..=MAX_TIMELOCK_DELAY_SECS).contains(&delay),
            ErrorCode::TimelockDelayOutOfBounds
        );
        Ok(())
    }

    pub fn validate_lookup_tables(tables: &[Pubkey]) -> Result<()> {
        require!(
            tables.len() <= MAX_LOOKUP_TABLES,
            ErrorCode::TooManyLookupTables
        );
        Ok(())
    }

    pub fn has_pending_admin(&self) -> bool {
        self.pending_admin != Pubkey::default()
    }

    /// The admin or the guardian: may cancel and take protective actions.
    pub fn is_admin_or_guardian(&self, key: &Pubkey) -> bool {
        *key == self.admin || (self.guardian != Pubkey::default() && *key == self.guardian)
    }
}
