//! Accounts of the program: one `Exchange`, one `Market` per listed perpetual, one `MarginAccount`
//! per (owner, sub-account id), a `TriggerOrders` account per margin account that has orders, and
//! one `QueuedAction` per queued admin change.

pub mod exchange;
pub mod governance;
pub mod margin_account;
pub mod market;
pub mod trigger_orders;

pub use exchange::*;
pub use governance::*;
pub use margin_account::*;
pub use market::*;
pub use trigger_orders::*;
