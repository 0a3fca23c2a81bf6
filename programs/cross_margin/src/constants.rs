//! Every precision and hard bound of the program, named once.
//!
//! Units (see DESIGN.md "Units and rounding"):
//! - quote (USDC) amounts are native units, 6 decimals;
//! - base amounts are `BASE_PRECISION` per whole unit of the underlying;
//! - prices are quote native units per whole base unit (`PRICE_PRECISION`);
//! - ratios, fees and bands are parts per million (`RATIO_PRECISION`).

/// Quote (USDC) native units per whole USDC.
pub const QUOTE_PRECISION: i128 = 1_000_000;
/// Decimals the collateral mint must have.
pub const QUOTE_DECIMALS: u8 = 6;
/// Base native units per whole unit of the underlying (1 ETH = 1e9).
pub const BASE_PRECISION: i128 = 1_000_000_000;
/// Prices are quote native units per whole base unit: $3,000.00 = 3_000_000_000.
pub const PRICE_PRECISION: i128 = 1_000_000;
/// Decimal exponent of `PRICE_PRECISION` (prices are `value * 10^-6` USD).
pub const PRICE_EXPONENT: i32 = -6;
/// Ratios, fees, bands and weights are parts per million: 5% = 50_000.
pub const RATIO_PRECISION: i128 = 1_000_000;
/// The cumulative funding indices are quote native units per whole base unit, times this scale
/// (so one index unit is 0.001 quote native units owed per whole base unit held).
pub const FUNDING_INDEX_SCALE: i128 = 1_000;
/// Seconds over which the full premium is paid (DESIGN.md: one day).
pub const FUNDING_DAY_SECS: i64 = 86_400;

/// Position slots per margin account.
pub const MAX_POSITIONS: usize = 16;

/// How far in the future (validator clock) an oracle publish time may be.
pub const MAX_ORACLE_FUTURE_SKEW_SECS: i64 = 10;

// Hard bounds on admin parameters. `validate` functions in `state` enforce them.
/// Lowest maintenance margin ratio a market may have (0.5%, i.e. 200x).
pub const MIN_MAINTENANCE_MARGIN_RATIO: u32 = 5_000;
/// Highest initial margin ratio (100%, i.e. 1x).
pub const MAX_INITIAL_MARGIN_RATIO: u32 = 1_000_000;
/// Widest price band for fills around the oracle price (20%).
pub const MAX_PRICE_BAND: u32 = 200_000;
/// Widest confidence interval a market may accept, relative to the price (10%).
pub const MAX_CONF_RATIO: u32 = 100_000;
/// Longest oracle age a market may accept, for trading and for liquidation (1 hour).
pub const MAX_ORACLE_AGE_SECS: u32 = 3_600;
/// Shortest and longest funding period.
pub const MIN_FUNDING_PERIOD_SECS: u32 = 60;
pub const MAX_FUNDING_PERIOD_SECS: u32 = 86_400;
/// Largest funding premium clamp (10% per day).
pub const MAX_FUNDING_PREMIUM: u32 = 100_000;
/// Largest liquidation buffer over maintenance (100%).
pub const MAX_LIQUIDATION_BUFFER: u32 = 1_000_000;

// PDA seeds.
pub const EXCHANGE_SEED: &[u8] = b"exchange";
pub const VAULT_SEED: &[u8] = b"vault";
pub const MARKET_SEED: &[u8] = b"market";
pub const MARGIN_ACCOUNT_SEED: &[u8] = b"margin_account";

/// A fill's price counts as the mark price for at most this long after the fill; time without
/// fills counts at the oracle price, so the funding premium decays when no one trades.
pub const MARK_PRICE_VALIDITY_SECS: i64 = 60;
