//! Liquidation sizing and pricing, and how a bankruptcy deficit is split.
//!
//! A liquidator takes over `d` (base) of a position at the oracle price improved by the
//! liquidation fee `f_liq`; the liquidatee also pays an insurance fee `f_if` on the notional.
//! Taking over `d` at price `p` lowers the liquidatee's equity by `d p (f_liq + f_if)` and its
//! maintenance requirement by `d p mm`, so to reach `E >= (1 + buffer) MM`:
//!
//! `d >= ((1 + buffer) MM - E) / (p ((1 + buffer) mm - f_liq - f_if))`
//!
//! The bounds `f_liq + f_if < mm` make the denominator positive: every step improves `E - MM`.

use anchor_lang::prelude::*;

use super::math::{div_ceil, div_floor, mul, to_i64};
use crate::constants::{BASE_PRECISION, FUNDING_INDEX_SCALE, RATIO_PRECISION};
use crate::error::ErrorCode;

/// Everything the sizing needs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LiquidationInput {
    pub equity: i128,
    pub maintenance_requirement: i128,
    /// The liquidatee's position in this market (signed).
    pub position_base: i64,
    pub oracle_price: i64,
    pub maintenance_margin_ratio: u32,
    pub liquidation_fee: u32,
    pub insurance_fee: u32,
    pub liquidation_buffer: u32,
    pub base_lot_size: u64,
    pub min_position_base: u64,
    /// The most the liquidator will take (base, unsigned).
    pub max_base: u64,
}

/// `(1 + buffer) * MM`, rounded up: the equity at which liquidation stops.
pub fn liquidation_target(maintenance_requirement: i128, buffer: u32) -> Result<i128> {
    Ok(div_ceil(
        mul(maintenance_requirement, RATIO_PRECISION + buffer as i128)?,
        RATIO_PRECISION,
    ))
}

/// The unsigned base a liquidation step takes over: the smallest lot-rounded amount that brings
/// `E` to the target (all of the position when `E <= 0`), capped by the position and `max_base`;
/// a remainder under the minimum position is taken too (or, when `max_base` forbids that, left at
/// exactly the minimum).
pub fn liquidation_size(i: &LiquidationInput) -> Result<u64> {
    let position = i.position_base.unsigned_abs();
    let lot = i.base_lot_size.max(1);
    let needed: u64 = if i.equity <= 0 {
        position
    } else {
        let target = liquidation_target(i.maintenance_requirement, i.liquidation_buffer)?;
        let gap = target - i.equity;
        if gap <= 0 {
            0
        } else {
            // k = (1 + buffer) mm - f_liq - f_if, scaled by RATIO^2
            let k = (RATIO_PRECISION + i.liquidation_buffer as i128)
                * i.maintenance_margin_ratio as i128
                - (i.liquidation_fee as i128 + i.insurance_fee as i128) * RATIO_PRECISION;
            require!(k > 0, ErrorCode::InvalidFees);
            let num = mul(mul(gap, BASE_PRECISION)?, RATIO_PRECISION * RATIO_PRECISION)?;
            let d = div_ceil(num, mul(i.oracle_price as i128, k)?);
            u64::try_from(d).unwrap_or(u64::MAX)
        }
    };
    // round up to the lot, within the position
    let mut size = needed.div_ceil(lot).saturating_mul(lot).min(position);
    if position - size < i.min_position_base {
        size = position;
    }
    let cap = i.max_base / lot * lot;
    if size > cap {
        size = cap;
        let rest = position - size;
        if rest > 0 && rest < i.min_position_base {
            size = position.saturating_sub(i.min_position_base);
        }
    }
    Ok(size)
}

/// The price of the takeover: a long is taken at `p (1 - f_liq)` rounded down, a short at
/// `p (1 + f_liq)` rounded up (both against the liquidatee).
pub fn takeover_price(
    oracle_price: i64,
    liquidatee_is_long: bool,
    liquidation_fee: u32,
) -> Result<i64> {
    let p = oracle_price as i128;
    let f = liquidation_fee as i128;
    to_i64(if liquidatee_is_long {
        div_floor(mul(p, RATIO_PRECISION - f)?, RATIO_PRECISION)
    } else {
        div_ceil(mul(p, RATIO_PRECISION + f)?, RATIO_PRECISION)
    })
}

/// How a bankrupt account's deficit is covered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DeficitSplit {
    pub insurance: u64,
    pub socialized: u64,
    pub bad_debt: u64,
    /// Index units the long index rises and the short index falls by.
    pub index_delta: i64,
}

