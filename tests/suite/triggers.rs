//! Stop-loss and take-profit orders: placing (each refusal), executing (each condition, the
//! price, the fees, the order consumed) and cancelling.

use cross_margin::error::ErrorCode;
use cross_margin::events::{TriggerOrderCancelled, TriggerOrderExecuted, TriggerOrderPlaced};
use cross_margin::instructions::TriggerOrderParams;
use cross_margin::risk::TriggerKind;
use cross_margin::state::DelegateLimits;
use crossmargin_sdk::{instructions as ix, pda};
use solana_sdk::signature::{Keypair, Signer};

use crate::harness::events::one_event;
use crate::harness::*;

fn stop_loss(now: i64) -> TriggerOrderParams {
    TriggerOrderParams {
        kind: TriggerKind::StopLoss,
        trigger_price: 2_900 * DOLLAR,
        limit_price: 2_850 * DOLLAR,
        size: 0,
        expiry: now + 86_400,
        premium: 2_000,
    }
}

struct Setup {
    env: TestEnv,
    mm: User,
    trader: User,
    keeper: User,
}

/// The trader holds 2 ETH bought at 3,000 with 1,000 USDC; the keeper's account executes.
async fn setup() -> Setup {
    let mut env = TestEnv::with_markets().await;
    let mm = env.funded_user(10_000_000 * USDC).await;
    let trader = env.funded_user(1_003 * USDC).await;
    env.fill(&trader, &mm, 0, 2 * ONE, 3_000 * DOLLAR)
        .await
        .unwrap();
    let keeper = env.funded_user(50_000 * USDC).await;
    Setup {
        env,
        mm,
        trader,
        keeper,
    }
}

#[tokio::test]
async fn placing_refuses_what_could_not_work() {
    let Setup {
        mut env, trader, ..
    } = setup().await;
    let now = env.now;
    let key = trader.key.insecure_clone();
    env.send(
        &[ix::create_trigger_orders(key.pubkey(), trader.account)],
        &[&key],
    )
    .await
    .unwrap();
    let orders = pda::trigger_orders(&trader.account);
    let watch = [trader.account, orders];
    let place = |env: &TestEnv, market: u16, p: TriggerOrderParams| {
        ix::place_trigger_order(
            key.pubkey(),
            trader.account,
            market,
            env.markets[market as usize].oracle,
            p,
        )
    };
    let base = stop_loss(now);
    let cases = [
        (1, base, ErrorCode::NoPositionInMarket),
        (
            0,
            TriggerOrderParams {
                size: 2 * ONE as u64 + 1,
                ..base
            },
            ErrorCode::TriggerWouldGrowPosition,
        ),
        (
            0,
            TriggerOrderParams {
                premium: 10_001,
                ..base
            },
            ErrorCode::TriggerPremiumTooHigh,
        ),
        (
            0,
            TriggerOrderParams {
                expiry: now,
                ..base
            },
            ErrorCode::TriggerInvalidExpiry,
        ),
        (
            0,
            TriggerOrderParams {
                limit_price: 2_950 * DOLLAR,
                ..base
            },
            ErrorCode::TriggerLimitWrongSide,
        ),
        (
            0,
            TriggerOrderParams {
                trigger_price: 3_100 * DOLLAR,
                limit_price: 3_050 * DOLLAR,
                ..base
            },
            ErrorCode::TriggerAlreadyCrossed,
        ),
        (
            0,
            TriggerOrderParams {
                kind: TriggerKind::TakeProfit,
                trigger_price: 2_990 * DOLLAR,
                limit_price: 2_950 * DOLLAR,
                ..base
            },
            ErrorCode::TriggerAlreadyCrossed,
        ),
    ];
    for (market, p, code) in cases {
        let i = place(&env, market, p);
        env.expect_error(&[i], &[&key], code, &watch).await;
    }
    // a stranger
    let mallory = Keypair::new();
    env.airdrop(&mallory.pubkey(), 1_000_000_000).await;
    let i = ix::place_trigger_order(
        mallory.pubkey(),
        trader.account,
        0,
        env.markets[0].oracle,
        base,
    );
    env.expect_error(&[i], &[&mallory], ErrorCode::NotOwnerOrDelegate, &watch)
        .await;
    // a stale oracle
    env.advance(61).await;
    env.set_price(1, 60_000 * DOLLAR).await;
    let i = place(&env, 0, base);
    env.expect_error(&[i], &[&key], ErrorCode::OracleStale, &watch)
        .await;
    env.refresh_prices().await;
    // 32 orders fill the account; the 33rd is refused
    for n in 0..32 {
        let logs = env
            .send(
                &[place(
                    &env,
                    0,
                    TriggerOrderParams {
                        size: ONE as u64 / 100,
                        ..base
                    },
                )],
                &[&key],
            )
            .await
            .unwrap();
        assert_eq!(one_event::<TriggerOrderPlaced>(&logs).order_id, n);
    }
    let i = place(&env, 0, base);
    env.expect_error(&[i], &[&key], ErrorCode::TriggerOrdersFull, &watch)
        .await;
    // cancelled, then closable once empty (rent back to its payer)
    let i = ix::close_trigger_orders(key.pubkey(), trader.account, key.pubkey());
    env.expect_error(&[i], &[&key], ErrorCode::TriggerOrdersNotEmpty, &watch)
        .await;
    for n in 0..32 {
        let logs = env
            .send(
                &[ix::cancel_trigger_order(key.pubkey(), trader.account, n)],
                &[&key],
            )
            .await
            .unwrap();
        assert_eq!(one_event::<TriggerOrderCancelled>(&logs).reason, 0);
    }
    let i = ix::cancel_trigger_order(key.pubkey(), trader.account, 0);
    env.expect_error(&[i], &[&key], ErrorCode::TriggerOrderNotFound, &watch)
        .await;
    let rent = env.account(orders).await.unwrap().lamports;
    let before = env.account(key.pubkey()).await.unwrap().lamports;
    env.send(
        &[ix::close_trigger_orders(
            key.pubkey(),
            trader.account,
            key.pubkey(),
        )],
        &[&key],
    )
    .await
    .unwrap();
    assert!(env.account(orders).await.is_none());
    assert_eq!(
        env.account(key.pubkey()).await.unwrap().lamports,
        before + rent
    );
}

