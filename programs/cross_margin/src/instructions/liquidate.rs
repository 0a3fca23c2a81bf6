use anchor_lang::prelude::*;

use crate::bankruptcy::{require_writable_exchange, resolve_bankruptcy, DirectPayer};
use crate::constants::{EXCHANGE_SEED, MARKET_SEED};
use crate::error::ErrorCode;
use crate::events::Liquidated;
use crate::health_accounts::{
    account_health, load_trade_markets, settle_position_funding, union_market_order,
};
use crate::oracle::OracleUse;
use crate::risk::math::to_i64;
use crate::risk::{
    base_value, liquidation_size, liquidation_target, takeover_price, trade_fee, trade_quote,
    LiquidationInput, MarginMode,
};
use crate::state::{Exchange, MarginAccount, Market};
use crate::trading::{apply_side, charge_if_delegate, update_open_interest};

/// Permissionless liquidation of one position of a standard-mode account whose aggregate equity
/// is below its aggregate maintenance requirement (or that is already being liquidated). The
/// liquidator signs for its own margin account, takes over the size `risk::liquidation_size`
/// gives (at most `max_base`) at the oracle price improved by the liquidation fee, and must meet
/// initial margin after everything the instruction does. `limit_price` bounds the takeover price
/// (a maximum when taking a long, a minimum when taking a short). A keeper closes several
/// positions by putting several `liquidate` instructions in one transaction.
///
/// The liquidatee's insurance fee accrues to the market (the exchange is not written), except
/// when this step closes the last position and leaves negative collateral: then the bankruptcy is
/// resolved here (insurance first, then socialized over the market's open interest as it stood
/// before this takeover, less the bankrupt position; the liquidator's own earlier position pays
/// its share directly), and the exchange must be passed writable.
///
/// Remaining accounts: `(Market, oracle)` pairs for the liquidatee's markets, then the
/// liquidator's new ones, without this market (named). Prices may be as old as the market's
/// liquidation age limit; a market whose price is unusable is valued at its last recorded price
/// moved against each position by its band (its own positions are never taken over so).
#[derive(Accounts)]
#[instruction(market_index: u16)]
pub struct Liquidate<'info> {
    pub liquidator_authority: Signer<'info>,
    /// Written only when this step resolves a bankruptcy.
    #[account(seeds = [EXCHANGE_SEED], bump = exchange.bump)]
    pub exchange: Box<Account<'info, Exchange>>,
    #[account(
        mut,
        seeds = [MARKET_SEED, &market_index.to_le_bytes()],
        bump = market.load()?.bump
    )]
    pub market: AccountLoader<'info, Market>,
    /// CHECK: `read_oracle` checks it is the market's oracle, its owner and its data.
    pub oracle: UncheckedAccount<'info>,
    #[account(mut, constraint = liquidator.key() != liquidatee.key() @ ErrorCode::SelfLiquidation)]
    pub liquidator: AccountLoader<'info, MarginAccount>,
    #[account(mut)]
    pub liquidatee: AccountLoader<'info, MarginAccount>,
}

