//! What a trade does to margin accounts, shared by `fill`, `liquidate`, `liquidate_portfolio` and
//! `execute_trigger_order`: funding settlement of the traded position, position accounting, fees,
//! the margin rules after the trade, delegate limits, and open interest.

use anchor_lang::prelude::*;

use crate::error::ErrorCode;
use crate::health_accounts::{account_health, settle_position_funding};
use crate::risk::{
    apply_trade, grows_risk, open_interest_delta, trade_cost_at_oracle, trade_quote, Health,
    MarketView,
};
use crate::state::{MarginAccount, Market, MarketStatus, Position, SignerRole};

/// What a trade did to one account.
#[derive(Clone, Copy, Debug)]
pub struct Side {
    pub old_base: i64,
    pub new_base: i64,
    pub realized: i64,
    pub fee: i64,
    pub before: Health,
    pub after: Health,
}

impl Side {
    /// Whether the trade added risk: the position grew or flipped, or the account's initial
    /// requirement rose (in portfolio margin, closing one leg of a hedge raises it).
    pub fn grows(&self) -> bool {
        grows_risk(self.old_base, self.new_base)
            || self.after.initial_requirement > self.before.initial_requirement
    }
}

/// What a trade did to an account's position and collateral (no health measured).
#[derive(Clone, Copy, Debug, Default)]
pub struct TradeEffect {
    pub old_base: i64,
    pub new_base: i64,
    pub realized: i64,
    pub fee: i64,
}

/// Settles the traded position's funding, applies the trade of `base_delta` at `price` in
/// `view`'s market and charges `fee` (negative: a rebate).
pub fn apply_trade_effect(
    account: &mut MarginAccount,
    view: &MarketView,
    min_position_base: u64,
    base_delta: i64,
    price: i64,
    fee: i64,
) -> Result<TradeEffect> {
    settle_position_funding(account, view)?;
    let pos = account.position_or_free_slot(view.market_index)?;
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
        pos.funding_snapshot = view.funding_index(r.base);
    }
    require!(
        r.base == 0 || r.base.unsigned_abs() >= min_position_base,
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
    Ok(TradeEffect {
        old_base,
        new_base: r.base,
        realized: r.realized_pnl,
        fee,
    })
}

fn view_of(markets: &[MarketView], market_index: u16) -> Result<MarketView> {
    markets
        .iter()
        .find(|m| m.market_index == market_index)
        .copied()
        .ok_or_else(|| error!(ErrorCode::HealthAccountMissing))
}

/// `apply_trade_effect` with the account's health measured before (funding of the traded
/// position settled) and after. `markets` holds a view of every market the account holds (and
/// the traded one).
pub fn apply_side(
    account: &mut MarginAccount,
    markets: &[MarketView],
    market_index: u16,
    min_position_base: u64,
    base_delta: i64,
    price: i64,
    fee: i64,
) -> Result<Side> {
    let view = view_of(markets, market_index)?;
    settle_position_funding(account, &view)?;
    let before = account_health(account, markets)?;
    let e = apply_trade_effect(account, &view, min_position_base, base_delta, price, fee)?;
    let after = account_health(account, markets)?;
    Ok(Side {
        old_base: e.old_base,
        new_base: e.new_base,
        realized: e.realized,
        fee: e.fee,
        before,
        after,
    })
}

