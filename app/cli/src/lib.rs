//! The `crossmargin` command line, as a library so its pieces are tested directly.

pub mod account;
pub mod app;
pub mod demo;
pub mod error;
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
