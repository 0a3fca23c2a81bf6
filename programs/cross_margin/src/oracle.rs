//! Pyth prices -> one `OraclePrice` at `PRICE_PRECISION`, with every check of DESIGN.md.
//!
//! Two sources:
//! - Pyth pull `PriceUpdateV2` (owner: the Pyth receiver program): feed id must be the market's,
//!   verification level must be `Full`.
//! - Pyth legacy price accounts (owner: the Pyth oracle program), read from raw bytes with
//!   `pyth-sdk-solana`'s layout: magic, version 2, account type Price, status Trading.
//!
//! Then, for every use: price > 0, `conf / price <= max_conf_ratio`, age `<= max_age`, publish
//! time not more than `MAX_ORACLE_FUTURE_SKEW_SECS` ahead of the clock, and not older than the
//! newest publish time the market has used (anyone can post an older verified update).
//!
//! A pull market accepts only the sponsored feed account of its feed id: the Pyth push-oracle
//! PDA `[shard 0 as u16 LE, feed_id]`, whose `write_authority` is itself. A `PriceUpdateV2` a
//! stranger posted with their own keypair would let them close it or let it go stale and freeze
//! every account holding the market. Listing (and `SetOracle`) checks the address; every read
//! checks the write authority (the address is the market's, checked by key).
//!
//! Prices are per contract: a market whose contract is `10^k` tokens scales the oracle's price by
//! `10^k` (so a $0.00002 token listed per 1,000,000 keeps six significant digits).

use anchor_lang::prelude::*;
use pyth_sdk_solana::state::{load_price_account, PriceInfo, PriceStatus, SolanaPriceAccount};
use pyth_solana_receiver_sdk::price_update::{PriceUpdateV2, VerificationLevel};

use crate::constants::{
    MAX_ORACLE_FUTURE_SKEW_SECS, ORACLE_DEAD_AFTER_SECS, PRICE_EXPONENT, PYTH_FEED_SHARD,
    RATIO_PRECISION,
};
use crate::error::ErrorCode;
pub use crate::risk::OraclePrice;
use crate::state::{Market, OracleSource};

/// The Pyth receiver program, owner of `PriceUpdateV2` accounts (same id on every cluster).
pub const PYTH_RECEIVER_PROGRAM_ID: Pubkey = pyth_solana_receiver_sdk::ID;
/// The Pyth oracle program that owns legacy price accounts on Solana mainnet-beta.
pub const PYTH_LEGACY_PROGRAM_ID: Pubkey = pubkey!("FsJ3A3u2vn5cTVofAjvy6y5kwABJAqYWpe4975bi2epH");
/// The Pyth push-oracle program whose PDAs are the sponsored feed accounts.
pub const PYTH_PUSH_ORACLE_PROGRAM_ID: Pubkey = pyth_solana_receiver_sdk::PYTH_PUSH_ORACLE_ID;

/// The sponsored feed account of `feed_id` (shard 0).
pub fn sponsored_feed_address(feed_id: &[u8; 32]) -> Pubkey {
    Pubkey::find_program_address(
        &[&PYTH_FEED_SHARD.to_le_bytes(), feed_id],
        &PYTH_PUSH_ORACLE_PROGRAM_ID,
    )
    .0
}

/// Which age limit applies: liquidation may use an older price than trading.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OracleUse {
    Trading,
    Liquidation,
}

/// The limits a market puts on its oracle for one use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OracleLimits {
    pub max_age_secs: u32,
    pub max_conf_ratio: u32,
    /// The newest publish time the market has used.
    pub last_publish_time: i64,
}

impl OracleLimits {
    pub fn of(market: &Market, use_: OracleUse) -> Self {
        OracleLimits {
            max_age_secs: match use_ {
                OracleUse::Trading => market.max_oracle_age_secs,
                OracleUse::Liquidation => market.liquidation_max_oracle_age_secs,
            },
            max_conf_ratio: market.max_conf_ratio,
            last_publish_time: market.last_oracle_publish_time,
        }
    }
}

/// Converts `value * 10^expo` to `PRICE_PRECISION`, rounding down or up.
pub fn to_price_precision(value: i64, expo: i32, round_up: bool) -> Result<i64> {
    require!(
        (-18..=12).contains(&expo),
        ErrorCode::OracleExponentOutOfRange
    );
    let shift = expo - PRICE_EXPONENT;
    let v = value as i128;
    let out = if shift >= 0 {
        v.checked_mul(10i128.pow(shift as u32))
            .ok_or_else(|| error!(ErrorCode::MathOverflow))?
    } else {
        let d = 10i128.pow((-shift) as u32);
        if round_up {
            crate::risk::math::div_ceil(v, d)
        } else {
            crate::risk::math::div_floor(v, d)
        }
    };
    crate::risk::math::to_i64(out)
}

