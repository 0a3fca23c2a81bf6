//! What the keeper sends, planned with the program's own functions on copies of the accounts:
//! liquidation steps sized to what the keeper's margin can take, portfolio slices, and the
//! packing of instructions into transactions within the packet, lock and compute limits.

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use cross_margin::error::ErrorCode;
use cross_margin::health_accounts::{account_health, settle_position_funding};
use cross_margin::oracle::OracleUse;
use cross_margin::portfolio_liquidation::{apply_legs, plan_portfolio_slice, SliceMarket};
use cross_margin::risk::{
    liquidation_size, liquidation_target, takeover_price, trade_fee, LiquidationInput, MarginMode,
    MarketView, SLICE_PRECISION,
};
use cross_margin::state::{MarginAccount, Market};
use cross_margin::trading::apply_side;
use crossmargin_sdk::tx::{self, TxError};
use crossmargin_sdk::{health as metas, instructions as ix};
use solana_sdk::hash::Hash;
use solana_sdk::message::AddressLookupTableAccount;

use crate::markets::ExchangeState;

/// Why the keeper cannot plan a liquidation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("the keeper's own margin account is not loaded")]
    NoLiquidatorAccount,
    #[error("market {0} has no price the program would accept")]
    NoPrice(u16),
    #[error(
        "no position of the account can be taken over (every one is in a stale or settled market)"
    )]
    NothingTradable,
    #[error(
        "no slice of the tradable positions improves the portfolio's health (a hedge leg's market is stale)"
    )]
    HedgeUntradable,
    #[error("the keeper's free margin cannot take even one lot of market {0}")]
    KeeperTooSmall(u16),
    #[error(
        "every position slot of the keeper's account is in use: it cannot take over a new market"
    )]
    KeeperSlotsFull,
    #[error("the account is not liquidatable")]
    NotLiquidatable,
    #[error("the order was placed by a delegate whose current limits refuse its execution")]
    DelegateLimits,
    #[error("market {0} is paused, or reduce-only and the execution would grow the keeper's side")]
    MarketStatus(u16),
    #[error("the execution would leave the trader under maintenance and lower its E - MM (a case for liquidation)")]
    TraderMargin,
    #[error("the program's math refused: {0}")]
    Math(String),
}

pub(crate) fn math(e: anchor_lang::error::Error) -> PlanError {
    // only the keeper's side of a takeover or an execution can open a position
    if e == ErrorCode::PositionSlotsFull.into() {
        return PlanError::KeeperSlotsFull;
    }
    PlanError::Math(e.to_string())
}

/// Whether `account` can hold a position in `market_index` (it has one, or a free slot).
fn can_hold(account: &MarginAccount, market_index: u16) -> bool {
    account.position(market_index).is_some()
        || account.open_position_count() < cross_margin::constants::MAX_POSITIONS
}

/// One planned liquidation: its instructions (several when equity is gone) and what they take.
#[derive(Clone, Debug)]
pub struct LiquidationPlan {
    pub instructions: Vec<Instruction>,
    /// `(market, base taken)` per instruction (`u16::MAX` for a portfolio slice).
    pub steps: Vec<(u16, u64)>,
}

/// The views a health computation over `accounts` needs, flattened.
fn flat_views(views: &[Option<MarketView>]) -> Vec<MarketView> {
    views.iter().flatten().copied().collect()
}

struct Ctx<'a> {
    state: &'a ExchangeState,
    views: Vec<MarketView>,
    authority: Pubkey,
    liquidator_key: Pubkey,
    buffer: u32,
}

impl Ctx<'_> {
    fn market(&self, i: u16) -> Result<&Market, PlanError> {
        self.state
            .markets
            .get(&i)
            .map(|m| &m.market)
            .ok_or(PlanError::NoPrice(i))
    }

    fn view(&self, i: u16) -> Result<MarketView, PlanError> {
        self.views
            .iter()
            .find(|v| v.market_index == i)
            .copied()
            .ok_or(PlanError::NoPrice(i))
    }

    fn oracles(&self) -> impl Fn(u16) -> Option<Pubkey> + '_ {
        move |i| self.state.oracle(i)
    }
}

