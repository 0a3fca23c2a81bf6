//! The keeper's hot path: decode margin accounts in place and evaluate their health with the
//! program's own math, without allocating per account.

use anchor_lang::Discriminator;
use cross_margin::constants::MAX_POSITIONS;
use cross_margin::health::MarketView;
use cross_margin::risk::{compute_health, compute_maintenance, Health, PositionRisk};
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

/// The risk inputs of `account`'s positions, in a stack buffer; `None` when a position's market
/// is not in the table (`markets[i].market_index == i`).
fn risks(
    account: &MarginAccount,
    markets: &[MarketView],
) -> Option<([PositionRisk; MAX_POSITIONS], usize)> {
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
    Some((buf, n))
}

/// Health of `account` (all figures).
pub fn health(account: &MarginAccount, markets: &[MarketView]) -> Option<Health> {
    let (buf, n) = risks(account, markets)?;
    compute_health(account.collateral, &buf[..n]).ok()
}

/// `E < MM` for `account`, computing only what that needs.
pub fn liquidatable(account: &MarginAccount, markets: &[MarketView]) -> Option<bool> {
    let (buf, n) = risks(account, markets)?;
    let (e, mm) = compute_maintenance(account.collateral, &buf[..n]).ok()?;
    Some(e < mm)
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
        if liquidatable(&account, markets) == Some(true) {
            out.push(i);
        }
    }
    (out, evaluated)
}
