//! Rust SDK of crossmargin: PDAs, one builder per instruction (health accounts derived, never
//! hand-assembled), v0 transactions against the exchange's lookup tables, and account decoders.
//! The risk figures come from the program crate's own `risk` module (`cross_margin::risk`),
//! compiled with `no-entrypoint`: one copy of the math.

pub mod accounts;
pub mod config;
pub mod events;
pub mod health;
pub mod instructions;
pub mod oracle;
pub mod pda;
pub mod rfq;
pub mod risk;
pub mod tx;

pub use cross_margin;
pub use cross_margin::ID as PROGRAM_ID;
