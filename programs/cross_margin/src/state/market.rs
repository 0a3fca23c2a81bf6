use anchor_lang::prelude::*;

use crate::constants::*;
use crate::error::ErrorCode;
use crate::oracle::OraclePrice;
use crate::risk::{RiskParams, TwapState};

/// Where a market's price comes from.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum OracleSource {
    /// A Pyth pull-oracle `PriceUpdateV2` account (owner: the Pyth receiver program).
    PythPull = 0,
    /// A legacy Pyth push price account (owner: the Pyth oracle program).
    PythLegacy = 1,
}

impl OracleSource {
    pub fn from_u8(v: u8) -> Result<Self> {
        match v {
            0 => Ok(Self::PythPull),
            1 => Ok(Self::PythLegacy),
            _ => err!(ErrorCode::InvalidOracleSource),
        }
    }
}

/// What a market accepts.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum MarketStatus {
    /// Fills, liquidations and funding run.
    Active = 0,
    /// Only fills that shrink both positions; liquidations and funding run.
    ReduceOnly = 1,
    /// No fills; liquidations and funding run (an account must stay liquidatable).
    Paused = 2,
}

impl MarketStatus {
    pub fn from_u8(v: u8) -> Result<Self> {
        match v {
            0 => Ok(Self::Active),
            1 => Ok(Self::ReduceOnly),
            2 => Ok(Self::Paused),
            _ => err!(ErrorCode::InvalidMarketStatus),
        }
    }
}

/// The parameters an admin sets on a market, all bounded by `validate`.
/// Ratios in ppm (`RATIO_PRECISION`), sizes in base native units, times in seconds.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct MarketParams {
    pub initial_margin_ratio: u32,
    pub maintenance_margin_ratio: u32,
    /// Share of the taken-over notional the liquidator earns (price improvement).
    pub liquidation_fee: u32,
    /// Share of the taken-over notional the liquidatee pays to the insurance fund.
    pub insurance_fee: u32,
    /// Weight of positive unrealized pnl in the initial check (<= 100%).
    pub upnl_initial_weight: u32,
    pub taker_fee: u32,
    /// Negative = rebate, at most the taker fee in size.
    pub maker_fee: i32,
    /// Fills must be within `price_band` of the oracle price.
    pub price_band: u32,
    /// Largest accepted `conf / price`.
    pub max_conf_ratio: u32,
    /// Largest accepted oracle age for trading and withdrawals.
    pub max_oracle_age_secs: u32,
    /// Largest accepted oracle age for liquidation (>= the trading one).
    pub liquidation_max_oracle_age_secs: u32,
    /// Clamp of the funding premium per day.
    pub max_funding_premium: u32,
    pub funding_period_secs: u32,
    pub base_lot_size: u64,
    pub min_position_base: u64,
    /// Cap on open interest (each side), base native units.
    pub open_interest_cap: u64,
}

