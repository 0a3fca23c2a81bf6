//! Liquidation of a portfolio-margin account: the liquidator takes the same fraction of every
//! position, because closing one leg of a hedge can raise the portfolio requirement (long ETH /
//! short BTC at a 70% systematic share: closing the ETH leg moves R from 0.6a to a).
//!
//! Each leg is taken at its oracle price improved by its market's liquidation fee, and the
//! liquidatee pays each market's insurance fee, both scaled by `R / standard MM` (`fee_scale`;
//! with a stale leg left behind, the tradable legs' share of `R` at the margin: `slice_fee_scale`):
//! a slice `t` then costs `t F` with `F < R`, so it frees more requirement than it costs and no
//! slice lowers `E - R`. The fraction is the smallest lot-feasible `t` that restores
//! `E >= (1 + buffer) R` (`risk::portfolio_slice_fraction`); the plan is checked on a copy of the
//! account with the same code that applies it, and a larger slice is tried when lot rounding
//! falls short. Positions whose price is stale or settled are never taken. Planning is pure over
//! decoded accounts: the keeper runs the same function to size what it can afford.

use anchor_lang::prelude::*;

use crate::constants::RATIO_PRECISION;
use crate::error::ErrorCode;
use crate::health_accounts::account_health;
use crate::risk::math::div_ceil;
use crate::risk::{
    liquidation_target, notional, portfolio_slice_fraction, scaled_fee, slice_size, takeover_price,
    trade_fee, MarketView, SLICE_PRECISION,
};
use crate::state::{MarginAccount, Market};
use crate::trading::{apply_trade_effect, TradeEffect};

/// What the slice needs of a market besides its view.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SliceMarket {
    pub market_index: u16,
    pub liquidation_fee: u32,
    pub insurance_fee: u32,
    pub base_lot_size: u64,
    pub min_position_base: u64,
}

impl SliceMarket {
    pub fn of(m: &Market) -> Self {
        SliceMarket {
            market_index: m.market_index,
            liquidation_fee: m.liquidation_fee,
            insurance_fee: m.insurance_fee,
            base_lot_size: m.base_lot_size,
            min_position_base: m.min_position_base,
        }
    }
}

/// One market's part of a slice.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SliceLeg {
    pub market_index: u16,
    pub min_position_base: u64,
    /// The liquidatee's base change (the liquidator's is the opposite).
    pub liquidatee_delta: i64,
    /// Takeover price: oracle improved by the scaled liquidation fee.
    pub price: i64,
    pub oracle_price: i64,
    /// Paid by the liquidatee to the market's insurance fees.
    pub insurance_fee: i64,
}

/// A planned portfolio liquidation step.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PortfolioSlice {
    /// At `SLICE_PRECISION`.
    pub fraction: i128,
    /// ppm.
    pub fee_scale: u32,
    pub legs: Vec<SliceLeg>,
}

fn legs_for(
    liquidatee: &MarginAccount,
    views: &[MarketView],
    markets: &[SliceMarket],
    fraction: i128,
    fee_scale: u32,
    charge_insurance: bool,
) -> Result<Vec<SliceLeg>> {
    let mut legs = Vec::with_capacity(markets.len());
    for pos in liquidatee.open_positions() {
        let Some(view) = views.iter().find(|v| v.market_index == pos.market_index) else {
            return err!(ErrorCode::HealthAccountMissing);
        };
        if !view.is_tradable() {
            continue;
        }
        let Some(m) = markets.iter().find(|m| m.market_index == pos.market_index) else {
            return err!(ErrorCode::HealthAccountMissing);
        };
        let size = slice_size(
            pos.base.unsigned_abs(),
            fraction,
            m.base_lot_size,
            m.min_position_base,
        );
        if size == 0 {
            continue;
        }
        let size = i64::try_from(size).map_err(|_| error!(ErrorCode::MathOverflow))?;
        let long = pos.base > 0;
        let delta = if long { -size } else { size };
        let oracle = view.price.price;
        let insurance_fee = if charge_insurance {
            trade_fee(delta, oracle, scaled_fee(m.insurance_fee, fee_scale) as i64)?
        } else {
            0
        };
        legs.push(SliceLeg {
            market_index: pos.market_index,
            min_position_base: m.min_position_base,
            liquidatee_delta: delta,
            price: takeover_price(oracle, long, scaled_fee(m.liquidation_fee, fee_scale))?,
            oracle_price: oracle,
            insurance_fee,
        });
    }
    Ok(legs)
}

