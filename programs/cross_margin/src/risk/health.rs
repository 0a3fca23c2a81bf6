//! Equity, requirements and everything derived from them, over all positions of one account.
//!
//! For collateral `C` and positions `i` (base `b`, quote `q`, unsettled funding `F`, oracle `p`):
//! - `U_i = b*p/BASE + q - F`, `E = C + sum U_i`;
//! - `MM = sum |b|*p*mm_ratio`, `IM = sum |b|*p_req*im_ratio`;
//! - liquidatable iff `E < MM`;
//! - initial check `E_init >= IM`, where `E_init` values a long at `min(p - conf, ema)` and a short
//!   at `max(p + conf, ema)`, and counts positive pnl at `upnl_initial_weight`; the requirement
//!   uses the larger of the oracle and the conservative price (`p_req`).

use anchor_lang::prelude::*;

use super::math::{add, div_ceil, div_floor, mul, sub, to_i64};
use super::portfolio::{portfolio_requirement, RequirementTerm};
use super::{MarginMode, OraclePrice, RiskParams};
use crate::constants::{BASE_PRECISION, RATIO_PRECISION};

/// Everything the math needs about one open position.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PositionRisk {
    pub market_index: u16,
    pub base: i64,
    pub quote: i64,
    /// Unsettled funding `F` (positive = owed by the account).
    pub funding_owed: i64,
    pub price: OraclePrice,
    pub params: RiskParams,
}

/// The health of an account. All amounts in quote native units.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Health {
    /// `E`: collateral plus unrealized pnl (funding included) at oracle prices.
    pub equity: i128,
    /// `MM` in the account's margin mode.
    pub maintenance_requirement: i128,
    /// `E_init`: equity at conservative prices with weighted positive pnl.
    pub initial_equity: i128,
    /// `IM` in the account's margin mode.
    pub initial_requirement: i128,
    /// `sum |b| * p` at oracle prices (rounded up).
    pub notional: i128,
    /// `MM` as the standard mode computes it (equal to `maintenance_requirement` there).
    pub standard_maintenance_requirement: i128,
    /// `IM` as the standard mode computes it.
    pub standard_initial_requirement: i128,
}

impl Health {
    /// `E < MM`, strictly.
    pub fn liquidatable(&self) -> bool {
        self.equity < self.maintenance_requirement
    }

    /// `E_init >= IM`.
    pub fn meets_initial(&self) -> bool {
        self.initial_equity >= self.initial_requirement
    }

    /// `E_init >= IM` of the standard mode (what switching back to it needs).
    pub fn meets_standard_initial(&self) -> bool {
        self.initial_equity >= self.standard_initial_requirement
    }

    /// `E - MM`: what a liquidation must restore, what a reducing fill must not lower.
    pub fn maintenance_health(&self) -> i128 {
        self.equity - self.maintenance_requirement
    }

    /// `E_init - IM`: how much more risk (or withdrawal) the account can take.
    pub fn free_collateral(&self) -> i128 {
        self.initial_equity - self.initial_requirement
    }

    /// How much can be withdrawn: never more than settled collateral, never below initial margin.
    pub fn withdrawable(&self, settled_collateral: i64) -> u64 {
        let limit = self
            .free_collateral()
            .min(settled_collateral as i128)
            .max(0);
        limit as u64
    }

    /// `sum notional / E` in ppm; `None` when equity is not positive.
    pub fn effective_leverage(&self) -> Option<u64> {
        if self.equity <= 0 {
            return None;
        }
        u64::try_from(div_ceil(self.notional * RATIO_PRECISION, self.equity)).ok()
    }

    /// `E / MM` in ppm (margin ratio); `None` without positions.
    pub fn margin_ratio(&self) -> Option<i64> {
        if self.maintenance_requirement <= 0 {
            return None;
        }
        i64::try_from(div_floor(
            self.equity * RATIO_PRECISION,
            self.maintenance_requirement,
        ))
        .ok()
    }
}

/// `b * p / BASE`, rounded down (a long is worth less, a short owes more).
pub fn base_value(base: i64, price: i64) -> Result<i128> {
    Ok(div_floor(mul(base as i128, price as i128)?, BASE_PRECISION))
}

