use anchor_lang::prelude::*;

use crate::constants::{EXCHANGE_SEED, MARKET_SEED, TRIGGER_ORDERS_SEED};
use crate::error::ErrorCode;
use crate::events::{TriggerOrderCancelled, TriggerOrderExecuted};
use crate::health_accounts::{load_trade_markets, union_market_order};
use crate::oracle::OracleUse;
use crate::risk::{trade_fee, trigger_execution_price, trigger_reached, within_limit};
use crate::state::{Exchange, MarginAccount, Market, MarketStatus, SignerRole, TriggerOrders};
use crate::trading::TwoPartyTrade;

/// Permissionless execution of a trigger order: the executor signs for its own margin account and
/// takes the other side, once the oracle (valid for trading, published after the order was
/// placed) has crossed the trigger, at the oracle price moved by the order's premium against the
/// trader and never worse than the trader's limit. It only reduces: at most the current
/// position; an order whose position is gone or flipped is cancelled instead. Both accounts are
/// margin-checked as in a fill (the trader's reduction, the executor's initial margin, each in
/// its mode); the trader pays the taker fee, the executor the maker fee; an order a delegate
/// placed counts against the delegate's budget. The order is consumed.
///
/// Remaining accounts: `(Market, oracle)` pairs for the trader's markets, then the executor's new
/// ones, without this market (named).
#[derive(Accounts)]
#[instruction(market_index: u16)]
pub struct ExecuteTriggerOrder<'info> {
    pub executor_authority: Signer<'info>,
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
    #[account(mut, constraint = trader.key() != executor.key() @ ErrorCode::TriggerSelfExecution)]
    pub trader: AccountLoader<'info, MarginAccount>,
    #[account(mut)]
    pub executor: AccountLoader<'info, MarginAccount>,
    #[account(
        mut,
        seeds = [TRIGGER_ORDERS_SEED, trader.key().as_ref()],
        bump = trigger_orders.load()?.bump
    )]
    pub trigger_orders: AccountLoader<'info, TriggerOrders>,
}

