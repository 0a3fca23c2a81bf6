//! Checked i128 helpers with explicit rounding direction.

use anchor_lang::prelude::*;

use crate::error::ErrorCode;

pub fn mul(a: i128, b: i128) -> Result<i128> {
    a.checked_mul(b)
        .ok_or_else(|| error!(ErrorCode::MathOverflow))
}

pub fn add(a: i128, b: i128) -> Result<i128> {
    a.checked_add(b)
        .ok_or_else(|| error!(ErrorCode::MathOverflow))
}

pub fn sub(a: i128, b: i128) -> Result<i128> {
    a.checked_sub(b)
        .ok_or_else(|| error!(ErrorCode::MathOverflow))
}

/// `a / b` rounded toward negative infinity (`b > 0`). Values that fit in 64 bits take a 64-bit
/// path (an i128 division is a slow library call on x86-64 and SBF alike).
#[inline]
pub fn div_floor(a: i128, b: i128) -> i128 {
    debug_assert!(b > 0);
    if let (Ok(a), Ok(b)) = (i64::try_from(a), i64::try_from(b)) {
        let q = a / b;
        return (if a % b != 0 && a < 0 { q - 1 } else { q }) as i128;
    }
    let q = a / b;
    if a % b != 0 && a < 0 {
        q - 1
    } else {
        q
    }
}

/// `a / b` rounded toward positive infinity (`b > 0`), with the same 64-bit path.
#[inline]
pub fn div_ceil(a: i128, b: i128) -> i128 {
    debug_assert!(b > 0);
    if let (Ok(a), Ok(b)) = (i64::try_from(a), i64::try_from(b)) {
        let q = a / b;
        return (if a % b != 0 && a > 0 { q + 1 } else { q }) as i128;
    }
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
    fn wide_and_narrow_paths_agree() {
        for a in [
            -7i128,
            7,
            -8,
            0,
            1,
            -1,
            i64::MAX as i128,
            i64::MIN as i128,
            1 << 80,
            -(1 << 80) - 3,
        ] {
            for b in [1i128, 2, 3, 1_000_000_007, 1 << 70] {
                assert!(div_floor(a, b) * b <= a && a < (div_floor(a, b) + 1) * b);
                assert!(div_ceil(a, b) * b >= a && a > (div_ceil(a, b) - 1) * b);
            }
        }
    }

    #[test]
    fn overflow_is_an_error() {
        assert!(mul(i128::MAX, 2).is_err());
        assert!(to_i64(i64::MAX as i128 + 1).is_err());
        assert_eq!(to_i64(-5).unwrap(), -5);
    }
}
