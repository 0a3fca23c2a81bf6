//! The health accounts an instruction needs: one `(Market, oracle)` pair per open position, in the
//! account's position order; for two accounts, the first's markets then the second's new ones.

use anchor_lang::prelude::{AccountMeta, Pubkey};
use cross_margin::state::MarginAccount;

use crate::pda;

/// Where to find each market's oracle (from decoded `Market` accounts, a config, a cache).
pub trait OracleLookup {
    fn oracle(&self, market_index: u16) -> Option<Pubkey>;
}

impl<F: Fn(u16) -> Option<Pubkey>> OracleLookup for F {
    fn oracle(&self, market_index: u16) -> Option<Pubkey> {
        self(market_index)
    }
}

/// A market the SDK could not find an oracle for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnknownMarket(pub u16);

impl std::fmt::Display for UnknownMarket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "no oracle known for market {}", self.0)
    }
}

impl std::error::Error for UnknownMarket {}

/// Market indices in the order the program expects for these accounts.
pub fn health_market_order(accounts: &[&MarginAccount]) -> Vec<u16> {
    let mut order: Vec<u16> = Vec::new();
    for account in accounts {
        for index in account.position_market_indices() {
            if !order.contains(&index) {
                order.push(index);
            }
        }
    }
    order
}

/// Read-only `(Market, oracle)` metas for `market_indices`, in that order.
pub fn health_metas(
    market_indices: &[u16],
    oracles: &impl OracleLookup,
) -> Result<Vec<AccountMeta>, UnknownMarket> {
    let mut metas = Vec::with_capacity(2 * market_indices.len());
    for &index in market_indices {
        let oracle = oracles.oracle(index).ok_or(UnknownMarket(index))?;
        metas.push(AccountMeta::new_readonly(pda::market(index), false));
        metas.push(AccountMeta::new_readonly(oracle, false));
    }
    Ok(metas)
}

/// The health metas for one or two margin accounts.
pub fn health_metas_for(
    accounts: &[&MarginAccount],
    oracles: &impl OracleLookup,
) -> Result<Vec<AccountMeta>, UnknownMarket> {
    health_metas(&health_market_order(accounts), oracles)
}