pub fn execute_trigger_order<'info>(
    ctx: Context<'_, '_, 'info, 'info, ExecuteTriggerOrder<'info>>,
    market_index: u16,
    order_id: u64,
) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let order = ctx.accounts.trigger_orders.load()?.find(order_id)?;
    require!(
        order.market_index == market_index,
        ErrorCode::MarketIndexMismatch
    );
    require!(now <= order.expiry, ErrorCode::TriggerOrderExpired);
    let (order_markets, executor_role, position) = {
        let trader = ctx.accounts.trader.load()?;
        let executor = ctx.accounts.executor.load()?;
        let executor_role = executor.require_trader(&ctx.accounts.executor_authority.key())?;
        let order_markets = union_market_order(
            &trader.position_market_indices(),
            &executor.position_market_indices(),
            Some(market_index),
        );
        (
            order_markets,
            executor_role,
            trader.position(market_index).map(|p| p.base),
        )
    };
    // The position the order reduces is gone or flipped: the order is void.
    let Some(base) = position.filter(|b| (*b > 0) == order.is_long()) else {
        ctx.accounts.trigger_orders.load_mut()?.remove(order_id)?;
        emit!(TriggerOrderCancelled {
            margin_account: ctx.accounts.trader.key(),
            order_id,
            reason: 1,
        });
        return Ok(());
    };

    let mut market = ctx.accounts.market.load_mut()?;
    let status = market.effective_status(now)?;
    require!(status != MarketStatus::Settled, ErrorCode::MarketSettled);
    require!(status != MarketStatus::Paused, ErrorCode::MarketPaused);
    let (named, markets) = load_trade_markets(
        &mut market,
        &ctx.accounts.oracle,
        ctx.remaining_accounts,
        &order_markets,
        now,
        OracleUse::Trading,
    )?;
    let oracle = named.price;
    require!(
        oracle.publish_time > order.placed_at,
        ErrorCode::TriggerPriceBeforePlacement
    );
    let long = order.is_long();
    require!(
        trigger_reached(order.kind(), long, order.trigger_price, oracle.price),
        ErrorCode::TriggerNotReached
    );
    let price = trigger_execution_price(long, oracle.price, order.premium)?;
    require!(
        within_limit(long, price, order.limit_price),
        ErrorCode::TriggerPriceBeyondLimit
    );
    let size = execution_size(
        order.size,
        base.unsigned_abs(),
        market.base_lot_size,
        market.min_position_base,
    );
    let size = i64::try_from(size).map_err(|_| error!(ErrorCode::MathOverflow))?;
    let delta = if long { -size } else { size };

    let mut trader = ctx.accounts.trader.load_mut()?;
    let mut executor = ctx.accounts.executor.load_mut()?;
    // A delegate's order is charged to the delegate's budget while the account has a delegate;
    // once the owner revokes it, the order is the owner's protection and executes as its own
    // (the owner may cancel any order it does not want).
    let trader_role = if order.by_delegate() && trader.delegate != Pubkey::default() {
        SignerRole::Delegate
    } else {
        SignerRole::Owner
    };
    let fee_a = trade_fee(delta, price, market.taker_fee as i64)?;
    let fee_b = trade_fee(delta, price, market.maker_fee as i64)?;
    let (t, e) = TwoPartyTrade {
        market: &mut market,
        markets: &markets,
        base_delta: delta,
        price,
        oracle_price: oracle.price,
        fee_a,
        fee_b,
        status,
        buffer: ctx.accounts.exchange.liquidation_buffer,
        now,
        b_takes_any_size: true,
    }
    .execute(&mut trader, trader_role, &mut executor, executor_role)?;
    require!(
        // the position shrinks (its margin consequence, e.g. a portfolio hedge leg closed, was
        // checked with the trade: initial margin when the requirement rose)
        !crate::risk::grows_risk(t.old_base, t.new_base)
            && t.new_base.unsigned_abs() < t.old_base.unsigned_abs(),
        ErrorCode::TriggerWouldGrowPosition
    );
    ctx.accounts.trigger_orders.load_mut()?.remove(order_id)?;
    emit!(TriggerOrderExecuted {
        margin_account: ctx.accounts.trader.key(),
        executor: ctx.accounts.executor.key(),
        order_id,
        market_index,
        kind: order.kind(),
        base_delta: delta,
        price,
        oracle_price: oracle.price,
        limit_price: order.limit_price,
        trader_fee: t.fee,
        executor_fee: e.fee,
        base_after: t.new_base,
    });
    Ok(())
}

/// What an order of `size` (0 = all) closes of a position of `held`: its size, or the whole
/// position when that size can no longer trade under the market's current lot and minimum, or
/// would leave less than the minimum open. A trigger order never fails on the size rules: it
/// closes more rather than not at all (the direction the trader asked for).
pub fn execution_size(size: u64, held: u64, lot: u64, min_position: u64) -> u64 {
    if size == 0 || size >= held {
        return held;
    }
    let tradable = size.is_multiple_of(lot.max(1)) && size >= min_position;
    if !tradable || held - size < min_position {
        held
    } else {
        size
    }
}

#[cfg(test)]
mod tests {
    use super::execution_size;

    #[test]
    fn an_order_that_cannot_trade_its_size_closes_the_position() {
        // lot 10, minimum 100, position 1,000
        assert_eq!(execution_size(0, 1_000, 10, 100), 1_000);
        assert_eq!(execution_size(400, 1_000, 10, 100), 400);
        assert_eq!(execution_size(5_000, 1_000, 10, 100), 1_000);
        // would leave 50 < 100 open
        assert_eq!(execution_size(950, 1_000, 10, 100), 1_000);
        // off the lot (the lot grew since placement), or under the minimum
        assert_eq!(execution_size(405, 1_000, 10, 100), 1_000);
        assert_eq!(execution_size(90, 1_000, 10, 100), 1_000);
        // exactly the minimum left
        assert_eq!(execution_size(900, 1_000, 10, 100), 900);
    }
}
