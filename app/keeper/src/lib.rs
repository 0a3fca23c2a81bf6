//! The crossmargin keeper: cranks funding for every market each period, settles dead markets and
//! the positions in settled ones, executes trigger orders that are due, finds liquidatable margin
//! accounts and liquidates them (resolving bankruptcies on the way), sized to its own margin and
//! packed into v0 transactions. Chain access goes through one trait, [`chain::Chain`], with a real
//! RPC client ([`rpc::RpcChain`]) and, with the `embedded` feature, an in-process chain running
//! the program natively ([`embedded::EmbeddedChain`]).

pub mod chain;
#[cfg(feature = "embedded")]
pub mod embedded;
pub mod keeper;
pub mod markets;
pub mod plan;
pub mod pyth;
pub mod rfq;
pub mod rpc;
pub mod scan;
pub mod triggers;

pub use chain::{Chain, ChainError};
pub use keeper::{Keeper, KeeperConfig, RoundReport};
pub use markets::{load_exchange, ExchangeState};
