//! Health accounts: the `(Market, oracle)` pairs that follow an instruction's named accounts, one
//! per open position, in the account's position order (for two-account instructions: the first
//! account's markets, then the second's new ones). This module checks them and turns an account
//! plus its markets into the inputs of the pure `risk` math. The SDK derives the same list.
//!
//! A settled market's pair still names its oracle (checked by key) but the oracle is not read:
//! the settlement price stands in. In a liquidation, a market whose oracle is unusable right now
//! (stale, too uncertain, halted) is valued at its last recorded price moved against each
//! position by its price band, so one dark feed cannot shield the rest of an account.

use anchor_lang::prelude::*;
use anchor_lang::Discriminator;

use crate::error::ErrorCode;
use crate::oracle::{is_price_unavailable, read_oracle, OraclePrice, OracleUse};
use crate::risk::{compute_health, Health, MarketView, PositionRisk};
use crate::state::{MarginAccount, Market};

fn view_for(markets: &[MarketView], market_index: u16) -> Result<&MarketView> {
    markets
        .iter()
        .find(|m| m.market_index == market_index)
        .ok_or_else(|| error!(ErrorCode::HealthAccountMissing))
}

/// The risk inputs of every open position of `account`.
pub fn position_risks(
    account: &MarginAccount,
    markets: &[MarketView],
) -> Result<Vec<PositionRisk>> {
    account
        .open_positions()
        .map(|pos| {
            let m = view_for(markets, pos.market_index)?;
            Ok(PositionRisk {
                market_index: pos.market_index,
                base: pos.base,
                quote: pos.quote,
                funding_owed: m.funding_owed(pos.base, pos.funding_snapshot)?,
                price: m.price_for(pos.base),
                params: m.params,
            })
        })
        .collect()
}

/// The account's health over all its positions, in its margin mode.
pub fn account_health(account: &MarginAccount, markets: &[MarketView]) -> Result<Health> {
    compute_health(
        account.collateral,
        &position_risks(account, markets)?,
        account.margin_mode(),
    )
}

/// Realizes the unsettled funding of the open position in `view`'s market (if any) into
/// collateral. Returns the amount settled (positive = paid by the account).
pub fn settle_position_funding(account: &mut MarginAccount, view: &MarketView) -> Result<i64> {
    let Some(pos) = account.position_mut(view.market_index) else {
        return Ok(0);
    };
    let owed = view.funding_owed(pos.base, pos.funding_snapshot)?;
    pos.funding_snapshot = view.funding_index(pos.base);
    charge_funding(account, owed)?;
    Ok(owed)
}

/// Moves `owed` (positive = paid by the account) from collateral into its funding record.
pub fn charge_funding(account: &mut MarginAccount, owed: i64) -> Result<()> {
    account.add_collateral(
        owed.checked_neg()
            .ok_or_else(|| error!(ErrorCode::MathOverflow))?,
    )?;
    account.total_funding_paid = account
        .total_funding_paid
        .checked_add(owed)
        .ok_or_else(|| error!(ErrorCode::MathOverflow))?;
    Ok(())
}

/// Realizes the unsettled funding of every open position. Returns the total settled.
pub fn settle_funding(account: &mut MarginAccount, markets: &[MarketView]) -> Result<i64> {
    let mut total: i64 = 0;
    for market_index in account.position_market_indices() {
        let owed = settle_position_funding(account, view_for(markets, market_index)?)?;
        total = total
            .checked_add(owed)
            .ok_or_else(|| error!(ErrorCode::MathOverflow))?;
    }
    Ok(total)
}

/// Checks that an account the caller passed is a Market of this program: owned by it, with the
/// Market discriminator. Such an account can only have been created by listing at its PDA, so
/// its stored `market_index` identifies it.
fn check_market_account(info: &AccountInfo, data: &[u8]) -> Result<()> {
    require_keys_eq!(*info.owner, crate::ID, ErrorCode::HealthAccountNotMarket);
    require!(
        data.len() >= Market::SPACE && data[..8] == *Market::DISCRIMINATOR,
        ErrorCode::HealthAccountNotMarket
    );
    Ok(())
}

/// Reads a Market from a health account.
pub fn load_market<'a>(info: &'a AccountInfo) -> Result<std::cell::Ref<'a, Market>> {
    // The only market an instruction holds borrowed while it reads this list is the one it names
    // itself: passing that one again is a duplicate.
    let data = info
        .try_borrow_data()
        .map_err(|_| error!(ErrorCode::HealthAccountDuplicate))?;
    check_market_account(info, &data)?;
    Ok(std::cell::Ref::map(data, |d| {
        bytemuck::from_bytes::<Market>(&d[8..Market::SPACE])
    }))
}

