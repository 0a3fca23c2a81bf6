use anchor_lang::prelude::*;
use anchor_spl::token::{Mint, Token, TokenAccount};

use crate::constants::{EXCHANGE_SEED, QUOTE_DECIMALS, VAULT_SEED};
use crate::error::ErrorCode;
use crate::events::ExchangeInitialized;
use crate::state::Exchange;

/// Creates the exchange and its collateral vault. The signer becomes admin; deploy scripts call
/// this in the same breath as the deployment.
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
    pub token_program: Program<'info, Token>,
    pub system_program: Program<'info, System>,
}

pub fn handler(ctx: Context<InitializeExchange>, liquidation_buffer: u32) -> Result<()> {
    Exchange::validate_liquidation_buffer(liquidation_buffer)?;
    let exchange = &mut ctx.accounts.exchange;
    exchange.admin = ctx.accounts.admin.key();
    exchange.pending_admin = Pubkey::default();
    exchange.collateral_mint = ctx.accounts.collateral_mint.key();
    exchange.vault = ctx.accounts.vault.key();
    exchange.insurance_balance = 0;
    exchange.bad_debt = 0;
    exchange.socialized_loss = 0;
    exchange.liquidation_buffer = liquidation_buffer;
    exchange.market_count = 0;
    exchange.bump = ctx.bumps.exchange;
    exchange.vault_bump = ctx.bumps.vault;
    emit!(ExchangeInitialized {
        admin: exchange.admin,
        collateral_mint: exchange.collateral_mint,
        vault: exchange.vault,
        liquidation_buffer,
    });
    Ok(())
}
