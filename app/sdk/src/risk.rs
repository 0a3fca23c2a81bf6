//! The risk view of a margin account: every figure comes from the program's own `risk` module
//! (`cross_margin::risk`), applied to decoded accounts or to a what-if portfolio, in the
//! account's margin mode.

use anchor_lang::prelude::Result;
use cross_margin::constants::{BASE_PRECISION, RATIO_PRECISION};
use cross_margin::health_accounts::position_risks;
use cross_margin::oracle::OraclePrice;
use cross_margin::risk::math::to_i64;
use cross_margin::risk::{
    compute_health, liquidation_price, notional, unrealized_pnl, MarginMode, MarketView,
    PositionRisk, TriggerKind,
};
use cross_margin::state::{MarginAccount, Market, TriggerOrders};

/// Funding rates are given in parts per billion per day for display figures.
pub const RATE_PRECISION: i128 = 1_000_000_000;

/// A trigger order on a position, and how far the oracle is from firing it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderReport {
    pub order_id: u64,
    pub kind: TriggerKind,
    pub trigger_price: i64,
    pub limit_price: i64,
    /// 0 = the whole position.
    pub size: u64,
    pub expiry: i64,
    pub premium: u32,
    /// How far the oracle must move to fire it, in ppm of the oracle price (signed: negative is
    /// down); 0 when it has fired already.
    pub distance_ppm: i64,
}

/// One position's figures (quote native units, prices at 1e6).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PositionReport {
    pub market_index: u16,
    pub symbol: String,
    pub base: i64,
    /// Average entry price (`-quote / base`), 0 when flat.
    pub entry_price: i64,
    pub oracle_price: i64,
    pub notional: i64,
    /// `b * p + q - F`, unsettled funding included.
    pub unrealized_pnl: i64,
    pub funding_owed: i64,
    /// The oracle price at which the account becomes liquidatable in its margin mode, other
    /// prices held.
    pub liquidation_price: Option<i64>,
    /// What the position pays per day at the current funding rate (negative: receives).
    pub funding_per_day: i64,
    pub margin_group: u8,
    pub systematic_share: u32,
    pub orders: Vec<OrderReport>,
}

/// An account's figures.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RiskReport {
    pub margin_mode: MarginMode,
    pub collateral: i64,
    pub equity: i64,
    pub initial_equity: i64,
    /// In the account's mode.
    pub initial_requirement: i64,
    pub maintenance_requirement: i64,
    /// As the standard mode computes them (what portfolio margin saves against).
    pub standard_initial_requirement: i64,
    pub standard_maintenance_requirement: i64,
    /// `E_init - IM` (may be negative).
    pub free_collateral: i64,
    /// What `withdraw` would pay out now.
    pub withdrawable: u64,
    /// `sum notional / E` in ppm; `None` when equity is not positive.
    pub effective_leverage: Option<u64>,
    /// `E / MM` in ppm; `None` without positions.
    pub margin_ratio: Option<i64>,
    pub liquidatable: bool,
    pub positions: Vec<PositionReport>,
}

impl RiskReport {
    /// Maintenance requirement saved by the account's mode against the standard one.
    pub fn maintenance_saving(&self) -> i64 {
        self.standard_maintenance_requirement - self.maintenance_requirement
    }
}

/// A position for a what-if report: its risk inputs, a name and a funding rate.
#[derive(Clone, Debug)]
pub struct PositionInput {
    pub symbol: String,
    pub risk: PositionRisk,
    /// Funding rate in parts per billion per day (positive: longs pay).
    pub funding_rate_per_day: i64,
}

/// The report for collateral `collateral` and these positions, in `mode`.
pub fn report(
    collateral: i64,
    positions: &[PositionInput],
    mode: MarginMode,
) -> Result<RiskReport> {
    let risks: Vec<PositionRisk> = positions.iter().map(|p| p.risk).collect();
    let h = compute_health(collateral, &risks, mode)?;
    let mut out = Vec::with_capacity(positions.len());
    for (i, p) in positions.iter().enumerate() {
        let r = &p.risk;
        let entry = if r.base == 0 {
            0
        } else {
            to_i64(-(r.quote as i128) * BASE_PRECISION / r.base as i128)?
        };
        let n = notional(r.base, r.price.price)?;
        let signed = if r.base < 0 { -n } else { n };
        out.push(PositionReport {
            market_index: r.market_index,
            symbol: p.symbol.clone(),
            base: r.base,
            entry_price: entry,
            oracle_price: r.price.price,
            notional: to_i64(n)?,
            unrealized_pnl: to_i64(unrealized_pnl(r)?)?,
            funding_owed: r.funding_owed,
            liquidation_price: liquidation_price(collateral, &risks, i, mode)?,
            funding_per_day: to_i64(signed * p.funding_rate_per_day as i128 / RATE_PRECISION)?,
            margin_group: r.params.margin_group,
            systematic_share: r.params.systematic_share,
            orders: Vec::new(),
        });
    }
    Ok(RiskReport {
        margin_mode: mode,
        collateral,
        equity: to_i64(h.equity)?,
        initial_equity: to_i64(h.initial_equity)?,
        initial_requirement: to_i64(h.initial_requirement)?,
        maintenance_requirement: to_i64(h.maintenance_requirement)?,
        standard_initial_requirement: to_i64(h.standard_initial_requirement)?,
        standard_maintenance_requirement: to_i64(h.standard_maintenance_requirement)?,
        free_collateral: to_i64(h.free_collateral())?,
        withdrawable: h.withdrawable(collateral),
        effective_leverage: h.effective_leverage(),
        margin_ratio: h.margin_ratio(),
        liquidatable: h.liquidatable(),
        positions: out,
    })
}