/// Applies `legs` to the liquidatee (and, when given, the liquidator's opposite side). Returns
/// each leg's effects.
pub fn apply_legs(
    liquidatee: &mut MarginAccount,
    mut liquidator: Option<&mut MarginAccount>,
    views: &[MarketView],
    legs: &[SliceLeg],
) -> Result<Vec<(TradeEffect, TradeEffect)>> {
    let mut out = Vec::with_capacity(legs.len());
    for leg in legs {
        let view = views
            .iter()
            .find(|v| v.market_index == leg.market_index)
            .ok_or_else(|| error!(ErrorCode::HealthAccountMissing))?;
        let lq = apply_trade_effect(
            liquidatee,
            view,
            leg.min_position_base,
            leg.liquidatee_delta,
            leg.price,
            leg.insurance_fee,
        )?;
        let lr = match liquidator.as_deref_mut() {
            // the liquidator takes what the slice gives: no minimum on its remainder
            Some(l) => apply_trade_effect(l, view, 0, -leg.liquidatee_delta, leg.price, 0)?,
            None => TradeEffect::default(),
        };
        out.push((lq, lr));
    }
    Ok(out)
}

/// The scale of a slice's fees: the requirement the tradable legs carry at the margin (`R` less
/// the `R` of the account without them) over their standard requirement, in `[0, 1]`; with every
/// position tradable, `R / standard MM`. `R` is convex in the slice fraction `t` (a sum of
/// absolute values of linear terms, floored by a linear term), so a slice frees at least
/// `t (R - R_rest)` while its fees are under `t * scale * standard MM of the tradable legs`:
/// fees never make a slice lower `E - R`, whether or not a stale leg stays behind (scaled by the
/// whole account's `R / standard MM`, a large unhedged stale leg pushed the scale towards 1 and
/// made every slice of a hedged tradable pair cost more than it freed). Rounded down, for the
/// account.
fn slice_fee_scale(
    liquidatee: &MarginAccount,
    views: &[MarketView],
    r: i128,
    standard: i128,
) -> Result<u32> {
    let mut rest = *liquidatee;
    for pos in rest.positions.iter_mut().filter(|p| p.is_open()) {
        if views
            .iter()
            .any(|v| v.market_index == pos.market_index && v.is_tradable())
        {
            pos.base = 0;
        }
    }
    let rest = account_health(&rest, views)?;
    let marginal = r - rest.maintenance_requirement;
    let marginal_standard = standard - rest.standard_maintenance_requirement;
    Ok(if marginal_standard > 0 {
        (marginal.max(0) * RATIO_PRECISION / marginal_standard).min(RATIO_PRECISION) as u32
    } else {
        RATIO_PRECISION as u32
    })
}

