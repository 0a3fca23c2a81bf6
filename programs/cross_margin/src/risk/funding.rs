//! Funding: what a position owes from the market's cumulative index (settled lazily), and the
//! premium a funding period's fills set.
//!
//! **Why fills cannot be wash-traded into funding.** In a request-for-quote venue every fill is
//! chosen by its two signers, who may be one person. So the premium a period's fills set is a
//! notional-weighted average of their deviations from the oracle, each clamped to
//! `max_funding_premium`, divided by at least a floor proportional to the open interest:
//!
//! `premium = sum_i w_i d_i / max(sum_i w_i, W_min)`,
//! `W_min = S * OI * twap * (elapsed / day) * max_premium / (net_fee * (1 - band))`
//!
//! where `w_i` is fill `i`'s notional at the oracle and `d_i` its clamped deviation. The funding a
//! group can collect is at most its net position (`<= OI`) times the index move, so what any set
//! of fills adds to the premium moves at most `OI * twap * elapsed/day * sum w_i d_i / W_min
//! <= sum w_i * net_fee * (1 - band) / S` of funding, while those fills paid at least
//! `sum |s_i| P_i net_fee >= sum w_i (1 - band) net_fee` in fees (the fill price is within the band
//! of the oracle). With `S = 2` (`FUNDING_FEE_SAFETY`), a period's fills can move at most half the
//! fees they paid: wash trading funding never pays, whatever sizes, timing or prices.

use anchor_lang::prelude::*;

use super::math::{add, div_ceil, mul, sub, to_i64};
use crate::constants::{
    BASE_PRECISION, FUNDING_DAY_SECS, FUNDING_FEE_SAFETY, FUNDING_INDEX_SCALE, RATIO_PRECISION,
};
use crate::error::ErrorCode;

/// Unsettled funding `F = base * (index - snapshot)`, in quote native units. Positive: the
/// account owes it. Rounded up, so an account pays at least and receives at most its share
/// (the sum of `F` over all positions of a market is never negative: funding creates no value).
pub fn funding_owed(base: i64, index: i64, snapshot: i64) -> Result<i64> {
    let delta = sub(index as i128, snapshot as i128)?;
    let raw = mul(base as i128, delta)?;
    to_i64(div_ceil(raw, BASE_PRECISION * FUNDING_INDEX_SCALE))
}

/// The index a position of sign `base` settles against: longs (and flat) the long index, shorts
/// the short one.
pub fn side_index(base: i64, long_index: i64, short_index: i64) -> i64 {
    if base >= 0 {
        long_index
    } else {
        short_index
    }
}

/// What one fill adds to its period's premium sums: its notional at the oracle (rounded down)
/// and that notional times its deviation from the oracle, clamped to `max_premium`
/// (quote native, signed: positive when the fill is above the oracle, rounded toward zero).
pub fn fill_premium_contribution(
    size: u64,
    price: i64,
    oracle: i64,
    max_premium: u32,
) -> Result<(u64, i64)> {
    let size = size as i128;
    let notional = mul(size, oracle as i128)? / BASE_PRECISION;
    let bound = mul(oracle as i128, max_premium as i128)? / RATIO_PRECISION;
    let deviation = (price as i128 - oracle as i128).clamp(-bound, bound);
    let premium = mul(size, deviation)? / BASE_PRECISION; // truncates toward zero
    Ok((
        u64::try_from(notional).map_err(|_| error!(ErrorCode::MathOverflow))?,
        to_i64(premium)?,
    ))
}

/// What a funding update needs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FundingInputs {
    /// Sum of oracle price * seconds over the period.
    pub oracle_sum: i128,
    /// Seconds since the previous update.
    pub elapsed: i64,
    /// Sum of the period's fill notionals at the oracle (quote native).
    pub fill_notional: u64,
    /// Sum of the period's notional-weighted clamped deviations (quote native).
    pub fill_premium: i64,
    /// Open interest (one side, base) when the update runs.
    pub open_interest: u64,
    /// Taker fee + maker fee (ppm, positive).
    pub net_fee: u32,
    pub price_band: u32,
    pub max_premium: u32,
}

/// One funding update.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FundingUpdate {
    /// `oracle_twap * (1 + premium)`: the mark the premium implies.
    pub mark_twap: i64,
    pub oracle_twap: i64,
    /// ppm per day, signed, within `±max_premium`.
    pub premium: i64,
    /// What both indices move by: `premium * oracle_twap * elapsed / 1 day`, index units.
    pub index_delta: i64,
    /// The denominator the fills' premium sum was divided by: `max(sum w, W_min)`.
    pub premium_weight: i64,
}

