//! The `crossmargin` command line, as a library so its pieces are tested directly.

pub mod account;
pub mod admin;
pub mod app;
pub mod demo;
pub mod error;
pub mod localnet;
pub mod portfolio;
pub mod table;

pub use error::CliError;

/// Quote native units -> USDC.
pub fn usdc(native: i64) -> f64 {
    native as f64 / 1e6
}

/// Price at 1e6 -> USD.
pub fn usd_price(price: i64) -> f64 {
    price as f64 / 1e6
}

/// Base native units -> whole units.
pub fn base_units(base: i64) -> f64 {
    base as f64 / 1e9
}

/// Parses a decimal number exactly into an integer at `decimals` places: `"2401.5"` at 6 is
/// `2_401_500_000`. Refuses what is not a plain decimal (`nan`, `1e30`, `0x10`), more places than
/// `decimals`, and what does not fit. `what` names the value in the error.
pub fn parse_fixed(text: &str, decimals: u32, what: &str) -> Result<i128, CliError> {
    let s = text.trim();
    let bad = || {
        CliError::input(format!(
            "{what} '{text}' is not a number with at most {decimals} decimals"
        ))
    };
    let (neg, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if int.is_empty() && frac.is_empty()
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    if frac.len() > decimals as usize {
        return Err(CliError::input(format!(
            "{what} '{text}' has more than {decimals} decimals"
        )));
    }
    let scale = 10i128.pow(decimals);
    let too_big = || CliError::input(format!("{what} '{text}' is too large"));
    let int_v: i128 = if int.is_empty() {
        0
    } else {
        int.parse().map_err(|_| too_big())?
    };
    let frac_v: i128 = if frac.is_empty() {
        0
    } else {
        frac.parse::<i128>().map_err(|_| bad())? * 10i128.pow(decimals - frac.len() as u32)
    };
    let v = int_v
        .checked_mul(scale)
        .and_then(|x| x.checked_add(frac_v))
        .filter(|x| *x <= i64::MAX as i128)
        .ok_or_else(too_big)?;
    Ok(if neg { -v } else { v })
}

/// A positive USDC amount in native units (6 decimals).
pub fn parse_usdc(text: &str) -> Result<u64, CliError> {
    let v = parse_fixed(text, 6, "amount")?;
    if v <= 0 {
        return Err(CliError::input(format!(
            "amount '{text}' must be more than 0 USDC"
        )));
    }
    Ok(v as u64)
}

/// A positive price in 1e-6 USD.
pub fn parse_price(text: &str, what: &str) -> Result<i64, CliError> {
    let v = parse_fixed(text, 6, what)?;
    if v <= 0 {
        return Err(CliError::input(format!("{what} '{text}' must be positive")));
    }
    Ok(v as i64)
}

/// A positive size in base units (9 decimals).
pub fn parse_size(text: &str) -> Result<u64, CliError> {
    let v = parse_fixed(text, 9, "size")?;
    if v <= 0 {
        return Err(CliError::input(format!("size '{text}' must be positive")));
    }
    Ok(v as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_parsed_exactly_and_refused_with_a_reason() {
        assert_eq!(parse_usdc("100").unwrap(), 100_000_000);
        assert_eq!(parse_usdc("2401.5").unwrap(), 2_401_500_000);
        assert_eq!(parse_usdc("0.000001").unwrap(), 1);
        assert_eq!(parse_price("2401.50", "price").unwrap(), 2_401_500_000);
        assert_eq!(parse_size("0.015").unwrap(), 15_000_000);
        for (bad, says) in [
            ("nan", "not a number"),
            ("-5", "more than 0"),
            ("0", "more than 0"),
            ("1e30", "not a number"),
            ("0.0000001", "more than 6 decimals"),
            ("99999999999999999999", "too large"),
            ("", "not a number"),
            (".", "not a number"),
        ] {
            let e = parse_usdc(bad).unwrap_err().to_string();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }
}