/// Growing risk needs initial margin (and no liquidation in progress); a pure reduction must
/// leave the account above maintenance or at least not lower `E - MM`. Both in the account's
/// margin mode.
pub fn check_margin(side: &Side, being_liquidated: bool) -> Result<()> {
    if side.grows() {
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
    update_open_interest_bases(
        market,
        (a.old_base, a.new_base),
        (b.old_base, b.new_base),
        cap_applies,
    )
}

/// `update_open_interest` from each side's `(old base, new base)`.
pub fn update_open_interest_bases(
    market: &mut Market,
    a: (i64, i64),
    b: (i64, i64),
    cap_applies: bool,
) -> Result<()> {
    let (al, as_) = open_interest_delta(a.0, a.1);
    let (bl, bs) = open_interest_delta(b.0, b.1);
    let oi_long = market.open_interest_long as i128 + al + bl;
    let oi_short = market.open_interest_short as i128 + as_ + bs;
    require!(
        oi_long == oi_short && oi_long >= 0,
        ErrorCode::InvariantViolation
    );
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

/// For a side a delegate signed: the delegate's limits, and the trade's cost at the oracle
/// charged to its budget.
pub fn charge_if_delegate(
    account: &mut MarginAccount,
    role: SignerRole,
    side: &Side,
    price: i64,
    oracle: i64,
    now: i64,
) -> Result<()> {
    charge_delegate_for(
        account,
        role,
        side.new_base - side.old_base,
        side.fee,
        side.grows(),
        price,
        oracle,
        now,
    )
}

/// `charge_if_delegate` for a trade effect.
pub fn charge_effect_if_delegate(
    account: &mut MarginAccount,
    role: SignerRole,
    e: &TradeEffect,
    price: i64,
    oracle: i64,
    now: i64,
) -> Result<()> {
    let delta = e
        .new_base
        .checked_sub(e.old_base)
        .ok_or_else(|| error!(ErrorCode::MathOverflow))?;
    charge_delegate_for(
        account,
        role,
        delta,
        e.fee,
        grows_risk(e.old_base, e.new_base),
        price,
        oracle,
        now,
    )
}

/// A delegate's trade of `delta` at `price` (fee `fee`): its limits (reduce-only refuses one that
/// `grows` risk), and its cost at the oracle charged to the budget.
#[allow(clippy::too_many_arguments)]
fn charge_delegate_for(
    account: &mut MarginAccount,
    role: SignerRole,
    delta: i64,
    fee: i64,
    grows: bool,
    price: i64,
    oracle: i64,
    now: i64,
) -> Result<()> {
    if role != SignerRole::Delegate {
        return Ok(());
    }
    let cost = trade_cost_at_oracle(delta, price, oracle, fee)?;
    account.charge_delegate(price, oracle, grows, cost, now)
}

/// A trade between two accounts at an agreed `price` (a fill, or a trigger order's execution):
/// `a` trades `base_delta`, `b` the opposite. Both sides' margin is checked in their modes,
/// flags refreshed, delegate limits applied, open interest updated (within the cap), and the net
/// fee accrued to the market for the insurance fund.
pub struct TwoPartyTrade<'a> {
    pub market: &'a mut Market,
    pub markets: &'a [MarketView],
    pub base_delta: i64,
    pub price: i64,
    pub oracle_price: i64,
    pub fee_a: i64,
    pub fee_b: i64,
    pub status: MarketStatus,
    pub buffer: u32,
    pub now: i64,
    /// `b` takes whatever size `a` trades (a trigger order's executor): the market's minimum
    /// position does not bind `b`'s remainder (it can always close it whole later).
    pub b_takes_any_size: bool,
}

impl TwoPartyTrade<'_> {
    pub fn execute(
        self,
        a: &mut MarginAccount,
        a_role: SignerRole,
        b: &mut MarginAccount,
        b_role: SignerRole,
    ) -> Result<(Side, Side)> {
        let minus = self
            .base_delta
            .checked_neg()
            .ok_or_else(|| error!(ErrorCode::InvalidFillSize))?;
        let (index, min) = (self.market.market_index, self.market.min_position_base);
        let sa = apply_side(
            a,
            self.markets,
            index,
            min,
            self.base_delta,
            self.price,
            self.fee_a,
        )?;
        let min_b = if self.b_takes_any_size { 0 } else { min };
        let sb = apply_side(b, self.markets, index, min_b, minus, self.price, self.fee_b)?;

        let size = self.base_delta.unsigned_abs();
        let closes = sa.new_base == 0 || sb.new_base == 0;
        // Closing a whole position is always possible, whatever the lot and minimum became.
        require!(
            size.is_multiple_of(self.market.base_lot_size) || closes,
            ErrorCode::SizeNotMultipleOfLot
        );
        require!(
            size >= self.market.min_position_base || closes,
            ErrorCode::FillBelowMinimum
        );
        if self.status == MarketStatus::ReduceOnly {
            require!(!sa.grows() && !sb.grows(), ErrorCode::MarketReduceOnly);
        }
        update_open_interest(self.market, &sa, &sb, true)?;

        // A flagged account whose equity is back above the buffer is no longer being
        // liquidated; one that still is may only reduce risk.
        let a_flagged = refresh_liquidation_flag(a, &sa.before, self.buffer)?;
        let b_flagged = refresh_liquidation_flag(b, &sb.before, self.buffer)?;
        check_margin(&sa, a_flagged)?;
        check_margin(&sb, b_flagged)?;
        refresh_liquidation_flag(a, &sa.after, self.buffer)?;
        refresh_liquidation_flag(b, &sb.after, self.buffer)?;
        charge_if_delegate(a, a_role, &sa, self.price, self.oracle_price, self.now)?;
        charge_if_delegate(b, b_role, &sb, self.price, self.oracle_price, self.now)?;

        // Fees go to the insurance fund at the next funding update.
        let net_fee = sa.fee as i128 + sb.fee as i128;
        require!(net_fee >= 0, ErrorCode::InvariantViolation);
        self.market.insurance_fees_pending = self
            .market
            .insurance_fees_pending
            .checked_add(net_fee as u64)
            .ok_or_else(|| error!(ErrorCode::MathOverflow))?;
        Ok((sa, sb))
    }
}
