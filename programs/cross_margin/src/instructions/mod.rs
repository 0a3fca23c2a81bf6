//! One file per instruction: its accounts and its handler.
//!
//! Every module exposes `handler`; `lib.rs` calls them by path. The glob re-exports exist for
//! the account structs (Anchor looks them up at the crate root).
#![allow(ambiguous_glob_reexports)]

pub mod accept_admin;
pub mod add_market;
pub mod close_margin_account;
pub mod create_margin_account;
pub mod deposit;
pub mod deposit_insurance;
pub mod fill;
pub mod initialize_exchange;
pub mod liquidate;
pub mod set_delegate;
pub mod set_market_status;
pub mod settle_funding;
pub mod transfer_admin;
pub mod update_funding;
pub mod update_market;
pub mod withdraw;

pub use accept_admin::*;
pub use add_market::*;
pub use close_margin_account::*;
pub use create_margin_account::*;
pub use deposit::*;
pub use deposit_insurance::*;
pub use fill::*;
pub use initialize_exchange::*;
pub use liquidate::*;
pub use set_delegate::*;
pub use set_market_status::*;
pub use settle_funding::*;
pub use transfer_admin::*;
pub use update_funding::*;
pub use update_market::*;
pub use withdraw::*;