fn conf_to_price_precision(conf: u64, expo: i32) -> Result<u64> {
    let c = i64::try_from(conf).map_err(|_| error!(ErrorCode::OracleInvalidData))?;
    Ok(to_price_precision(c, expo, true)? as u64)
}

/// Parses a `PriceUpdateV2` account's data (discriminator included) for feed `feed_id`, per
/// contract of `10^unit_exponent` tokens. `account`: the address it was read from, which must be
/// its own write authority (the sponsored feed account); `None` skips that check (for tests of
/// the bytes alone).
pub fn parse_pyth_pull(
    data: &[u8],
    feed_id: &[u8; 32],
    account: Option<&Pubkey>,
    unit_exponent: u8,
) -> Result<OraclePrice> {
    let update = PriceUpdateV2::try_deserialize(&mut &data[..])
        .map_err(|_| error!(ErrorCode::OracleInvalidData))?;
    let msg = &update.price_message;
    require!(msg.feed_id == *feed_id, ErrorCode::OracleWrongFeedId);
    require!(
        update.verification_level == VerificationLevel::Full,
        ErrorCode::OracleUnverified
    );
    if let Some(key) = account {
        require_keys_eq!(
            update.write_authority,
            *key,
            ErrorCode::OracleNotSponsoredFeed
        );
    }
    let expo = msg.exponent.saturating_add(unit_exponent as i32);
    Ok(OraclePrice {
        price: to_price_precision(msg.price, expo, false)?,
        conf: conf_to_price_precision(msg.conf, expo)?,
        ema_price: to_price_precision(msg.ema_price, expo, false)?,
        publish_time: msg.publish_time,
    })
}

/// Parses a legacy Pyth price account's raw data, per contract of `10^unit_exponent` tokens.
pub fn parse_pyth_legacy(data: &[u8], unit_exponent: u8) -> Result<OraclePrice> {
    // `load_price_account` casts in place and needs 8-byte alignment (always true for account
    // data on chain); refuse rather than panic on a misaligned buffer.
    require!(
        (data.as_ptr() as usize).is_multiple_of(std::mem::align_of::<SolanaPriceAccount>()),
        ErrorCode::OracleInvalidData
    );
    let acc =
        load_price_account::<32, ()>(data).map_err(|_| error!(ErrorCode::OracleInvalidData))?;
    // Read the status byte raw: an unknown value must be refused, not cast into the enum.
    let status_at =
        std::mem::offset_of!(SolanaPriceAccount, agg) + std::mem::offset_of!(PriceInfo, status);
    require!(
        data[status_at] == PriceStatus::Trading as u8,
        ErrorCode::OracleNotTrading
    );
    let expo = acc.expo.saturating_add(unit_exponent as i32);
    Ok(OraclePrice {
        price: to_price_precision(acc.agg.price, expo, false)?,
        conf: conf_to_price_precision(acc.agg.conf, expo)?,
        ema_price: to_price_precision(acc.ema_price.val, expo, false)?,
        publish_time: acc.timestamp,
    })
}

/// The checks every use of a price goes through.
pub fn check_price(p: &OraclePrice, limits: &OracleLimits, now: i64) -> Result<()> {
    require!(p.price > 0, ErrorCode::OracleNonPositivePrice);
    require!(
        (p.conf as i128) * RATIO_PRECISION <= (p.price as i128) * limits.max_conf_ratio as i128,
        ErrorCode::OracleConfidenceTooWide
    );
    require!(
        p.publish_time <= now.saturating_add(MAX_ORACLE_FUTURE_SKEW_SECS),
        ErrorCode::OracleFuturePublishTime
    );
    require!(
        now.saturating_sub(p.publish_time) <= limits.max_age_secs as i64,
        ErrorCode::OracleStale
    );
    require!(
        p.publish_time >= limits.last_publish_time,
        ErrorCode::OraclePublishTimeRegressed
    );
    Ok(())
}

/// What identifies a market's oracle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OracleSpec {
    pub source: OracleSource,
    pub feed_id: [u8; 32],
    pub unit_exponent: u8,
}

impl OracleSpec {
    pub fn of(market: &Market) -> Result<Self> {
        Ok(OracleSpec {
            source: market.oracle_source()?,
            feed_id: market.pyth_feed_id,
            unit_exponent: market.unit_exponent,
        })
    }
}

