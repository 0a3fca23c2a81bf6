use anchor_lang::prelude::*;

use crate::constants::*;
use crate::error::ErrorCode;
use crate::risk::math::to_i64;
use crate::risk::{fill_premium_contribution, MarketView, OraclePrice, RiskParams, Valuation};

/// Where a market's price comes from.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
#[repr(u8)]
pub enum OracleSource {
    /// The sponsored Pyth pull feed account of the market's feed id (a `PriceUpdateV2` owned by
    /// the Pyth receiver program at the push-oracle PDA of the feed id).
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
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
#[repr(u8)]
pub enum MarketStatus {
    /// Fills, liquidations and funding run.
    Active = 0,
    /// Only fills that shrink both positions; liquidations and funding run. Protective: set at
    /// once by the admin or guardian, for a bounded time.
    ReduceOnly = 1,
    /// No fills; liquidations and funding run (an account must stay liquidatable). Protective.
    Paused = 2,
    /// Retired at a fixed price: no trading, no funding; `settle_position` closes every position
    /// at `settlement_price`, and health checks use that price without an oracle.
    Settled = 3,
}

impl MarketStatus {
    pub fn from_u8(v: u8) -> Result<Self> {
        match v {
            0 => Ok(Self::Active),
            1 => Ok(Self::ReduceOnly),
            2 => Ok(Self::Paused),
            3 => Ok(Self::Settled),
            _ => err!(ErrorCode::InvalidMarketStatus),
        }
    }

    /// Pause and reduce-only: the only immediate admin powers.
    pub fn is_protective(self) -> bool {
        matches!(self, Self::ReduceOnly | Self::Paused)
    }
}

/// The parameters an admin sets on a market, all bounded by `validate`.
/// Ratios in ppm (`RATIO_PRECISION`), sizes in base native units, times in seconds.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
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
    /// Negative = rebate; `taker_fee + maker_fee >= MIN_NET_FEE`.
    pub maker_fee: i32,
    /// Fills must be within `price_band` of the oracle price.
    pub price_band: u32,
    /// Largest accepted `conf / price` (at least `MIN_CONF_RATIO`).
    pub max_conf_ratio: u32,
    /// Largest accepted oracle age for trading and withdrawals (at least `MIN_ORACLE_AGE_SECS`).
    pub max_oracle_age_secs: u32,
    /// Largest accepted oracle age for liquidation (>= the trading one).
    pub liquidation_max_oracle_age_secs: u32,
    /// Clamp of the funding premium per day, and of each fill's deviation counted in it.
    pub max_funding_premium: u32,
    pub funding_period_secs: u32,
    pub base_lot_size: u64,
    pub min_position_base: u64,
    /// Cap on open interest (each side), base native units.
    pub open_interest_cap: u64,
    /// Portfolio margin group (0 = offsets nothing).
    pub margin_group: u8,
    /// Portfolio margin: share of this market's margin its group may offset (<= 75%).
    pub systematic_share: u32,
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
            self.taker_fee as i64 + self.maker_fee as i64 >= MIN_NET_FEE as i64,
            ErrorCode::InvalidNetFee
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
            self.max_conf_ratio >= MIN_CONF_RATIO
                && self.max_conf_ratio <= MAX_CONF_RATIO
                && self.max_oracle_age_secs >= MIN_ORACLE_AGE_SECS
                && self.max_oracle_age_secs <= self.liquidation_max_oracle_age_secs
                && self.liquidation_max_oracle_age_secs >= MIN_LIQUIDATION_ORACLE_AGE_SECS
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
        require!(
            self.margin_group <= MAX_MARGIN_GROUP,
            ErrorCode::InvalidMarginGroup
        );
        require!(
            self.systematic_share <= MAX_SYSTEMATIC_SHARE,
            ErrorCode::InvalidSystematicShare
        );
        Ok(())
    }

    /// Taker plus maker fee (ppm), what every fill pays net.
    pub fn net_fee(&self) -> u32 {
        (self.taker_fee as i64 + self.maker_fee as i64).max(0) as u32
    }
}

