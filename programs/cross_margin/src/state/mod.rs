//! Accounts of the program: one `Exchange`, one `Market` per listed perpetual, one `MarginAccount`
//! per (owner, sub-account id).

pub mod exchange;
pub mod margin_account;
pub mod market;

pub use exchange::*;
pub use margin_account::*;
pub use market::*;
