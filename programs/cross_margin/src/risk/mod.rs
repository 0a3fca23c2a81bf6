//! Pure margin math: no accounts, no clock, no syscalls. The program, the SDK, the keeper and the
//! CLI all call these functions, so there is one source of truth for every risk figure.
//!
//! Rounding always goes against the account: what it is owed rounds down, what it owes or must
//! hold rounds up.
//!
//! The value types the math works on live here too (`OraclePrice`, `RiskParams`, `MarketView`),
//! so nothing in `risk/` imports from the layers above it.

pub mod funding;
pub mod health;
pub mod liquidation;
pub mod math;
pub mod portfolio;
#[cfg(test)]
mod properties;
pub mod trade;
pub mod trigger;

pub use funding::*;
pub use health::*;
pub use liquidation::*;
pub use portfolio::*;
pub use trade::*;
pub use trigger::*;

use anchor_lang::prelude::*;

use crate::constants::RATIO_PRECISION;

/// A price at `PRICE_PRECISION` (quote native units per whole base unit, per contract).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, AnchorSerialize, AnchorDeserialize)]
pub struct OraclePrice {
    pub price: i64,
    /// Confidence interval (rounded up).
    pub conf: u64,
    /// Exponential moving average price (0 when the source has none).
    pub ema_price: i64,
    /// Unix seconds.
    pub publish_time: i64,
}

/// The margin parameters of one market that the health math needs (ratios in ppm).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RiskParams {
    pub initial_margin_ratio: u32,
    pub maintenance_margin_ratio: u32,
    /// Weight of positive unrealized pnl in the initial check.
    pub upnl_initial_weight: u32,
    /// Portfolio margin: the group whose systematic risk this market shares (0 = none).
    pub margin_group: u8,
    /// Portfolio margin: the share of this market's margin that is its group's systematic risk.
    pub systematic_share: u32,
}

/// How an account's requirements are computed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, AnchorSerialize, AnchorDeserialize)]
#[repr(u8)]
pub enum MarginMode {
    /// The sum of every position's requirement.
    #[default]
    Standard = 0,
    /// Positions of one margin group offset their systematic share (`risk::portfolio`).
    Portfolio = 1,
}

impl MarginMode {
    pub fn from_u8(v: u8) -> Option<Self> {
        match v {
            0 => Some(MarginMode::Standard),
            1 => Some(MarginMode::Portfolio),
            _ => None,
        }
    }
}

/// Where a market's price in a health computation comes from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Valuation {
    /// The oracle, checked for the instruction's use.
    #[default]
    Oracle,
    /// The market is settled: every position is worth the settlement price.
    Settled,
    /// The oracle is unusable (stale, too uncertain, halted) and the instruction is a
    /// liquidation: positions are valued at the last recorded price moved against each of them by
    /// `haircut` (ppm), and this market's own position is never taken over.
    Stale { haircut: u32 },
}

/// What the math needs of one market: its risk parameters, funding indices and price.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MarketView {
    pub market_index: u16,
    pub params: RiskParams,
    pub cumulative_funding_long: i64,
    pub cumulative_funding_short: i64,
    pub price: OraclePrice,
    pub valuation: Valuation,
}

impl MarketView {
    /// The index a position of sign `base` settles against.
    pub fn funding_index(&self, base: i64) -> i64 {
        side_index(
            base,
            self.cumulative_funding_long,
            self.cumulative_funding_short,
        )
    }

    /// Unsettled funding of a position of `base` with `snapshot` in this market.
    pub fn funding_owed(&self, base: i64, snapshot: i64) -> Result<i64> {
        funding_owed(base, self.funding_index(base), snapshot)
    }

    /// The price a position of sign `base` is valued at: the oracle's, or for a stale market the
    /// recorded price moved against the position (a long lower, a short higher; no confidence).
    pub fn price_for(&self, base: i64) -> OraclePrice {
        match self.valuation {
            Valuation::Oracle | Valuation::Settled => self.price,
            Valuation::Stale { haircut } => {
                let p = self.price.price as i128;
                let h = haircut as i128;
                let moved = if base >= 0 {
                    math::div_floor(p * (RATIO_PRECISION - h), RATIO_PRECISION)
                } else {
                    math::div_ceil(p * (RATIO_PRECISION + h), RATIO_PRECISION)
                };
                let moved = moved.clamp(1, i64::MAX as i128) as i64;
                OraclePrice {
                    price: moved,
                    conf: 0,
                    ema_price: moved,
                    publish_time: self.price.publish_time,
                }
            }
        }
    }

    /// Whether this market's own positions may be traded or taken over at this price.
    pub fn is_tradable(&self) -> bool {
        self.valuation == Valuation::Oracle
    }
}
