//! Checked i128 helpers with explicit rounding direction.

use anchor_lang::prelude::*;

use crate::error::ErrorCode;

pub fn mul(a: i128, b: i128) -> Result<i128> {
    a.checked_mul(b).ok_or(error!(ErrorCode::MathOverflow))
}

pub fn add(a: i128, b: i128) -> Result<i128> {
    a.checked_add(b).ok_or(error!(ErrorCode::MathOverflow))
}

pub fn sub(a: i128, b: i128) -> Result<i128> {
    a.checked_sub(b).ok_or(error!(ErrorCode::MathOverflow))
}

/// `a / b` rounded toward negative infinity (`b > 0`).
pub fn div_floor(a: i128, b: i128) -> i128 {
    debug_assert!(b > 0);
    let q = a / b;
    if a % b != 0 && a < 0 {
        q - 1
    } else {
        q
    }
}

/// `a / b` rounded toward positive infinity (`b > 0`).
pub fn div_ceil(a: i128, b: i128) -> i128 {
    debug_assert!(b > 0);
    let q = a / b;
    if a % b != 0 && a > 0 {
        q + 1
    } else {
        q
    }
}

/// Narrows to i64 or fails with `MathOverflow`.
pub fn to_i64(v: i128) -> Result<i64> {
    i64::try_from(v).map_err(|_| error!(ErrorCode::MathOverflow))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_directions() {
        assert_eq!(div_floor(7, 2), 3);
        assert_eq!(div_floor(-7, 2), -4);
        assert_eq!(div_floor(-8, 2), -4);
        assert_eq!(div_ceil(7, 2), 4);
        assert_eq!(div_ceil(-7, 2), -3);
        assert_eq!(div_ceil(8, 2), 4);
        assert_eq!(div_ceil(0, 5), 0);
    }

    #[test]
    fn overflow_is_an_error() {
        assert!(mul(i128::MAX, 2).is_err());
        assert!(to_i64(i64::MAX as i128 + 1).is_err());
        assert_eq!(to_i64(-5).unwrap(), -5);
    }
}
