//! Position accounting for a fill: what a trade does to `(base, quote)` and what it realizes.
//!
//! A position holds `quote`, the quote it has paid (negative) or received (positive) for its base.
//! Growing a position adds to both. Reducing it realizes the closed share of `quote` plus the
//! trade's quote into collateral, proportionally to the base closed. Flipping through zero closes
//! the whole position and opens the rest on the other side.

use anchor_lang::prelude::*;

use super::math::{add, div_ceil, div_floor, mul, sub, to_i64};
use crate::constants::{BASE_PRECISION, RATIO_PRECISION};
use crate::error::ErrorCode;

/// The result of applying a trade to a position.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TradeResult {
    pub base: i64,
    pub quote: i64,
    /// Moves into collateral.
    pub realized_pnl: i64,
}

/// Quote exchanged by a side trading `base_delta` at `price`: a buyer pays (negative, rounded
/// up in size), a seller receives (positive, rounded down).
pub fn trade_quote(base_delta: i64, price: i64) -> Result<i64> {
    let raw = mul(-(base_delta as i128), price as i128)?;
    to_i64(div_floor(raw, BASE_PRECISION))
}

/// A fee of `fee_ppm` on the notional of `base_delta` at `price`. Positive fees round up (paid);
/// negative ones (rebates) round down in size (received).
pub fn trade_fee(base_delta: i64, price: i64, fee_ppm: i64) -> Result<i64> {
    let notional = mul(base_delta.unsigned_abs() as i128, price as i128)?;
    let raw = mul(notional, fee_ppm as i128)?;
    to_i64(div_ceil(raw, BASE_PRECISION * RATIO_PRECISION))
}

/// Applies a trade of `base_delta` for `quote_delta` to the position `(base, quote)`.
pub fn apply_trade(
    base: i64,
    quote: i64,
    base_delta: i64,
    quote_delta: i64,
) -> Result<TradeResult> {
    let new_base = base
        .checked_add(base_delta)
        .ok_or_else(|| error!(ErrorCode::MathOverflow))?;
    let (b, q, db, dq) = (
        base as i128,
        quote as i128,
        base_delta as i128,
        quote_delta as i128,
    );
    if base == 0 || (base > 0) == (base_delta > 0) {
        // open or increase
        return Ok(TradeResult {
            base: new_base,
            quote: to_i64(add(q, dq)?)?,
            realized_pnl: 0,
        });
    }
    if db.abs() <= b.abs() {
        // reduce or close: realize the closed share of quote plus the trade's quote
        let closed_quote = div_floor(mul(q, db.abs())?, b.abs());
        let realized = add(closed_quote, dq)?;
        let remaining = sub(q, closed_quote)?;
        return Ok(TradeResult {
            base: new_base,
            quote: if new_base == 0 { 0 } else { to_i64(remaining)? },
            realized_pnl: to_i64(if new_base == 0 { add(q, dq)? } else { realized })?,
        });
    }
    // flip: close all of `base` with the matching share of the trade's quote, open the rest
    let close_share = div_floor(mul(dq, b.abs())?, db.abs());
    Ok(TradeResult {
        base: new_base,
        quote: to_i64(sub(dq, close_share)?)?,
        realized_pnl: to_i64(add(q, close_share)?)?,
    })
}

/// Whether a trade from `old` to `new` base adds risk: the position grows, or opens on the other
/// side. Such fills need the initial check; pure reductions only maintenance.
pub fn grows_risk(old: i64, new: i64) -> bool {
    new.unsigned_abs() > old.unsigned_abs() || (new != 0 && old != 0 && (new > 0) != (old > 0))
}

/// What a trade costs the account at the oracle price: paying above (or receiving below) the
/// oracle, plus the fee (negative for a rebate), rounded up. Delegates are charged this against
/// the budget their owner set; a favourable trade costs nothing (it never refills the budget).
pub fn trade_cost_at_oracle(base_delta: i64, price: i64, oracle: i64, fee: i64) -> Result<u64> {
    let deviation = div_ceil(
        mul(base_delta as i128, price as i128 - oracle as i128)?,
        BASE_PRECISION,
    );
    let cost = add(deviation, fee as i128)?.max(0);
    u64::try_from(cost).map_err(|_| error!(ErrorCode::MathOverflow))
}

