//! The keeper's hot path: decode margin accounts in place and evaluate their health with the
//! program's own math, without allocating per account.

use anchor_lang::Discriminator;
use cross_margin::constants::MAX_POSITIONS;
use cross_margin::risk::{compute_health, compute_maintenance, Health, MarketView, PositionRisk};
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
/// has no view (`markets[i]` is market `i`'s, `None` where the program would refuse it).
fn risks(
    account: &MarginAccount,
    markets: &[Option<MarketView>],
) -> Option<([PositionRisk; MAX_POSITIONS], usize)> {
    let mut buf = [PositionRisk::default(); MAX_POSITIONS];
    let mut n = 0;
    for pos in account.positions.iter().filter(|p| p.is_open()) {
        let m = markets.get(pos.market_index as usize)?.as_ref()?;
        buf[n] = PositionRisk {
            market_index: pos.market_index,
            base: pos.base,
            quote: pos.quote,
            funding_owed: m.funding_owed(pos.base, pos.funding_snapshot).ok()?,
            price: m.price_for(pos.base),
            params: m.params,
        };
        n += 1;
    }
    Some((buf, n))
}

/// Health of `account` (all figures, in its margin mode).
pub fn health(account: &MarginAccount, markets: &[Option<MarketView>]) -> Option<Health> {
    let (buf, n) = risks(account, markets)?;
    compute_health(account.collateral, &buf[..n], account.margin_mode()).ok()
}

/// `E < MM` for `account` in its margin mode, computing only what that needs.
pub fn liquidatable(account: &MarginAccount, markets: &[Option<MarketView>]) -> Option<bool> {
    let (buf, n) = risks(account, markets)?;
    let (e, mm) = compute_maintenance(account.collateral, &buf[..n], account.margin_mode()).ok()?;
    Some(e < mm)
}

/// Indices of the accounts (raw data) that are liquidatable now, and how many were evaluated
/// (accounts holding a market without a view are not).
pub fn scan_liquidatable<'a>(
    accounts: impl Iterator<Item = &'a [u8]>,
    markets: &[Option<MarketView>],
) -> (Vec<usize>, usize) {
    let mut out = Vec::new();
    let mut evaluated = 0;
    for (i, data) in accounts.enumerate() {
        let Some(account) = decode(data) else {
            continue;
        };
        match liquidatable(&account, markets) {
            Some(true) => {
                evaluated += 1;
                out.push(i);
            }
            Some(false) => evaluated += 1,
            None => {}
        }
    }
    (out, evaluated)
}
