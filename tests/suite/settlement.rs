//! Retiring a market without freezing the accounts that hold it: settlement at the last valid
//! price the program recorded (through the timelock, or by anyone once the oracle is dead),
//! positions closed at it, health checks that no longer need its oracle; and a stale feed that no
//! longer shields the rest of an account from liquidation.

use anchor_lang::prelude::Pubkey;
use cross_margin::error::ErrorCode;
use cross_margin::events::{Bankruptcy, Liquidated, MarketSettled, PositionSettled};
use cross_margin::state::{AdminAction, MarketParams, MarketStatus};
use crossmargin_sdk::{instructions as ix, pda};
use solana_sdk::account::AccountSharedData;
use solana_sdk::signature::Signer;

use crate::harness::events::{events, one_event};
use crate::harness::*;

const U: i64 = USDC as i64;
const DEAD: i64 = cross_margin::constants::ORACLE_DEAD_AFTER_SECS;

/// The BTC feed goes dark (its account is closed). An account holding BTC cannot withdraw until
/// the market is settled (the program will not guess a price); three days later anyone settles
/// the market at the last price it recorded (60,000), after which the account withdraws, the
/// position closes at that price, open interest ends at zero and BTC no longer trades.
#[tokio::test]
async fn a_dead_oracle_settles_the_market_and_frees_the_accounts() {
    let mut env = TestEnv::with_markets().await;
    let mm = env.funded_user(1_000_000 * USDC).await;
    let user = env.funded_user(10_000 * USDC).await;
    env.fill(&user, &mm, 0, ONE, 3_000 * DOLLAR).await.unwrap();
    env.fill(&user, &mm, 1, ONE / 10, 60_000 * DOLLAR)
        .await
        .unwrap();
    let btc = env.markets[1].oracle;
    env.chain
        .ctx
        .set_account(&btc, &AccountSharedData::default());
    let health = env.health(&[user.account]).await;
    let watch = [user.account, user.usdc, pda::vault(), pda::market(1)];
    env.expect_error(
        &[env.withdraw_ix(&user, USDC, health.clone())],
        &[&user.key],
        ErrorCode::OracleWrongOwner,
        &watch,
    )
    .await;
    // too early to call it dead
    env.advance(DEAD).await;
    env.set_price(0, 3_000 * DOLLAR).await;
    env.expect_error(
        &[ix::settle_dead_market(1, btc)],
        &[],
        ErrorCode::OracleStillAlive,
        &watch,
    )
    .await;
    // the wrong account for the oracle
    env.expect_error(
        &[ix::settle_dead_market(1, env.markets[0].oracle)],
        &[],
        ErrorCode::OracleWrongKey,
        &watch,
    )
    .await;
    env.advance(1).await;
    env.set_price(0, 3_000 * DOLLAR).await;
    let logs = env
        .send(&[ix::settle_dead_market(1, btc)], &[])
        .await
        .unwrap();
    let e: MarketSettled = one_event(&logs);
    assert_eq!(
        (
            e.market_index,
            e.settlement_price,
            e.by_timelock,
            e.open_interest
        ),
        (1, 60_000 * DOLLAR, false, ONE as u64 / 10)
    );
    let m = env.market(1).await;
    assert_eq!(
        (m.status, m.settlement_price),
        (MarketStatus::Settled as u8, 60_000 * DOLLAR)
    );
    // settling again is refused
    env.expect_error(
        &[ix::settle_dead_market(1, btc)],
        &[],
        ErrorCode::MarketSettled,
        &[pda::market(1)],
    )
    .await;

    // the account withdraws: BTC counts at its settlement price, its oracle is not read
    env.send(
        &[env.withdraw_ix(&user, 1_000 * USDC, health)],
        &[&user.key],
    )
    .await
    .unwrap();
    // BTC no longer trades
    let i = env.fill_ix(&user, &mm, 1, ONE / 10, 60_000 * DOLLAR).await;
    env.expect_error(
        &[i],
        &[&user.key, &mm.key],
        ErrorCode::MarketSettled,
        &[user.account, pda::market(1)],
    )
    .await;
    // anyone closes the positions at the settlement price, funding settled first
    let logs = env
        .send(&[ix::settle_position(1, user.account, false)], &[])
        .await
        .unwrap();
    let s: PositionSettled = one_event(&logs);
    assert_eq!(
        (s.base, s.price, s.realized_pnl),
        (ONE / 10, 60_000 * DOLLAR, 0)
    );
    env.expect_error(
        &[ix::settle_position(1, user.account, false)],
        &[],
        ErrorCode::NoPositionInMarket,
        &[user.account, pda::market(1)],
    )
    .await;
    let logs = env
        .send(&[ix::settle_position(1, mm.account, false)], &[])
        .await
        .unwrap();
    assert_eq!(one_event::<PositionSettled>(&logs).open_interest_after, 0);
    let m = env.market(1).await;
    assert_eq!((m.open_interest_long, m.open_interest_short), (0, 0));
    // a market that is not settled has nothing to settle
    env.expect_error(
        &[ix::settle_position(0, user.account, false)],
        &[],
        ErrorCode::MarketNotSettled,
        &[user.account, pda::market(0)],
    )
    .await;
    invariants::check(&mut env, &[mm.account, user.account], 10)
        .await
        .unwrap();
}

