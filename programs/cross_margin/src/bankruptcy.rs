//! Bankruptcy: an account with no positions left and negative collateral. Shared by `liquidate`,
//! `liquidate_portfolio` and `settle_position`.

use anchor_lang::prelude::*;

use crate::error::ErrorCode;
use crate::events::Bankruptcy;
use crate::health_accounts::charge_funding;
use crate::risk::{funding_owed, split_deficit};
use crate::state::{Exchange, MarginAccount, Market};

/// The account whose own position (before the takeover) shares a socialized loss directly: the
/// liquidator. Its position's funding snapshot moves past the index change, so the position it
/// just took over (at the bankrupt account's price) pays nothing of it.
pub struct DirectPayer<'a> {
    pub account: &'a mut MarginAccount,
    /// Its base in the market before the takeover.
    pub base_before: i64,
}

/// Resolves `account`'s bankruptcy if it has one: the deficit is paid from the insurance balance
/// first, then spread over `open_interest` (the sum of `|base|` that carries it: every holder of
/// the market as it stood before the takeover, less the bankrupt position) by moving the long
/// index up and the short index down; with no open interest, it is recorded as bad debt. The
/// account ends at zero collateral. Returns the event, or `None` without a bankruptcy.
pub fn resolve_bankruptcy(
    account_key: Pubkey,
    exchange: &mut Exchange,
    market: &mut Market,
    account: &mut MarginAccount,
    open_interest: u128,
    payer: Option<DirectPayer>,
) -> Result<Option<Bankruptcy>> {
    if account.has_open_positions() {
        return Ok(None);
    }
    account.being_liquidated = 0;
    if account.collateral >= 0 {
        return Ok(None);
    }
    let deficit = account.collateral.unsigned_abs();
    let split = split_deficit(deficit, exchange.insurance_balance, open_interest)?;
    exchange.insurance_balance = exchange
        .insurance_balance
        .checked_sub(split.insurance)
        .ok_or_else(|| error!(ErrorCode::InvariantViolation))?;
    exchange.socialized_loss = exchange
        .socialized_loss
        .checked_add(split.socialized)
        .ok_or_else(|| error!(ErrorCode::MathOverflow))?;
    exchange.bad_debt = exchange
        .bad_debt
        .checked_add(split.bad_debt)
        .ok_or_else(|| error!(ErrorCode::MathOverflow))?;
    market.cumulative_funding_long = market
        .cumulative_funding_long
        .checked_add(split.index_delta)
        .ok_or_else(|| error!(ErrorCode::MathOverflow))?;
    market.cumulative_funding_short = market
        .cumulative_funding_short
        .checked_sub(split.index_delta)
        .ok_or_else(|| error!(ErrorCode::MathOverflow))?;

    let mut liquidator_share = 0u64;
    if let Some(p) = payer {
        if p.base_before != 0 && split.index_delta != 0 {
            // what its pre-takeover position owes of this move: |base| * delta, rounded up
            let delta = if p.base_before > 0 {
                split.index_delta
            } else {
                -split.index_delta
            };
            let share = funding_owed(p.base_before, delta, 0)?;
            charge_funding(p.account, share)?;
            liquidator_share = share.max(0) as u64;
        }
        if let Some(pos) = p.account.position_mut(market.market_index) {
            pos.funding_snapshot = market.funding_index(pos.base);
        }
    }

    account.collateral = 0;
    account.total_deficit_covered = account
        .total_deficit_covered
        .checked_add(deficit)
        .ok_or_else(|| error!(ErrorCode::MathOverflow))?;
    Ok(Some(Bankruptcy {
        margin_account: account_key,
        market_index: market.market_index,
        deficit,
        insurance_paid: split.insurance,
        socialized: split.socialized,
        bad_debt: split.bad_debt,
        index_delta: split.index_delta,
        open_interest: u64::try_from(open_interest).unwrap_or(u64::MAX),
        liquidator_share,
    }))
}

/// The exchange account when a step resolves a bankruptcy: it must have been passed writable
/// (clients pass it writable when the step may close the account's last position).
pub fn require_writable_exchange(info: &AccountInfo) -> Result<()> {
    require!(info.is_writable, ErrorCode::ExchangeNotWritable);
    Ok(())
}