/// Insurance first; the rest over `open_interest` (the sum of `|base|` of every position that
/// carries it, rounded so holders pay at least the rest); with no open interest, bad debt.
///
/// The open interest is the market's as it stood before the takeover that closed the bankrupt
/// account's last position, less that position: a holder of the other side cannot dodge its
/// share by being the liquidator whose takeover nets its own position away.
pub fn split_deficit(
    deficit: u64,
    insurance_balance: u64,
    open_interest: u128,
) -> Result<DeficitSplit> {
    let insurance = deficit.min(insurance_balance);
    let rest = deficit - insurance;
    if rest == 0 {
        return Ok(DeficitSplit {
            insurance,
            ..Default::default()
        });
    }
    if open_interest == 0 {
        return Ok(DeficitSplit {
            insurance,
            bad_debt: rest,
            ..Default::default()
        });
    }
    let oi = i128::try_from(open_interest).map_err(|_| error!(ErrorCode::MathOverflow))?;
    let per_base = div_ceil(
        mul(mul(rest as i128, BASE_PRECISION)?, FUNDING_INDEX_SCALE)?,
        oi,
    );
    Ok(DeficitSplit {
        insurance,
        socialized: rest,
        bad_debt: 0,
        index_delta: to_i64(per_base)?,
    })
}

/// Slices of a portfolio are fractions at this precision (1 = 1e-9 of every position).
pub const SLICE_PRECISION: i128 = 1_000_000_000;

/// The fraction of every position a portfolio liquidation takes, before lot rounding: the
/// smallest `t` with `E - t F >= (1 + buffer) (1 - t) R`, i.e.
/// `t = ((1 + buffer) R - E) / ((1 + buffer) R - F)`, where `F` is what the whole portfolio's
/// fees would cost (`< R`: fees are scaled to the portfolio requirement). All of it when
/// `E <= 0`; nothing when the target is met. At `SLICE_PRECISION`, rounded up.
pub fn portfolio_slice_fraction(
    equity: i128,
    requirement: i128,
    full_fees: i128,
    buffer: u32,
) -> Result<i128> {
    if equity <= 0 {
        return Ok(SLICE_PRECISION);
    }
    let target = liquidation_target(requirement, buffer)?;
    if equity >= target {
        return Ok(0);
    }
    let den = target - full_fees;
    if den <= 0 {
        return Ok(SLICE_PRECISION);
    }
    Ok(div_ceil(mul(target - equity, SLICE_PRECISION)?, den).min(SLICE_PRECISION))
}

/// The base a slice `t` takes of a position of `|base|`: `t |base|` rounded up to the lot,
/// within the position, and all of it when less than the minimum would remain.
pub fn slice_size(
    position: u64,
    fraction: i128,
    base_lot_size: u64,
    min_position_base: u64,
) -> u64 {
    let lot = base_lot_size.max(1);
    let raw =
        div_ceil(position as i128 * fraction, SLICE_PRECISION).clamp(0, position as i128) as u64;
    let mut size = raw.div_ceil(lot).saturating_mul(lot).min(position);
    if fraction >= SLICE_PRECISION || position - size < min_position_base {
        size = position;
    }
    size
}

