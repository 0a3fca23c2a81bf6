//! Trigger orders the keeper can execute now, and the instruction that does it.

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use anchor_lang::Discriminator;
use cross_margin::health_accounts::account_health;
use cross_margin::oracle::OracleUse;
use cross_margin::risk::{
    grows_risk, trade_cost_at_oracle, trade_fee, trigger_execution_price, trigger_reached,
    within_limit, MarketView,
};
use cross_margin::state::{MarginAccount, MarketStatus, TriggerOrder, TriggerOrders};
use cross_margin::trading::{apply_side, check_margin};
use crossmargin_sdk::{health as metas, instructions as ix};

use crate::markets::ExchangeState;
use crate::plan::PlanError;

/// A trigger-order account's data viewed in place when aligned, copied otherwise.
pub fn decode(data: &[u8]) -> Option<std::borrow::Cow<'_, TriggerOrders>> {
    if data.len() < TriggerOrders::SPACE || data[..8] != *TriggerOrders::DISCRIMINATOR {
        return None;
    }
    let body = &data[8..TriggerOrders::SPACE];
    match bytemuck::try_from_bytes::<TriggerOrders>(body) {
        Ok(t) => Some(std::borrow::Cow::Borrowed(t)),
        Err(_) => Some(std::borrow::Cow::Owned(bytemuck::pod_read_unaligned(body))),
    }
}

/// Whether `order` of the account holding `base` in its market can execute now at `price`
/// (valid for trading, `publish_time`): the program's conditions, checked without allocating.
pub fn is_due(order: &TriggerOrder, base: i64, price: i64, publish_time: i64, now: i64) -> bool {
    if now > order.expiry || publish_time <= order.placed_at {
        return false;
    }
    // a position gone or flipped voids the order: executing it cancels it (worth sending too)
    if base == 0 || (base > 0) != order.is_long() {
        return true;
    }
    let long = order.is_long();
    trigger_reached(order.kind(), long, order.trigger_price, price)
        && trigger_execution_price(long, price, order.premium)
            .is_ok_and(|p| within_limit(long, p, order.limit_price))
}

/// The execution of `trader`'s `order` by the keeper's account, if the keeper's margin can take
/// the other side.
pub fn plan_execution(
    state: &ExchangeState,
    authority: Pubkey,
    executor_key: Pubkey,
    executor: &MarginAccount,
    trader_key: Pubkey,
    trader: &MarginAccount,
    order: &TriggerOrder,
) -> Result<Instruction, PlanError> {
    let usable = state.views(OracleUse::Trading);
    // the program reads every market of both accounts at trading quality: wait for all of them
    for i in trader
        .position_market_indices()
        .into_iter()
        .chain(executor.position_market_indices())
        .chain([order.market_index])
    {
        if usable.get(i as usize).is_none_or(|v| v.is_none()) {
            return Err(PlanError::NoPrice(i));
        }
    }
    let views: Vec<MarketView> = usable.into_iter().flatten().collect();
    let market_index = order.market_index;
    let m = state
        .markets
        .get(&market_index)
        .ok_or(PlanError::NoPrice(market_index))?;
    let oracle_price = m
        .trading_price(state.now)
        .ok_or(PlanError::NoPrice(market_index))?;
    let base = trader.position(market_index).map_or(0, |p| p.base);
    let oracles = |i: u16| state.oracle(i);
    let health = metas::fill_health_metas(trader, executor, market_index, &oracles)
        .map_err(|e| PlanError::NoPrice(e.0))?;
    let build = |h| {
        ix::execute_trigger_order(
            authority,
            executor_key,
            trader_key,
            market_index,
            m.market.oracle,
            order.id,
            h,
        )
    };
    if base == 0 || (base > 0) != order.is_long() {
        return Ok(build(health)); // voids the order
    }
    let long = order.is_long();
    let price = trigger_execution_price(long, oracle_price.price, order.premium)
        .map_err(|e| PlanError::Math(e.to_string()))?;
    let size = cross_margin::instructions::execution_size(
        order.size,
        base.unsigned_abs(),
        m.market.base_lot_size,
        m.market.min_position_base,
    ) as i64;
    let delta = if long { -size } else { size };
    // a paused market trades nothing; a reduce-only one only what shrinks both sides
    let executor_base = executor.position(market_index).map_or(0, |p| p.base);
    match m.market.effective_status(state.now) {
        Ok(MarketStatus::Active) => {}
        Ok(MarketStatus::ReduceOnly) if !grows_risk(executor_base, executor_base - delta) => {}
        _ => return Err(PlanError::MarketStatus(market_index)),
    }
    if order.by_delegate() && trader.delegate != Pubkey::default() {
        // charged to the delegate's budget at execution, under the owner's limits of now
        let trader_fee = trade_fee(delta, price, m.market.taker_fee as i64)
            .map_err(|e| PlanError::Math(e.to_string()))?;
        let cost = trade_cost_at_oracle(delta, price, oracle_price.price, trader_fee)
            .map_err(|e| PlanError::Math(e.to_string()))?;
        let mut t = *trader;
        if t.charge_delegate(price, oracle_price.price, false, cost, state.now)
            .is_err()
        {
            return Err(PlanError::DelegateLimits);
        }
    }
    // the trader's side as the program judges it: a reduction at the premium must leave it above
    // maintenance or no lower in E - MM (an account that would not be is for liquidation)
    let trader_fee = trade_fee(delta, price, m.market.taker_fee as i64)
        .map_err(|e| PlanError::Math(e.to_string()))?;
    let mut t = *trader;
    let side = apply_side(
        &mut t,
        &views,
        market_index,
        m.market.min_position_base,
        delta,
        price,
        trader_fee,
    )
    .map_err(|e| PlanError::Math(e.to_string()))?;
    if check_margin(&side, false).is_err() {
        return Err(PlanError::TraderMargin);
    }
    let fee = trade_fee(delta, price, m.market.maker_fee as i64)
        .map_err(|e| PlanError::Math(e.to_string()))?;
    let mut e = *executor;
    apply_side(
        &mut e,
        &views,
        market_index,
        0, // the executor takes any size, as in the program
        -delta,
        price,
        fee,
    )
    .map_err(crate::plan::math)?;
    if !account_health(&e, &views)
        .map_err(|e| PlanError::Math(e.to_string()))?
        .meets_initial()
    {
        return Err(PlanError::KeeperTooSmall(market_index));
    }
    Ok(build(health))
}