/// The exponent of a market unit of `tokens_per_contract` tokens, which must be a power of ten
/// up to `10^MAX_UNIT_EXPONENT` (1 = the token itself; 1,000 lists e.g. 1000BONK).
pub fn unit_exponent(tokens_per_contract: u64) -> Result<u8> {
    let mut v = tokens_per_contract;
    let mut e = 0u8;
    while v > 1 && v.is_multiple_of(10) {
        v /= 10;
        e += 1;
    }
    require!(v == 1 && e <= MAX_UNIT_EXPONENT, ErrorCode::InvalidUnit);
    Ok(e)
}

/// An i128 in a zero-copy account (x86-64 and SBF align `i128` differently): two u64 words.
#[zero_copy]
#[derive(Debug, Default, PartialEq, Eq)]
pub struct WideI128 {
    pub lo: u64,
    pub hi: u64,
}

impl WideI128 {
    pub fn get(&self) -> i128 {
        (((self.hi as u128) << 64) | self.lo as u128) as i128
    }
    pub fn set(&mut self, v: i128) {
        self.lo = v as u128 as u64;
        self.hi = ((v as u128) >> 64) as u64;
    }
}

/// The running sums of the current funding period, kept lazily: each event (fill, oracle use by
/// a writer of the market, funding update) first adds the time since the previous one at the
/// oracle price observed then.
#[zero_copy]
#[derive(Debug, Default, PartialEq, Eq)]
pub struct FundingAccumulator {
    /// Sum of oracle price * seconds (wide: a market left uncranked for years cannot overflow it).
    pub oracle_sum: WideI128,
    pub last_update_ts: i64,
    /// The last oracle price observed by a writer of the market.
    pub last_oracle_price: i64,
    /// Sum of the period's fill notionals at the oracle (quote native).
    pub fill_notional: u64,
    /// Sum of the period's notional-weighted clamped deviations from the oracle (quote native).
    pub fill_premium: i64,
}

impl FundingAccumulator {
    /// Adds `[last_update_ts, now]` at the last observed oracle price.
    pub fn accumulate(&mut self, now: i64) -> Result<()> {
        let dt = now.saturating_sub(self.last_update_ts).max(0);
        if dt == 0 {
            return Ok(());
        }
        let add = (self.last_oracle_price as i128)
            .checked_mul(dt as i128)
            .ok_or_else(|| error!(ErrorCode::MathOverflow))?;
        let sum = self
            .oracle_sum
            .get()
            .checked_add(add)
            .ok_or_else(|| error!(ErrorCode::MathOverflow))?;
        self.oracle_sum.set(sum);
        self.last_update_ts = now;
        Ok(())
    }

    /// Records an oracle observation (after accumulating up to `now` at the previous one).
    pub fn record_oracle(&mut self, price: i64, now: i64) -> Result<()> {
        self.accumulate(now)?;
        self.last_oracle_price = price;
        Ok(())
    }

    /// Records a fill of `size` base at `price` when the oracle said `oracle`.
    pub fn record_fill(
        &mut self,
        size: u64,
        price: i64,
        oracle: i64,
        max_premium: u32,
    ) -> Result<()> {
        let (notional, premium) = fill_premium_contribution(size, price, oracle, max_premium)?;
        self.fill_notional = self
            .fill_notional
            .checked_add(notional)
            .ok_or_else(|| error!(ErrorCode::MathOverflow))?;
        self.fill_premium = self
            .fill_premium
            .checked_add(premium)
            .ok_or_else(|| error!(ErrorCode::MathOverflow))?;
        Ok(())
    }

    /// Starts a new funding period at `now`.
    pub fn reset(&mut self, now: i64) {
        self.oracle_sum = WideI128::default();
        self.fill_notional = 0;
        self.fill_premium = 0;
        self.last_update_ts = now;
    }
}

