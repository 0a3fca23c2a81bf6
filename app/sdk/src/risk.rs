//! The risk view of a margin account: every figure comes from the program's own `risk` module
//! (`cross_margin::risk`), applied to decoded accounts or to a what-if portfolio.

use anchor_lang::prelude::Result;
use cross_margin::constants::BASE_PRECISION;
use cross_margin::health::{position_risks, MarketView};
use cross_margin::oracle::OraclePrice;
use cross_margin::risk::math::to_i64;
use cross_margin::risk::{
    compute_health, liquidation_price, notional, unrealized_pnl, PositionRisk,
};
use cross_margin::state::{MarginAccount, Market};

/// Funding rates are given in parts per billion per day for display figures.
pub const RATE_PRECISION: i128 = 1_000_000_000;

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
    /// The oracle price at which the account becomes liquidatable, other prices held.
    pub liquidation_price: Option<i64>,
    /// What the position pays per day at the current funding rate (negative: receives).
    pub funding_per_day: i64,
}

/// An account's figures.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RiskReport {
    pub collateral: i64,
    pub equity: i64,
    pub initial_equity: i64,
    pub initial_requirement: i64,
    pub maintenance_requirement: i64,
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

/// A position for a what-if report: its risk inputs, a name and a funding rate.
#[derive(Clone, Debug)]
pub struct PositionInput {
    pub symbol: String,
    pub risk: PositionRisk,
    /// Funding rate in parts per billion per day (positive: longs pay).
    pub funding_rate_per_day: i64,
}

/// The report for collateral `collateral` and these positions.
pub fn report(collateral: i64, positions: &[PositionInput]) -> Result<RiskReport> {
    let risks: Vec<PositionRisk> = positions.iter().map(|p| p.risk).collect();
    let h = compute_health(collateral, &risks)?;
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
            liquidation_price: liquidation_price(collateral, &risks, i)?,
            funding_per_day: to_i64(signed * p.funding_rate_per_day as i128 / RATE_PRECISION)?,
        });
    }
    Ok(RiskReport {
        collateral,
        equity: to_i64(h.equity)?,
        initial_equity: to_i64(h.initial_equity)?,
        initial_requirement: to_i64(h.initial_requirement)?,
        maintenance_requirement: to_i64(h.maintenance_requirement)?,
        free_collateral: to_i64(h.free_collateral())?,
        withdrawable: h.withdrawable(collateral),
        effective_leverage: h.effective_leverage(),
        margin_ratio: h.margin_ratio(),
        liquidatable: h.liquidatable(),
        positions: out,
    })
}

/// The report of an on-chain account, with its markets (decoded) and their current prices.
/// The funding rate shown is the market's last applied premium.
pub fn account_report(
    account: &MarginAccount,
    markets: &[(Market, OraclePrice)],
) -> Result<RiskReport> {
    let views: Vec<MarketView> = markets
        .iter()
        .map(|(m, p)| MarketView::new(m, *p))
        .collect();
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
    report(account.collateral, &inputs)
}