impl MarketParams {
    /// The hard bounds of DESIGN.md: every admin change passes through here.
    pub fn validate(&self) -> Result<()> {
        let im = self.initial_margin_ratio;
        let mm = self.maintenance_margin_ratio;
        require!(
            mm >= MIN_MAINTENANCE_MARGIN_RATIO && mm < im && im <= MAX_INITIAL_MARGIN_RATIO,
            ErrorCode::InvalidMarginRatios
        );
        // A liquidation step must improve the liquidatee's health: fees strictly below maintenance.
        let liq_fees = self.liquidation_fee as u64 + self.insurance_fee as u64;
        require!(liq_fees < mm as u64, ErrorCode::InvalidFees);
        require!(self.taker_fee < mm, ErrorCode::InvalidFees);
        require!(
            self.maker_fee.unsigned_abs() <= self.taker_fee,
            ErrorCode::InvalidFees
        );
        require!(
            self.upnl_initial_weight as i128 <= RATIO_PRECISION,
            ErrorCode::InvalidPnlWeight
        );
        require!(
            self.price_band > 0 && self.price_band <= MAX_PRICE_BAND,
            ErrorCode::InvalidPriceBand
        );
        require!(
            self.max_conf_ratio > 0
                && self.max_conf_ratio <= MAX_CONF_RATIO
                && self.max_oracle_age_secs > 0
                && self.max_oracle_age_secs <= self.liquidation_max_oracle_age_secs
                && self.liquidation_max_oracle_age_secs <= MAX_ORACLE_AGE_SECS,
            ErrorCode::InvalidOracleLimits
        );
        require!(
            self.funding_period_secs >= MIN_FUNDING_PERIOD_SECS
                && self.funding_period_secs <= MAX_FUNDING_PERIOD_SECS
                && self.max_funding_premium > 0
                && self.max_funding_premium <= MAX_FUNDING_PREMIUM,
            ErrorCode::InvalidFundingParams
        );
        require!(
            self.base_lot_size > 0
                && self.min_position_base >= self.base_lot_size
                && self.min_position_base.is_multiple_of(self.base_lot_size)
                && self.base_lot_size <= i64::MAX as u64,
            ErrorCode::InvalidSizeParams
        );
        require!(
            self.open_interest_cap > 0
                && self.open_interest_cap.is_multiple_of(self.base_lot_size)
                && self.open_interest_cap <= i64::MAX as u64,
            ErrorCode::InvalidOpenInterestCap
        );
        Ok(())
    }
}

/// A listed perpetual (PDA `["market", market_index as u16 LE]`). Zero-copy: it is read for every
/// position in every health check.
#[account(zero_copy)]
#[derive(Debug)]
pub struct Market {
    /// The price account this market reads (a `PriceUpdateV2` or a legacy price account).
    pub oracle: Pubkey,
    /// Pyth feed id the pull update must carry (unused for legacy accounts).
    pub pyth_feed_id: [u8; 32],
    /// ASCII, zero padded, e.g. `ETH-PERP`.
    pub symbol: [u8; 16],

    pub base_lot_size: u64,
    pub min_position_base: u64,
    pub open_interest_cap: u64,
    /// Sum of positive bases (== sum of |negative bases|), base native units.
    pub open_interest_long: u64,
    pub open_interest_short: u64,

    /// Cumulative funding per whole base unit owed by a long (quote native * FUNDING_INDEX_SCALE).
    pub cumulative_funding_long: i64,
    /// Same for shorts; owed amount is `base * (index - snapshot)` with base < 0.
    pub cumulative_funding_short: i64,
    /// Mark and oracle TWAPs of the last funding period (PRICE_PRECISION).
    pub mark_twap: i64,
    pub oracle_twap: i64,
    pub last_funding_ts: i64,
    /// Last funding premium applied (ppm per day, signed).
    pub last_funding_rate: i64,
    /// Newest oracle publish time this market has used: an older update is refused.
    pub last_oracle_publish_time: i64,
    /// The running TWAP sums of the current funding period.
    pub twap: TwapState,
    /// Trading fees collected since the last funding update; `update_funding` moves them into
    /// the exchange's insurance balance (fills do not write-lock the exchange).
    pub insurance_fees_pending: u64,

    pub initial_margin_ratio: u32,
    pub maintenance_margin_ratio: u32,
    pub liquidation_fee: u32,
    pub insurance_fee: u32,
    pub upnl_initial_weight: u32,
    pub taker_fee: u32,
    pub maker_fee: i32,
    pub price_band: u32,
    pub max_conf_ratio: u32,
    pub max_oracle_age_secs: u32,
    pub liquidation_max_oracle_age_secs: u32,
    pub max_funding_premium: u32,
    pub funding_period_secs: u32,

    pub market_index: u16,
    /// `OracleSource` as u8.
    pub oracle_source: u8,
    /// `MarketStatus` as u8.
    pub status: u8,
    pub bump: u8,
    pub padding: [u8; 7],
    pub reserved: [u8; 88],
}

impl Market {
    pub const SPACE: usize = 8 + std::mem::size_of::<Market>();