/// A listed perpetual (PDA `["market", market_index as u16 LE]`). Zero-copy: it is read for every
/// position in every health check.
#[account(zero_copy)]
#[derive(Debug)]
pub struct Market {
    /// The price account this market reads (a sponsored `PriceUpdateV2` or a legacy account).
    pub oracle: Pubkey,
    /// Pyth feed id the pull update must carry (unused for legacy accounts).
    pub pyth_feed_id: [u8; 32],
    /// ASCII, zero padded, e.g. `ETH-PERP` or `1000BONK-PERP`.
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
    /// The mark the last funding premium implies, and the oracle TWAP (PRICE_PRECISION).
    pub mark_twap: i64,
    pub oracle_twap: i64,
    pub last_funding_ts: i64,
    /// Last funding premium applied (ppm per day, signed).
    pub last_funding_rate: i64,
    /// Newest oracle publish time this market has used: an older update is refused.
    pub last_oracle_publish_time: i64,
    /// The running sums of the current funding period.
    pub funding: FundingAccumulator,
    /// Trading and liquidation insurance fees collected since the last funding update;
    /// `update_funding` moves them into the exchange's insurance balance (neither fills nor
    /// liquidations write-lock the exchange).
    pub insurance_fees_pending: u64,
    /// Settled markets: the price every position closes at, and when.
    pub settlement_price: i64,
    pub settled_at: i64,
    /// A protective status (pause, reduce-only) ends at this time unless renewed.
    pub status_expires_at: i64,

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
    pub systematic_share: u32,