/// Reads a Market from a health account for writing (it must be passed writable).
pub fn load_market_mut<'a>(info: &'a AccountInfo) -> Result<std::cell::RefMut<'a, Market>> {
    require!(info.is_writable, ErrorCode::HealthAccountWrongMarket);
    let data = info
        .try_borrow_mut_data()
        .map_err(|_| error!(ErrorCode::HealthAccountDuplicate))?;
    check_market_account(info, &data)?;
    Ok(std::cell::RefMut::map(data, |d| {
        bytemuck::from_bytes_mut::<Market>(&mut d[8..Market::SPACE])
    }))
}

/// What a list of market accounts after the named accounts carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MarketList {
    /// `(Market, oracle)` pairs; every price is read and checked for `use_` at `now` (settled
    /// markets use their settlement price; in a liquidation, unusable prices are valued stale).
    WithPrices { now: i64, use_: OracleUse },
    /// Markets only (funding settlement needs the indices, not prices).
    MarketsOnly,
}

/// The view of `market` for a health computation, from its oracle account `oracle_info`.
pub fn market_view(
    market: &Market,
    oracle_info: &AccountInfo,
    now: i64,
    use_: OracleUse,
) -> Result<MarketView> {
    require_keys_eq!(
        *oracle_info.key,
        market.oracle,
        ErrorCode::HealthAccountWrongOracle
    );
    if market.is_settled() {
        return Ok(market.settled_view());
    }
    match read_oracle(oracle_info, market, now, use_) {
        Ok(price) => Ok(market.view(price)),
        Err(e) if use_ == OracleUse::Liquidation && is_price_unavailable(&e) => {
            Ok(market.stale_view())
        }
        Err(e) => Err(e),
    }
}

/// Checks the accounts after the named ones against the markets `required` (in order) and reads
/// them. Exactly one entry per required market: a missing entry, an extra one, a duplicate, a
/// market out of order, a non-market, or an oracle that is not the market's each fail with their
/// own error.
pub fn load_market_list(
    remaining: &[AccountInfo],
    required: &[u16],
    list: MarketList,
) -> Result<Vec<MarketView>> {
    let stride = match list {
        MarketList::WithPrices { .. } => 2,
        MarketList::MarketsOnly => 1,
    };
    let mut views: Vec<MarketView> = Vec::with_capacity(required.len() + 1);
    for (i, expected) in required.iter().enumerate() {
        let Some(market_info) = remaining.get(stride * i) else {
            return err!(ErrorCode::HealthAccountMissing);
        };
        let market = load_market(market_info)?;
        require!(
            !views.iter().any(|v| v.market_index == market.market_index),
            ErrorCode::HealthAccountDuplicate
        );
        require!(
            market.market_index == *expected,
            ErrorCode::HealthAccountWrongMarket
        );
        let view = match list {
            MarketList::WithPrices { now, use_ } => {
                let Some(oracle_info) = remaining.get(stride * i + 1) else {
                    return err!(ErrorCode::HealthAccountMissing);
                };
                market_view(&market, oracle_info, now, use_)?
            }
            MarketList::MarketsOnly => market.view(OraclePrice::default()),
        };
        views.push(view);
    }
    require!(
        remaining.len() == stride * required.len(),
        ErrorCode::HealthAccountUnexpected
    );
    Ok(views)
}

/// `(Market, oracle)` pairs for `required`, prices checked for `use_` at `now`.
pub fn load_health_markets(
    remaining: &[AccountInfo],
    required: &[u16],
    now: i64,
    use_: OracleUse,
) -> Result<Vec<MarketView>> {
    load_market_list(remaining, required, MarketList::WithPrices { now, use_ })
}

/// The markets an instruction that trades in a named market needs: that market's price (read for
/// `use_`, which must be valid, and recorded in the market) and the health pairs of every other
/// market in `order`. Returns the named market's view and all the views (the named one included).
pub fn load_trade_markets(
    market: &mut Market,
    oracle_info: &AccountInfo,
    remaining: &[AccountInfo],
    order: &[u16],
    now: i64,
    use_: OracleUse,
) -> Result<(MarketView, Vec<MarketView>)> {
    require!(!market.is_settled(), ErrorCode::MarketSettled);
    let price = read_oracle(oracle_info, market, now, use_)?;
    market.record_oracle(&price, now)?;
    let mut views = load_health_markets(remaining, order, now, use_)?;
    let named = market.view(price);
    views.push(named);
    Ok((named, views))
}

/// The markets of two accounts in health order (the first's, then the second's new ones),
/// leaving out `exclude` (the market an instruction names itself).
pub fn union_market_order(first: &[u16], second: &[u16], exclude: Option<u16>) -> Vec<u16> {
    let mut order: Vec<u16> = Vec::with_capacity(first.len() + second.len());
    for &m in first.iter().chain(second.iter()) {
        if Some(m) != exclude && !order.contains(&m) {
            order.push(m);
        }
    }
    order
}