/// `|b| * p / BASE`, rounded up.
pub fn notional(base: i64, price: i64) -> Result<i128> {
    Ok(div_ceil(
        mul(base.unsigned_abs() as i128, price as i128)?,
        BASE_PRECISION,
    ))
}

/// `|b| * p * ratio`, rounded up.
pub fn requirement(base: i64, price: i64, ratio: u32) -> Result<i128> {
    let n = mul(base.unsigned_abs() as i128, price as i128)?;
    if let Some(r) = requirement_u64(n, ratio) {
        return Ok(r);
    }
    Ok(div_ceil(
        mul(n, ratio as i128)?,
        BASE_PRECISION * RATIO_PRECISION,
    ))
}

/// The same ceiling in 64-bit arithmetic when `n = |b| * p` fits (the common case): with
/// `n = q * BASE + r` and `A = q * ratio`, `n * ratio / (BASE * RATIO)` is
/// `A / RATIO + ((A % RATIO) * BASE + r * ratio) / (BASE * RATIO)`, and the second term's
/// numerator is below `2 * BASE * RATIO`.
#[inline]
fn requirement_u64(n: i128, ratio: u32) -> Option<i128> {
    let n = u64::try_from(n).ok()?;
    const B: u64 = BASE_PRECISION as u64;
    const R: u64 = RATIO_PRECISION as u64;
    let (q, r) = (n / B, n % B);
    let a = q.checked_mul(ratio as u64)?;
    let rest = (a % R) * B + r * ratio as u64;
    Some((a / R + rest.div_ceil(B * R)) as i128)
}

/// `U = b*p/BASE + q - F` at price `price`.
pub fn unrealized_pnl_at(pos: &PositionRisk, price: i64) -> Result<i128> {
    sub(
        add(base_value(pos.base, price)?, pos.quote as i128)?,
        pos.funding_owed as i128,
    )
}

/// `U` at the oracle price.
pub fn unrealized_pnl(pos: &PositionRisk) -> Result<i128> {
    unrealized_pnl_at(pos, pos.price.price)
}

/// The price a position is valued at for the initial check: a long at `min(p - conf, ema)`,
/// a short at `max(p + conf, ema)` (a non-positive ema is ignored). Never below 1.
pub fn initial_value_price(base: i64, price: &OraclePrice) -> i64 {
    let conf = i64::try_from(price.conf).unwrap_or(i64::MAX);
    if base >= 0 {
        let mut p = price.price.saturating_sub(conf);
        if price.ema_price > 0 {
            p = p.min(price.ema_price);
        }
        p.max(1)
    } else {
        let mut p = price.price.saturating_add(conf);
        p = p.max(price.ema_price);
        p
    }
}

/// The price the initial requirement is taken at: never below the oracle price.
pub fn initial_requirement_price(base: i64, price: &OraclePrice) -> i64 {
    initial_value_price(base, price).max(price.price)
}

/// Which requirement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequirementKind {
    /// At the oracle price, maintenance ratios.
    Maintenance,
    /// At the conservative requirement price, initial ratios.
    Initial,
}

fn term(pos: &PositionRisk, kind: RequirementKind) -> RequirementTerm {
    let (price, ratio) = match kind {
        RequirementKind::Maintenance => (pos.price.price, pos.params.maintenance_margin_ratio),
        RequirementKind::Initial => (
            initial_requirement_price(pos.base, &pos.price),
            pos.params.initial_margin_ratio,
        ),
    };
    RequirementTerm {
        base: pos.base,
        price,
        ratio,
        group: pos.params.margin_group,
        share: pos.params.systematic_share,
    }
}

/// The requirement of `kind` over `positions`: `(in the mode, standard)`.
pub fn requirements(
    positions: &[PositionRisk],
    kind: RequirementKind,
    mode: MarginMode,
) -> Result<(i128, i128)> {
    let mut standard: i128 = 0;
    for pos in positions.iter().filter(|p| p.base != 0) {
        let t = term(pos, kind);
        standard = add(standard, requirement(t.base, t.price, t.ratio)?)?;
    }
    match mode {
        MarginMode::Standard => Ok((standard, standard)),
        MarginMode::Portfolio => {
            // at most 16 positions in an account; a what-if portfolio may hold more
            let mut buf = [RequirementTerm::default(); crate::constants::MAX_POSITIONS];
            if positions.len() <= buf.len() {
                for (slot, pos) in buf.iter_mut().zip(positions) {
                    *slot = term(pos, kind);
                }
                Ok((
                    portfolio_requirement(&buf[..positions.len()], standard)?,
                    standard,
                ))
            } else {
                let terms: Vec<RequirementTerm> = positions.iter().map(|p| term(p, kind)).collect();
                Ok((portfolio_requirement(&terms, standard)?, standard))
            }
        }
    }
}