/// Settlement through the timelock, while the oracle still works: at the last price the program
/// recorded (never an admin-chosen number). Positions settle in either order; a bankrupt one
/// settled first spreads its deficit over the positions still open (they pay when they settle);
/// settled last, with no open interest left, its deficit is bad debt.
#[tokio::test]
async fn settlement_through_the_timelock_and_who_carries_a_deficit() {
    for short_first in [true, false] {
        let mut env = TestEnv::with_markets().await;
        let long = env.funded_user(10_000 * USDC).await;
        let short = env.funded_user(403 * USDC).await; // 403.60 with the 0.60 maker rebate
        env.fill(&long, &short, 1, ONE / 10, 60_000 * DOLLAR)
            .await
            .unwrap();
        env.set_price(1, 70_000 * DOLLAR).await;
        // a fill records the oracle price the settlement will use
        let other = env.funded_user(10_000 * USDC).await;
        let more = env.funded_user(10_000 * USDC).await;
        env.fill(&other, &more, 1, ONE / 100, 70_000 * DOLLAR)
            .await
            .unwrap();
        env.fill(&other, &more, 1, -ONE / 100, 70_000 * DOLLAR)
            .await
            .unwrap();
        env.admin_change(AdminAction::SettleMarket { market_index: 1 })
            .await;
        let m = env.market(1).await;
        assert_eq!(
            (m.status, m.settlement_price),
            (MarketStatus::Settled as u8, 70_000 * DOLLAR)
        );
        let (first, second) = if short_first {
            (&short, &long)
        } else {
            (&long, &short)
        };
        let logs = env
            .send(&[ix::settle_position(1, first.account, true)], &[])
            .await
            .unwrap();
        if short_first {
            // -1,000 against 403.60: a 596.40 deficit over the long's 0.1 BTC
            let k: Bankruptcy = one_event(&logs);
            assert_eq!(
                (k.deficit, k.socialized, k.bad_debt, k.open_interest),
                (596_400_000, 596_400_000, 0, ONE as u64 / 10)
            );
        } else {
            assert!(events::<Bankruptcy>(&logs).is_empty());
        }
        let logs = env
            .send(&[ix::settle_position(1, second.account, true)], &[])
            .await
            .unwrap();
        let ex = env.exchange().await;
        if short_first {
            let s: PositionSettled = one_event(&logs);
            // the long realized +1,000 and paid the 596.40 first
            assert_eq!(
                (s.realized_pnl, s.funding_settled),
                (1_000 * U, 596_400_000)
            );
            assert_eq!(ex.bad_debt, 0);
        } else {
            let k: Bankruptcy = one_event(&logs);
            assert_eq!(
                (k.deficit, k.socialized, k.bad_debt, k.open_interest),
                (596_400_000, 0, 596_400_000, 0)
            );
            assert_eq!(ex.bad_debt, 596_400_000);
        }
        let accounts = [long.account, short.account, other.account, more.account];
        invariants::check(&mut env, &accounts, 10).await.unwrap();
    }
}

/// Issue 12: one stale feed no longer shields the rest of an account. ETH 1 long and BTC 0.01
/// long; the BTC feed stops updating. ETH falls: the liquidation of ETH proceeds, BTC valued at
/// its last recorded price moved 5% (its band) against the position; BTC itself is never taken
/// over on a stale price.
#[tokio::test]
async fn a_stale_feed_does_not_shield_the_rest_of_the_account() {
    let mut env = TestEnv::with_markets().await;
    let mm = env.funded_user(1_000_000 * USDC).await;
    let liq = env.funded_user(100_000 * USDC).await;
    let user = env.funded_user(401_800_000).await;
    env.fill(&user, &mm, 0, ONE, 3_000 * DOLLAR).await.unwrap();
    env.fill(&user, &mm, 1, ONE / 100, 60_000 * DOLLAR)
        .await
        .unwrap();
    assert_eq!(
        env.margin_account(user.account).await.collateral,
        401_800_000 - 1_500_000 - 300_000
    );
    // BTC's feed is 400 s old (beyond its 300 s liquidation limit); ETH falls to 2,700
    env.advance(400).await;
    env.set_price(0, 2_700 * DOLLAR).await;
    // E = 400 - 300 + (0.01 * 57,000 - 600) = 70; MM = 135 + 570 * 2.5% = 149.25
    let i = env
        .liquidate_ix(&liq, user.account, 1, u64::MAX, i64::MAX)
        .await;
    env.expect_error(
        &[i],
        &[&liq.key],
        ErrorCode::OracleStale,
        &[user.account, liq.account, pda::market(1)],
    )
    .await;
    let logs = env.liquidate(&liq, user.account, 0).await.unwrap();
    let e: Liquidated = one_event(&logs);
    assert_eq!(
        (e.equity_before, e.maintenance_before),
        (70 * U, 149_250_000)
    );
    assert!(e.equity_after - e.maintenance_after > e.equity_before - e.maintenance_before);
}

