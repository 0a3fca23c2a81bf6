use anchor_lang::prelude::*;

use crate::bankruptcy::{require_writable_exchange, resolve_bankruptcy, DirectPayer};
use crate::constants::EXCHANGE_SEED;
use crate::error::ErrorCode;
use crate::events::PortfolioLiquidated;
use crate::health_accounts::{
    account_health, load_market, load_market_mut, market_view, settle_funding, union_market_order,
};
use crate::oracle::OracleUse;
use crate::portfolio_liquidation::{apply_legs, plan_portfolio_slice, SliceMarket};
use crate::risk::math::to_i64;
use crate::risk::{base_value, liquidation_target, notional, trade_quote, MarginMode, MarketView};
use crate::state::{Exchange, MarginAccount};
use crate::trading::{charge_effect_if_delegate, update_open_interest_bases};

/// Permissionless liquidation of a portfolio-margin account in a slice of the whole portfolio
/// (`portfolio_liquidation`): the liquidator takes the same fraction of every position, at most
/// `max_fraction` (1e9 = all), and must meet initial margin in its own mode afterwards. When the
/// slice takes everything and leaves negative collateral, the bankruptcy is resolved over the
/// open interest of the market with the largest notional taken (the exchange must be writable).
///
/// Remaining accounts: `(Market, oracle)` pairs for the liquidatee's markets (writable), then the
/// liquidator's new ones (read only).
#[derive(Accounts)]
pub struct LiquidatePortfolio<'info> {
    pub liquidator_authority: Signer<'info>,
    /// Written only when this step resolves a bankruptcy.
    #[account(seeds = [EXCHANGE_SEED], bump = exchange.bump)]
    pub exchange: Box<Account<'info, Exchange>>,
    #[account(mut, constraint = liquidator.key() != liquidatee.key() @ ErrorCode::SelfLiquidation)]
    pub liquidator: AccountLoader<'info, MarginAccount>,
    #[account(mut)]
    pub liquidatee: AccountLoader<'info, MarginAccount>,
}

