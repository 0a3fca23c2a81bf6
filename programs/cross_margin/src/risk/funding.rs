//! Funding owed by a position, from the market's cumulative index (settled lazily).

use anchor_lang::prelude::*;

use super::math::{add, div_ceil, mul, sub, to_i64};
use crate::constants::{
    BASE_PRECISION, FUNDING_DAY_SECS, FUNDING_INDEX_SCALE, MARK_PRICE_VALIDITY_SECS,
    RATIO_PRECISION,
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

/// Time-weighted sums of the mark and oracle prices since the last funding update, kept lazily:
/// each event (fill, oracle use by a writer, funding update) first accumulates the time since the
/// previous one at the prices observed then.
#[zero_copy]
#[derive(Debug, Default, PartialEq, Eq)]
pub struct TwapState {
    /// Sum of mark price * seconds.
    pub mark_sum: i64,
    /// Sum of oracle price * seconds.
    pub oracle_sum: i64,
    pub last_update_ts: i64,
    /// Price of the last fill (0 before any).
    pub last_fill_price: i64,
    pub last_fill_ts: i64,
    /// The last oracle price observed by a writer of the market.
    pub last_oracle_price: i64,
}

impl TwapState {
    /// Accumulates `[last_update_ts, now]`. The oracle sum uses the last observed oracle price;
    /// the mark sum uses the last fill price for at most `MARK_PRICE_VALIDITY_SECS` after that
    /// fill, and the oracle price for the rest of the interval.
    pub fn accumulate(&mut self, now: i64) -> Result<()> {
        let dt = now.saturating_sub(self.last_update_ts).max(0);
        if dt == 0 {
            return Ok(());
        }
        let mark_secs = if self.last_fill_price > 0 {
            let from = self.last_update_ts.max(self.last_fill_ts);
            let until = now.min(self.last_fill_ts.saturating_add(MARK_PRICE_VALIDITY_SECS));
            (until - from).clamp(0, dt)
        } else {
            0
        };
        let oracle = self.last_oracle_price as i128;
        let mark = add(
            mul(self.last_fill_price as i128, mark_secs as i128)?,
            mul(oracle, (dt - mark_secs) as i128)?,
        )?;
        self.mark_sum = to_i64(add(self.mark_sum as i128, mark)?)?;
        self.oracle_sum = to_i64(add(self.oracle_sum as i128, mul(oracle, dt as i128)?)?)?;
        self.last_update_ts = now;
        Ok(())
    }

    /// Records a fill at `price` (after accumulating up to `now`).
    pub fn record_fill(&mut self, price: i64, now: i64) -> Result<()> {
        self.accumulate(now)?;
        self.last_fill_price = price;
        self.last_fill_ts = now;
        Ok(())
    }

    /// Records an oracle observation (after accumulating up to `now` at the previous one).
    pub fn record_oracle(&mut self, price: i64, now: i64) -> Result<()> {
        self.accumulate(now)?;
        self.last_oracle_price = price;
        Ok(())
    }

    /// Starts a new funding period at `now`.
    pub fn reset(&mut self, now: i64) {
        self.mark_sum = 0;
        self.oracle_sum = 0;
        self.last_update_ts = now;
    }
}

/// One funding update.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FundingUpdate {
    pub mark_twap: i64,
    pub oracle_twap: i64,
    /// `(mark_twap - oracle_twap) / oracle_twap`, clamped, ppm per day.
    pub premium: i64,
    /// What both indices move by: `premium * oracle_twap * elapsed / 1 day`, index units.
    pub index_delta: i64,
}

