//! The health accounts an instruction needs: one `(Market, oracle)` pair per open position, in the
//! account's position order; for two accounts, the first's markets then the second's new ones.

use anchor_lang::prelude::{AccountMeta, Pubkey};
use cross_margin::health_accounts::union_market_order;
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

/// Market indices in the order the program expects for these accounts (the program's own
/// ordering function), leaving out `exclude` (a market the instruction names itself).
pub fn health_market_order(accounts: &[&MarginAccount], exclude: Option<u16>) -> Vec<u16> {
    let mut order: Vec<u16> = Vec::new();
    for account in accounts {
        order = union_market_order(&order, &account.position_market_indices(), exclude);
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
    health_metas(&health_market_order(accounts, None), oracles)
}

/// The health metas of a fill: both accounts' markets except the traded one.
pub fn fill_health_metas(
    taker: &MarginAccount,
    maker: &MarginAccount,
    market_index: u16,
    oracles: &impl OracleLookup,
) -> Result<Vec<AccountMeta>, UnknownMarket> {
    health_metas(
        &health_market_order(&[taker, maker], Some(market_index)),
        oracles,
    )
}

/// The health metas of a liquidation: the liquidatee's markets, then the liquidator's new ones,
/// except the liquidated market.
pub fn liquidate_health_metas(
    liquidatee: &MarginAccount,
    liquidator: &MarginAccount,
    market_index: u16,
    oracles: &impl OracleLookup,
) -> Result<Vec<AccountMeta>, UnknownMarket> {
    health_metas(
        &health_market_order(&[liquidatee, liquidator], Some(market_index)),
        oracles,
    )
}

/// The health metas of a portfolio liquidation: the liquidatee's markets (writable: the slice
/// trades in each), then the liquidator's new ones (read only).
pub fn portfolio_liquidation_metas(
    liquidatee: &MarginAccount,
    liquidator: &MarginAccount,
    oracles: &impl OracleLookup,
) -> Result<Vec<AccountMeta>, UnknownMarket> {
    let own = liquidatee.position_market_indices();
    let mut metas = health_metas(
        &health_market_order(&[liquidatee, liquidator], None),
        oracles,
    )?;
    for m in metas.iter_mut().step_by(2) {
        if own.iter().any(|i| pda::market(*i) == m.pubkey) {
            m.is_writable = true;
        }
    }
    Ok(metas)
}

/// Whether a standard liquidation step may close the account's last position (then it may
/// resolve a bankruptcy, which writes the exchange): it holds at most one position. (A portfolio
/// step closes everything only when its planned slice is the whole portfolio.)
pub fn may_close_account(liquidatee: &MarginAccount) -> bool {
    liquidatee.open_position_count() <= 1
}

/// The market metas `settle_funding` takes: one Market per open position, in order.
pub fn funding_metas(account: &MarginAccount) -> Vec<AccountMeta> {
    account
        .position_market_indices()
        .into_iter()
        .map(|i| AccountMeta::new_readonly(pda::market(i), false))
        .collect()
}
