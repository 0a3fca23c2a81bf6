//! Health accounts: the `(Market, oracle)` pairs that follow an instruction's named accounts, one
//! per open position, in the account's position order (for two-account instructions: the first
//! account's markets, then the second's new ones). This module checks them and turns an account
//! plus its markets into the inputs of the pure `risk` math. The SDK derives the same list.

use anchor_lang::prelude::*;
use anchor_lang::Discriminator;

use crate::error::ErrorCode;
use crate::oracle::{read_oracle, OraclePrice, OracleUse};
use crate::risk::{compute_health, funding_owed, Health, PositionRisk, RiskParams};
use crate::state::{MarginAccount, Market, Position};

/// What the math needs of one market: its risk parameters, funding indices and checked price.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MarketView {
    pub market_index: u16,
    pub params: RiskParams,
    pub cumulative_funding_long: i64,
    pub cumulative_funding_short: i64,
    pub price: OraclePrice,
}

impl MarketView {
    pub fn new(market: &Market, price: OraclePrice) -> Self {
        MarketView {
            market_index: market.market_index,
            params: market.risk_params(),
            cumulative_funding_long: market.cumulative_funding_long,
            cumulative_funding_short: market.cumulative_funding_short,
            price,
        }
    }

    /// The index a position of sign `base` settles against.
    pub fn funding_index(&self, base: i64) -> i64 {
        if base >= 0 {
            self.cumulative_funding_long
        } else {
            self.cumulative_funding_short
        }
    }

    /// Unsettled funding of `pos` in this market.
    pub fn funding_owed(&self, pos: &Position) -> Result<i64> {
        funding_owed(pos.base, self.funding_index(pos.base), pos.funding_snapshot)
    }
}

fn view_for(markets: &[MarketView], market_index: u16) -> Result<&MarketView> {
    markets
        .iter()
        .find(|m| m.market_index == market_index)
        .ok_or(error!(ErrorCode::HealthAccountMissing))
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
                funding_owed: m.funding_owed(pos)?,
                price: m.price,
                params: m.params,
            })
        })
        .collect()
}

/// The account's health over all its positions.
pub fn account_health(account: &MarginAccount, markets: &[MarketView]) -> Result<Health> {
    compute_health(account.collateral, &position_risks(account, markets)?)
}

/// Realizes the unsettled funding of every open position into collateral. Returns the total
/// settled (positive = paid by the account).
pub fn settle_funding(account: &mut MarginAccount, markets: &[MarketView]) -> Result<i64> {
    let mut total: i64 = 0;
    for i in 0..account.positions.len() {
        let pos = account.positions[i];
        if !pos.is_open() {
            continue;
        }
        let m = view_for(markets, pos.market_index)?;
        let owed = m.funding_owed(&pos)?;
        account.positions[i].funding_snapshot = m.funding_index(pos.base);
        total = total
            .checked_add(owed)
            .ok_or(error!(ErrorCode::MathOverflow))?;
    }
    account.add_collateral(total.checked_neg().ok_or(error!(ErrorCode::MathOverflow))?)?;
    account.total_funding_paid = account
        .total_funding_paid
        .checked_add(total)
        .ok_or(error!(ErrorCode::MathOverflow))?;
    Ok(total)
}

/// Reads a Market from an account the caller passed: owned by this program, with the Market
/// discriminator. Such an account can only have been created by `add_market` at its PDA, so its
/// stored `market_index` identifies it.
pub fn load_market<'a>(info: &'a AccountInfo) -> Result<std::cell::Ref<'a, Market>> {
    require_keys_eq!(*info.owner, crate::ID, ErrorCode::HealthAccountNotMarket);
    let data = info.try_borrow_data()?;
    require!(
        data.len() >= Market::SPACE && data[..8] == *Market::DISCRIMINATOR,
        ErrorCode::HealthAccountNotMarket
    );
    Ok(std::cell::Ref::map(data, |d| {
        bytemuck::from_bytes::<Market>(&d[8..Market::SPACE])
    }))
}

/// Checks the health accounts against the markets `required` (in order) and reads each
/// market's price for `use_`. Exactly one pair per required market: a missing pair, an extra
/// pair, a duplicate, a market out of order, or an oracle that is not the market's each fail
/// with their own error.
pub fn load_health_markets(
    remaining: &[AccountInfo],
    required: &[u16],
    now: i64,
    use_: OracleUse,
) -> Result<Vec<MarketView>> {
    let mut views: Vec<MarketView> = Vec::with_capacity(required.len());
    for (i, expected) in required.iter().enumerate() {
        let (Some(market_info), Some(oracle_info)) =
            (remaining.get(2 * i), remaining.get(2 * i + 1))
        else {
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
        require_keys_eq!(
            *oracle_info.key,
            market.oracle,
            ErrorCode::HealthAccountWrongOracle
        );
        let price = read_oracle(oracle_info, &market, now, use_)?;
        views.push(MarketView::new(&market, price));
    }
    require!(
        remaining.len() == 2 * required.len(),
        ErrorCode::HealthAccountUnexpected
    );
    Ok(views)
}
