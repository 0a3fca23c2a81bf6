//! `crossmargin risk --portfolio FILE`: a what-if report without any chain, through the SDK's
//! risk view (which is the program's own math).
//!
//! Input: amounts in USDC, sizes in whole base units (negative: short), ratios as fractions.
//! Margin ratios may be left out for the listed defaults (ETH-PERP, BTC-PERP, SOL-PERP).

use cross_margin::oracle::OraclePrice;
use cross_margin::risk::{trade_quote, PositionRisk, RiskParams};
use crossmargin_sdk::risk::{report, PositionInput, RiskReport};
use serde::{Deserialize, Serialize};

use crate::error::CliError;
use crate::table::{money, Table};
use crate::{base_units, usd_price, usdc};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Portfolio {
    pub collateral: f64,
    #[serde(default)]
    pub positions: Vec<PortfolioPosition>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortfolioPosition {
    pub market: String,
    pub base: f64,
    pub entry_price: f64,
    pub oracle_price: f64,
    pub initial_margin_ratio: Option<f64>,
    pub maintenance_margin_ratio: Option<f64>,
    /// Weight of positive pnl in the initial check (default 1).
    pub upnl_initial_weight: Option<f64>,
    /// Oracle confidence interval, USD (default 0).
    pub conf: Option<f64>,
    /// Oracle EMA price (default: the oracle price).
    pub ema_price: Option<f64>,
    /// Funding rate per hour as a fraction (positive: longs pay); default 0.
    pub funding_rate_hourly: Option<f64>,
}

/// Margin ratios of the markets the demo lists, used when the input leaves them out.
pub fn default_ratios(market: &str) -> Option<(f64, f64)> {
    match market {
        "ETH-PERP" => Some((0.10, 0.05)),
        "BTC-PERP" => Some((0.05, 0.025)),
        "SOL-PERP" => Some((0.20, 0.10)),
        _ => None,
    }
}

#[derive(Debug, Serialize, PartialEq)]
pub struct PositionOut {
    pub market: String,
    pub notional: f64,
    pub unrealized_pnl: f64,
    pub liquidation_price: Option<f64>,
    pub funding_per_day: f64,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct ReportOut {
    pub equity: f64,
    pub initial_requirement: f64,
    pub maintenance_requirement: f64,
    pub free_collateral: f64,
    pub effective_leverage: Option<f64>,
    pub liquidatable: bool,
    pub positions: Vec<PositionOut>,
}

fn native(v: f64, scale: f64, what: &str) -> Result<i64, CliError> {
    let x = (v * scale).round();
    if !x.is_finite() || x.abs() >= 9.0e18 {
        return Err(CliError::new(format!("{what} {v} is out of range")));
    }
    Ok(x as i64)
}

fn ratio(v: f64, what: &str, market: &str) -> Result<u32, CliError> {
    if !(0.0..=1.0).contains(&v) {
        return Err(CliError::new(format!(
            "{market}: {what} must be between 0 and 1, got {v}"
        )));
    }
    Ok((v * 1e6).round() as u32)
}

/// Parses a portfolio file's text.
pub fn parse(text: &str) -> Result<Portfolio, CliError> {
    serde_json::from_str(text).map_err(|e| CliError::new(format!("portfolio is not valid: {e}")))
}

/// The report of a portfolio (native units), computed by the SDK.
pub fn evaluate(p: &Portfolio) -> Result<RiskReport, CliError> {
    let collateral = native(p.collateral, 1e6, "collateral")?;
    let mut inputs = Vec::with_capacity(p.positions.len());
    for (i, pos) in p.positions.iter().enumerate() {
        let (im, mm) = match (pos.initial_margin_ratio, pos.maintenance_margin_ratio) {
            (Some(im), Some(mm)) => (im, mm),
            (None, None) => default_ratios(&pos.market).ok_or_else(|| {
                CliError::new(format!(
                    "unknown market '{}': give initial_margin_ratio and maintenance_margin_ratio",
                    pos.market
                ))
            })?,
            _ => {
                return Err(CliError::new(format!(
                    "{}: give both initial_margin_ratio and maintenance_margin_ratio, or neither",
                    pos.market
                )))
            }
        };
        let (im, mm) = (
            ratio(im, "initial_margin_ratio", &pos.market)?,
            ratio(mm, "maintenance_margin_ratio", &pos.market)?,
        );
        if mm == 0 || mm >= im {
            return Err(CliError::new(format!(
                "{}: need 0 < maintenance_margin_ratio < initial_margin_ratio",
                pos.market
            )));
        }
        let base = native(pos.base, 1e9, "base")?;
        let entry = native(pos.entry_price, 1e6, "entry_price")?;
        let price = native(pos.oracle_price, 1e6, "oracle_price")?;
        if entry <= 0 || price <= 0 {
            return Err(CliError::new(format!(
                "{}: prices must be positive",
                pos.market
            )));
        }
        let ema = native(pos.ema_price.unwrap_or(pos.oracle_price), 1e6, "ema_price")?;
        let conf = native(pos.conf.unwrap_or(0.0), 1e6, "conf")?.max(0) as u64;
        inputs.push(PositionInput {
            symbol: pos.market.clone(),
            risk: PositionRisk {
                market_index: i as u16,
                base,
                // what a fill at the entry price would have left in `quote`
                quote: trade_quote(base, entry)?,
                funding_owed: 0,
                price: OraclePrice {
                    price,
                    conf,
                    ema_price: ema,
                    publish_time: 0,
                },
                params: RiskParams {
                    initial_margin_ratio: im,
                    maintenance_margin_ratio: mm,
                    upnl_initial_weight: ratio(
                        pos.upnl_initial_weight.unwrap_or(1.0),
                        "upnl_initial_weight",
                        &pos.market,
                    )?,
                },
            },
            funding_rate_per_day: native(
                pos.funding_rate_hourly.unwrap_or(0.0) * 24.0,
                1e9,
                "funding_rate_hourly",
            )?,
        });
    }
    Ok(report(collateral, &inputs)?)
}

/// The report in USDC, as the `--json` output shows it.
pub fn to_output(r: &RiskReport) -> ReportOut {
    ReportOut {
        equity: usdc(r.equity),
        initial_requirement: usdc(r.initial_requirement),
        maintenance_requirement: usdc(r.maintenance_requirement),
        free_collateral: usdc(r.free_collateral),
        effective_leverage: r.effective_leverage.map(|l| l as f64 / 1e6),
        liquidatable: r.liquidatable,
        positions: r
            .positions
            .iter()
            .map(|p| PositionOut {
                market: p.symbol.clone(),
                notional: usdc(p.notional),
                unrealized_pnl: usdc(p.unrealized_pnl),
                liquidation_price: p.liquidation_price.map(usd_price),
                funding_per_day: usdc(p.funding_per_day),
            })
            .collect(),
    }
}

/// The report as tables.
pub fn render(r: &RiskReport) -> String {
    let mut t = Table::new(&["account", "USDC"]);
    t.row(vec!["collateral".into(), money(usdc(r.collateral))]);
    t.row(vec!["equity".into(), money(usdc(r.equity))]);
    t.row(vec![
        "initial requirement".into(),
        money(usdc(r.initial_requirement)),
    ]);
    t.row(vec![
        "maintenance requirement".into(),
        money(usdc(r.maintenance_requirement)),
    ]);
    t.row(vec![
        "free collateral".into(),
        money(usdc(r.free_collateral)),
    ]);
    t.row(vec![
        "effective leverage".into(),
        r.effective_leverage
            .map(|l| format!("{:.2}x", l as f64 / 1e6))
            .unwrap_or_else(|| "-".into()),
    ]);
    t.row(vec![
        "liquidatable".into(),
        if r.liquidatable {
            "YES".into()
        } else {
            "no".into()
        },
    ]);
    let mut p = Table::new(&[
        "market",
        "base",
        "entry",
        "oracle",
        "notional",
        "uPnL",
        "liq. price",
        "funding/day",
    ]);
    for x in &r.positions {
        p.row(vec![
            x.symbol.clone(),
            format!("{:.4}", base_units(x.base)),
            money(usd_price(x.entry_price)),
            money(usd_price(x.oracle_price)),
            money(usdc(x.notional)),
            money(usdc(x.unrealized_pnl)),
            x.liquidation_price
                .map(|l| money(usd_price(l)))
                .unwrap_or_else(|| "-".into()),
            money(usdc(x.funding_per_day)),
        ]);
    }
    format!("{}\n{}", t.render(), p.render())
}
