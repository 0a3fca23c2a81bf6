//! Funding owed by a position, from the market's cumulative index (settled lazily).

use anchor_lang::prelude::*;

use super::math::{div_ceil, mul, sub, to_i64};
use crate::constants::{BASE_PRECISION, FUNDING_INDEX_SCALE};

/// Unsettled funding `F = base * (index - snapshot)`, in quote native units. Positive: the
/// account owes it. Rounded up, so an account pays at least and receives at most its share
/// (the sum of `F` over all positions of a market is never negative: funding creates no value).
pub fn funding_owed(base: i64, index: i64, snapshot: i64) -> Result<i64> {
    let delta = sub(index as i128, snapshot as i128)?;
    let raw = mul(base as i128, delta)?;
    to_i64(div_ceil(raw, BASE_PRECISION * FUNDING_INDEX_SCALE))
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

    #[test]
    fn settled_position_owes_nothing() {
        assert_eq!(funding_owed(5_000_000_000, 123_456, 123_456).unwrap(), 0);
    }
}
