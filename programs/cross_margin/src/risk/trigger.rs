//! Stop-loss and take-profit orders: when one fires and at what price.
//!
//! An order reduces a position. A long's stop-loss fires at or below its trigger, a long's
//! take-profit at or above it; a short's are mirrored. It executes at the oracle price moved by
//! the executor's premium against the trader (a long sells lower, a short buys higher), and
//! never at a price worse than the trader's limit.

use anchor_lang::prelude::*;

use super::math::{div_ceil, div_floor, mul, to_i64};
use crate::constants::RATIO_PRECISION;

/// Which kind of trigger order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, AnchorSerialize, AnchorDeserialize)]
#[repr(u8)]
pub enum TriggerKind {
    StopLoss = 0,
    TakeProfit = 1,
}

impl TriggerKind {
    pub fn from_u8(v: u8) -> Option<Self> {
        match v {
            0 => Some(TriggerKind::StopLoss),
            1 => Some(TriggerKind::TakeProfit),
            _ => None,
        }
    }
}

/// Whether an order of `kind` on a position of sign `long` fires at oracle price `price`.
pub fn trigger_reached(kind: TriggerKind, long: bool, trigger_price: i64, price: i64) -> bool {
    // a long's stop-loss and a short's take-profit fire when the price falls to the trigger
    let falls = (kind == TriggerKind::StopLoss) == long;
    if falls {
        price <= trigger_price
    } else {
        price >= trigger_price
    }
}

/// The execution price: the oracle moved by `premium` (ppm) against the trader. A long (selling)
/// gets `p (1 - premium)` rounded down; a short (buying) pays `p (1 + premium)` rounded up.
pub fn trigger_execution_price(long: bool, oracle: i64, premium: u32) -> Result<i64> {
    let p = oracle as i128;
    let f = premium as i128;
    to_i64(if long {
        div_floor(mul(p, RATIO_PRECISION - f)?, RATIO_PRECISION)
    } else {
        div_ceil(mul(p, RATIO_PRECISION + f)?, RATIO_PRECISION)
    })
}

/// Whether `price` is acceptable under the trader's `limit`: a long sells at or above it, a
/// short buys at or below it.
pub fn within_limit(long: bool, price: i64, limit: i64) -> bool {
    if long {
        price >= limit
    } else {
        price <= limit
    }
}

/// A limit is on the right side of its trigger when it accepts the trigger price itself: for a
/// long at or below the trigger, for a short at or above.
pub fn limit_on_right_side(long: bool, trigger_price: i64, limit: i64) -> bool {
    within_limit(long, trigger_price, limit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use TriggerKind::*;

    #[test]
    fn fires_on_the_right_side() {
        assert!(trigger_reached(StopLoss, true, 2_900, 2_900));
        assert!(trigger_reached(StopLoss, true, 2_900, 2_500));
        assert!(!trigger_reached(StopLoss, true, 2_900, 2_901));
        assert!(trigger_reached(TakeProfit, true, 3_300, 3_300));
        assert!(!trigger_reached(TakeProfit, true, 3_300, 3_299));
        assert!(trigger_reached(StopLoss, false, 3_100, 3_100));
        assert!(!trigger_reached(StopLoss, false, 3_100, 3_099));
        assert!(trigger_reached(TakeProfit, false, 2_700, 2_650));
        assert!(!trigger_reached(TakeProfit, false, 2_700, 2_701));
    }

    #[test]
    fn price_and_limit() {
        // 0.5% premium on 2,500: a long sells at 2,487.5, a short buys at 2,512.5
        assert_eq!(
            trigger_execution_price(true, 2_500_000_000, 5_000).unwrap(),
            2_487_500_000
        );
        assert_eq!(
            trigger_execution_price(false, 2_500_000_000, 5_000).unwrap(),
            2_512_500_000
        );
        assert_eq!(trigger_execution_price(true, 3, 500_000).unwrap(), 1); // 1.5 down
        assert_eq!(trigger_execution_price(false, 3, 500_000).unwrap(), 5); // 4.5 up
        assert!(within_limit(true, 2_487, 2_450) && !within_limit(true, 2_449, 2_450));
        assert!(within_limit(false, 2_512, 2_550) && !within_limit(false, 2_551, 2_550));
        assert!(
            limit_on_right_side(true, 2_900, 2_850) && !limit_on_right_side(true, 2_900, 2_950)
        );
        assert!(
            limit_on_right_side(false, 3_100, 3_150) && !limit_on_right_side(false, 3_100, 3_050)
        );
    }
}
