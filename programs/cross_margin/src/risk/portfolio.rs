//! Portfolio margin: positions of one margin group offset the group-wide (systematic) part of
//! their margin.
//!
//! For a requirement kind (maintenance or initial), each position `i` has the signed amount
//! `a_i = b_i * p_i * r_i` (positive for a long), priced and rationed as the standard requirement
//! prices it, and its market's systematic share `s_i` and group `g_i`:
//!
//! `R = sum_i (1 - s_i) |a_i|  +  sum over groups g != 0 of | sum_{i in g} s_i a_i |`
//!
//! (a group-0 position counts `|a_i|` in full: its share offsets nothing). Written as the
//! standard requirement less a credit, `R = sum_i |a_i| - sum_g ( sum_{i in g} s_i |a_i| -
//! | sum_{i in g} s_i a_i | )`, it is computed the way every figure here is, against the account:
//! the standard requirement rounded up per position (`risk::requirement`, exactly today's
//! figure) less the credit rounded down. So one direction within a group, positions in different
//! groups, and a single position all get exactly the standard requirement; and `R` is held at 25%
//! of the standard one at least (which only ever binds by rounding: mathematically
//! `R >= sum (1 - s_i)|a_i| >= 25% sum |a_i|` since `s_i <= 75%`).

use anchor_lang::prelude::*;

use super::math::{add, div_floor, to_i64};
use crate::constants::{BASE_PRECISION, PORTFOLIO_FLOOR, RATIO_PRECISION};
use crate::error::ErrorCode;

/// One position's term in a requirement.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RequirementTerm {
    /// Signed base (positive long).
    pub base: i64,
    /// The price the requirement is taken at.
    pub price: i64,
    /// The margin ratio of this kind (ppm).
    pub ratio: u32,
    pub group: u8,
    /// Systematic share (ppm).
    pub share: u32,
}

/// Credits are summed in millionths of a quote native unit.
const CREDIT_SCALE: i128 = 1_000_000;

/// `s * a` of a term in millionths of a quote native unit, rounded toward zero, and whether that
/// was exact: `b * p * r * s / (BASE * RATIO * RATIO) * 1e6`, without overflow for any i64 base
/// and price.
fn systematic_amount(t: &RequirementTerm) -> Result<(i128, bool)> {
    let n = t.base as i128 * t.price as i128; // |b p| < 2^126
    let k = t.ratio as i128 * t.share as i128; // < 2^52
    let d = BASE_PRECISION * RATIO_PRECISION * RATIO_PRECISION / CREDIT_SCALE; // 1e15
    let (q, rem) = (n.abs() / d, n.abs() % d);
    let m = q
        .checked_mul(k)
        .and_then(|x| x.checked_add(rem * k / d))
        .ok_or_else(|| error!(ErrorCode::MathOverflow))?;
    Ok((if n < 0 { -m } else { m }, (rem * k) % d == 0))
}

/// The portfolio requirement of `terms`, given their standard requirement `standard` (the sum
/// of each term's requirement rounded up, `risk::requirement`).
pub fn portfolio_requirement(terms: &[RequirementTerm], standard: i128) -> Result<i128> {
    let mut credit: i128 = 0;
    // Each group once, at its first member: sum s|a| - |sum s a| over its members, less one
    // millionth per inexact term (truncating a term moves the difference by less than one each
    // way, so the credit never exceeds the exact one).
    for (i, t) in terms.iter().enumerate() {
        if t.group == 0
            || t.base == 0
            || terms[..i].iter().any(|u| u.group == t.group && u.base != 0)
        {
            continue;
        }
        let (mut sum_abs, mut sum, mut inexact) = (0i128, 0i128, 0i128);
        for u in terms[i..]
            .iter()
            .filter(|u| u.group == t.group && u.base != 0)
        {
            let (v, exact) = systematic_amount(u)?;
            sum_abs = add(sum_abs, v.abs())?;
            sum = add(sum, v)?;
            inexact += (!exact) as i128;
        }
        let group_credit = sum_abs - sum.abs();
        if group_credit > 0 {
            credit = add(credit, (group_credit - inexact).max(0))?;
        }
    }
    let credit = div_floor(credit, CREDIT_SCALE);
    let floor = super::math::div_ceil(standard * PORTFOLIO_FLOOR as i128, RATIO_PRECISION);
    Ok((standard - credit).max(floor).min(standard))
}

/// `portfolio_requirement` narrowed to i64 (for events and reports).
pub fn portfolio_requirement_i64(terms: &[RequirementTerm], standard: i128) -> Result<i64> {
    to_i64(portfolio_requirement(terms, standard)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ONE: i64 = 1_000_000_000;
    const USDC: i128 = 1_000_000;

    fn term(base: i64, price_usd: i64, ratio: u32, group: u8, share: u32) -> RequirementTerm {
        RequirementTerm {
            base,
            price: price_usd * 1_000_000,
            ratio,
            group,
            share,
        }
    }

    fn standard(ts: &[RequirementTerm]) -> i128 {
        ts.iter()
            .map(|t| crate::risk::requirement(t.base, t.price, t.ratio).unwrap())
            .sum()
    }

    #[test]
    fn the_seed_example_long_eth_short_btc() {
        // Long 10 ETH at 3,000 (mm 5%) and short 0.5 BTC at 60,000 (mm 2.5%), both in group 1
        // with a 70% systematic share. a_eth = +1,500, a_btc = -750.
        let ts = [
            term(10 * ONE, 3_000, 50_000, 1, 700_000),
            term(-ONE / 2, 60_000, 25_000, 1, 700_000),
        ];
        let std = standard(&ts);
        assert_eq!(std, 2_250 * USDC);
        // R = 0.3 * 1,500 + 0.3 * 750 + |0.7 * 1,500 - 0.7 * 750| = 450 + 225 + 525 = 1,200
        assert_eq!(portfolio_requirement(&ts, std).unwrap(), 1_200 * USDC);
        // closing the ETH leg: R = the BTC leg alone = 750 (a single position needs its standard)
        assert_eq!(
            portfolio_requirement(&ts[1..], 750 * USDC).unwrap(),
            750 * USDC
        );
    }

    #[test]
    fn no_credit_within_one_direction_or_across_groups() {
        let same_side = [
            term(ONE, 3_000, 50_000, 1, 700_000),
            term(ONE / 20, 60_000, 25_000, 1, 700_000),
        ];
        let std = standard(&same_side);
        assert_eq!(portfolio_requirement(&same_side, std).unwrap(), std);
        let other_groups = [
            term(ONE, 3_000, 50_000, 1, 700_000),
            term(-ONE / 20, 60_000, 50_000, 2, 700_000),
        ];
        let std = standard(&other_groups);
        assert_eq!(portfolio_requirement(&other_groups, std).unwrap(), std);
        let group_zero = [
            term(ONE, 3_000, 50_000, 0, 700_000),
            term(-ONE / 20, 60_000, 50_000, 0, 700_000),
        ];
        let std = standard(&group_zero);
        assert_eq!(portfolio_requirement(&group_zero, std).unwrap(), std);
    }

    #[test]
    fn perfect_hedge_hits_the_floor_of_25_percent() {
        let ts = [
            term(ONE, 3_000, 50_000, 3, 750_000),
            term(-ONE, 3_000, 50_000, 3, 750_000),
        ];
        let std = standard(&ts);
        assert_eq!(std, 300 * USDC);
        // 0.25 * 150 * 2 + |0.75 * 150 - 0.75 * 150| = 75: exactly the floor
        assert_eq!(portfolio_requirement(&ts, std).unwrap(), 75 * USDC);
    }
}
