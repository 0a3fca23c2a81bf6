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
/// Narrowest: a limit under what real feeds publish would refuse every price and freeze
/// withdrawals and liquidations (1%; Pyth's crypto feeds publish well under 0.5% in calm markets).
pub const MIN_CONF_RATIO: u32 = 10_000;
/// Longest oracle age a market may accept, for trading and for liquidation (1 hour).
pub const MAX_ORACLE_AGE_SECS: u32 = 3_600;
/// Shortest trading age limit: a sponsored Pyth feed refreshes at least once a minute.
pub const MIN_ORACLE_AGE_SECS: u32 = 60;
/// Shortest liquidation age limit (liquidation must keep working through a feed's hiccup).
pub const MIN_LIQUIDATION_ORACLE_AGE_SECS: u32 = 120;
/// A market whose oracle has published nothing for this long may be settled by anyone at the
/// last price the program recorded (3 days: longer than any planned feed maintenance).
pub const ORACLE_DEAD_AFTER_SECS: i64 = 3 * 86_400;
/// Shortest and longest funding period.
pub const MIN_FUNDING_PERIOD_SECS: u32 = 60;
pub const MAX_FUNDING_PERIOD_SECS: u32 = 86_400;
/// Largest funding premium clamp (10% per day).
pub const MAX_FUNDING_PREMIUM: u32 = 100_000;
/// Largest liquidation buffer over maintenance (100%).
pub const MAX_LIQUIDATION_BUFFER: u32 = 1_000_000;
/// Smallest net trading fee (taker fee + maker fee, the maker fee negative for a rebate): wash
/// volume is never free, which is what bounds the funding it can move (`risk::funding`).
pub const MIN_NET_FEE: u32 = 50;
/// Funding a period's fills can move is at most `1 / FUNDING_FEE_SAFETY` of the fees they paid.
pub const FUNDING_FEE_SAFETY: i128 = 2;
/// Largest portfolio-margin share of a market's margin that its group may offset (75%).
pub const MAX_SYSTEMATIC_SHARE: u32 = 750_000;
/// Highest portfolio-margin group id (0 = offsets nothing).
pub const MAX_MARGIN_GROUP: u8 = 64;
/// A portfolio requirement is never below this share of the standard one (25%).
pub const PORTFOLIO_FLOOR: u32 = 250_000;
/// Largest power of ten a market's contract may bundle (1e9 tokens per contract).
pub const MAX_UNIT_EXPONENT: u8 = 9;

// Governance.
/// Shortest and longest delay of a queued admin change.
pub const MIN_TIMELOCK_DELAY_SECS: u32 = 86_400;
pub const MAX_TIMELOCK_DELAY_SECS: u32 = 30 * 86_400;
/// Longest a protective status (pause, reduce-only) lasts before it must be renewed.
pub const MAX_PROTECTIVE_STATUS_SECS: u32 = 7 * 86_400;
/// Address lookup tables the exchange can record.
pub const MAX_LOOKUP_TABLES: usize = 4;

// Delegates.
/// Longest delegate budget period.
pub const MAX_DELEGATE_PERIOD_SECS: u32 = 30 * 86_400;
/// Shortest delegate budget period.
pub const MIN_DELEGATE_PERIOD_SECS: u32 = 60;

// Trigger orders.
/// Orders per trigger-order account: a stop-loss and a take-profit for each of the 16 positions.
pub const TRIGGER_ORDER_CAPACITY: usize = 32;
/// Largest executor premium of a trigger order (1% of notional; also never above the band).
pub const MAX_TRIGGER_PREMIUM: u32 = 10_000;

// PDA seeds.
pub const EXCHANGE_SEED: &[u8] = b"exchange";
pub const VAULT_SEED: &[u8] = b"vault";
pub const MARKET_SEED: &[u8] = b"market";
pub const MARGIN_ACCOUNT_SEED: &[u8] = b"margin_account";
pub const ADMIN_ACTION_SEED: &[u8] = b"admin_action";
pub const TRIGGER_ORDERS_SEED: &[u8] = b"trigger_orders";
/// Pyth's sponsored feed accounts are push-oracle PDAs `[shard_id as u16 LE, feed_id]`; the
/// program accepts shard 0 only.
pub const PYTH_FEED_SHARD: u16 = 0;