/// What one `liquidate` of `market` with `max_base` does to copies of both accounts, as the
/// program computes it. Returns the base taken.
fn simulate_step(
    c: &Ctx,
    lq: &mut MarginAccount,
    lr: &mut MarginAccount,
    market_index: u16,
    max_base: u64,
) -> Result<u64, PlanError> {
    let m = c.market(market_index)?;
    let view = c.view(market_index)?;
    settle_position_funding(lq, &view).map_err(math)?;
    let before = account_health(lq, &c.views).map_err(math)?;
    let base = lq.position(market_index).map_or(0, |p| p.base);
    let size = liquidation_size(&LiquidationInput {
        equity: before.equity,
        maintenance_requirement: before.maintenance_requirement,
        position_base: base,
        oracle_price: view.price.price,
        maintenance_margin_ratio: m.maintenance_margin_ratio,
        liquidation_fee: m.liquidation_fee,
        insurance_fee: m.insurance_fee,
        liquidation_buffer: c.buffer,
        base_lot_size: m.base_lot_size,
        min_position_base: m.min_position_base,
        max_base,
    })
    .map_err(math)?;
    if size == 0 {
        return Ok(0);
    }
    let long = base > 0;
    let price = takeover_price(view.price.price, long, m.liquidation_fee).map_err(math)?;
    let s = size as i64;
    let delta = if long { -s } else { s };
    let fee = if before.equity > 0 {
        trade_fee(delta, view.price.price, m.insurance_fee as i64).map_err(math)?
    } else {
        0
    };
    apply_side(
        lq,
        &c.views,
        market_index,
        m.min_position_base,
        delta,
        price,
        fee,
    )
    .map_err(math)?;
    apply_side(
        lr,
        &c.views,
        market_index,
        0, // as the program: no minimum on the liquidator's remainder
        -delta,
        price,
        0,
    )
    .map_err(math)?;
    Ok(size)
}

fn keeper_can_afford(c: &Ctx, lr: &MarginAccount) -> Result<bool, PlanError> {
    Ok(account_health(lr, &c.views).map_err(math)?.meets_initial())
}

