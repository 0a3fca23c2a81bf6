use anchor_lang::prelude::*;
use anchor_lang::solana_program::bpf_loader_upgradeable;
use anchor_spl::token::{Mint, Token, TokenAccount};

use crate::constants::{EXCHANGE_SEED, QUOTE_DECIMALS, VAULT_SEED};
use crate::error::ErrorCode;
use crate::events::ExchangeInitialized;
use crate::state::Exchange;

/// The program's data account under the upgradeable loader (holds its upgrade authority).
pub fn program_data_address() -> Pubkey {
    Pubkey::find_program_address(&[crate::ID.as_ref()], &bpf_loader_upgradeable::ID).0
}

/// Creates the exchange and its collateral vault. Only the program's upgrade authority may call
/// it (so nobody can initialize between `anchor deploy` and the operator's bootstrap); it becomes
/// admin, names the guardian and the timelock delay.
#[derive(Accounts)]
pub struct InitializeExchange<'info> {
    #[account(mut)]
    pub admin: Signer<'info>,
    #[account(
        init,
        payer = admin,
        space = 8 + Exchange::INIT_SPACE,
        seeds = [EXCHANGE_SEED],
        bump
    )]
    pub exchange: Box<Account<'info, Exchange>>,
    #[account(constraint = collateral_mint.decimals == QUOTE_DECIMALS @ ErrorCode::InvalidCollateralMint)]
    pub collateral_mint: Box<Account<'info, Mint>>,
    #[account(
        init,
        payer = admin,
        seeds = [VAULT_SEED, exchange.key().as_ref()],
        bump,
        token::mint = collateral_mint,
        token::authority = exchange,
    )]
    pub vault: Box<Account<'info, TokenAccount>>,
    /// The program's `ProgramData` (the upgradeable loader's PDA of the program id): its
    /// upgrade authority must sign.
    #[account(
        seeds = [crate::ID.as_ref()],
        seeds::program = bpf_loader_upgradeable::ID,
        bump,
        constraint = program_data.upgrade_authority_address == Some(admin.key())
            @ ErrorCode::NotUpgradeAuthority
    )]
    pub program_data: Box<Account<'info, ProgramData>>,
    pub token_program: Program<'info, Token>,
    pub system_program: Program<'info, System>,
}

pub fn initialize_exchange(
    ctx: Context<InitializeExchange>,
    liquidation_buffer: u32,
    guardian: Pubkey,
    timelock_delay_secs: u32,
) -> Result<()> {
    Exchange::validate_liquidation_buffer(liquidation_buffer)?;
    Exchange::validate_timelock_delay(timelock_delay_secs)?;
    let exchange = &mut ctx.accounts.exchange;
    exchange.admin = ctx.accounts.admin.key();
    exchange.pending_admin = Pubkey::default();
    exchange.guardian = guardian;
    exchange.collateral_mint = ctx.accounts.collateral_mint.key();
    exchange.vault = ctx.accounts.vault.key();
    exchange.liquidation_buffer = liquidation_buffer;
    exchange.timelock_delay_secs = timelock_delay_secs;
    exchange.bump = ctx.bumps.exchange;
    exchange.vault_bump = ctx.bumps.vault;
    emit!(ExchangeInitialized {
        admin: exchange.admin,
        guardian,
        collateral_mint: exchange.collateral_mint,
        vault: exchange.vault,
        liquidation_buffer,
        timelock_delay_secs,
    });
    Ok(())
}