/// Long 2 ETH from 3,000; a stop-loss at 2,900 (limit 2,850, premium 0.2%). At 2,880, published
/// after the order, the keeper buys the 2 ETH at 2,880 * 0.998 = 2,874.24: the trader realizes
/// -251.52 and pays the 2.87424 taker fee; the order is consumed.
#[tokio::test]
async fn a_stop_loss_fires_at_the_oracle_less_the_premium() {
    let Setup {
        mut env,
        trader,
        keeper,
        ..
    } = setup().await;
    let now = env.now;
    let key = trader.key.insecure_clone();
    let id = env
        .place_order(&trader, &key, 0, stop_loss(now))
        .await
        .unwrap();
    let orders = pda::trigger_orders(&trader.account);
    let watch = [trader.account, keeper.account, orders, pda::market(0)];
    // a price past the trigger, but published when the order was placed (not after)
    env.set_price(0, 2_880 * DOLLAR).await;
    let i = env.execute_order_ix(&keeper, &trader, 0, id).await;
    env.expect_error(
        &[i],
        &[&keeper.key],
        ErrorCode::TriggerPriceBeforePlacement,
        &watch,
    )
    .await;
    // a later price that is not past the trigger
    env.advance(10).await;
    env.set_price(0, 2_901 * DOLLAR).await;
    let i = env.execute_order_ix(&keeper, &trader, 0, id).await;
    env.expect_error(&[i], &[&keeper.key], ErrorCode::TriggerNotReached, &watch)
        .await;
    // an older update (published 30 s before the order) is refused before the order is read:
    // the market never goes back to a price older than the one it last used
    env.set_price_aged(0, 2_880 * DOLLAR, 30).await;
    let i = env.execute_order_ix(&keeper, &trader, 0, id).await;
    env.expect_error(
        &[i],
        &[&keeper.key],
        ErrorCode::OraclePublishTimeRegressed,
        &watch,
    )
    .await;
    env.set_price(0, 2_880 * DOLLAR).await;
    // the trader's own account cannot execute its order
    let i = env.execute_order_ix(&trader, &trader, 0, id).await;
    let err = env.expect_failure(&[i], &[&key], &watch).await;
    assert_eq!(
        custom_code(&err),
        Some(u32::from(ErrorCode::TriggerSelfExecution))
    );
    let c_before = env.margin_account(trader.account).await.collateral;
    let i = env.execute_order_ix(&keeper, &trader, 0, id).await;
    let logs = env.send(&[i], &[&keeper.key]).await.unwrap();
    let e: TriggerOrderExecuted = one_event(&logs);
    assert_eq!(
        (
            e.base_delta,
            e.price,
            e.oracle_price,
            e.limit_price,
            e.base_after
        ),
        (-2 * ONE, 2_874_240_000, 2_880 * DOLLAR, 2_850 * DOLLAR, 0)
    );
    assert_eq!((e.trader_fee, e.executor_fee), (2_874_240, -574_848));
    let after = env.margin_account(trader.account).await;
    assert_eq!(after.collateral - c_before, -251_520_000 - 2_874_240);
    assert!(after.position(0).is_none());
    assert!(env.trigger_orders(&trader).await.is_empty());
    assert_eq!(
        env.margin_account(keeper.account)
            .await
            .position(0)
            .unwrap()
            .base,
        2 * ONE
    );
    // consumed: executing it again finds nothing
    let i = env.execute_order_ix(&keeper, &trader, 0, id).await;
    env.expect_error(
        &[i],
        &[&keeper.key],
        ErrorCode::TriggerOrderNotFound,
        &watch,
    )
    .await;
}