    pub fn params(&self) -> MarketParams {
        MarketParams {
            initial_margin_ratio: self.initial_margin_ratio,
            maintenance_margin_ratio: self.maintenance_margin_ratio,
            liquidation_fee: self.liquidation_fee,
            insurance_fee: self.insurance_fee,
            upnl_initial_weight: self.upnl_initial_weight,
            taker_fee: self.taker_fee,
            maker_fee: self.maker_fee,
            price_band: self.price_band,
            max_conf_ratio: self.max_conf_ratio,
            max_oracle_age_secs: self.max_oracle_age_secs,
            liquidation_max_oracle_age_secs: self.liquidation_max_oracle_age_secs,
            max_funding_premium: self.max_funding_premium,
            funding_period_secs: self.funding_period_secs,
            base_lot_size: self.base_lot_size,
            min_position_base: self.min_position_base,
            open_interest_cap: self.open_interest_cap,
        }
    }

    /// Applies already validated parameters.
    pub fn set_params(&mut self, p: &MarketParams) {
        self.initial_margin_ratio = p.initial_margin_ratio;
        self.maintenance_margin_ratio = p.maintenance_margin_ratio;
        self.liquidation_fee = p.liquidation_fee;
        self.insurance_fee = p.insurance_fee;
        self.upnl_initial_weight = p.upnl_initial_weight;
        self.taker_fee = p.taker_fee;
        self.maker_fee = p.maker_fee;
        self.price_band = p.price_band;
        self.max_conf_ratio = p.max_conf_ratio;
        self.max_oracle_age_secs = p.max_oracle_age_secs;
        self.liquidation_max_oracle_age_secs = p.liquidation_max_oracle_age_secs;
        self.max_funding_premium = p.max_funding_premium;
        self.funding_period_secs = p.funding_period_secs;
        self.base_lot_size = p.base_lot_size;
        self.min_position_base = p.min_position_base;
        self.open_interest_cap = p.open_interest_cap;
    }

    pub fn risk_params(&self) -> RiskParams {
        RiskParams {
            initial_margin_ratio: self.initial_margin_ratio,
            maintenance_margin_ratio: self.maintenance_margin_ratio,
            upnl_initial_weight: self.upnl_initial_weight,
        }
    }

    pub fn oracle_source(&self) -> Result<OracleSource> {
        OracleSource::from_u8(self.oracle_source)
    }

    pub fn status(&self) -> Result<MarketStatus> {
        MarketStatus::from_u8(self.status)
    }

    /// Records an oracle price a writer of the market used: the TWAP sums advance to `now` at the
    /// previous price, then this one becomes current and its publish time the floor for the next.
    pub fn record_oracle(&mut self, price: &OraclePrice, now: i64) -> Result<()> {
        self.twap.record_oracle(price.price, now)?;
        self.last_oracle_publish_time = self.last_oracle_publish_time.max(price.publish_time);
        Ok(())
    }

    /// The oracle price last observed by a writer of the market.
    pub fn last_oracle_price(&self) -> i64 {
        self.twap.last_oracle_price
    }

    /// The funding index a position of sign `base` settles against.
    pub fn funding_index(&self, base: i64) -> i64 {
        crate::risk::side_index(
            base,
            self.cumulative_funding_long,
            self.cumulative_funding_short,
        )
    }

    pub fn symbol_str(&self) -> &str {
        let end = self.symbol.iter().position(|&b| b == 0).unwrap_or(16);
        std::str::from_utf8(&self.symbol[..end]).unwrap_or("?")
    }
}