/// The view of a decoded market at `price` (a settled market at its settlement price).
pub fn market_view(market: &Market, price: OraclePrice) -> MarketView {
    if market.is_settled() {
        market.settled_view()
    } else {
        market.view(price)
    }
}

/// How far (ppm of `price`, signed) the oracle must move to fire an order; 0 when fired.
pub fn trigger_distance(kind: TriggerKind, long: bool, trigger_price: i64, price: i64) -> i64 {
    if price <= 0 || cross_margin::risk::trigger_reached(kind, long, trigger_price, price) {
        return 0;
    }
    ((trigger_price as i128 - price as i128) * RATIO_PRECISION / price as i128) as i64
}

/// The report of an on-chain account, with its markets (decoded) and their current prices,
/// and its trigger orders if it has any. The funding rate shown is the market's last applied
/// premium.
pub fn account_report(
    account: &MarginAccount,
    markets: &[(Market, OraclePrice)],
    orders: Option<&TriggerOrders>,
) -> Result<RiskReport> {
    let views: Vec<MarketView> = markets.iter().map(|(m, p)| market_view(m, *p)).collect();
    let risks = position_risks(account, &views)?;
    let inputs: Vec<PositionInput> = risks
        .into_iter()
        .map(|risk| {
            let market = markets
                .iter()
                .find(|(m, _)| m.market_index == risk.market_index)
                .map(|(m, _)| m);
            PositionInput {
                symbol: market
                    .map(|m| m.symbol_str().to_string())
                    .unwrap_or_default(),
                risk,
                // ppm per day -> ppb per day
                funding_rate_per_day: market.map(|m| m.last_funding_rate * 1_000).unwrap_or(0),
            }
        })
        .collect();
    let mut r = report(account.collateral, &inputs, account.margin_mode())?;
    if let Some(t) = orders {
        for p in r.positions.iter_mut() {
            for o in t.active().filter(|o| o.market_index == p.market_index) {
                p.orders.push(OrderReport {
                    order_id: o.id,
                    kind: o.kind(),
                    trigger_price: o.trigger_price,
                    limit_price: o.limit_price,
                    size: o.size,
                    expiry: o.expiry,
                    premium: o.premium,
                    distance_ppm: trigger_distance(
                        o.kind(),
                        p.base > 0,
                        o.trigger_price,
                        p.oracle_price,
                    ),
                });
            }
        }
    }
    Ok(r)
}

/// One row of a stress table: every price in `group` (all markets when `None`) moved by
/// `move_ppm`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StressRow {
    pub group: Option<u8>,
    pub move_ppm: i64,
    pub equity: i64,
    pub maintenance_requirement: i64,
    /// `E / MM` in ppm.
    pub margin_ratio: Option<i64>,
    pub liquidatable: bool,
}

/// Equity, requirement and margin ratio when prices move together by each of `moves_ppm`, and
/// (for each margin group present) when that group moves alone.
pub fn stress(
    collateral: i64,
    positions: &[PositionInput],
    mode: MarginMode,
    moves_ppm: &[i64],
) -> Result<Vec<StressRow>> {
    let mut groups: Vec<Option<u8>> = vec![None];
    for p in positions {
        let g = p.risk.params.margin_group;
        if g != 0 && !groups.contains(&Some(g)) {
            groups.push(Some(g));
        }
    }
    let mut rows = Vec::new();
    for group in groups {
        for &m in moves_ppm {
            let moved: Vec<PositionRisk> = positions
                .iter()
                .map(|p| {
                    let mut r = p.risk;
                    if group.is_none_or(|g| g == r.params.margin_group) {
                        let scale = |v: i64| {
                            (v as i128 * (RATIO_PRECISION + m as i128) / RATIO_PRECISION).max(1)
                                as i64
                        };
                        r.price.price = scale(r.price.price);
                        r.price.ema_price = scale(r.price.ema_price);
                    }
                    r
                })
                .collect();
            let h = compute_health(collateral, &moved, mode)?;
            rows.push(StressRow {
                group,
                move_ppm: m,
                equity: to_i64(h.equity)?,
                maintenance_requirement: to_i64(h.maintenance_requirement)?,
                margin_ratio: h.margin_ratio(),
                liquidatable: h.liquidatable(),
            });
        }
    }
    Ok(rows)
}
