//! The keeper's hot path: decode margin accounts in place and evaluate their health with the
//! program's own math, without allocating per account.

use anchor_lang::Discriminator;
use cross_margin::constants::MAX_POSITIONS;
use cross_margin::health::MarketView;
use cross_margin::risk::{compute_health, Health, PositionRisk};
use cross_margin::state::MarginAccount;

/// A margin account's data viewed in place when aligned, copied otherwise. `None` when the data
/// is not a margin account.
pub fn decode(data: &[u8]) -> Option<std::borrow::Cow<'_, MarginAccount>> {
    if data.len() < MarginAccount::SPACE || data[..8] != *MarginAccount::DISCRIMINATOR {
        return None;
    }
    let body = &data[8..MarginAccount::SPACE];
    match bytemuck::try_from_bytes::<MarginAccount>(body) {
        Ok(a) => Some(std::borrow::Cow::Borrowed(a)),
        Err(_) => Some(std::borrow::Cow::Owned(bytemuck::pod_read_unaligned(body))),
    }
}

/// Health of `account` with `markets` indexed by market index (`markets[i].market_index == i`).
/// `None` when a position's market is not in the table.
pub fn health(account: &MarginAccount, markets: &[MarketView]) -> Option<Health> {
    let mut buf = [PositionRisk::default(); MAX_POSITIONS];
    let mut n = 0;
    for pos in account.positions.iter().filter(|p| p.is_open()) {
        let m = markets.get(pos.market_index as usize)?;
        buf[n] = PositionRisk {
            market_index: pos.market_index,
            base: pos.base,
            quote: pos.quote,
            funding_owed: m.funding_owed(pos).ok()?,
            price: m.price,
            params: m.params,
        };
        n += 1;
    }
    compute_health(account.collateral, &buf[..n]).ok()
}

/// Indices of the accounts (raw data) that are liquidatable now, and how many were evaluated.
pub fn scan_liquidatable<'a>(
    accounts: impl Iterator<Item = &'a [u8]>,
    markets: &[MarketView],
) -> (Vec<usize>, usize) {
    let mut out = Vec::new();
    let mut evaluated = 0;
    for (i, data) in accounts.enumerate() {
        let Some(account) = decode(data) else {
            continue;
        };
        evaluated += 1;
        if let Some(h) = health(&account, markets) {
            if h.liquidatable() {
                out.push(i);
            }
        }
    }
    (out, evaluated)
}