/// Open-interest change of one side of a trade: `(long delta, short delta)` in base units.
pub fn open_interest_delta(old: i64, new: i64) -> (i128, i128) {
    let long = new.max(0) as i128 - old.max(0) as i128;
    let short = (-(new.min(0) as i128)) - (-(old.min(0) as i128));
    (long, short)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ONE: i64 = 1_000_000_000;
    const USDC: i64 = 1_000_000;

    #[test]
    fn quote_rounds_against_each_side() {
        // 1 base native unit at $3,000.000001: 0.000003000000001 USDC
        assert_eq!(trade_quote(1, 3_000_000_001).unwrap(), -4); // buyer pays 4 units (ceil of 3.000000001)
        assert_eq!(trade_quote(-1, 3_000_000_001).unwrap(), 3); // seller receives 3
        assert_eq!(trade_quote(2 * ONE, 3_000 * USDC).unwrap(), -6_000 * USDC);
    }

    #[test]
    fn fees_round_up_rebates_down() {
        // 1.5 ETH at 3,000 = 4,500 notional; 5 bps = 2.25; -1 bp rebate = -0.45
        assert_eq!(
            trade_fee(ONE + ONE / 2, 3_000 * USDC, 500).unwrap(),
            2_250_000
        );
        assert_eq!(
            trade_fee(-(ONE + ONE / 2), 3_000 * USDC, -100).unwrap(),
            -450_000
        );
        // tiny: 1 native unit, fee rounds up to 1, rebate to 0
        assert_eq!(trade_fee(1, 3_000 * USDC, 500).unwrap(), 1);
        assert_eq!(trade_fee(1, 3_000 * USDC, -100).unwrap(), 0);
    }

    #[test]
    fn open_add_reduce_close_flip() {
        // open long 2 @ 3,000
        let r = apply_trade(0, 0, 2 * ONE, -6_000 * USDC).unwrap();
        assert_eq!(
            r,
            TradeResult {
                base: 2 * ONE,
                quote: -6_000 * USDC,
                realized_pnl: 0
            }
        );
        // add 1 @ 3,300 -> entry 3,100
        let r = apply_trade(r.base, r.quote, ONE, -3_300 * USDC).unwrap();
        assert_eq!(
            r,
            TradeResult {
                base: 3 * ONE,
                quote: -9_300 * USDC,
                realized_pnl: 0
            }
        );
        // sell 1 @ 3,400: realizes 3,400 - 3,100 = 300
        let r = apply_trade(r.base, r.quote, -ONE, 3_400 * USDC).unwrap();
        assert_eq!(
            r,
            TradeResult {
                base: 2 * ONE,
                quote: -6_200 * USDC,
                realized_pnl: 300 * USDC
            }
        );
        // flip: sell 3 @ 3,000: close 2 (realize 6,000 - 6,200 = -200), open short 1 @ 3,000
        let r = apply_trade(r.base, r.quote, -3 * ONE, 9_000 * USDC).unwrap();
        assert_eq!(
            r,
            TradeResult {
                base: -ONE,
                quote: 3_000 * USDC,
                realized_pnl: -200 * USDC
            }
        );
        // close the short @ 2,900: +100
        let r = apply_trade(r.base, r.quote, ONE, -2_900 * USDC).unwrap();
        assert_eq!(
            r,
            TradeResult {
                base: 0,
                quote: 0,
                realized_pnl: 100 * USDC
            }
        );
    }

    #[test]
    fn partial_reduce_rounding_keeps_value() {
        // long 3 units for -10 quote; sell 1 for +3: closed share floor(-10/3) = -4, realized -1,
        // remaining quote -6: nothing created (realized + remaining == quote + trade quote)
        let r = apply_trade(3, -10, -1, 3).unwrap();
        assert_eq!(
            r,
            TradeResult {
                base: 2,
                quote: -6,
                realized_pnl: -1
            }
        );
        assert_eq!(r.quote as i128 + r.realized_pnl as i128, -10 + 3);
    }

    #[test]
    fn risk_growth() {
        assert!(grows_risk(0, 5));
        assert!(grows_risk(5, 6));
        assert!(!grows_risk(5, 4));
        assert!(!grows_risk(5, 0));
        assert!(grows_risk(5, -1)); // flip opens a short
        assert!(grows_risk(-5, -6));
        assert!(!grows_risk(-5, -4));
    }

    #[test]
    fn cost_at_oracle() {
        // buying 1 ETH at 3,150 when the oracle says 3,000, plus a 1.575 fee: 151.575
        assert_eq!(
            trade_cost_at_oracle(ONE, 3_150 * USDC, 3_000 * USDC, 1_575_000).unwrap(),
            151_575_000
        );
        // selling at 2,850: the same
        assert_eq!(
            trade_cost_at_oracle(-ONE, 2_850 * USDC, 3_000 * USDC, 0).unwrap(),
            150 * USDC as u64
        );
        // a favourable fill costs nothing
        assert_eq!(
            trade_cost_at_oracle(ONE, 2_900 * USDC, 3_000 * USDC, 0).unwrap(),
            0
        );
    }

    #[test]
    fn open_interest_moves() {
        assert_eq!(open_interest_delta(0, 5), (5, 0));
        assert_eq!(open_interest_delta(5, -3), (-5, 3));
        assert_eq!(open_interest_delta(-3, -1), (0, -2));
    }
}