/// `W_min` of the module doc, rounded up; `None` when it does not fit (then no fill moves
/// funding at all, the safe side).
pub fn premium_weight_floor(i: &FundingInputs, oracle_twap: i128) -> Option<i128> {
    let oi_notional = div_ceil(
        (i.open_interest as i128).checked_mul(oracle_twap)?,
        BASE_PRECISION,
    );
    let num = oi_notional
        .checked_mul(i.elapsed as i128)?
        .checked_mul(i.max_premium as i128)?
        .checked_mul(FUNDING_FEE_SAFETY * RATIO_PRECISION)?;
    let den = (FUNDING_DAY_SECS as i128)
        .checked_mul(i.net_fee.max(1) as i128)?
        .checked_mul(RATIO_PRECISION - i.price_band as i128)?;
    Some(div_ceil(num, den.max(1)))
}

/// The funding of one period.
pub fn compute_funding(i: &FundingInputs) -> Result<FundingUpdate> {
    if i.elapsed <= 0 || i.oracle_sum <= 0 {
        return Ok(FundingUpdate::default());
    }
    let oracle_twap = i.oracle_sum / i.elapsed as i128;
    require!(oracle_twap > 0, ErrorCode::OracleNonPositivePrice);
    let weight = premium_weight_floor(i, oracle_twap)
        .unwrap_or(i128::MAX)
        .max(i.fill_notional as i128);
    let max = i.max_premium as i128;
    let premium = if weight == 0 {
        0
    } else {
        (mul(i.fill_premium as i128, RATIO_PRECISION)? / weight).clamp(-max, max)
    };
    // With no open interest nobody pays: the indices stay (and cannot overflow over a long gap).
    let index_delta = if i.open_interest == 0 {
        0
    } else {
        mul(
            mul(mul(premium, oracle_twap)?, i.elapsed as i128)?,
            FUNDING_INDEX_SCALE,
        )? / (RATIO_PRECISION * FUNDING_DAY_SECS as i128)
    };
    Ok(FundingUpdate {
        mark_twap: to_i64(add(oracle_twap, oracle_twap * premium / RATIO_PRECISION)?)?,
        oracle_twap: to_i64(oracle_twap)?,
        premium: to_i64(premium)?,
        index_delta: to_i64(index_delta)?,
        premium_weight: to_i64(weight.min(i64::MAX as i128))?,
    })
}

