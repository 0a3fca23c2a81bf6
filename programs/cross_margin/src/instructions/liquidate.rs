use anchor_lang::prelude::*;

use crate::constants::EXCHANGE_SEED;
use crate::error::ErrorCode;
use crate::events::{Bankruptcy, Liquidated};
use crate::health::{
    account_health, load_trade_markets, settle_position_funding, union_market_order,
};
use crate::oracle::OracleUse;
use crate::risk::math::to_i64;
use crate::risk::{
    base_value, liquidation_size, liquidation_target, split_deficit, takeover_price, trade_fee,
    trade_quote, LiquidationInput,
};
use crate::state::{Exchange, MarginAccount, Market};
use crate::trading::{apply_side, update_open_interest};

/// Permissionless liquidation of one position of an account whose aggregate equity is below its
/// aggregate maintenance requirement (or that is already being liquidated). The liquidator signs
/// for its own margin account, takes over the size `risk::liquidation_size` gives (at most
/// `max_base`) at the oracle price improved by the liquidation fee, and must meet initial margin
/// afterwards. `limit_price` bounds the takeover price (a maximum when taking a long, a minimum
/// when taking a short). A keeper closes several positions by putting several `liquidate`
/// instructions in one transaction. When the last position is gone and collateral is negative,
/// the deficit is covered here: insurance first, then socialized over this market's open
/// interest, then recorded as bad debt.
///
/// Remaining accounts: `(Market, oracle)` pairs for the liquidatee's markets, then the
/// liquidator's new ones, without this market (named). Prices may be as old as the market's
/// liquidation age limit; every other oracle check applies.
#[derive(Accounts)]
#[instruction(market_index: u16)]
pub struct Liquidate<'info> {
    pub liquidator_authority: Signer<'info>,
    #[account(mut, seeds = [EXCHANGE_SEED], bump = exchange.bump)]
    pub exchange: Box<Account<'info, Exchange>>,
    #[account(
        mut,
        constraint = market.load()?.market_index == market_index @ ErrorCode::MarketIndexMismatch
    )]
    pub market: AccountLoader<'info, Market>,
    /// CHECK: `read_oracle` checks it is the market's oracle, its owner and its data.
    pub oracle: UncheckedAccount<'info>,
    #[account(mut, constraint = liquidator.key() != liquidatee.key() @ ErrorCode::SelfLiquidation)]
    pub liquidator: AccountLoader<'info, MarginAccount>,
    #[account(mut)]
    pub liquidatee: AccountLoader<'info, MarginAccount>,
}