/// A fee rate scaled by `scale` (ppm), rounded down: portfolio liquidations charge each
/// market's fees times `R / standard MM`, so a slice's fees stay below the requirement it frees.
pub fn scaled_fee(fee: u32, scale: u32) -> u32 {
    (fee as u64 * scale as u64 / RATIO_PRECISION as u64) as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::risk::funding_owed;

    const ONE: i64 = 1_000_000_000;
    const USDC: i128 = 1_000_000;

    fn input() -> LiquidationInput {
        LiquidationInput {
            equity: 0,
            maintenance_requirement: 0,
            position_base: 2 * ONE,
            oracle_price: 2_600_000_000,
            maintenance_margin_ratio: 50_000,
            liquidation_fee: 10_000,
            insurance_fee: 5_000,
            liquidation_buffer: 200_000,
            base_lot_size: 1_000_000,
            min_position_base: 10_000_000,
            max_base: u64::MAX,
        }
    }

    #[test]
    fn size_restores_the_buffer() {
        // 2 ETH at 2,600: MM = 260; E = 200. Target 1.2 * 260 = 312: gap 112.
        // k = 1.2 * 5% - 1.5% = 4.5%: d = 112 / (2,600 * 4.5%) = 0.957264... -> 0.958 (lots)
        let i = LiquidationInput {
            equity: 200 * USDC,
            maintenance_requirement: 260 * USDC,
            ..input()
        };
        assert_eq!(liquidation_size(&i).unwrap(), 958_000_000);
        // after: E = 200 - 0.958 * 2,600 * 1.5% = 162.638; MM = 1.042 * 2,600 * 5% = 135.46
        // 1.2 * 135.46 = 162.552 <= 162.638: restored with the lot's rounding to spare
    }

    #[test]
    fn healthy_above_target_takes_nothing_and_bankrupt_takes_all() {
        let i = LiquidationInput {
            equity: 400 * USDC,
            maintenance_requirement: 260 * USDC,
            ..input()
        };
        assert_eq!(liquidation_size(&i).unwrap(), 0);
        let i = LiquidationInput {
            equity: -5 * USDC,
            maintenance_requirement: 260 * USDC,
            ..input()
        };
        assert_eq!(liquidation_size(&i).unwrap(), 2 * ONE as u64);
    }

    #[test]
    fn remainder_under_minimum_is_taken_and_max_base_caps() {
        // needed 1.995 of 2 -> remainder 0.005 < minimum 0.01 -> all 2
        let i = LiquidationInput {
            equity: 1,
            maintenance_requirement: 260 * USDC,
            ..input()
        };
        let needed = liquidation_size(&LiquidationInput {
            position_base: 100 * ONE,
            ..i
        })
        .unwrap();
        assert!(needed > 2 * ONE as u64 - 10_000_000, "{needed}");
        assert_eq!(liquidation_size(&i).unwrap(), 2 * ONE as u64);
        // max_base 1.5 -> 1.5; max_base 1.995 -> would leave 0.005: leaves exactly the minimum
        assert_eq!(
            liquidation_size(&LiquidationInput {
                max_base: 1_500_000_000,
                ..i
            })
            .unwrap(),
            1_500_000_000
        );
        assert_eq!(
            liquidation_size(&LiquidationInput {
                max_base: 1_995_000_000,
                ..i
            })
            .unwrap(),
            1_990_000_000
        );
        // max_base is floored to the lot
        assert_eq!(
            liquidation_size(&LiquidationInput {
                max_base: 999_999,
                ..i
            })
            .unwrap(),
            0
        );
    }

    #[test]
    fn prices_round_against_the_liquidatee() {
        assert_eq!(
            takeover_price(2_600_000_001, true, 10_000).unwrap(),
            2_574_000_000
        ); // 2,574.00000099 down
        assert_eq!(
            takeover_price(2_600_000_001, false, 10_000).unwrap(),
            2_626_000_002
        ); // up
    }

    #[test]
    fn deficit_split_covers_exactly() {
        let s = split_deficit(100, 30, 0).unwrap();
        assert_eq!((s.insurance, s.socialized, s.bad_debt), (30, 0, 70));
        let s = split_deficit(100, 300, 10).unwrap();
        assert_eq!(
            (s.insurance, s.socialized, s.bad_debt, s.index_delta),
            (100, 0, 0, 0)
        );
        // 70 over 3 ETH of OI (1.5 long + 1.5 short): 23.33.. per ETH
        let s = split_deficit(100 * USDC as u64, 30 * USDC as u64, 3_000_000_000).unwrap();
        assert_eq!(
            (s.insurance, s.socialized, s.bad_debt),
            (30 * USDC as u64, 70 * USDC as u64, 0)
        );
        assert_eq!(s.index_delta, 23_333_333_334); // ceil(70e6 * 1e9 * 1e3 / 3e9)
                                                   // holders pay at least the rest
        let long_pays = funding_owed(1_500_000_000, s.index_delta, 0).unwrap();
        let short_pays = funding_owed(-1_500_000_000, -s.index_delta, 0).unwrap();
        assert!(long_pays + short_pays >= 70 * USDC as i64);
        assert_eq!(long_pays + short_pays, 70_000_002);
    }

    #[test]
    fn portfolio_slices() {
        // E 100, R 200, buffer 20%: target 240; full fees 40: t = 140 / 200 = 70%
        let t = portfolio_slice_fraction(100 * USDC, 200 * USDC, 40 * USDC, 200_000).unwrap();
        assert_eq!(t, 700_000_000);
        // after: E = 100 - 0.7 * 40 = 72, R = 0.3 * 200 = 60: 1.2 * 60 = 72, restored exactly
        assert_eq!(
            portfolio_slice_fraction(0, 1, 0, 0).unwrap(),
            SLICE_PRECISION
        );
        assert_eq!(portfolio_slice_fraction(500, 100, 10, 200_000).unwrap(), 0);
        // 70% of 1.2345 ETH = 0.86415 -> 0.865 on a 0.001 lot; of 0.0101 with a 0.01 minimum: all
        assert_eq!(
            slice_size(1_234_500_000, t, 1_000_000, 10_000_000),
            865_000_000
        );
        assert_eq!(slice_size(10_100_000, t, 1_000_000, 10_000_000), 10_100_000);
        assert_eq!(scaled_fee(10_000, 600_000), 6_000);
    }
}