/// The most funding one update can move from payers to receivers (quote native, rounded up):
/// `OI * |index_delta|`. The randomized sequence holds it to half the period's fees.
pub fn funding_moved(open_interest: u64, index_delta: i64) -> i128 {
    div_ceil(
        open_interest as i128 * (index_delta as i128).abs(),
        BASE_PRECISION * FUNDING_INDEX_SCALE,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_pays_when_index_rises_short_receives() {
        // index rises by $1.5 per ETH = 1_500_000 quote native * 1_000 scale
        let d = 1_500_000_000;
        assert_eq!(funding_owed(2_000_000_000, d, 0).unwrap(), 3_000_000); // 2 ETH long pays $3
        assert_eq!(funding_owed(-2_000_000_000, d, 0).unwrap(), -3_000_000); // short receives $3
        assert_eq!(funding_owed(0, d, 0).unwrap(), 0);
    }

    #[test]
    fn rounding_is_against_the_account() {
        // 1 base native unit (1e-9 ETH) over an index move of 1: 1e-12 quote native.
        assert_eq!(funding_owed(1, 1, 0).unwrap(), 1); // pays a whole unit
        assert_eq!(funding_owed(-1, 1, 0).unwrap(), 0); // receives nothing
        assert_eq!(funding_owed(1, -1, 0).unwrap(), 0);
        // and the sum over a balanced market is >= 0
        let sum = funding_owed(3, 7, 0).unwrap() + funding_owed(-3, 7, 0).unwrap();
        assert!(sum >= 0);
    }

    const ETH: i64 = 3_000_000_000;
    const ONE: u64 = 1_000_000_000;

    fn eth_inputs() -> FundingInputs {
        FundingInputs {
            oracle_sum: ETH as i128 * 3_600,
            elapsed: 3_600,
            fill_notional: 0,
            fill_premium: 0,
            open_interest: 10 * ONE,
            net_fee: 400, // 5 bps taker, 1 bp maker rebate
            price_band: 50_000,
            max_premium: 20_000,
        }
    }

    #[test]
    fn contribution_clamps_the_deviation() {
        // 0.01 ETH at +5% counts at +2%: notional 30, premium 0.6
        let (w, p) = fill_premium_contribution(ONE / 100, 3_150_000_000, ETH, 20_000).unwrap();
        assert_eq!((w, p), (30_000_000, 600_000));
        let (w, p) = fill_premium_contribution(ONE / 100, 2_850_000_000, ETH, 20_000).unwrap();
        assert_eq!((w, p), (30_000_000, -600_000));
        // inside the clamp it counts as is: +0.5% on 2 ETH = 30
        let (_, p) = fill_premium_contribution(2 * ONE, 3_015_000_000, ETH, 20_000).unwrap();
        assert_eq!(p, 30_000_000);
    }

    #[test]
    fn the_wash_attack_of_issue_11_moves_less_than_half_its_fees() {
        // Sixty 0.01 ETH wash fills at +5% in one hour, 10 ETH of open interest.
        let (w, p) = fill_premium_contribution(ONE / 100, 3_150_000_000, ETH, 20_000).unwrap();
        let i = FundingInputs {
            fill_notional: 60 * w,
            fill_premium: 60 * p,
            ..eth_inputs()
        };
        let f = compute_funding(&i).unwrap();
        // W_min = 2 * 30,000 * (1/24) * 2% / (0.04% * 95%) = 131,578.947369 USDC
        assert_eq!(f.premium_weight, 131_578_947_369);
        // premium = 36 / 131,578.947369 = 273.6 ppm/day -> 273
        assert_eq!(f.premium, 273);
        // 273e-6 * 3,000 / 24 = 0.034125 USDC per ETH: the 10 ETH long pays 0.34125 USDC
        assert_eq!(f.index_delta, 34_125_000);
        let moved = funding_moved(i.open_interest, f.index_delta);
        assert_eq!(moved, 341_250);
        // the wash fills paid 60 * 0.01 * 3,150 * 0.04% = 0.756 USDC: the funding is under half
        let fees = 60 * crate::risk::trade_fee(ONE as i64 / 100, 3_150_000_000, 500).unwrap()
            + 60 * crate::risk::trade_fee(ONE as i64 / 100, 3_150_000_000, -100).unwrap();
        assert_eq!(fees, 756_000);
        assert!(2 * moved <= fees as i128);
    }

    #[test]
    fn heavy_honest_volume_sets_the_average_deviation() {
        // 200 ETH of fills at +0.1% in the hour against 10 ETH of open interest: the weight is
        // the fills' notional (600,000 > W_min = 131,579), the premium their average deviation.
        let (w, p) = fill_premium_contribution(200 * ONE, 3_003_000_000, ETH, 20_000).unwrap();
        let f = compute_funding(&FundingInputs {
            fill_notional: w,
            fill_premium: p,
            ..eth_inputs()
        })
        .unwrap();
        assert_eq!((f.premium, f.premium_weight), (1_000, 600_000_000_000));
        assert_eq!(f.mark_twap, 3_003_000_000);
    }

    #[test]
    fn no_fills_no_open_interest_and_long_gaps() {
        let f = compute_funding(&eth_inputs()).unwrap();
        assert_eq!((f.premium, f.index_delta), (0, 0));
        // fills but no open interest: a premium to show, nobody pays
        let (w, p) = fill_premium_contribution(ONE, 3_030_000_000, ETH, 20_000).unwrap();
        let f = compute_funding(&FundingInputs {
            fill_notional: w,
            fill_premium: p,
            open_interest: 0,
            ..eth_inputs()
        })
        .unwrap();
        assert_eq!((f.premium, f.index_delta), (10_000, 0));
        // ten years uncranked at $100,000: the sums fit, the update computes
        let ten_years = 10 * 365 * 86_400i64;
        let f = compute_funding(&FundingInputs {
            oracle_sum: 100_000_000_000i128 * ten_years as i128,
            elapsed: ten_years,
            fill_notional: w,
            fill_premium: p,
            ..eth_inputs()
        })
        .unwrap();
        assert_eq!(f.oracle_twap, 100_000_000_000);
        assert!(f.premium.abs() <= 20_000);
    }
}
