//! `crossmargin risk --portfolio FILE`: a what-if report without any chain, through the SDK's
//! risk view (which is the program's own math).
//!
//! Input: amounts in USDC, sizes in whole base units (negative: short), ratios as fractions.
//! Margin ratios (and portfolio-margin parameters) may be left out for the listed defaults
//! (ETH-PERP, BTC-PERP, SOL-PERP).

use cross_margin::constants::{MAX_FUNDING_PREMIUM, MAX_MARGIN_GROUP, MAX_SYSTEMATIC_SHARE};
use cross_margin::oracle::OraclePrice;
use cross_margin::risk::{trade_quote, MarginMode, PositionRisk, RiskParams};
use crossmargin_sdk::risk::{report, stress, PositionInput, RiskReport, StressRow};
use serde::{Deserialize, Serialize};

use crate::error::CliError;
use crate::table::{money, Table};
use crate::{base_units, usd_price, usdc};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Portfolio {
    pub collateral: f64,
    /// `"standard"` (default) or `"portfolio"`.
    #[serde(default)]
    pub margin_mode: Option<String>,
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
    /// Portfolio margin group (integer, 0 = offsets nothing).
    pub margin_group: Option<u64>,
    /// Share of the market's margin its group may offset (fraction, at most 0.75).
    pub systematic_share: Option<f64>,
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

/// Portfolio-margin parameters of the demo's markets (group 1: crypto majors).
pub fn default_portfolio(market: &str) -> Option<(u8, f64)> {
    match market {
        "ETH-PERP" | "BTC-PERP" => Some((1, 0.70)),
        "SOL-PERP" => Some((1, 0.50)),
        _ => None,
    }
}

/// The largest funding rate the program can charge, per hour (its premium clamp is at most 10%
/// a day).
pub const MAX_HOURLY_FUNDING: f64 = MAX_FUNDING_PREMIUM as f64 / 1e6 / 24.0;

/// The stress table's moves: -20% to +20% in 5% steps (ppm).
pub const STRESS_MOVES: [i64; 9] = [
    -200_000, -150_000, -100_000, -50_000, 0, 50_000, 100_000, 150_000, 200_000,
];

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
    pub margin_mode: String,
    pub equity: f64,
    pub initial_requirement: f64,
    pub maintenance_requirement: f64,
    pub standard_initial_requirement: f64,
    pub standard_maintenance_requirement: f64,
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

/// A price in USD: positive and at least the program's resolution (1e-6 USD per contract).
fn price(v: f64, what: &str, market: &str) -> Result<i64, CliError> {
    if !v.is_finite() || v <= 0.0 {
        return Err(CliError::new(format!(
            "{market}: {what} must be positive, got {v}"
        )));
    }
    let p = native(v, 1e6, what)?;
    if p == 0 {
        return Err(CliError::new(format!(
            "{market}: {what} {v} is below the program's resolution of 0.000001 USD: list the market per 1,000 or 1,000,000 tokens (e.g. 1000BONK) and give the price of that unit"
        )));
    }
    Ok(p)
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

/// The positions of a portfolio as the SDK takes them, and its margin mode.
pub fn inputs(p: &Portfolio) -> Result<(i64, Vec<PositionInput>, MarginMode), CliError> {
    let collateral = native(p.collateral, 1e6, "collateral")?;
    let mode = match p.margin_mode.as_deref() {
        None | Some("standard") => MarginMode::Standard,
        Some("portfolio") => MarginMode::Portfolio,
        Some(other) => {
            return Err(CliError::new(format!(
                "margin_mode must be \"standard\" or \"portfolio\", got \"{other}\""
            )))
        }
    };
    let mut inputs = Vec::with_capacity(p.positions.len());
    for (i, pos) in p.positions.iter().enumerate() {
        if p.positions[..i].iter().any(|q| q.market == pos.market) {
            return Err(CliError::new(format!(
                "{} appears twice: an account holds one position per market",
                pos.market
            )));
        }
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
        let entry = price(pos.entry_price, "entry_price", &pos.market)?;
        let oracle = price(pos.oracle_price, "oracle_price", &pos.market)?;
        let ema = price(
            pos.ema_price.unwrap_or(pos.oracle_price),
            "ema_price",
            &pos.market,
        )?;
        let conf_usd = pos.conf.unwrap_or(0.0);
        if !conf_usd.is_finite() || conf_usd < 0.0 {
            return Err(CliError::new(format!(
                "{}: conf must not be negative, got {conf_usd}",
                pos.market
            )));
        }
        let conf = native(conf_usd, 1e6, "conf")? as u64;
        let hourly = pos.funding_rate_hourly.unwrap_or(0.0);
        if !hourly.is_finite() || hourly.abs() > MAX_HOURLY_FUNDING {
            return Err(CliError::new(format!(
                "{}: funding_rate_hourly {hourly} is beyond what the program can charge (at most {:.6} an hour, 10% a day)",
                pos.market, MAX_HOURLY_FUNDING
            )));
        }
        let (default_group, default_share) = default_portfolio(&pos.market).unwrap_or((0, 0.0));
        let group = pos.margin_group.unwrap_or(default_group as u64);
        if group > MAX_MARGIN_GROUP as u64 {
            return Err(CliError::new(format!(
                "{}: margin_group must be 0 to {MAX_MARGIN_GROUP}, got {group}",
                pos.market
            )));
        }
        let share = pos.systematic_share.unwrap_or(default_share);
        let share = ratio(share, "systematic_share", &pos.market)?;
        if share > MAX_SYSTEMATIC_SHARE {
            return Err(CliError::new(format!(
                "{}: systematic_share must be at most 0.75, got {}",
                pos.market,
                share as f64 / 1e6
            )));
        }
        inputs.push(PositionInput {
            symbol: pos.market.clone(),
            risk: PositionRisk {
                market_index: i as u16,
                base,
                // what a fill at the entry price would have left in `quote`
                quote: trade_quote(base, entry)?,
                funding_owed: 0,
                price: OraclePrice {
                    price: oracle,
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
                    margin_group: group as u8,
                    systematic_share: share,
                },
            },
            funding_rate_per_day: native(hourly * 24.0, 1e9, "funding_rate_hourly")?,
        });
    }
    Ok((collateral, inputs, mode))
}

/// The report of a portfolio (native units), computed by the SDK.
pub fn evaluate(p: &Portfolio) -> Result<RiskReport, CliError> {
    let (collateral, inputs, mode) = inputs(p)?;
    Ok(report(collateral, &inputs, mode)?)
}

/// The stress table of a portfolio: all prices together from -20% to +20%, then each margin
/// group alone.
pub fn stress_table(p: &Portfolio) -> Result<Vec<StressRow>, CliError> {
    let (collateral, inputs, mode) = inputs(p)?;
    Ok(stress(collateral, &inputs, mode, &STRESS_MOVES)?)
}

/// The report in USDC, as the `--json` output shows it.
pub fn to_output(r: &RiskReport) -> ReportOut {
    ReportOut {
        margin_mode: match r.margin_mode {
            MarginMode::Standard => "standard".into(),
            MarginMode::Portfolio => "portfolio".into(),
        },
        equity: usdc(r.equity),
        initial_requirement: usdc(r.initial_requirement),
        maintenance_requirement: usdc(r.maintenance_requirement),
        standard_initial_requirement: usdc(r.standard_initial_requirement),
        standard_maintenance_requirement: usdc(r.standard_maintenance_requirement),
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

/// The report as tables (with a stress table when `stress` is given).
pub fn render(r: &RiskReport, stress: Option<&[StressRow]>) -> String {
    let mut t = Table::new(&["account", "USDC"]);
    t.row(vec![
        "margin mode".into(),
        match r.margin_mode {
            MarginMode::Standard => "standard".into(),
            MarginMode::Portfolio => "portfolio".into(),
        },
    ]);
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
    if r.margin_mode == MarginMode::Portfolio {
        t.row(vec![
            "standard maintenance requirement".into(),
            money(usdc(r.standard_maintenance_requirement)),
        ]);
        t.row(vec![
            "standard initial requirement".into(),
            money(usdc(r.standard_initial_requirement)),
        ]);
        t.row(vec![
            "portfolio saving (maintenance)".into(),
            money(usdc(r.maintenance_saving())),
        ]);
    }
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
    let mut out = format!("{}\n{}", t.render(), p.render());
    let orders: Vec<_> = r
        .positions
        .iter()
        .flat_map(|p| p.orders.iter().map(move |o| (p, o)))
        .collect();
    if !orders.is_empty() {
        let mut o = Table::new(&[
            "order",
            "market",
            "kind",
            "trigger",
            "limit",
            "size",
            "oracle distance",
        ]);
        for (p, x) in orders {
            o.row(vec![
                format!("#{}", x.order_id),
                p.symbol.clone(),
                format!("{:?}", x.kind),
                money(usd_price(x.trigger_price)),
                money(usd_price(x.limit_price)),
                if x.size == 0 {
                    "all".into()
                } else {
                    format!("{:.4}", base_units(x.size as i64))
                },
                if x.distance_ppm == 0 {
                    "due".into()
                } else {
                    format!("{:+.2}%", x.distance_ppm as f64 / 1e4)
                },
            ]);
        }
        out = format!("{out}\n{}", o.render());
    }
    if let Some(rows) = stress {
        let mut s = Table::new(&[
            "stress",
            "move",
            "equity",
            "maint. req.",
            "margin ratio",
            "state",
        ]);
        for row in rows {
            s.row(vec![
                row.group
                    .map_or("all markets".into(), |g| format!("group {g} alone")),
                format!("{:+}%", row.move_ppm / 10_000),
                money(usdc(row.equity)),
                money(usdc(row.maintenance_requirement)),
                row.margin_ratio
                    .map(|m| format!("{:.2}x", m as f64 / 1e6))
                    .unwrap_or_else(|| "-".into()),
                if row.liquidatable {
                    "LIQUIDATABLE".into()
                } else {
                    "ok".into()
                },
            ]);
        }
        out = format!("{out}\n{}", s.render());
    }
    out
}