/// `(E, MM)` only, `MM` in `mode`: all that "is this account liquidatable" needs (the keeper's
/// scan). The same terms `compute_health` adds up.
pub fn compute_maintenance(
    collateral: i64,
    positions: &[PositionRisk],
    mode: MarginMode,
) -> Result<(i128, i128)> {
    let mut equity = collateral as i128;
    for pos in positions.iter().filter(|p| p.base != 0) {
        equity = add(equity, unrealized_pnl(pos)?)?;
    }
    let (mm, _) = requirements(positions, RequirementKind::Maintenance, mode)?;
    Ok((equity, mm))
}

/// Health of an account with settled collateral `collateral`, the given open positions and
/// margin mode.
pub fn compute_health(
    collateral: i64,
    positions: &[PositionRisk],
    mode: MarginMode,
) -> Result<Health> {
    let mut h = Health {
        equity: collateral as i128,
        initial_equity: collateral as i128,
        ..Health::default()
    };
    for pos in positions.iter().filter(|p| p.base != 0) {
        h.equity = add(h.equity, unrealized_pnl(pos)?)?;
        h.notional = add(h.notional, notional(pos.base, pos.price.price)?)?;
        let upnl_init = unrealized_pnl_at(pos, initial_value_price(pos.base, &pos.price))?;
        let weighted = if upnl_init > 0 {
            div_floor(
                mul(upnl_init, pos.params.upnl_initial_weight as i128)?,
                RATIO_PRECISION,
            )
        } else {
            upnl_init
        };
        h.initial_equity = add(h.initial_equity, weighted)?;
    }
    (
        h.maintenance_requirement,
        h.standard_maintenance_requirement,
    ) = requirements(positions, RequirementKind::Maintenance, mode)?;
    (h.initial_requirement, h.standard_initial_requirement) =
        requirements(positions, RequirementKind::Initial, mode)?;
    Ok(h)
}

/// Highest price the search for a liquidation price considers ($4.5e9 per whole unit).
pub const MAX_SEARCH_PRICE: i64 = 1 << 52;