    pub market_index: u16,
    /// `OracleSource` as u8.
    pub oracle_source: u8,
    /// `MarketStatus` as u8.
    pub status: u8,
    pub bump: u8,
    pub margin_group: u8,
    /// A contract is `10^unit_exponent` tokens; oracle prices are scaled by it.
    pub unit_exponent: u8,
    pub padding: [u8; 1],
    /// Space for later fields (the layout is not deployed yet; new fields come out of here).
    pub reserved: [u8; 128],
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
            margin_group: self.margin_group,
            systematic_share: self.systematic_share,
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
        self.margin_group = p.margin_group;
        self.systematic_share = p.systematic_share;
    }

    pub fn risk_params(&self) -> RiskParams {
        RiskParams {
            initial_margin_ratio: self.initial_margin_ratio,
            maintenance_margin_ratio: self.maintenance_margin_ratio,
            upnl_initial_weight: self.upnl_initial_weight,
            margin_group: self.margin_group,
            systematic_share: self.systematic_share,
        }
    }

    pub fn oracle_source(&self) -> Result<OracleSource> {
        OracleSource::from_u8(self.oracle_source)
    }

    /// The stored status.
    pub fn status(&self) -> Result<MarketStatus> {
        MarketStatus::from_u8(self.status)
    }

    /// The status in force at `now`: a protective status past its expiry is back to Active.
    pub fn effective_status(&self, now: i64) -> Result<MarketStatus> {
        let s = self.status()?;
        Ok(if s.is_protective() && now >= self.status_expires_at {
            MarketStatus::Active
        } else {
            s
        })
    }

    pub fn is_settled(&self) -> bool {
        self.status == MarketStatus::Settled as u8
    }

    /// Records an oracle price a writer of the market used: the funding sums advance to `now` at
    /// the previous price, then this one becomes current and its publish time the floor for the
    /// next.
    pub fn record_oracle(&mut self, price: &OraclePrice, now: i64) -> Result<()> {
        self.funding.record_oracle(price.price, now)?;
        self.last_oracle_publish_time = self.last_oracle_publish_time.max(price.publish_time);
        Ok(())
    }

    /// The last valid oracle price a writer of the market recorded.
    pub fn last_oracle_price(&self) -> i64 {
        self.funding.last_oracle_price
    }

    /// The funding index a position of sign `base` settles against.
    pub fn funding_index(&self, base: i64) -> i64 {
        crate::risk::side_index(
            base,
            self.cumulative_funding_long,
            self.cumulative_funding_short,
        )
    }

    /// The market as the risk math sees it, at `price` (from the oracle).
    pub fn view(&self, price: OraclePrice) -> MarketView {
        MarketView {
            market_index: self.market_index,
            params: self.risk_params(),
            cumulative_funding_long: self.cumulative_funding_long,
            cumulative_funding_short: self.cumulative_funding_short,
            price,
            valuation: Valuation::Oracle,
        }
    }

    /// A settled market's view: the settlement price, no oracle, and no portfolio credit (a
    /// fixed price hedges nothing).
    pub fn settled_view(&self) -> MarketView {
        let mut v = MarketView {
            valuation: Valuation::Settled,
            ..self.view(self.fixed_price(self.settlement_price))
        };
        v.params.margin_group = 0;
        v.params.systematic_share = 0;
        v
    }

    /// A stale market's view in a liquidation: the last recorded price, moved against each
    /// position by the price band (`MarketView::price_for`).
    pub fn stale_view(&self) -> MarketView {
        MarketView {
            valuation: Valuation::Stale {
                haircut: self.price_band,
            },
            ..self.view(self.fixed_price(self.last_oracle_price()))
        }
    }

    fn fixed_price(&self, price: i64) -> OraclePrice {
        OraclePrice {
            price,
            conf: 0,
            ema_price: price,
            publish_time: self.last_oracle_publish_time,
        }
    }

    /// Which of an account's views applies when this market's price is needed and the market
    /// is settled; `None` when it is not.
    pub fn settled_view_if_settled(&self) -> Option<MarketView> {
        self.is_settled().then(|| self.settled_view())
    }

    pub fn symbol_str(&self) -> &str {
        let end = self.symbol.iter().position(|&b| b == 0).unwrap_or(16);
        std::str::from_utf8(&self.symbol[..end]).unwrap_or("?")
    }

    /// Open interest (both sides) as an unsigned sum, for socialization.
    pub fn open_interest_both(&self) -> u128 {
        self.open_interest_long as u128 + self.open_interest_short as u128
    }

    /// The index move of a funding period's sums at `now` (`risk::compute_funding`).
    pub fn funding_inputs(&self, now: i64) -> Result<crate::risk::FundingInputs> {
        Ok(crate::risk::FundingInputs {
            oracle_sum: self.funding.oracle_sum.get(),
            elapsed: to_i64(now as i128 - self.last_funding_ts as i128)?,
            fill_notional: self.funding.fill_notional,
            fill_premium: self.funding.fill_premium,
            open_interest: self.open_interest_long,
            net_fee: self.params().net_fee(),
            price_band: self.price_band,
            max_premium: self.max_funding_premium,
        })
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
            margin_group: 1,
            systematic_share: 700_000,
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
            (|p| p.max_conf_ratio = 9_999, ErrorCode::InvalidOracleLimits),
            (
                |p| p.max_oracle_age_secs = 59,
                ErrorCode::InvalidOracleLimits,
            ),
            (
                |p| {
                    p.max_oracle_age_secs = 60;
                    p.liquidation_max_oracle_age_secs = 119;
                },
                ErrorCode::InvalidOracleLimits,
            ),
            (|p| p.maker_fee = -451, ErrorCode::InvalidNetFee),
            (|p| p.margin_group = 65, ErrorCode::InvalidMarginGroup),
            (
                |p| p.systematic_share = 750_001,
                ErrorCode::InvalidSystematicShare,
            ),
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
        assert_eq!(std::mem::size_of::<Market>(), 448);
        assert_eq!(std::mem::align_of::<Market>(), 8);
    }

    #[test]
    fn units_are_powers_of_ten() {
        assert_eq!(unit_exponent(1).unwrap(), 0);
        assert_eq!(unit_exponent(1_000).unwrap(), 3);
        assert_eq!(unit_exponent(1_000_000_000).unwrap(), 9);
        for bad in [0u64, 2, 1_500, 10_000_000_000, 999] {
            assert_eq!(
                code(unit_exponent(bad).map(|_| ())),
                u32::from(ErrorCode::InvalidUnit),
                "{bad}"
            );
        }
    }

    #[test]
    fn wide_sums_round_trip() {
        let mut w = WideI128::default();
        for v in [
            0i128,
            1,
            -1,
            i64::MAX as i128 * 1_000,
            -(1i128 << 100),
            i128::MAX,
        ] {
            w.set(v);
            assert_eq!(w.get(), v);
        }
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