/// Issue 13: a lot-size change under open positions no longer traps them: a 0.015 ETH long
/// bought on a 0.001 lot closes whole after the lot becomes 0.01 (a partial off-lot sale is
/// still refused).
#[tokio::test]
async fn a_position_off_the_new_lot_can_always_close() {
    let mut env = TestEnv::with_markets().await;
    let mm = env.funded_user(1_000_000 * USDC).await;
    let user = env.funded_user(1_000 * USDC).await;
    env.fill(&user, &mm, 0, 15 * ONE / 1_000, 3_000 * DOLLAR)
        .await
        .unwrap();
    env.admin_change(AdminAction::UpdateMarket {
        market_index: 0,
        params: MarketParams {
            base_lot_size: 10_000_000,
            min_position_base: 10_000_000,
            ..eth_params()
        },
    })
    .await;
    let watch = [user.account, mm.account, pda::market(0)];
    let i = env.fill_ix(&user, &mm, 0, -ONE / 200, 3_000 * DOLLAR).await;
    env.expect_error(
        &[i],
        &[&user.key, &mm.key],
        ErrorCode::SizeNotMultipleOfLot,
        &watch,
    )
    .await;
    env.fill(&user, &mm, 0, -15 * ONE / 1_000, 3_000 * DOLLAR)
        .await
        .unwrap();
    assert!(env.margin_account(user.account).await.position(0).is_none());
}

/// A market whose contract bundles a million tokens keeps a token at $0.00002345 at six
/// significant digits ($23.45 a contract); listed per token it would read as 0 and never trade.
#[tokio::test]
async fn a_market_unit_lists_tiny_prices() {
    let mut env = TestEnv::with_markets().await;
    let feed_id = feed(42);
    let oracle = pda::sponsored_feed(&feed_id);
    let write = |now: i64| {
        use anchor_lang::AccountSerialize;
        use pyth_solana_receiver_sdk::price_update::{
            PriceFeedMessage, PriceUpdateV2, VerificationLevel,
        };
        let u = PriceUpdateV2 {
            write_authority: oracle,
            verification_level: VerificationLevel::Full,
            price_message: PriceFeedMessage {
                feed_id,
                price: 234_500,
                conf: 100,
                exponent: -10,
                publish_time: now,
                prev_publish_time: now - 1,
                ema_price: 234_400,
                ema_conf: 100,
            },
            posted_slot: 1,
        };
        let mut d = Vec::new();
        u.try_serialize(&mut d).unwrap();
        d.resize(PriceUpdateV2::LEN, 0);
        d
    };
    let now = env.now;
    env.set_raw(
        oracle,
        cross_margin::oracle::PYTH_RECEIVER_PROGRAM_ID,
        write(now),
    )
    .await;
    let unit = |tokens| AdminAction::AddMarket {
        symbol: symbol("1MBONK-PERP"),
        oracle,
        oracle_source: cross_margin::state::OracleSource::PythPull,
        pyth_feed_id: feed_id,
        tokens_per_contract: tokens,
        params: eth_params(),
    };
    // a unit that is not a power of ten is refused at queueing
    let id = env.exchange().await.next_action_id;
    let admin = env.admin.insecure_clone();
    env.expect_error(
        &[ix::queue_admin_action(admin.pubkey(), id, unit(2_000_000))],
        &[&admin],
        ErrorCode::InvalidUnit,
        &[pda::exchange()],
    )
    .await;
    let id = env.queue(unit(1_000_000)).await.unwrap();
    env.advance(DELAY).await;
    env.refresh_prices().await;
    let now = env.now;
    env.set_raw(
        oracle,
        cross_margin::oracle::PYTH_RECEIVER_PROGRAM_ID,
        write(now),
    )
    .await;
    let i = env.execute_ix(id).await;
    env.send(&[i], &[]).await.unwrap();
    let m = env.market(2).await;
    assert_eq!((m.unit_exponent, m.last_oracle_price()), (6, 23_450_000));
    env.markets.push(TestMarket {
        oracle,
        source: cross_margin::state::OracleSource::PythPull,
        feed_id,
    });
    env.prices.insert(2, 23_450_000);
    let a = env.funded_user(1_000 * USDC).await;
    let b = env.funded_user(1_000 * USDC).await;
    // 10 contracts (10 million tokens) at $23.46
    env.set_raw(
        oracle,
        cross_margin::oracle::PYTH_RECEIVER_PROGRAM_ID,
        write(env.now),
    )
    .await;
    env.fill(&a, &b, 2, 10 * ONE, 23_460_000).await.unwrap();
    assert_eq!(
        env.margin_account(a.account)
            .await
            .position(2)
            .unwrap()
            .quote,
        -234_600_000
    );
    let _: Pubkey = oracle;
}