pub fn liquidate<'info>(
    ctx: Context<'_, '_, 'info, 'info, Liquidate<'info>>,
    market_index: u16,
    max_base: u64,
    limit_price: i64,
) -> Result<()> {
    let (order, role) = {
        let liquidator = ctx.accounts.liquidator.load()?;
        let liquidatee = ctx.accounts.liquidatee.load()?;
        let role = liquidator.require_trader(&ctx.accounts.liquidator_authority.key())?;
        require!(
            liquidator.being_liquidated == 0,
            ErrorCode::AccountBeingLiquidated
        );
        require!(
            liquidatee.margin_mode() == MarginMode::Standard,
            ErrorCode::WrongLiquidationKind
        );
        require!(
            liquidatee.position(market_index).is_some(),
            ErrorCode::NoPositionToLiquidate
        );
        let order = union_market_order(
            &liquidatee.position_market_indices(),
            &liquidator.position_market_indices(),
            Some(market_index),
        );
        (order, role)
    };
    let now = Clock::get()?.unix_timestamp;
    let mut market = ctx.accounts.market.load_mut()?;
    let (view, mut markets) = load_trade_markets(
        &mut market,
        &ctx.accounts.oracle,
        ctx.remaining_accounts,
        &order,
        now,
        OracleUse::Liquidation,
    )?;
    let oracle = view.price;

    let buffer = ctx.accounts.exchange.liquidation_buffer;
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
    // An underwater account loses every position, and the market of the last one carries the
    // deficit: the position with the largest loss goes last, whatever order the liquidator
    // would choose (the holders of the market that lost are the ones who share it).
    if before.equity <= 0 {
        require!(
            market_index == largest_loss_last(&liquidatee, &markets, market_index)?,
            ErrorCode::LargestLossLiquidatedLast
        );
    }

    let position_base = liquidatee
        .position(market_index)
        .map(|p| p.base)
        .ok_or_else(|| error!(ErrorCode::NoPositionToLiquidate))?;
    // Who holds this market before the takeover (a socialized loss falls on them).
    let open_interest_before = market.open_interest_both();
    let liquidator_base_before = liquidator.position(market_index).map_or(0, |p| p.base);
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
    let min = market.min_position_base;
    let lq = apply_side(
        &mut liquidatee,
        &markets,
        market_index,
        min,
        liquidatee_delta,
        price,
        insurance_fee,
    )?;
    let lr = apply_side(
        &mut liquidator,
        &markets,
        market_index,
        0, // the liquidator takes what the step gives: no minimum on its remainder
        -liquidatee_delta,
        price,
        0,
    )?;
    charge_if_delegate(&mut liquidator, role, &lr, price, oracle.price, now)?;

    // Open interest never grows in a takeover: no cap check.
    update_open_interest(&mut market, &lq, &lr, false)?;
    market.insurance_fees_pending = market
        .insurance_fees_pending
        .checked_add(insurance_fee as u64)
        .ok_or_else(|| error!(ErrorCode::MathOverflow))?;

    // Bankruptcy: no positions left and a negative balance.
    if !liquidatee.has_open_positions() && liquidatee.collateral < 0 {
        require_writable_exchange(&ctx.accounts.exchange.to_account_info())?;
        let open_interest = open_interest_before - position_base.unsigned_abs() as u128;
        let exchange = &mut ctx.accounts.exchange;
        let event = resolve_bankruptcy(
            ctx.accounts.liquidatee.key(),
            exchange,
            &mut market,
            &mut liquidatee,
            open_interest,
            Some(DirectPayer {
                account: &mut liquidator,
                base_before: liquidator_base_before,
            }),
        )?;
        exchange.exit(&crate::ID)?;
        if let Some(e) = event {
            emit!(e);
        }
        // the socialization moved this market's indices: the liquidator is judged after it
        let fresh = market.view(oracle);
        if let Some(v) = markets.iter_mut().find(|v| v.market_index == market_index) {
            *v = fresh;
        }
    } else if !liquidatee.has_open_positions() {
        liquidatee.being_liquidated = 0;
    }
    let liquidator_after = account_health(&liquidator, &markets)?;
    require!(
        liquidator_after.meets_initial(),
        ErrorCode::LiquidatorUnderMargin
    );

    if lq.after.equity >= liquidation_target(lq.after.maintenance_requirement, buffer)? {
        liquidatee.being_liquidated = 0;
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

/// The market an underwater account may be liquidated in now: `wanted`, unless it holds the
/// largest loss (most negative unrealized pnl, ties to the lower index) among the positions that
/// can be taken over and another such position remains, in which case that other one must go
/// first (the function returns the largest loss's market so the check fails).
pub fn largest_loss_last(
    account: &crate::state::MarginAccount,
    markets: &[crate::risk::MarketView],
    wanted: u16,
) -> Result<u16> {
    let mut worst: Option<(i128, u16)> = None;
    let mut tradable = 0usize;
    for p in crate::health_accounts::position_risks(account, markets)? {
        let Some(v) = markets.iter().find(|v| v.market_index == p.market_index) else {
            continue;
        };
        if !v.is_tradable() {
            continue;
        }
        tradable += 1;
        let u = crate::risk::unrealized_pnl(&p)?;
        if worst.is_none_or(|(w, i)| u < w || (u == w && p.market_index < i)) {
            worst = Some((u, p.market_index));
        }
    }
    Ok(match worst {
        Some((_, i)) if tradable > 1 && i == wanted => u16::MAX,
        _ => wanted,
    })
}
