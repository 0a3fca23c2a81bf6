//! Pure margin math: no accounts, no clock, no syscalls. The program, the SDK, the keeper and the
//! CLI all call these functions, so there is one source of truth for every risk figure.
//!
//! Rounding always goes against the account: what it is owed rounds down, what it owes or must
//! hold rounds up.

pub mod funding;
pub mod health;
pub mod liquidation;
pub mod math;
#[cfg(test)]
mod properties;
pub mod trade;

pub use funding::*;
pub use health::*;
pub use liquidation::*;
pub use trade::*;

/// The margin parameters of one market that the health math needs (ratios in ppm).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RiskParams {
    pub initial_margin_ratio: u32,
    pub maintenance_margin_ratio: u32,
    /// Weight of positive unrealized pnl in the initial check.
    pub upnl_initial_weight: u32,
}