pub fn liquidate_portfolio<'info>(
    ctx: Context<'_, '_, 'info, 'info, LiquidatePortfolio<'info>>,
    max_fraction: u64,
) -> Result<()> {
    let (order, own, role) = {
        let liquidator = ctx.accounts.liquidator.load()?;
        let liquidatee = ctx.accounts.liquidatee.load()?;
        let role = liquidator.require_trader(&ctx.accounts.liquidator_authority.key())?;
        require!(
            liquidator.being_liquidated == 0,
            ErrorCode::AccountBeingLiquidated
        );
        require!(
            liquidatee.margin_mode() == MarginMode::Portfolio,
            ErrorCode::WrongLiquidationKind
        );
        let own = liquidatee.position_market_indices();
        require!(!own.is_empty(), ErrorCode::NoPositionToLiquidate);
        let order = union_market_order(&own, &liquidator.position_market_indices(), None);
        (order, own, role)
    };
    let now = Clock::get()?.unix_timestamp;
    let remaining = ctx.remaining_accounts;

    // Every market's view; the liquidatee's markets are written (their valid prices recorded).
    let mut views: Vec<MarketView> = Vec::with_capacity(order.len());
    let mut slice_markets: Vec<SliceMarket> = Vec::with_capacity(own.len());
    let mut open_interest_before: Vec<u128> = Vec::with_capacity(own.len());
    for (i, expected) in order.iter().enumerate() {
        let (Some(market_info), Some(oracle_info)) =
            (remaining.get(2 * i), remaining.get(2 * i + 1))
        else {
            return err!(ErrorCode::HealthAccountMissing);
        };
        let view = if own.contains(expected) {
            let mut market = load_market_mut(market_info)?;
            require!(
                market.market_index == *expected,
                ErrorCode::HealthAccountWrongMarket
            );
            let view = market_view(&market, oracle_info, now, OracleUse::Liquidation)?;
            if view.is_tradable() {
                market.record_oracle(&view.price, now)?;
            }
            slice_markets.push(SliceMarket::of(&market));
            open_interest_before.push(market.open_interest_both());
            view
        } else {
            let market = load_market(market_info)?;
            require!(
                market.market_index == *expected,
                ErrorCode::HealthAccountWrongMarket
            );
            market_view(&market, oracle_info, now, OracleUse::Liquidation)?
        };
        require!(
            !views.iter().any(|v| v.market_index == view.market_index),
            ErrorCode::HealthAccountDuplicate
        );
        views.push(view);
    }
    require!(
        remaining.len() == 2 * order.len(),
        ErrorCode::HealthAccountUnexpected
    );

    let buffer = ctx.accounts.exchange.liquidation_buffer;
    let mut liquidatee = ctx.accounts.liquidatee.load_mut()?;
    let mut liquidator = ctx.accounts.liquidator.load_mut()?;
    settle_funding(&mut liquidatee, &views)?;
    let before = account_health(&liquidatee, &views)?;
    let target = liquidation_target(before.maintenance_requirement, buffer)?;
    require!(
        before.liquidatable() || (liquidatee.being_liquidated != 0 && before.equity < target),
        ErrorCode::NotLiquidatable
    );
    liquidatee.being_liquidated = 1;

    let slice = plan_portfolio_slice(&liquidatee, &views, &slice_markets, buffer, max_fraction)?;
    let liquidator_bases: Vec<i64> = slice
        .legs
        .iter()
        .map(|l| liquidator.position(l.market_index).map_or(0, |p| p.base))
        .collect();
    let effects = apply_legs(&mut liquidatee, Some(&mut liquidator), &views, &slice.legs)?;

    // Per market: open interest (never grows), insurance fees, the liquidator's gain.
    let (mut gain, mut insurance) = (0i128, 0i128);
    let mut largest: Option<(usize, i128)> = None;
    for (k, (leg, (lq, lr))) in slice.legs.iter().zip(&effects).enumerate() {
        let at = order
            .iter()
            .position(|m| *m == leg.market_index)
            .ok_or_else(|| error!(ErrorCode::InvariantViolation))?;
        let mut market = load_market_mut(&remaining[2 * at])?;
        update_open_interest_bases(
            &mut market,
            (lq.old_base, lq.new_base),
            (lr.old_base, lr.new_base),
            false,
        )?;
        market.insurance_fees_pending = market
            .insurance_fees_pending
            .checked_add(leg.insurance_fee as u64)
            .ok_or_else(|| error!(ErrorCode::MathOverflow))?;
        charge_effect_if_delegate(&mut liquidator, role, lr, leg.price, leg.oracle_price, now)?;
        gain += base_value(-leg.liquidatee_delta, leg.oracle_price)?
            + trade_quote(-leg.liquidatee_delta, leg.price)? as i128;
        insurance += leg.insurance_fee as i128;
        let n = notional(leg.liquidatee_delta, leg.oracle_price)?;
        if largest.is_none_or(|(_, best)| n > best) {
            largest = Some((k, n));
        }
    }

    // Bankruptcy: everything taken and a negative balance.
    if !liquidatee.has_open_positions() && liquidatee.collateral < 0 {
        require_writable_exchange(&ctx.accounts.exchange.to_account_info())?;
        let (k, _) = largest.ok_or_else(|| error!(ErrorCode::InvariantViolation))?;
        let leg = slice.legs[k];
        let at = order
            .iter()
            .position(|m| *m == leg.market_index)
            .ok_or_else(|| error!(ErrorCode::InvariantViolation))?;
        let own_at = own
            .iter()
            .position(|m| *m == leg.market_index)
            .ok_or_else(|| error!(ErrorCode::InvariantViolation))?;
        let mut market = load_market_mut(&remaining[2 * at])?;
        let open_interest =
            open_interest_before[own_at] - leg.liquidatee_delta.unsigned_abs() as u128;
        let exchange = &mut ctx.accounts.exchange;
        let event = resolve_bankruptcy(
            ctx.accounts.liquidatee.key(),
            exchange,
            &mut market,
            &mut liquidatee,
            open_interest,
            Some(DirectPayer {
                account: &mut liquidator,
                base_before: liquidator_bases[k],
            }),
        )?;
        exchange.exit(&crate::ID)?;
        if let Some(e) = event {
            emit!(e);
        }
        let price = views[at].price;
        views[at] = MarketView {
            valuation: views[at].valuation,
            ..market.view(price)
        };
    } else if !liquidatee.has_open_positions() {
        liquidatee.being_liquidated = 0;
    }
    let liquidator_after = account_health(&liquidator, &views)?;
    require!(
        liquidator_after.meets_initial(),
        ErrorCode::LiquidatorUnderMargin
    );
    let after = account_health(&liquidatee, &views)?;
    if after.equity >= liquidation_target(after.maintenance_requirement, buffer)? {
        liquidatee.being_liquidated = 0;
    }
    emit!(PortfolioLiquidated {
        liquidatee: ctx.accounts.liquidatee.key(),
        liquidator: ctx.accounts.liquidator.key(),
        fraction: slice.fraction as u64,
        fee_scale: slice.fee_scale,
        positions_taken: slice.legs.len() as u8,
        liquidation_fee: to_i64(gain)?,
        insurance_fee: to_i64(insurance)?,
        equity_before: to_i64(before.equity)?,
        maintenance_before: to_i64(before.maintenance_requirement)?,
        equity_after: to_i64(after.equity)?,
        maintenance_after: to_i64(after.maintenance_requirement)?,
        being_liquidated: liquidatee.being_liquidated != 0,
    });
    Ok(())
}