/// The largest `max_base` (in lots, up to what the program would take) the keeper can afford in
/// one step of `market`; 0 when not even a lot.
fn affordable_max_base(
    c: &Ctx,
    lq: &MarginAccount,
    lr: &MarginAccount,
    market_index: u16,
) -> Result<u64, PlanError> {
    let lot = c.market(market_index)?.base_lot_size.max(1);
    let full = {
        let (mut a, mut b) = (*lq, *lr);
        let size = simulate_step(c, &mut a, &mut b, market_index, u64::MAX)?;
        if keeper_can_afford(c, &b)? {
            return Ok(u64::MAX);
        }
        size
    };
    // binary search the number of lots
    let (mut lo, mut hi) = (0u64, full / lot);
    while lo < hi {
        let mid = lo + (hi - lo).div_ceil(2);
        let (mut a, mut b) = (*lq, *lr);
        // a size the program would refuse is one the keeper cannot take
        let fits = simulate_step(c, &mut a, &mut b, market_index, mid * lot).is_ok()
            && keeper_can_afford(c, &b)?;
        if fits {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    Ok(lo * lot)
}

/// Plans the liquidation of `liquidatee` by the keeper's account `liquidator`: a portfolio
/// account in one slice sized to the keeper's margin; a standard account whose equity is gone in
/// one step per position (all of each, in order, each planned on the state the previous leaves);
/// otherwise the position with the largest maintenance requirement, sized to what the keeper can
/// take (the program may need less).
pub fn plan_liquidation(
    state: &ExchangeState,
    authority: Pubkey,
    liquidator_key: Pubkey,
    liquidator: &MarginAccount,
    liquidatee_key: Pubkey,
    liquidatee: &MarginAccount,
) -> Result<LiquidationPlan, PlanError> {
    let c = Ctx {
        state,
        views: flat_views(&state.views(OracleUse::Liquidation)),
        authority,
        liquidator_key,
        buffer: state.exchange.liquidation_buffer,
    };
    let h = account_health(liquidatee, &c.views).map_err(math)?;
    let flagged_under = liquidatee.being_liquidated != 0
        && h.equity < liquidation_target(h.maintenance_requirement, c.buffer).map_err(math)?;
    if !h.liquidatable() && !flagged_under {
        return Err(PlanError::NotLiquidatable);
    }
    let tradable: Vec<u16> = liquidatee
        .open_positions()
        .map(|p| p.market_index)
        .filter(|i| c.view(*i).is_ok_and(|v| v.is_tradable()))
        .collect();
    if tradable.is_empty() {
        return Err(PlanError::NothingTradable);
    }
    if liquidatee.margin_mode() == MarginMode::Portfolio {
        return plan_portfolio(&c, liquidator, liquidatee_key, liquidatee);
    }
    let targets: Vec<u16> = if h.equity <= 0 {
        // every position goes, the largest loss last (its market carries the deficit)
        let upnl = |i: u16| -> i128 {
            cross_margin::health_accounts::position_risks(liquidatee, &c.views)
                .ok()
                .and_then(|rs| rs.into_iter().find(|p| p.market_index == i))
                .and_then(|p| cross_margin::risk::unrealized_pnl(&p).ok())
                .unwrap_or(0)
        };
        let mut t = tradable;
        // most negative last; ties: the lower index last, as the program breaks them
        t.sort_by_key(|i| (std::cmp::Reverse(upnl(*i)), std::cmp::Reverse(*i)));
        t
    } else {
        let mm = |i: u16| {
            let base = liquidatee.position(i).map_or(0, |p| p.base);
            let m = c.market(i).map(|m| m.maintenance_margin_ratio).unwrap_or(0);
            let p = c.view(i).map(|v| v.price.price).unwrap_or(0);
            cross_margin::risk::requirement(base, p, m).unwrap_or(0)
        };
        // among the markets the keeper's account can hold
        let best = tradable
            .iter()
            .copied()
            .filter(|i| can_hold(liquidator, *i))
            .max_by_key(|i| mm(*i))
            .ok_or(PlanError::KeeperSlotsFull)?;
        vec![best]
    };
    let (mut lq, mut lr) = (*liquidatee, *liquidator);
    let mut plan = LiquidationPlan {
        instructions: Vec::new(),
        steps: Vec::new(),
    };
    for market in targets {
        if !can_hold(&lr, market) {
            if plan.instructions.is_empty() {
                return Err(PlanError::KeeperSlotsFull);
            }
            break;
        }
        let max_base = affordable_max_base(&c, &lq, &lr, market)?;
        if max_base == 0 {
            if plan.instructions.is_empty() {
                return Err(PlanError::KeeperTooSmall(market));
            }
            break;
        }
        let health = metas::liquidate_health_metas(&lq, &lr, market, &c.oracles())
            .map_err(|e| PlanError::NoPrice(e.0))?;
        let may_close = metas::may_close_account(&lq);
        let oracle = c.state.oracle(market).ok_or(PlanError::NoPrice(market))?;
        // never pay more (taking a long) or receive less (taking a short) than the oracle price
        // this keeper saw; the program's price is that improved by the fee
        let limit = c.view(market)?.price.price;
        let taken = simulate_step(&c, &mut lq, &mut lr, market, max_base)?;
        plan.instructions.push(ix::liquidate(
            c.authority,
            c.liquidator_key,
            liquidatee_key,
            market,
            oracle,
            max_base,
            limit,
            may_close,
            health,
        ));
        plan.steps.push((market, taken));
        if max_base != u64::MAX {
            break; // the keeper's margin is the limit: one slice per round
        }
    }
    Ok(plan)
}

fn plan_portfolio(
    c: &Ctx,
    liquidator: &MarginAccount,
    liquidatee_key: Pubkey,
    liquidatee: &MarginAccount,
) -> Result<LiquidationPlan, PlanError> {
    let mut lq = *liquidatee;
    for i in lq.position_market_indices() {
        settle_position_funding(
            &mut lq,
            &c.views
                .iter()
                .find(|v| v.market_index == i)
                .copied()
                .ok_or(PlanError::NoPrice(i))?,
        )
        .map_err(math)?;
    }
    // a stale (or settled) leg that shares a margin group with a tradable one: closing the
    // tradable legs whole may unhedge the account, which the program refuses
    // (`LiquidationWorsensHealth`); a partial slice may still improve `E - R`, else the account
    // waits for the feed (the uncapped slice of an all-tradable portfolio always plans: the
    // property test beside the program's planner)
    let hedges = |a: &MarketView, b: &MarketView| {
        a.params.margin_group != 0
            && a.params.margin_group == b.params.margin_group
            && a.params.systematic_share > 0
            && b.params.systematic_share > 0
    };
    let legs: Vec<MarketView> = lq
        .open_positions()
        .filter_map(|p| c.view(p.market_index).ok())
        .collect();
    let hedge_stale = legs.iter().any(|stale| {
        !stale.is_tradable()
            && legs
                .iter()
                .any(|live| live.is_tradable() && hedges(stale, live))
    });
    let slice_markets: Vec<SliceMarket> = lq
        .open_positions()
        .filter_map(|p| c.market(p.market_index).ok().map(SliceMarket::of))
        .collect();
    let plan_at = |max_fraction: u64| {
        plan_portfolio_slice(&lq, &c.views, &slice_markets, c.buffer, max_fraction)
    };
    let affordable = |max_fraction: u64| -> Result<
        Option<cross_margin::portfolio_liquidation::PortfolioSlice>,
        PlanError,
    > {
        let slice = match plan_at(max_fraction) {
            Ok(s) => s,
            Err(e) if hedge_stale && e == ErrorCode::LiquidationWorsensHealth.into() => {
                return Err(PlanError::HedgeUntradable)
            }
            Err(e) => return Err(math(e)),
        };
        let (mut a, mut b) = (lq, *liquidator);
        apply_legs(&mut a, Some(&mut b), &c.views, &slice.legs).map_err(math)?;
        Ok(keeper_can_afford(c, &b)?.then_some(slice))
    };
    // the largest fraction up to `hi` whose slice the keeper's margin carries
    let largest_affordable = |hi: u64| -> Result<(u64, _), PlanError> {
        let (mut lo, mut hi) = (0u64, hi);
        let mut best = None;
        for _ in 0..30 {
            if hi - lo <= 1 {
                break;
            }
            let mid = lo + (hi - lo) / 2;
            match affordable(mid) {
                Ok(Some(s)) => {
                    lo = mid;
                    best = Some(s);
                }
                _ => hi = mid,
            }
        }
        Ok((lo, best.ok_or(PlanError::KeeperTooSmall(u16::MAX))?))
    };
    let max = SLICE_PRECISION as u64;
    let (max_fraction, slice) = match affordable(max) {
        Ok(Some(s)) => (max, s),
        Ok(None) => largest_affordable(max)?,
        Err(PlanError::HedgeUntradable) => {
            let best = best_partial_slice(&lq, &c.views, plan_at)?;
            match affordable(best)? {
                Some(s) => (best, s),
                None => largest_affordable(best)?,
            }
        }
        Err(e) => return Err(e),
    };
    let mut after = lq;
    apply_legs(&mut after, None, &c.views, &slice.legs).map_err(math)?;
    let health = metas::portfolio_liquidation_metas(liquidatee, liquidator, &c.oracles())
        .map_err(|e| PlanError::NoPrice(e.0))?;
    Ok(LiquidationPlan {
        instructions: vec![ix::liquidate_portfolio(
            c.authority,
            c.liquidator_key,
            liquidatee_key,
            max_fraction,
            !after.has_open_positions(),
            health,
        )],
        steps: vec![(u16::MAX, slice.fraction as u64)],
    })
}

/// The capped fraction whose slice leaves `liquidatee` healthiest, when the whole tradable
/// slice would lower `E - R` (a stale hedge leg stays behind). The program takes exactly the cap
/// when the cap is under its own fraction and the slice is no worse; `E - R` after a slice of
/// `t` is concave in `t` (fees linear, `R` convex), so the accepted caps are an interval from 0
/// and a ternary search over it finds the best. `HedgeUntradable` when no slice improves health.
fn best_partial_slice(
    liquidatee: &MarginAccount,
    views: &[MarketView],
    plan_at: impl Fn(u64) -> anchor_lang::Result<cross_margin::portfolio_liquidation::PortfolioSlice>,
) -> Result<u64, PlanError> {
    let health_at = |t: u64| -> Option<i128> {
        let slice = plan_at(t).ok()?;
        let mut after = *liquidatee;
        apply_legs(&mut after, None, views, &slice.legs).ok()?;
        account_health(&after, views)
            .ok()
            .map(|h| h.maintenance_health())
    };
    let before = account_health(liquidatee, views)
        .map_err(math)?
        .maintenance_health();
    let (mut lo, mut hi) = (1u64, SLICE_PRECISION as u64 - 1);
    for _ in 0..80 {
        if hi - lo < 3 {
            break;
        }
        let m1 = lo + (hi - lo) / 3;
        let m2 = hi - (hi - lo) / 3;
        match (health_at(m1), health_at(m2)) {
            (None, _) => hi = m1,
            (_, None) => hi = m2,
            (Some(a), Some(b)) if a < b => lo = m1,
            _ => hi = m2,
        }
    }
    (lo..=hi)
        .filter_map(|t| health_at(t).map(|h| (h, t)))
        .max()
        .filter(|(h, _)| *h > before)
        .map(|(_, t)| t)
        .ok_or(PlanError::HedgeUntradable)
}

/// What one of the program's instructions is budgeted to cost, for packing: a base plus a share
/// per account it names (each health pair is a market load and a Pyth parse plus the position's
/// part of the health sum). A deliberately high model: natively nothing measures compute (no SBF
/// toolchain here), and on a cluster the keeper sets each transaction's limit from a simulation;
/// this only keeps a batch from being planned past the 1.4M-unit cap in the first place.
pub fn estimated_compute_units(ix: &Instruction) -> u64 {
    ESTIMATED_BASE_UNITS + ESTIMATED_UNITS_PER_ACCOUNT * ix.accounts.len() as u64
}

/// See `estimated_compute_units`.
pub const ESTIMATED_BASE_UNITS: u64 = 40_000;
/// See `estimated_compute_units`.
pub const ESTIMATED_UNITS_PER_ACCOUNT: u64 = 6_000;

/// Splits `ixs` into batches that each fit one transaction (with the compute-budget
/// instructions, paid by `payer`, against `tables`): as many as size and locks allow, in order.
/// An instruction that alone does not fit is an error.
pub fn pack(
    payer: &Pubkey,
    ixs: &[Instruction],
    tables: &[AddressLookupTableAccount],
) -> Result<Vec<Vec<Instruction>>, TxError> {
    let fits = |batch: &[Instruction]| -> Result<(), TxError> {
        let units: u64 = batch.iter().map(estimated_compute_units).sum();
        if batch.len() > 1 && units > tx::MAX_COMPUTE_UNITS as u64 {
            return Err(TxError::ComputeBudget(units));
        }
        let mut all = tx::compute_budget(tx::MAX_COMPUTE_UNITS, 1).to_vec();
        all.extend_from_slice(batch);
        let message = tx::compile_message(payer, &all, tables, Hash::default())?;
        tx::check_limits(&tx::unsigned(message))
    };
    let mut out: Vec<Vec<Instruction>> = Vec::new();
    let mut current: Vec<Instruction> = Vec::new();
    for i in ixs {
        current.push(i.clone());
        if fits(&current).is_err() {
            current.pop();
            if current.is_empty() {
                fits(std::slice::from_ref(i))?;
            }
            out.push(std::mem::take(&mut current));
            current.push(i.clone());
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    Ok(out)
}