/// The slice a liquidation step takes of `liquidatee` (funding already settled), at most
/// `max_fraction` (`SLICE_PRECISION` = everything).
pub fn plan_portfolio_slice(
    liquidatee: &MarginAccount,
    views: &[MarketView],
    markets: &[SliceMarket],
    buffer: u32,
    max_fraction: u64,
) -> Result<PortfolioSlice> {
    let h = account_health(liquidatee, views)?;
    let r = h.maintenance_requirement;
    let fee_scale = slice_fee_scale(liquidatee, views, r, h.standard_maintenance_requirement)?;
    let charge_insurance = h.equity > 0;
    // What the whole tradable portfolio's fees would cost.
    let mut full_fees: i128 = 0;
    for pos in liquidatee.open_positions() {
        let (Some(view), Some(m)) = (
            views.iter().find(|v| v.market_index == pos.market_index),
            markets.iter().find(|m| m.market_index == pos.market_index),
        ) else {
            return err!(ErrorCode::HealthAccountMissing);
        };
        if !view.is_tradable() {
            continue;
        }
        let fee = scaled_fee(m.liquidation_fee, fee_scale) as i128
            + if charge_insurance {
                scaled_fee(m.insurance_fee, fee_scale) as i128
            } else {
                0
            };
        full_fees += div_ceil(notional(pos.base, view.price.price)? * fee, RATIO_PRECISION);
    }
    let t0 = portfolio_slice_fraction(h.equity, r, full_fees, buffer)?;
    let cap = (max_fraction as i128).clamp(0, SLICE_PRECISION);
    require!(t0 > 0 && cap > 0, ErrorCode::LiquidationSizeZero);
    let mut last = -1i128;
    for k in [0i128, 2, 4, 8] {
        let t = (t0 + (SLICE_PRECISION - t0) * k / 8).min(cap);
        if t == last {
            continue;
        }
        last = t;
        let legs = legs_for(liquidatee, views, markets, t, fee_scale, charge_insurance)?;
        if legs.is_empty() {
            continue;
        }
        let mut copy = *liquidatee;
        apply_legs(&mut copy, None, views, &legs)?;
        let after = account_health(&copy, views)?;
        let flat = !copy.has_open_positions();
        let no_worse = flat || after.maintenance_health() >= h.maintenance_health();
        let restored = after.equity >= liquidation_target(after.maintenance_requirement, buffer)?;
        if no_worse && (restored || t == cap || k == 8) {
            return Ok(PortfolioSlice {
                fraction: t,
                fee_scale,
                legs,
            });
        }
    }
    if last < 0 {
        return err!(ErrorCode::LiquidationSizeZero);
    }
    err!(ErrorCode::LiquidationWorsensHealth)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::oracle::OraclePrice;
    use crate::risk::{MarginMode, RiskParams, Valuation};
    use crate::state::Position;

    const LOT: u64 = 1_000_000; // 0.001 of a unit
    const MIN: u64 = 10_000_000;

    /// One position: lots (signed), oracle price, entry as a share of it, maintenance ratio,
    /// group, systematic share.
    fn leg() -> impl Strategy<Value = (i64, i64, i64, u32, u8, u32)> {
        (
            prop_oneof![10i64..5_000, -5_000i64..-10],
            1_000_000i64..100_000_000_000,
            80i64..120,
            10_000u32..100_000,
            0u8..3,
            0u32..=750_000,
        )
    }

    struct Book {
        account: MarginAccount,
        views: Vec<MarketView>,
        markets: Vec<SliceMarket>,
    }

    /// A portfolio-margin account holding `legs` (one market each) with collateral set so that
    /// its equity is `equity_share` percent of its maintenance requirement.
    fn book(legs: &[(i64, i64, i64, u32, u8, u32)], equity_share: i64) -> Book {
        let mut account = MarginAccount {
            margin_mode: MarginMode::Portfolio as u8,
            ..bytemuck::Zeroable::zeroed()
        };
        let (mut views, mut markets) = (Vec::new(), Vec::new());
        for (i, (lots, price, entry, mm, group, share)) in legs.iter().enumerate() {
            let base = lots * LOT as i64;
            let entry = price / 100 * entry;
            account.positions[i] = Position {
                base,
                quote: -(base as i128 * entry as i128 / 1_000_000_000) as i64,
                market_index: i as u16,
                ..Default::default()
            };
            views.push(MarketView {
                market_index: i as u16,
                params: RiskParams {
                    initial_margin_ratio: 2 * mm,
                    maintenance_margin_ratio: *mm,
                    upnl_initial_weight: 800_000,
                    margin_group: *group,
                    systematic_share: if *group == 0 { 0 } else { *share },
                },
                cumulative_funding_long: 0,
                cumulative_funding_short: 0,
                price: OraclePrice {
                    price: *price,
                    conf: 0,
                    ema_price: *price,
                    publish_time: 0,
                },
                valuation: Valuation::Oracle,
            });
            markets.push(SliceMarket {
                market_index: i as u16,
                liquidation_fee: mm / 5,
                insurance_fee: mm / 10,
                base_lot_size: LOT,
                min_position_base: MIN,
            });
        }
        let h = account_health(&account, &views).unwrap();
        let upnl = h.equity - account.collateral as i128;
        account.collateral = (h.maintenance_requirement * equity_share as i128 / 100 - upnl) as i64;
        Book {
            account,
            views,
            markets,
        }
    }

    /// A hedged tradable pair (one group, 75% systematic) beside a large unhedged stale leg: the
    /// pair frees a quarter of its standard requirement per unit sliced. Scaled by the whole
    /// account's `R / standard MM` (525 / 600) its fees (30% of maintenance) would cost 26.25
    /// for the 25 it frees and every slice would be refused; scaled by the pair's own share of `R`
    /// at the margin (25 / 100) they cost 7.50.
    #[test]
    fn an_unhedged_stale_leg_does_not_price_the_tradable_slice() {
        let p = 1_000_000_000; // $1,000 a unit
        let Book {
            mut account,
            mut views,
            markets,
        } = book(
            &[
                (1_000, p, 100, 50_000, 1, 750_000),
                (-1_000, p, 100, 50_000, 1, 750_000),
                (10_000, p, 100, 50_000, 0, 0),
            ],
            50,
        );
        views[2].valuation = Valuation::Stale { haircut: 0 };
        let h = account_health(&account, &views).unwrap();
        assert_eq!(
            (
                h.maintenance_requirement,
                h.standard_maintenance_requirement
            ),
            (525_000_000, 600_000_000)
        );
        let slice = plan_portfolio_slice(&account, &views, &markets, 0, SLICE_PRECISION as u64)
            .expect("the pair is sliced");
        assert_eq!(slice.fee_scale, 250_000);
        apply_legs(&mut account, None, &views, &slice.legs).unwrap();
        let after = account_health(&account, &views).unwrap();
        assert!(
            after.maintenance_health() > h.maintenance_health(),
            "{h:?} -> {after:?}"
        );
        assert_eq!(
            account.positions[2].base,
            10_000 * LOT as i64,
            "the stale leg stays"
        );
    }

    proptest! {
        /// Issue 14: no portfolio account is left unliquidatable. For any liquidatable
        /// portfolio (hedged or not, solvent or bankrupt) whose markets all trade, the
        /// uncapped step always plans; every step applied never lowers `E - R` (unless it closes
        /// everything) and takes at least a lot, so the account ends above maintenance or flat.
        #[test]
        fn portfolio_slices_never_lower_health_and_always_finish(
            legs in prop::collection::vec(leg(), 1..6),
            equity_share in -50i64..99,
            buffer in 0u32..500_000,
            cap in prop_oneof![Just(SLICE_PRECISION as u64), 1u64..SLICE_PRECISION as u64],
        ) {
            let Book { mut account, views, markets } = book(&legs, equity_share);
            let mut steps = 0;
            loop {
                let h = account_health(&account, &views).unwrap();
                if !h.liquidatable() || !account.has_open_positions() {
                    break;
                }
                // a liquidator may cap the slice; a capped slice that would lower E - R (lot
                // rounding can unbalance a hedge) is refused, and the uncapped one never is
                let slice = match plan_portfolio_slice(&account, &views, &markets, buffer, cap) {
                    Ok(s) => s,
                    Err(e) if cap < SLICE_PRECISION as u64
                        && e == error!(ErrorCode::LiquidationWorsensHealth) =>
                    {
                        plan_portfolio_slice(&account, &views, &markets, buffer, SLICE_PRECISION as u64)
                            .map_err(|e| TestCaseError::fail(format!("no uncapped slice for {h:?}: {e}")))?
                    }
                    Err(e) => return Err(TestCaseError::fail(format!("no slice for {h:?}: {e}"))),
                };
                let held = |a: &MarginAccount| a.open_positions().map(|p| p.base.unsigned_abs()).sum::<u64>();
                let before = held(&account);
                apply_legs(&mut account, None, &views, &slice.legs).unwrap();
                let after = account_health(&account, &views).unwrap();
                prop_assert!(
                    !account.has_open_positions()
                        || after.maintenance_health() >= h.maintenance_health(),
                    "E - R fell: {} -> {}", h.maintenance_health(), after.maintenance_health()
                );
                // every step takes at least a lot: the account is closed or restored in finitely
                // many steps, whatever cap the liquidator chose
                prop_assert!(held(&account) + LOT <= before, "a step took nothing");
                steps += 1;
                prop_assert!(steps <= 10_000);
            }
        }

        /// With some legs stale (valued at the last price moved by the band against them, never
        /// taken), every slice still never lowers `E - R`; and when no stale leg shares a margin
        /// group with a tradable one, the uncapped slice always plans (the fees follow the
        /// tradable legs' share of `R` at the margin, so an unhedged stale leg cannot make a
        /// hedged tradable pair cost more than it frees).
        #[test]
        fn stale_legs_never_make_a_slice_lower_health(
            legs in prop::collection::vec(leg(), 2..6),
            stale in prop::collection::vec(any::<bool>(), 6),
            equity_share in -50i64..99,
            buffer in 0u32..500_000,
        ) {
            let Book { mut account, mut views, markets } = book(&legs, equity_share);
            for (v, s) in views.iter_mut().zip(&stale) {
                if *s {
                    v.valuation = Valuation::Stale { haircut: 50_000 };
                }
            }
            // recompute the collateral under the stale valuation's prices
            let upnl = account_health(&account, &views).unwrap().equity - account.collateral as i128;
            let r = account_health(&account, &views).unwrap().maintenance_requirement;
            account.collateral = (r * equity_share as i128 / 100 - upnl) as i64;
            let grouped = |v: &MarketView| v.params.margin_group != 0 && v.params.systematic_share > 0;
            let hedged = views.iter().any(|a| !a.is_tradable() && grouped(a)
                && views.iter().any(|b| b.is_tradable() && grouped(b)
                    && b.params.margin_group == a.params.margin_group));
            let tradable = |a: &MarginAccount| a.open_positions().any(|p| views[p.market_index as usize].is_tradable());
            let mut steps = 0;
            loop {
                let h = account_health(&account, &views).unwrap();
                if !h.liquidatable() || !tradable(&account) {
                    break;
                }
                let slice = match plan_portfolio_slice(&account, &views, &markets, buffer, SLICE_PRECISION as u64) {
                    Ok(s) => s,
                    Err(e) if hedged && e == error!(ErrorCode::LiquidationWorsensHealth) => break,
                    Err(e) => return Err(TestCaseError::fail(format!("no slice for {h:?}: {e}"))),
                };
                prop_assert!(slice.fee_scale as i128 <= RATIO_PRECISION);
                apply_legs(&mut account, None, &views, &slice.legs).unwrap();
                let after = account_health(&account, &views).unwrap();
                prop_assert!(
                    after.maintenance_health() >= h.maintenance_health(),
                    "E - R fell: {} -> {}", h.maintenance_health(), after.maintenance_health()
                );
                for p in account.open_positions() {
                    if !views[p.market_index as usize].is_tradable() {
                        let i = p.market_index as usize;
                        prop_assert_eq!(p.base, legs[i].0 * LOT as i64, "a stale leg was taken");
                    }
                }
                steps += 1;
                prop_assert!(steps <= 10_000);
            }
        }
    }
}
