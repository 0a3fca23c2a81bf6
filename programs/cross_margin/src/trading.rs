//! What a trade does to one margin account, shared by `fill` and `liquidate`: funding settlement of
//! the traded position, position accounting, fees, and the margin rules after the trade.

use anchor_lang::prelude::*;

use crate::error::ErrorCode;
use crate::health::{account_health, settle_position_funding, MarketView};
use crate::risk::{apply_trade, grows_risk, open_interest_delta, trade_quote, Health};
use crate::state::{MarginAccount, Market, Position};

/// What a fill did to one account.
pub struct Side {
    pub old_base: i64,
    pub new_base: i64,
    pub realized: i64,
    pub fee: i64,
    pub before: Health,
    pub after: Health,
}

/// Settles the traded position's funding, applies the trade of `base_delta` at `price` and
/// charges `fee` (negative: a rebate), and measures health before and after.
pub fn apply_side(
    account: &mut MarginAccount,
    market: &Market,
    markets: &[MarketView],
    base_delta: i64,
    price: i64,
    fee: i64,
) -> Result<Side> {
    let view = markets
        .iter()
        .find(|m| m.market_index == market.market_index)
        .ok_or_else(|| error!(ErrorCode::HealthAccountMissing))?;
    settle_position_funding(account, view)?;
    let before = account_health(account, markets)?;

    let pos = account.position_or_free_slot(market.market_index)?;
    let old_base = pos.base;
    let r = apply_trade(
        pos.base,
        pos.quote,
        base_delta,
        trade_quote(base_delta, price)?,
    )?;
    if r.base == 0 {
        *pos = Position::default();
    } else {
        pos.base = r.base;
        pos.quote = r.quote;
        // after a flip the position settles against the other side's index
        pos.funding_snapshot = market.funding_index(r.base);
    }
    require!(
        r.base == 0 || r.base.unsigned_abs() >= market.min_position_base,
        ErrorCode::PositionBelowMinimum
    );

    account.add_collateral(
        r.realized_pnl
            .checked_sub(fee)
            .ok_or_else(|| error!(ErrorCode::MathOverflow))?,
    )?;
    account.total_realized_pnl = account
        .total_realized_pnl
        .checked_add(r.realized_pnl)
        .ok_or_else(|| error!(ErrorCode::MathOverflow))?;
    account.total_fees_paid = account
        .total_fees_paid
        .checked_add(fee.max(0) as u64)
        .ok_or_else(|| error!(ErrorCode::MathOverflow))?;
    account.total_rebates = account
        .total_rebates
        .checked_add(fee.min(0).unsigned_abs())
        .ok_or_else(|| error!(ErrorCode::MathOverflow))?;
    let after = account_health(account, markets)?;
    Ok(Side {
        old_base,
        new_base: r.base,
        realized: r.realized_pnl,
        fee,
        before,
        after,
    })
}

/// Growing risk needs initial margin (and no liquidation in progress); a pure reduction must
/// leave the account above maintenance or at least not lower `E - MM`.
pub fn check_margin(side: &Side, being_liquidated: bool) -> Result<()> {
    if grows_risk(side.old_base, side.new_base) {
        require!(!being_liquidated, ErrorCode::AccountBeingLiquidated);
        require!(side.after.meets_initial(), ErrorCode::InitialMarginViolated);
    } else {
        // Above maintenance afterwards, or no lower `E - MM` and no negative equity (an
        // underwater account is closed out by liquidation, which handles its deficit).
        require!(
            !side.after.liquidatable()
                || (side.after.maintenance_health() >= side.before.maintenance_health()
                    && side.after.equity >= 0),
            ErrorCode::MaintenanceMarginViolated
        );
    }
    Ok(())
}

/// Clears the account's `being_liquidated` flag once its equity is back at `(1 + buffer) * MM`.
/// Returns whether the flag is (still) set.
pub fn refresh_liquidation_flag(
    account: &mut MarginAccount,
    health: &Health,
    buffer: u32,
) -> Result<bool> {
    if account.being_liquidated != 0
        && health.equity >= crate::risk::liquidation_target(health.maintenance_requirement, buffer)?
    {
        account.being_liquidated = 0;
    }
    Ok(account.being_liquidated != 0)
}

/// Updates the market's open interest for a trade between two sides (their bases before and
/// after). The cap binds only when open interest grows (`cap_applies`: fills yes, liquidation
/// takeovers, which never grow it, no).
pub fn update_open_interest(
    market: &mut Market,
    a: &Side,
    b: &Side,
    cap_applies: bool,
) -> Result<()> {
    let (al, as_) = open_interest_delta(a.old_base, a.new_base);
    let (bl, bs) = open_interest_delta(b.old_base, b.new_base);
    let oi_long = market.open_interest_long as i128 + al + bl;
    let oi_short = market.open_interest_short as i128 + as_ + bs;
    require!(oi_long == oi_short && oi_long >= 0, ErrorCode::MathOverflow);
    if cap_applies {
        require!(
            oi_long <= market.open_interest_cap as i128
                || oi_long <= market.open_interest_long as i128,
            ErrorCode::OpenInterestCapExceeded
        );
    }
    market.open_interest_long = oi_long as u64;
    market.open_interest_short = oi_short as u64;
    Ok(())
}
