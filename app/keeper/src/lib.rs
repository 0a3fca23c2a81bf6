//! The crossmargin keeper: cranks funding for every market each period, finds liquidatable margin
//! accounts and liquidates them (resolving bankruptcies on the way). Chain access goes through one
//! trait, [`chain::Chain`], with two implementations: a real RPC client ([`rpc::RpcChain`]) and an
//! in-process chain running the program natively ([`embedded::EmbeddedChain`]).

pub mod chain;
pub mod embedded;
pub mod keeper;
pub mod pyth;
pub mod rpc;
pub mod scan;

pub use chain::{Chain, ChainError};
pub use keeper::{load_exchange_and_markets, Keeper, KeeperConfig, RoundReport};