/// Owner check and parse of the oracle account `key`'s raw data, without freshness (the SDK and
/// keeper read prices with this too).
pub fn parse_oracle_data(
    key: &Pubkey,
    owner: &Pubkey,
    data: &[u8],
    spec: &OracleSpec,
) -> Result<OraclePrice> {
    let expected_owner = match spec.source {
        OracleSource::PythPull => PYTH_RECEIVER_PROGRAM_ID,
        OracleSource::PythLegacy => PYTH_LEGACY_PROGRAM_ID,
    };
    require_keys_eq!(*owner, expected_owner, ErrorCode::OracleWrongOwner);
    match spec.source {
        OracleSource::PythPull => {
            parse_pyth_pull(data, &spec.feed_id, Some(key), spec.unit_exponent)
        }
        OracleSource::PythLegacy => parse_pyth_legacy(data, spec.unit_exponent),
    }
}

/// Owner check and parse, without freshness.
pub fn parse_oracle_account(info: &AccountInfo, spec: &OracleSpec) -> Result<OraclePrice> {
    let data = info.try_borrow_data()?;
    parse_oracle_data(info.key, info.owner, &data, spec)
}

/// What listing (and moving) a market's oracle checks: the account parses as the declared
/// source, and a pull oracle is the sponsored feed account of its feed id.
pub fn check_listed_oracle(info: &AccountInfo, spec: &OracleSpec) -> Result<OraclePrice> {
    if spec.source == OracleSource::PythPull {
        require_keys_eq!(
            *info.key,
            sponsored_feed_address(&spec.feed_id),
            ErrorCode::OracleNotSponsoredFeed
        );
    }
    parse_oracle_account(info, spec)
}

/// The market's price for `use_`, with every check. Does not record the publish time: callers
/// holding the market writable do that (`Market::record_oracle`).
pub fn read_oracle(
    info: &AccountInfo,
    market: &Market,
    now: i64,
    use_: OracleUse,
) -> Result<OraclePrice> {
    require_keys_eq!(*info.key, market.oracle, ErrorCode::OracleWrongKey);
    let price = parse_oracle_account(info, &OracleSpec::of(market)?)?;
    check_price(&price, &OracleLimits::of(market, use_), now)?;
    Ok(price)
}

/// Whether a failed read means the price is unusable right now (stale, too uncertain, halted,
/// not positive), as opposed to a wrong account (which is always refused).
pub fn is_price_unavailable(e: &Error) -> bool {
    let unavailable = [
        ErrorCode::OracleStale,
        ErrorCode::OracleConfidenceTooWide,
        ErrorCode::OracleNotTrading,
        ErrorCode::OracleNonPositivePrice,
    ];
    matches!(e, Error::AnchorError(a) if unavailable.iter().any(|c| u32::from(*c) == a.error_code_number))
}