/// The funding for a period of `elapsed` seconds with the given time-weighted sums.
pub fn compute_funding(
    mark_sum: i64,
    oracle_sum: i64,
    elapsed: i64,
    max_premium: u32,
) -> Result<FundingUpdate> {
    if elapsed <= 0 || oracle_sum <= 0 {
        return Ok(FundingUpdate::default());
    }
    let mark_twap = mark_sum as i128 / elapsed as i128;
    let oracle_twap = oracle_sum as i128 / elapsed as i128;
    require!(oracle_twap > 0, ErrorCode::OracleNonPositivePrice);
    let max = max_premium as i128;
    let premium = (mul(mark_twap - oracle_twap, RATIO_PRECISION)? / oracle_twap).clamp(-max, max);
    let index_delta = mul(
        mul(mul(premium, oracle_twap)?, elapsed as i128)?,
        FUNDING_INDEX_SCALE,
    )? / (RATIO_PRECISION * FUNDING_DAY_SECS as i128);
    Ok(FundingUpdate {
        mark_twap: to_i64(mark_twap)?,
        oracle_twap: to_i64(oracle_twap)?,
        premium: to_i64(premium)?,
        index_delta: to_i64(index_delta)?,
    })
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

    fn twap(oracle: i64) -> TwapState {
        TwapState {
            last_oracle_price: oracle,
            ..Default::default()
        }
    }

    #[test]
    fn fill_counts_for_a_minute_then_the_oracle() {
        // oracle 3,000 all hour; one fill at 3,030 at t = 0
        let mut t = twap(3_000_000_000);
        t.record_fill(3_030_000_000, 0).unwrap();
        t.accumulate(3_600).unwrap();
        assert_eq!(t.mark_sum, 3_030_000_000 * 60 + 3_000_000_000 * 3_540);
        assert_eq!(t.oracle_sum, 3_000_000_000 * 3_600);
        let f = compute_funding(t.mark_sum, t.oracle_sum, 3_600, 20_000).unwrap();
        // mark twap 3,000.5: premium 0.5 / 3,000 = 166.67 ppm -> 166
        assert_eq!(
            (f.mark_twap, f.oracle_twap, f.premium),
            (3_000_500_000, 3_000_000_000, 166)
        );
        // 166e-6 * 3,000 * 3,600 / 86,400 = $0.02075 per ETH = 20,750 quote native * 1,000
        assert_eq!(f.index_delta, 20_750_000);
        assert_eq!(
            funding_owed(1_000_000_000, f.index_delta, 0).unwrap(),
            20_750
        );
    }

    #[test]
    fn fill_before_a_gap_counts_only_its_minute_accumulated_in_pieces() {
        let mut t = twap(3_000_000_000);
        t.record_fill(3_100_000_000, 100).unwrap(); // [0,100] at oracle
        t.accumulate(130).unwrap(); // 30 s at the fill price
        t.record_oracle(2_990_000_000, 200).unwrap(); // 30 s fill + 40 s oracle 3,000
        t.accumulate(300).unwrap(); // 100 s at 2,990
        let expect_mark =
            3_000_000_000i64 * 100 + 3_100_000_000 * 60 + 3_000_000_000 * 40 + 2_990_000_000 * 100;
        assert_eq!(t.mark_sum, expect_mark);
        assert_eq!(t.oracle_sum, 3_000_000_000 * 200 + 2_990_000_000 * 100);
    }

    #[test]
    fn no_fills_no_funding_and_clamp() {
        let mut t = twap(3_000_000_000);
        t.accumulate(3_600).unwrap();
        let f = compute_funding(t.mark_sum, t.oracle_sum, 3_600, 20_000).unwrap();
        assert_eq!((f.premium, f.index_delta), (0, 0));
        // a mark 10% above the oracle all day is clamped to 2%/day
        let f = compute_funding(3_300 * 86_400, 3_000 * 86_400, 86_400, 20_000).unwrap();
        assert_eq!(f.premium, 20_000);
        assert_eq!(f.index_delta, 60 * 1_000); // 2% of 3,000 (price units) per day
        let f = compute_funding(2_700 * 86_400, 3_000 * 86_400, 86_400, 20_000).unwrap();
        assert_eq!(f.premium, -20_000);
    }

    #[test]
    fn settled_position_owes_nothing() {
        assert_eq!(funding_owed(5_000_000_000, 123_456, 123_456).unwrap(), 0);
    }
}
