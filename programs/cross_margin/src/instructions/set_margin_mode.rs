use anchor_lang::prelude::*;

use crate::constants::{EXCHANGE_SEED, MARGIN_ACCOUNT_SEED};
use crate::error::ErrorCode;
use crate::events::MarginModeSet;
use crate::health_accounts::{account_health, load_health_markets};
use crate::oracle::OracleUse;
use crate::risk::math::to_i64;
use crate::risk::MarginMode;
use crate::state::{Exchange, MarginAccount};
use crate::trading::refresh_liquidation_flag;

/// Owner only. To portfolio margin: the exchange must allow it, and the account must be neither
/// liquidatable nor being liquidated. Back to standard: the account must meet the standard
/// initial requirement afterwards.
///
/// Remaining accounts: one `(Market, oracle)` pair per open position, in position order.
#[derive(Accounts)]
#[instruction(sub_account_id: u16)]
pub struct SetMarginMode<'info> {
    pub owner: Signer<'info>,
    #[account(seeds = [EXCHANGE_SEED], bump = exchange.bump)]
    pub exchange: Box<Account<'info, Exchange>>,
    /// The owner's sub-account `sub_account_id` (derived from the signer: only the owner).
    #[account(
        mut,
        seeds = [MARGIN_ACCOUNT_SEED, owner.key().as_ref(), &sub_account_id.to_le_bytes()],
        bump = margin_account.load()?.bump
    )]
    pub margin_account: AccountLoader<'info, MarginAccount>,
}

pub fn set_margin_mode(
    ctx: Context<SetMarginMode>,
    _sub_account_id: u16,
    mode: MarginMode,
) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let required = ctx
        .accounts
        .margin_account
        .load()?
        .position_market_indices();
    let markets = load_health_markets(ctx.remaining_accounts, &required, now, OracleUse::Trading)?;
    let mut account = ctx.accounts.margin_account.load_mut()?;
    let old_mode = account.margin_mode();
    let before = account_health(&account, &markets)?;
    let flagged = refresh_liquidation_flag(
        &mut account,
        &before,
        ctx.accounts.exchange.liquidation_buffer,
    )?;
    if mode == MarginMode::Portfolio && old_mode != MarginMode::Portfolio {
        require!(
            ctx.accounts.exchange.portfolio_margin_enabled,
            ErrorCode::PortfolioMarginDisabled
        );
        require!(!flagged, ErrorCode::AccountBeingLiquidated);
        require!(
            !before.liquidatable(),
            ErrorCode::ModeSwitchWhileLiquidatable
        );
    }
    account.margin_mode = mode as u8;
    let after = account_health(&account, &markets)?;
    if mode == MarginMode::Standard && old_mode != MarginMode::Standard {
        require!(after.meets_initial(), ErrorCode::InitialMarginViolated);
    }
    emit!(MarginModeSet {
        margin_account: ctx.accounts.margin_account.key(),
        old_mode,
        new_mode: mode,
        maintenance_before: to_i64(before.maintenance_requirement)?,
        maintenance_after: to_i64(after.maintenance_requirement)?,
        initial_after: to_i64(after.initial_requirement)?,
    });
    Ok(())
}