/// A market symbol must be printable ASCII, non-empty, zero padded.
pub fn validate_symbol(symbol: &[u8; 16]) -> Result<()> {
    let end = symbol.iter().position(|&b| b == 0).unwrap_or(16);
    require!(end > 0, ErrorCode::InvalidSymbol);
    require!(
        symbol[..end].iter().all(|b| b.is_ascii_graphic()) && symbol[end..].iter().all(|&b| b == 0),
        ErrorCode::InvalidSymbol
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    pub fn eth_params() -> MarketParams {
        MarketParams {
            initial_margin_ratio: 100_000,
            maintenance_margin_ratio: 50_000,
            liquidation_fee: 10_000,
            insurance_fee: 5_000,
            upnl_initial_weight: 800_000,
            taker_fee: 500,
            maker_fee: -100,
            price_band: 50_000,
            max_conf_ratio: 20_000,
            max_oracle_age_secs: 60,
            liquidation_max_oracle_age_secs: 300,
            max_funding_premium: 20_000,
            funding_period_secs: 3_600,
            base_lot_size: 1_000_000,
            min_position_base: 10_000_000,
            open_interest_cap: 1_000_000_000_000,
        }
    }

    fn code(r: Result<()>) -> u32 {
        crate::error::code_of(r).expect("expected an error")
    }

    #[test]
    fn sane_params_pass() {
        eth_params().validate().unwrap();
    }

    #[test]
    fn each_bound_has_its_error() {
        type Case = (fn(&mut MarketParams), ErrorCode);
        let cases: Vec<Case> = vec![
            (
                |p| p.maintenance_margin_ratio = p.initial_margin_ratio,
                ErrorCode::InvalidMarginRatios,
            ),
            (
                |p| p.maintenance_margin_ratio = 4_999,
                ErrorCode::InvalidMarginRatios,
            ),
            (
                |p| p.initial_margin_ratio = 1_000_001,
                ErrorCode::InvalidMarginRatios,
            ),
            (|p| p.liquidation_fee = 45_000, ErrorCode::InvalidFees),
            (|p| p.taker_fee = 50_000, ErrorCode::InvalidFees),
            (|p| p.maker_fee = -501, ErrorCode::InvalidFees),
            (
                |p| p.upnl_initial_weight = 1_000_001,
                ErrorCode::InvalidPnlWeight,
            ),
            (|p| p.price_band = 0, ErrorCode::InvalidPriceBand),
            (|p| p.price_band = 200_001, ErrorCode::InvalidPriceBand),
            (|p| p.max_conf_ratio = 0, ErrorCode::InvalidOracleLimits),
            (
                |p| p.max_oracle_age_secs = 0,
                ErrorCode::InvalidOracleLimits,
            ),
            (
                |p| p.liquidation_max_oracle_age_secs = 30,
                ErrorCode::InvalidOracleLimits,
            ),
            (
                |p| p.liquidation_max_oracle_age_secs = 3_601,
                ErrorCode::InvalidOracleLimits,
            ),
            (
                |p| p.funding_period_secs = 59,
                ErrorCode::InvalidFundingParams,
            ),
            (
                |p| p.max_funding_premium = 0,
                ErrorCode::InvalidFundingParams,
            ),
            (|p| p.base_lot_size = 0, ErrorCode::InvalidSizeParams),
            (
                |p| p.min_position_base = 10_500_000,
                ErrorCode::InvalidSizeParams,
            ),
            (
                |p| p.open_interest_cap = 0,
                ErrorCode::InvalidOpenInterestCap,
            ),
            (
                |p| p.open_interest_cap = 1_500_000,
                ErrorCode::InvalidOpenInterestCap,
            ),
        ];
        for (i, (mutate, expected)) in cases.into_iter().enumerate() {
            let mut p = eth_params();
            mutate(&mut p);
            assert_eq!(code(p.validate()), u32::from(expected), "case {i}");
        }
    }

    #[test]
    fn liquidation_fees_equal_to_maintenance_are_refused() {
        let mut p = eth_params();
        p.liquidation_fee = 30_000;
        p.insurance_fee = 20_000; // sum == maintenance: a liquidation would not improve health
        assert_eq!(code(p.validate()), u32::from(ErrorCode::InvalidFees));
        p.insurance_fee = 19_999;
        p.validate().unwrap();
    }

    #[test]
    fn market_layout_is_stable() {
        assert_eq!(std::mem::size_of::<Market>(), 384);
        assert_eq!(std::mem::align_of::<Market>(), 8);
    }

    #[test]
    fn symbols() {
        let mut s = [0u8; 16];
        assert!(validate_symbol(&s).is_err());
        s[..8].copy_from_slice(b"ETH-PERP");
        validate_symbol(&s).unwrap();
        s[10] = b'X';
        assert!(validate_symbol(&s).is_err());
    }
}