/// Whether the market's oracle is dead: it is the market's account, the program has recorded no
/// valid price for `ORACLE_DEAD_AFTER_SECS`, and the account either cannot be read as the
/// market's oracle at all (closed, replaced) or holds nothing published within that time.
pub fn oracle_is_dead(info: &AccountInfo, market: &Market, now: i64) -> Result<bool> {
    require_keys_eq!(*info.key, market.oracle, ErrorCode::OracleWrongKey);
    if now.saturating_sub(market.last_oracle_publish_time) <= ORACLE_DEAD_AFTER_SECS {
        return Ok(false);
    }
    Ok(match parse_oracle_account(info, &OracleSpec::of(market)?) {
        Ok(p) => now.saturating_sub(p.publish_time) > ORACLE_DEAD_AFTER_SECS,
        Err(_) => true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::code_of;

    /// Account data is 8-byte aligned on chain; give the parser the same.
    fn aligned(bytes: &[u8]) -> Vec<u64> {
        let mut v = vec![0u64; bytes.len().div_ceil(8)];
        bytemuck::cast_slice_mut::<u64, u8>(&mut v)[..bytes.len()].copy_from_slice(bytes);
        v
    }

    fn bytes(v: &[u64], len: usize) -> &[u8] {
        &bytemuck::cast_slice::<u64, u8>(v)[..len]
    }

    const SOL_PULL: &[u8] = include_bytes!(
        "../../../tests/fixtures/pyth/7UVimffxr9ow1uXYxsr4LHAcV58mLzhmwaeKvJ1pjLiE.bin"
    );
    const USDC_LEGACY: &[u8] = include_bytes!(
        "../../../tests/fixtures/pyth/Gnt27xtC473ZT2Mw5u8wZ68Z3gULkSTb5DuxJy7eJotD.bin"
    );
    const OLD_LEGACY: &[u8] = include_bytes!(
        "../../../tests/fixtures/pyth/J83w4HKfqxwcq3BEMMkPFSppX3gqekLyLJBexebFVkix.bin"
    );

    fn sol_feed() -> [u8; 32] {
        let hex = "ef0d8b6fda2ceba41da15d4095d1da392a0d2f8ed0c6c7bc0f4cfac8c280b56d";
        let mut out = [0u8; 32];
        for i in 0..32 {
            out[i] = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap();
        }
        out
    }

    fn limits() -> OracleLimits {
        OracleLimits {
            max_age_secs: 60,
            max_conf_ratio: 20_000,
            last_publish_time: 0,
        }
    }

    #[test]
    fn real_pull_update_sol_usd() {
        let buf = aligned(SOL_PULL);
        let p = parse_pyth_pull(bytes(&buf, SOL_PULL.len()), &sol_feed(), None, 0).unwrap();
        // 14061593700e-8 = $140.615937; conf 13793699e-8 = 0.13793699 -> rounded up.
        assert_eq!(p.price, 140_615_937);
        assert_eq!(p.conf, 137_937);
        assert_eq!(p.ema_price, 141_066_847);
        assert_eq!(p.publish_time, 1_720_533_480);
        check_price(&p, &limits(), 1_720_533_480 + 60).unwrap();
        assert_eq!(
            code_of(check_price(&p, &limits(), 1_720_533_480 + 61)),
            Some(u32::from(ErrorCode::OracleStale))
        );
    }

    #[test]
    fn real_pull_update_is_the_sponsored_feed_account() {
        // The dump is SOL/USD's sponsored feed: its address is the push-oracle PDA of the feed
        // id, and its write authority is itself.
        let key: Pubkey = "7UVimffxr9ow1uXYxsr4LHAcV58mLzhmwaeKvJ1pjLiE"
            .parse()
            .unwrap();
        assert_eq!(sponsored_feed_address(&sol_feed()), key);
        let buf = aligned(SOL_PULL);
        let data = bytes(&buf, SOL_PULL.len());
        parse_pyth_pull(data, &sol_feed(), Some(&key), 0).unwrap();
        assert_eq!(
            code_of(parse_pyth_pull(
                data,
                &sol_feed(),
                Some(&Pubkey::new_unique()),
                0
            )),
            Some(u32::from(ErrorCode::OracleNotSponsoredFeed))
        );
        // per 1,000 SOL: $140,615.937000
        let p = parse_pyth_pull(data, &sol_feed(), Some(&key), 3).unwrap();
        assert_eq!((p.price, p.conf), (140_615_937_000, 137_936_990));
    }

    #[test]
    fn real_pull_update_other_feed_is_refused() {
        let buf = aligned(SOL_PULL);
        let mut feed = sol_feed();
        feed[0] ^= 1;
        assert_eq!(
            code_of(parse_pyth_pull(bytes(&buf, SOL_PULL.len()), &feed, None, 0)),
            Some(u32::from(ErrorCode::OracleWrongFeedId))
        );
    }

    #[test]
    fn partial_verification_is_refused() {
        // Byte 40 is the VerificationLevel tag (after discriminator and write authority):
        // 1 = Full, 0 = Partial { num_signatures } (one more byte).
        assert_eq!(SOL_PULL[40], 1);
        let mut raw = SOL_PULL.to_vec();
        raw.insert(40, 0);
        raw[41] = 5; // Partial { num_signatures: 5 }, then the message shifted by one
        raw.truncate(134);
        let buf = aligned(&raw);
        assert_eq!(
            code_of(parse_pyth_pull(
                bytes(&buf, raw.len()),
                &sol_feed(),
                None,
                0
            )),
            Some(u32::from(ErrorCode::OracleUnverified))
        );
    }

    #[test]
    fn legacy_bytes_are_not_a_pull_update() {
        let buf = aligned(USDC_LEGACY);
        assert_eq!(
            code_of(parse_pyth_pull(
                bytes(&buf, USDC_LEGACY.len()),
                &sol_feed(),
                None,
                0
            )),
            Some(u32::from(ErrorCode::OracleInvalidData))
        );
        let buf = aligned(SOL_PULL);
        assert_eq!(
            code_of(parse_pyth_legacy(bytes(&buf, SOL_PULL.len()), 0)),
            Some(u32::from(ErrorCode::OracleInvalidData))
        );
    }

    #[test]
    fn real_legacy_usdc_usd() {
        let buf = aligned(USDC_LEGACY);
        let p = parse_pyth_legacy(bytes(&buf, USDC_LEGACY.len()), 0).unwrap();
        // 100000750e-8 = $1.0000075 -> 1.000007 (down); conf 24249e-8 -> 0.000243 (up).
        assert_eq!(p.price, 1_000_007);
        assert_eq!(p.conf, 243);
        assert_eq!(p.publish_time, 1_701_981_042);
        assert!(
            p.ema_price > 990_000 && p.ema_price < 1_010_000,
            "ema {}",
            p.ema_price
        );
        check_price(&p, &limits(), 1_701_981_042).unwrap();
    }

    #[test]
    fn real_ancient_legacy_is_stale() {
        let buf = aligned(OLD_LEGACY);
        let p = parse_pyth_legacy(bytes(&buf, OLD_LEGACY.len()), 0).unwrap();
        assert_eq!(p.price, 32_112_500); // 32112500000e-9
        assert_eq!(p.conf, 30_000);
        assert_eq!(p.publish_time, 0);
        assert_eq!(
            code_of(check_price(&p, &limits(), 1_701_981_042)),
            Some(u32::from(ErrorCode::OracleStale))
        );
    }

    #[test]
    fn legacy_status_must_be_trading() {
        let mut raw = USDC_LEGACY.to_vec();
        let at =
            std::mem::offset_of!(SolanaPriceAccount, agg) + std::mem::offset_of!(PriceInfo, status);
        assert_eq!(raw[at], 1);
        for bad in [0u8, 2, 3, 4, 200] {
            raw[at] = bad;
            let buf = aligned(&raw);
            assert_eq!(
                code_of(parse_pyth_legacy(bytes(&buf, raw.len()), 0)),
                Some(u32::from(ErrorCode::OracleNotTrading)),
                "status {bad}"
            );
        }
    }

    #[test]
    fn each_check_has_its_error() {
        let base = OraclePrice {
            price: 3_000_000_000,
            conf: 3_000_000,
            ema_price: 3_000_000_000,
            publish_time: 1_000,
        };
        let l = OracleLimits {
            last_publish_time: 990,
            ..limits()
        };
        check_price(&base, &l, 1_000).unwrap();
        let cases = [
            (
                OraclePrice { price: 0, ..base },
                1_000,
                ErrorCode::OracleNonPositivePrice,
            ),
            (
                OraclePrice { price: -5, ..base },
                1_000,
                ErrorCode::OracleNonPositivePrice,
            ),
            (
                OraclePrice {
                    conf: 60_000_001,
                    ..base
                },
                1_000,
                ErrorCode::OracleConfidenceTooWide,
            ),
            (base, 1_061, ErrorCode::OracleStale),
            (
                OraclePrice {
                    publish_time: 1_011,
                    ..base
                },
                1_000,
                ErrorCode::OracleFuturePublishTime,
            ),
            (
                OraclePrice {
                    publish_time: 989,
                    ..base
                },
                1_000,
                ErrorCode::OraclePublishTimeRegressed,
            ),
        ];
        for (p, now, e) in cases {
            assert_eq!(
                code_of(check_price(&p, &l, now)),
                Some(u32::from(e)),
                "{p:?}"
            );
        }
        // boundaries are inclusive
        check_price(
            &OraclePrice {
                conf: 60_000_000,
                ..base
            },
            &l,
            1_000,
        )
        .unwrap();
        check_price(
            &OraclePrice {
                publish_time: 1_010,
                ..base
            },
            &l,
            1_000,
        )
        .unwrap();
        check_price(
            &OraclePrice {
                publish_time: 990,
                ..base
            },
            &l,
            1_050,
        )
        .unwrap();
    }

    #[test]
    fn exponent_conversion() {
        assert_eq!(to_price_precision(12345, -8, false).unwrap(), 123);
        assert_eq!(to_price_precision(12345, -8, true).unwrap(), 124);
        assert_eq!(to_price_precision(-12345, -8, false).unwrap(), -124);
        assert_eq!(to_price_precision(5, -6, false).unwrap(), 5);
        assert_eq!(to_price_precision(5, -3, false).unwrap(), 5_000);
        assert_eq!(to_price_precision(5, 2, false).unwrap(), 500_000_000);
        assert!(to_price_precision(i64::MAX, 12, false).is_err());
        assert_eq!(
            code_of(to_price_precision(1, -19, false)),
            Some(u32::from(ErrorCode::OracleExponentOutOfRange))
        );
    }
}