#[tokio::test]
async fn execution_refuses_gaps_expiry_stale_prices_and_a_weak_executor() {
    let Setup {
        mut env,
        mm,
        trader,
        keeper,
    } = setup().await;
    let now = env.now;
    let key = trader.key.insecure_clone();
    let id = env
        .place_order(&trader, &key, 0, stop_loss(now))
        .await
        .unwrap();
    let orders = pda::trigger_orders(&trader.account);
    let watch = [trader.account, keeper.account, orders, pda::market(0)];
    env.advance(10).await;
    // a gap through the limit: 2,800 * 0.998 = 2,794.40 is worse than 2,850
    env.set_price(0, 2_800 * DOLLAR).await;
    let i = env.execute_order_ix(&keeper, &trader, 0, id).await;
    env.expect_error(
        &[i],
        &[&keeper.key],
        ErrorCode::TriggerPriceBeyondLimit,
        &watch,
    )
    .await;
    // a stale price
    env.set_price(0, 2_880 * DOLLAR).await;
    env.advance(61).await;
    let i = env.execute_order_ix(&keeper, &trader, 0, id).await;
    env.expect_error(&[i], &[&keeper.key], ErrorCode::OracleStale, &watch)
        .await;
    env.refresh_prices().await;
    // an executor that cannot carry the position
    let weak = env.funded_user(10 * USDC).await;
    let i = env.execute_order_ix(&weak, &trader, 0, id).await;
    env.expect_error(
        &[i],
        &[&weak.key],
        ErrorCode::InitialMarginViolated,
        &[trader.account, weak.account, orders],
    )
    .await;
    // past its expiry
    env.advance(86_400).await;
    env.refresh_prices().await;
    let i = env.execute_order_ix(&keeper, &trader, 0, id).await;
    env.expect_error(&[i], &[&keeper.key], ErrorCode::TriggerOrderExpired, &watch)
        .await;

    // a closed position voids the order: executing it cancels it, nothing trades
    env.set_price(0, 3_000 * DOLLAR).await;
    let id = env
        .place_order(&trader, &key, 0, stop_loss(env.now))
        .await
        .unwrap();
    env.fill(&trader, &mm, 0, -2 * ONE, 2_880 * DOLLAR)
        .await
        .unwrap();
    env.advance(5).await;
    env.refresh_prices().await;
    let i = env.execute_order_ix(&keeper, &trader, 0, id).await;
    let logs = env.send(&[i], &[&keeper.key]).await.unwrap();
    assert_eq!(one_event::<TriggerOrderCancelled>(&logs).reason, 1);
    assert!(env
        .margin_account(keeper.account)
        .await
        .position(0)
        .is_none());
}

/// An order a delegate placed counts against the delegate's budget when it executes, and its
/// premium must be within the delegate's price limit.
#[tokio::test]
async fn a_delegates_order_counts_against_its_budget() {
    let Setup {
        mut env,
        trader,
        keeper,
        ..
    } = setup().await;
    let bot = Keypair::new();
    env.airdrop(&bot.pubkey(), 1_000_000_000).await;
    let limits = DelegateLimits {
        max_price_deviation: 5_000,
        loss_budget: 5 * USDC,
        period_secs: 86_400,
        reduce_only: true,
    };
    env.set_delegate(&trader, bot.pubkey(), limits).await;
    let now = env.now;
    let id = env
        .place_order(&trader, &bot, 0, stop_loss(now))
        .await
        .unwrap();
    assert!(env
        .trigger_orders(&trader)
        .await
        .find(id)
        .unwrap()
        .by_delegate());
    env.advance(10).await;
    env.set_price(0, 2_880 * DOLLAR).await;
    // premium 0.2% of 5,760 (11.52) + fee 2.87 is over the 5 USDC budget
    let orders = pda::trigger_orders(&trader.account);
    let i = env.execute_order_ix(&keeper, &trader, 0, id).await;
    env.expect_error(
        &[i],
        &[&keeper.key],
        ErrorCode::DelegateBudgetExceeded,
        &[trader.account, orders],
    )
    .await;
    env.set_delegate(
        &trader,
        bot.pubkey(),
        DelegateLimits {
            loss_budget: 20 * USDC,
            ..limits
        },
    )
    .await;
    let i = env.execute_order_ix(&keeper, &trader, 0, id).await;
    env.send(&[i], &[&keeper.key]).await.unwrap();
    assert_eq!(
        env.margin_account(trader.account).await.total_delegate_cost,
        11_520_000 + 2_874_240
    );
}