pub fn handler<'info>(
    ctx: Context<'_, '_, 'info, 'info, Liquidate<'info>>,
    market_index: u16,
    max_base: u64,
    limit_price: i64,
) -> Result<()> {
    let order = {
        let liquidator = ctx.accounts.liquidator.load()?;
        let liquidatee = ctx.accounts.liquidatee.load()?;
        require!(
            liquidator.is_trader(&ctx.accounts.liquidator_authority.key()),
            ErrorCode::NotOwnerOrDelegate
        );
        require!(
            liquidator.being_liquidated == 0,
            ErrorCode::AccountBeingLiquidated
        );
        require!(
            liquidatee.position(market_index).is_some(),
            ErrorCode::NoPositionToLiquidate
        );
        union_market_order(
            &liquidatee.position_market_indices(),
            &liquidator.position_market_indices(),
            Some(market_index),
        )
    };
    let now = Clock::get()?.unix_timestamp;
    let mut market = ctx.accounts.market.load_mut()?;
    let (oracle, markets) = load_trade_markets(
        &mut market,
        &ctx.accounts.oracle,
        ctx.remaining_accounts,
        &order,
        now,
        OracleUse::Liquidation,
    )?;
    let view = markets[markets.len() - 1];

    let exchange = &mut ctx.accounts.exchange;
    let buffer = exchange.liquidation_buffer;
    let mut liquidatee = ctx.accounts.liquidatee.load_mut()?;
    let mut liquidator = ctx.accounts.liquidator.load_mut()?;

    // Health over ALL the liquidatee's positions.
    settle_position_funding(&mut liquidatee, &view)?;
    let before = account_health(&liquidatee, &markets)?;
    let target = liquidation_target(before.maintenance_requirement, buffer)?;
    require!(
        before.liquidatable() || (liquidatee.being_liquidated != 0 && before.equity < target),
        ErrorCode::NotLiquidatable
    );
    liquidatee.being_liquidated = 1;

    let position_base = liquidatee
        .position(market_index)
        .map(|p| p.base)
        .ok_or_else(|| error!(ErrorCode::NoPositionToLiquidate))?;
    let size = liquidation_size(&LiquidationInput {
        equity: before.equity,
        maintenance_requirement: before.maintenance_requirement,
        position_base,
        oracle_price: oracle.price,
        maintenance_margin_ratio: market.maintenance_margin_ratio,
        liquidation_fee: market.liquidation_fee,
        insurance_fee: market.insurance_fee,
        liquidation_buffer: buffer,
        base_lot_size: market.base_lot_size,
        min_position_base: market.min_position_base,
        max_base,
    })?;
    require!(size > 0, ErrorCode::LiquidationSizeZero);
    let taking_long = position_base > 0;
    let price = takeover_price(oracle.price, taking_long, market.liquidation_fee)?;
    require!(
        if taking_long {
            price <= limit_price
        } else {
            price >= limit_price
        },
        ErrorCode::LiquidationLimitPrice
    );

    let size = i64::try_from(size).map_err(|_| error!(ErrorCode::MathOverflow))?;
    let liquidatee_delta = if taking_long { -size } else { size };
    // An account already at or below zero equity pays no insurance fee: the fund would only be
    // paying itself (or, past it, the other traders would).
    let insurance_fee = if before.equity > 0 {
        trade_fee(liquidatee_delta, oracle.price, market.insurance_fee as i64)?
    } else {
        0
    };
    let lq = apply_side(
        &mut liquidatee,
        &market,
        &markets,
        liquidatee_delta,
        price,
        insurance_fee,
    )?;
    let lr = apply_side(
        &mut liquidator,
        &market,
        &markets,
        -liquidatee_delta,
        price,
        0,
    )?;
    require!(lr.after.meets_initial(), ErrorCode::LiquidatorUnderMargin);

    // Open interest never grows in a takeover: no cap check.
    update_open_interest(&mut market, &lq, &lr, false)?;
    exchange.insurance_balance = exchange
        .insurance_balance
        .checked_add(insurance_fee as u64)
        .ok_or_else(|| error!(ErrorCode::MathOverflow))?;

    if lq.after.equity >= liquidation_target(lq.after.maintenance_requirement, buffer)? {
        liquidatee.being_liquidated = 0;
    }

    // Bankruptcy: no positions left and a negative balance.
    if !liquidatee.has_open_positions() {
        liquidatee.being_liquidated = 0;
        if liquidatee.collateral < 0 {
            let deficit = liquidatee.collateral.unsigned_abs();
            let split = split_deficit(
                deficit,
                exchange.insurance_balance,
                market.open_interest_long,
                market.open_interest_short,
            )?;
            exchange.insurance_balance -= split.insurance;
            exchange.socialized_loss = exchange
                .socialized_loss
                .checked_add(split.socialized)
                .ok_or_else(|| error!(ErrorCode::MathOverflow))?;
            exchange.bad_debt = exchange
                .bad_debt
                .checked_add(split.bad_debt)
                .ok_or_else(|| error!(ErrorCode::MathOverflow))?;
            market.cumulative_funding_long = market
                .cumulative_funding_long
                .checked_add(split.index_delta)
                .ok_or_else(|| error!(ErrorCode::MathOverflow))?;
            market.cumulative_funding_short = market
                .cumulative_funding_short
                .checked_sub(split.index_delta)
                .ok_or_else(|| error!(ErrorCode::MathOverflow))?;
            liquidatee.collateral = 0;
            liquidatee.total_deficit_covered = liquidatee
                .total_deficit_covered
                .checked_add(deficit)
                .ok_or_else(|| error!(ErrorCode::MathOverflow))?;
            emit!(Bankruptcy {
                margin_account: ctx.accounts.liquidatee.key(),
                market_index,
                deficit,
                insurance_paid: split.insurance,
                socialized: split.socialized,
                bad_debt: split.bad_debt,
                index_delta: split.index_delta,
            });
        }
    }

    let liquidator_gain = to_i64(
        base_value(-liquidatee_delta, oracle.price)?
            + trade_quote(-liquidatee_delta, price)? as i128,
    )?;
    emit!(Liquidated {
        market_index,
        liquidatee: ctx.accounts.liquidatee.key(),
        liquidator: ctx.accounts.liquidator.key(),
        liquidatee_base_delta: liquidatee_delta,
        price,
        oracle_price: oracle.price,
        liquidation_fee: liquidator_gain,
        insurance_fee,
        equity_before: to_i64(before.equity)?,
        maintenance_before: to_i64(before.maintenance_requirement)?,
        equity_after: to_i64(lq.after.equity)?,
        maintenance_after: to_i64(lq.after.maintenance_requirement)?,
        being_liquidated: liquidatee.being_liquidated != 0,
    });
    Ok(())
}