/// The oracle price of position `index`'s market at which the account becomes liquidatable,
/// every other price held fixed.
///
/// For a long: the smallest price at which the account is *not* liquidatable (below it, it is).
/// For a short: the largest price at which it is not liquidatable (above it, it is).
/// `None` when this position's price alone cannot make the account liquidatable (a long whose
/// account survives a price of 1, a short whose account stays healthy up to
/// `MAX_SEARCH_PRICE`), or when the account is liquidatable at every price (a short that is
/// liquidatable even at a price of 1).
///
/// Exact with respect to the rounding of `compute_health`: it searches the real predicate,
/// starting from the continuous solution.
pub fn liquidation_price(
    collateral: i64,
    positions: &[PositionRisk],
    index: usize,
    mode: MarginMode,
) -> Result<Option<i64>> {
    let pos = positions[index];
    if pos.base == 0 {
        return Ok(None);
    }
    let long = pos.base > 0;
    let mut scratch = positions.to_vec();
    // q(p): for a long "not liquidatable at p", for a short "liquidatable at p"; both go from
    // false to true as p rises. We look for the smallest p with q(p).
    let mut q = |p: i64| -> Result<bool> {
        scratch[index].price.price = p;
        let liq = compute_health(collateral, &scratch, mode)?.liquidatable();
        Ok(if long { !liq } else { liq })
    };
    if q(1)? {
        return Ok(None);
    }
    if !q(MAX_SEARCH_PRICE)? {
        return Ok(if long { Some(MAX_SEARCH_PRICE) } else { None });
    }

    // Continuous estimate: E - MM moves by b*(1 -/+ m)/BASE per unit of price (in portfolio
    // mode the slope differs by the group terms; the search below corrects any estimate, since
    // `E - R` is monotone in one price in both modes: R's slope is at most `|b| r`).
    let h0 = compute_health(collateral, positions, mode)?;
    let m = pos.params.maintenance_margin_ratio as i128;
    let b = pos.base as i128;
    let slope = if long {
        b * (RATIO_PRECISION - m)
    } else {
        b * (RATIO_PRECISION + m)
    }; // d(E - MM)/dp * BASE * RATIO, never 0
    let shift = div_floor(
        mul(
            mul(h0.maintenance_health(), BASE_PRECISION)?,
            RATIO_PRECISION,
        )?,
        slope.abs(),
    );
    let estimate = if long {
        pos.price.price as i128 - shift
    } else {
        pos.price.price as i128 + shift
    };
    // Rounding moves E - MM by less than 2 units per position: widen by that many price steps.
    let slack_units = 2 * positions.len() as i128 + 2;
    let slack = div_ceil(
        mul(mul(slack_units, BASE_PRECISION)?, RATIO_PRECISION)?,
        slope.abs(),
    ) + 1;
    let clamp = |v: i128| v.clamp(1, MAX_SEARCH_PRICE as i128) as i64;
    let mut lo = clamp(estimate - slack); // q(lo) must be false
    let mut hi = clamp(estimate + slack); // q(hi) must be true
    if q(lo)? {
        lo = 1;
    }
    if !q(hi)? {
        hi = MAX_SEARCH_PRICE;
    }
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if q(mid)? {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Ok(Some(if long { hi } else { lo }))
}

/// Convenience for reports: `liquidation_price` narrowed, plus the unrealized pnl.
pub fn position_report(
    collateral: i64,
    positions: &[PositionRisk],
    index: usize,
    mode: MarginMode,
) -> Result<(i64, Option<i64>)> {
    Ok((
        to_i64(unrealized_pnl(&positions[index])?)?,
        liquidation_price(collateral, positions, index, mode)?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const USDC: i64 = 1_000_000;
    const ONE: i64 = 1_000_000_000; // one whole base unit
    const DOLLAR: i64 = 1_000_000; // price precision

    const STD: MarginMode = MarginMode::Standard;

    fn params(im: u32, mm: u32, w: u32) -> RiskParams {
        RiskParams {
            initial_margin_ratio: im,
            maintenance_margin_ratio: mm,
            upnl_initial_weight: w,
            ..RiskParams::default()
        }
    }

    fn px(price: i64) -> OraclePrice {
        OraclePrice {
            price,
            conf: 0,
            ema_price: price,
            publish_time: 0,
        }
    }

    /// A position opened at `entry` (fees aside): quote = -base * entry.
    fn pos(market: u16, base: i64, entry: i64, price: i64, p: RiskParams) -> PositionRisk {
        PositionRisk {
            market_index: market,
            base,
            quote: -((base as i128 * entry as i128) / BASE_PRECISION) as i64,
            funding_owed: 0,
            price: px(price),
            params: p,
        }
    }

    #[test]
    fn single_long_hand_computed() {
        // 1,000 USDC; long 2 ETH at 3,000, oracle 2,900. im 10%, mm 5%.
        let p = pos(
            0,
            2 * ONE,
            3_000 * DOLLAR,
            2_900 * DOLLAR,
            params(100_000, 50_000, 1_000_000),
        );
        let h = compute_health(1_000 * USDC, &[p], STD).unwrap();
        // U = 5,800 - 6,000 = -200 -> E = 800
        assert_eq!(h.equity, 800 * USDC as i128);
        // MM = 5,800 * 5% = 290; IM = 580
        assert_eq!(h.maintenance_requirement, 290 * USDC as i128);
        assert_eq!(h.initial_requirement, 580 * USDC as i128);
        assert_eq!(h.initial_equity, 800 * USDC as i128);
        assert_eq!(h.free_collateral(), 220 * USDC as i128);
        assert_eq!(h.withdrawable(1_000 * USDC), 220 * USDC as u64);
        assert!(!h.liquidatable());
        // leverage 5,800 / 800 = 7.25x
        assert_eq!(h.effective_leverage(), Some(7_250_000));
        // liquidation price: 1,000 + 2p - 6,000 = 0.05 * 2p -> p = 5,000 / 1.9 = 2,631.578947...
        assert_eq!(
            liquidation_price(1_000 * USDC, &[p], 0, STD).unwrap(),
            Some(2_631_578_948)
        );
    }

    #[test]
    fn three_markets_profit_covers_loss() {
        // 500 USDC collateral.
        // ETH long 1 @ 3,000, now 2,700: U = -300.
        // BTC short 0.1 @ 60,000, now 55,000: U = +500.
        // SOL long 10 @ 150, now 150: U = 0.
        let eth = pos(
            0,
            ONE,
            3_000 * DOLLAR,
            2_700 * DOLLAR,
            params(100_000, 50_000, 800_000),
        );
        let btc = pos(
            1,
            -ONE / 10,
            60_000 * DOLLAR,
            55_000 * DOLLAR,
            params(50_000, 25_000, 800_000),
        );
        let sol = pos(
            2,
            10 * ONE,
            150 * DOLLAR,
            150 * DOLLAR,
            params(200_000, 100_000, 800_000),
        );
        let all = [eth, btc, sol];
        let h = compute_health(500 * USDC, &all, STD).unwrap();
        // E = 500 - 300 + 500 + 0 = 700
        assert_eq!(h.equity, 700 * USDC as i128);
        // MM = 2,700*5% + 5,500*2.5% + 1,500*10% = 135 + 137.5 + 150 = 422.5
        assert_eq!(h.maintenance_requirement, 422_500_000);
        // IM = 270 + 275 + 300 = 845; E_init = 500 - 300 + 0.8*500 + 0 = 600
        assert_eq!(h.initial_requirement, 845 * USDC as i128);
        assert_eq!(h.initial_equity, 600 * USDC as i128);
        assert!(!h.liquidatable());
        assert!(!h.meets_initial());
        assert_eq!(h.withdrawable(500 * USDC), 0);

        // Without the BTC profit the same account is liquidatable: E = 200 < MM = 285.
        let h2 = compute_health(500 * USDC, &[eth, sol], STD).unwrap();
        assert_eq!(h2.equity, 200 * USDC as i128);
        assert_eq!(h2.maintenance_requirement, 285 * USDC as i128);
        assert!(h2.liquidatable());

        // ETH liquidation price with the others held:
        // 500 + (p - 3,000) + 500 = 0.05 p + 137.5 + 150  ->  p = 2,287.5 / 0.95 = 2,407.894736...
        let lp = liquidation_price(500 * USDC, &all, 0, STD)
            .unwrap()
            .unwrap();
        assert_eq!(lp, 2_407_894_737);
        // BTC (short) liquidation price: 500 - 300 + 0.1*(60,000 - p) = 135 + 0.0025 p + 150
        // -> 5,915 = 0.1025 p -> p = 57,707.317073... continuous. With the short's value rounded
        // down and MM rounded up, 57,707.317071..073 are already liquidatable (E = MM - 1 unit);
        // the largest safe price is 57,707.317070.
        let lb = liquidation_price(500 * USDC, &all, 1, STD)
            .unwrap()
            .unwrap();
        assert_eq!(lb, 57_707_317_070);
    }

    #[test]
    fn liquidation_price_is_the_exact_boundary() {
        let eth = pos(
            0,
            ONE,
            3_000 * DOLLAR,
            2_700 * DOLLAR,
            params(100_000, 50_000, 800_000),
        );
        let btc = pos(
            1,
            -ONE / 10,
            60_000 * DOLLAR,
            55_000 * DOLLAR,
            params(50_000, 25_000, 800_000),
        );
        let all = [eth, btc];
        for i in 0..2 {
            let lp = liquidation_price(500 * USDC, &all, i, STD)
                .unwrap()
                .unwrap();
            let at = |p: i64| {
                let mut v = all;
                v[i].price.price = p;
                compute_health(500 * USDC, &v, STD).unwrap()
            };
            let (safe_side, liq_side) = if all[i].base > 0 {
                (lp + 1, lp - 1)
            } else {
                (lp - 1, lp + 1)
            };
            assert!(!at(lp).liquidatable());
            assert!(!at(safe_side).liquidatable());
            assert!(at(liq_side).liquidatable());
            assert!(at(lp).maintenance_health() >= 0 && at(lp).maintenance_health() <= 1);
        }
    }

    #[test]
    fn liquidation_price_none_cases() {
        // A fully collateralized long (collateral >= entry) cannot be liquidated by its price.
        let p = pos(
            0,
            ONE,
            3_000 * DOLLAR,
            3_000 * DOLLAR,
            params(100_000, 50_000, 1_000_000),
        );
        assert_eq!(liquidation_price(3_000 * USDC, &[p], 0, STD).unwrap(), None);
        // A short that is insolvent at any price.
        let s = pos(
            0,
            -ONE,
            3_000 * DOLLAR,
            3_000 * DOLLAR,
            params(100_000, 50_000, 1_000_000),
        );
        assert_eq!(
            liquidation_price(-3_100 * USDC, &[s], 0, STD).unwrap(),
            None
        );
    }

    #[test]
    fn initial_check_is_conservative() {
        let p = PositionRisk {
            market_index: 0,
            base: ONE,
            quote: -2_000 * USDC, // bought at 2,000
            funding_owed: 0,
            price: OraclePrice {
                price: 3_000 * DOLLAR,
                conf: 30 * DOLLAR as u64,
                ema_price: 2_950 * DOLLAR,
                publish_time: 0,
            },
            params: params(100_000, 50_000, 500_000),
        };
        let h = compute_health(0, &[p], STD).unwrap();
        // E = 3,000 - 2,000 = 1,000. Initial: long valued at min(2,970, 2,950) = 2,950 -> 950,
        // weighted 50% -> 475. IM at max(2,950, 3,000) = 3,000 * 10% = 300.
        assert_eq!(h.equity, 1_000 * USDC as i128);
        assert_eq!(h.initial_equity, 475 * USDC as i128);
        assert_eq!(h.initial_requirement, 300 * USDC as i128);
        // A short of the same size: valued at max(3,030, 2,950) = 3,030; requirement at 3,030.
        let s = PositionRisk {
            base: -ONE,
            quote: 3_100 * USDC,
            ..p
        };
        let h = compute_health(0, &[s], STD).unwrap();
        assert_eq!(h.equity, 100 * USDC as i128);
        assert_eq!(h.initial_equity, 35 * USDC as i128); // (3,100 - 3,030) * 50%
        assert_eq!(h.initial_requirement, 303 * USDC as i128);
    }

    #[test]
    fn negative_pnl_counts_in_full_and_funding_is_owed() {
        let mut p = pos(
            0,
            ONE,
            3_000 * DOLLAR,
            2_500 * DOLLAR,
            params(100_000, 50_000, 100_000),
        );
        p.funding_owed = 7 * USDC;
        let h = compute_health(1_000 * USDC, &[p], STD).unwrap();
        // U = -500 - 7
        assert_eq!(h.equity, 493 * USDC as i128);
        assert_eq!(h.initial_equity, 493 * USDC as i128);
    }

    #[test]
    fn rounding_goes_against_the_account() {
        // 1 base native unit long at a price of 1,500,001: value 0.0015 quote native -> 0.
        assert_eq!(base_value(1, 1_500_001).unwrap(), 0);
        // short of 1 native unit owes -0.0015 -> -1.
        assert_eq!(base_value(-1, 1_500_001).unwrap(), -1);
        // requirement 1e-12 -> 1.
        assert_eq!(requirement(1, 1, 1).unwrap(), 1);
        assert_eq!(notional(1, 1).unwrap(), 1);
    }

    #[test]
    fn requirement_fast_path_is_exact() {
        let mut seed = 0x1234_5678_9abc_def0u64;
        for _ in 0..100_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let base = (seed % 10_000_000_000_000) as i64 - 5_000_000_000_000;
            let price = ((seed >> 20) % 200_000_000_000) as i64 + 1;
            let ratio = ((seed >> 7) % 1_000_001) as u32;
            let wide = div_ceil(
                base.unsigned_abs() as i128 * price as i128 * ratio as i128,
                BASE_PRECISION * RATIO_PRECISION,
            );
            assert_eq!(
                requirement(base, price, ratio).unwrap(),
                wide,
                "{base} {price} {ratio}"
            );
        }
    }

    #[test]
    fn empty_account() {
        let h = compute_health(42, &[], STD).unwrap();
        assert_eq!(h.equity, 42);
        assert_eq!(h.withdrawable(42), 42);
        assert_eq!(h.effective_leverage(), Some(0));
        assert_eq!(h.margin_ratio(), None);
        assert!(!h.liquidatable());
    }
}
