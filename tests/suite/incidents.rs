//! Incident replays: each states a real incident in one line and asserts, with numbers, the
//! defense crossmargin puts in its way.

use cross_margin::error::ErrorCode;
use cross_margin::events::{Bankruptcy, FundingSettled, Liquidated};
use cross_margin::state::{MarketParams, OracleSource};
use crossmargin_sdk::pda;

use crate::harness::events::one_event;
use crate::harness::*;

const U: i64 = USDC as i64;

// Mango Markets, 2022-10-11: two accounts built a large MNGO perp position against each other,
// pumped the oracle, and borrowed/withdrew against the unrealized profit.
#[tokio::test]
async fn mango_markets_oct_2022_self_matched_pump_and_withdraw() {
    let mut env = TestEnv::with_markets().await;
    env.insurance_top_up(1_000 * USDC).await;
    let liq = env.funded_user(500_000 * USDC).await;
    let a = env.funded_user(5_000 * USDC).await;
    let b = env.funded_user(5_000 * USDC).await;
    // self-matched at the top of the 5% band
    env.fill(&a, &b, 0, 10 * ONE, 3_150 * DOLLAR).await.unwrap();
    let ca = env.margin_account(a.account).await.collateral;
    assert_eq!(ca, 5_000 * U - 15_750_000);
    // the pump: the oracle doubles
    env.set_price(0, 6_000 * DOLLAR).await;
    let h = env.account_health(a.account).await;
    // 28,500 of unrealized profit counts 80% in the initial check
    assert_eq!(h.initial_equity, ca as i128 + 22_800 * U as i128);
    // ... but only settled collateral can leave
    let health = env.health(&[a.account]).await;
    let i = env.withdraw_ix(&a, ca as u64 + 1, health.clone());
    env.expect_error(
        &[i],
        &[&a.key],
        ErrorCode::InsufficientCollateral,
        &[a.account, pda::vault()],
    )
    .await;
    env.send(&[env.withdraw_ix(&a, ca as u64, health)], &[&a.key])
        .await
        .unwrap();
    // B is bankrupt: E = 5,003.15 + 31,500 - 60,000. The whole short goes at 6,060; the
    // 24,096.85 deficit takes the 1,000 of insurance, and the rest is socialized over the open
    // interest as it stood before the takeover, less B's own short: the attacker's long alone
    // (the liquidator's new position pays nothing), so A pays all of it.
    let logs = env.liquidate(&liq, b.account, 0).await.unwrap();
    let k: Bankruptcy = one_event(&logs);
    assert_eq!(
        (k.deficit, k.insurance_paid, k.socialized),
        (24_096_850_000, 1_000 * USDC, 23_096_850_000)
    );
    let paid = one_event::<FundingSettled>(&env.settle_funding(a.account).await.unwrap()).amount;
    assert_eq!(paid, 23_096_850_000);
    // the pair put in 10,000 and took out 4,984.25
    assert_eq!(
        env.token_balance(a.usdc).await + env.token_balance(b.usdc).await,
        ca as u64
    );
    let accounts = [a.account, b.account, liq.account];
    invariants::check(&mut env, &accounts, 10).await.unwrap();
}

// Drift v1, 2022-05-11: profits were withdrawn before the counterparties' losses were realized,
// leaving the protocol short when the losers could not pay.
#[tokio::test]
async fn drift_v1_may_2022_profit_only_leaves_once_realized() {
    let mut env = TestEnv::with_markets().await;
    let mm = env.funded_user(1_000_000 * USDC).await;
    let winner = env.funded_user(1_000 * USDC).await;
    let loser = env.funded_user(1_000 * USDC).await;
    env.fill(&winner, &loser, 0, ONE, 3_000 * DOLLAR)
        .await
        .unwrap(); // fee 1.5, rebate 0.3
    env.set_price(0, 3_300 * DOLLAR).await;
    // unrealized: +300 for the winner, not withdrawable
    let health = env.health(&[winner.account]).await;
    let i = env.withdraw_ix(&winner, 998_500_001, health);
    env.expect_error(
        &[i],
        &[&winner.key],
        ErrorCode::InsufficientCollateral,
        &[winner.account, pda::vault()],
    )
    .await;
    // realizing it takes a counterparty at the market: the winner sells to the maker at 3,300
    env.fill(&winner, &mm, 0, -ONE, 3_300 * DOLLAR)
        .await
        .unwrap(); // +300, fee 1.65
    let c = env.margin_account(winner.account).await.collateral;
    assert_eq!(c, 1_000 * U - 1_500_000 + 300 * U - 1_650_000);
    env.send(
        &[env.withdraw_ix(&winner, c as u64, vec![])],
        &[&winner.key],
    )
    .await
    .unwrap();
    assert_eq!(env.token_balance(winner.usdc).await, 1_296_850_000);
    // the loser still owes its 300 in the open short, and the vault still covers every claim
    assert_eq!(
        env.account_health(loser.account).await.equity,
        (1_000 * U + 300_000 - 300 * U) as i128
    );
    invariants::check(&mut env, &[mm.account, winner.account, loser.account], 10)
        .await
        .unwrap();
}

/// A thin market: 10 units of open interest at most.
async fn thin_market(env: &mut TestEnv, name: &str, price: i64) -> u16 {
    let params = MarketParams {
        base_lot_size: 10_000_000,
        min_position_base: 10_000_000,
        open_interest_cap: 10 * ONE as u64,
        ..eth_params()
    };
    env.list_market(name, OracleSource::PythPull, feed(9), price, params)
        .await;
    env.exchange().await.market_count - 1
}

// dYdX v3 YFI, 2023-11-17: a squeeze in the thin YFI market (price pumped, then crashed) left
// liquidations the insurance fund had to absorb (about $9M).
#[tokio::test]
async fn dydx_yfi_nov_2023_open_interest_cap_bounds_the_loss() {
    let mut env = TestEnv::with_markets().await;
    let yfi = thin_market(&mut env, "YFI-PERP", 10_000 * DOLLAR).await;
    env.insurance_top_up(50_000 * USDC).await;
    let mm = env.funded_user(10_000_000 * USDC).await;
    let liq = env.funded_user(1_000_000 * USDC).await;
    let whale = env.funded_user(10_050 * USDC).await; // 10 YFI at 10% margin, plus the fee
    env.fill(&whale, &mm, yfi, 10 * ONE, 10_000 * DOLLAR)
        .await
        .unwrap();
    // the cap: no one can add to the squeeze
    let other = env.funded_user(100_000 * USDC).await;
    let i = env
        .fill_ix(&liq, &other, yfi, ONE / 10, 10_000 * DOLLAR)
        .await;
    env.expect_error(
        &[i],
        &[&liq.key, &other.key],
        ErrorCode::OpenInterestCapExceeded,
        &[pda::market(yfi)],
    )
    .await;
    // the crash: 10,000 -> 5,000
    env.set_price(yfi, 5_000 * DOLLAR).await;
    let logs = env.liquidate(&liq, whale.account, yfi).await.unwrap();
    let k: Bankruptcy = one_event(&logs);
    // deficit = 10 * (10,000 - 4,950) - 10,000 = 40,500: at most cap * (entry - crash * (1 - fee))
    // less the margin, whatever the attacker wanted
    assert_eq!(k.deficit, 40_500 * USDC);
    assert!(k.deficit <= 10 * (10_000 - 4_950) * USDC);
    assert_eq!(
        (k.insurance_paid, k.socialized, k.bad_debt),
        (40_500 * USDC, 0, 0)
    );
    assert_eq!(env.exchange().await.insurance_balance, 9_500 * USDC);
}

// Hyperliquid JELLY, 2025-03-26: a trader let a large short be liquidated into the HLP vault (by
// withdrawing margin), then pumped the thin market against the vault.
#[tokio::test]
async fn hyperliquid_jelly_mar_2025_no_vault_absorbs_a_position() {
    let mut env = TestEnv::with_markets().await;
    let jelly = thin_market(&mut env, "JELLY-PERP", 100 * DOLLAR).await;
    env.insurance_top_up(200 * USDC).await;
    let mm = env.funded_user(10_000_000 * USDC).await;
    let trader = env.funded_user(101 * USDC).await; // short 10 at 100: IM 100, fee 0.5
    env.fill(&trader, &mm, jelly, -10 * ONE, 100 * DOLLAR)
        .await
        .unwrap();
    // withdrawing margin to get liquidated on purpose is refused below initial margin
    let health = env.health(&[trader.account]).await;
    let i = env.withdraw_ix(&trader, USDC, health);
    env.expect_error(
        &[i],
        &[&trader.key],
        ErrorCode::InitialMarginViolated,
        &[trader.account, pda::vault()],
    )
    .await;
    // the pump: +50%. Nobody is forced to take the short: a liquidator without the margin for it
    // is refused, one with it takes it at 151.5 and must meet initial margin afterwards
    env.set_price(jelly, 150 * DOLLAR).await;
    let weak = env.funded_user(100 * USDC).await;
    let i = env
        .liquidate_ix(&weak, trader.account, jelly, u64::MAX, 0)
        .await;
    env.expect_error(
        &[i],
        &[&weak.key],
        ErrorCode::LiquidatorUnderMargin,
        &[trader.account, weak.account],
    )
    .await;
    let strong = env.funded_user(10_000 * USDC).await;
    let logs = env.liquidate(&strong, trader.account, jelly).await.unwrap();
    let e: Liquidated = one_event(&logs);
    assert_eq!((e.liquidatee_base_delta, e.price), (10 * ONE, 151_500_000));
    let k: Bankruptcy = one_event(&logs);
    // collateral 101 - 0.5 (fee) = 100.5; buying back 10 at 151.5 realizes 1,000 - 1,515 = -515:
    // deficit 414.5; insurance pays 200, the rest is socialized over the 20 units of OI left
    assert_eq!(k.deficit, 414_500_000);
    assert_eq!((k.insurance_paid, k.socialized), (200 * USDC, 214_500_000));
    assert!(env.account_health(strong.account).await.meets_initial());
}

// A regressing Pyth pull update: anyone can post an older verified price; one from before a
// crash recovered could be used to liquidate an account that is healthy now.
#[tokio::test]
async fn regressing_pyth_update_cannot_trigger_a_liquidation() {
    let mut env = TestEnv::with_markets().await;
    let mm = env.funded_user(1_000_000 * USDC).await;
    let liq = env.funded_user(100_000 * USDC).await;
    let victim = env.funded_user(1_003 * USDC).await;
    env.fill(&victim, &mm, 0, 2 * ONE, 3_000 * DOLLAR)
        .await
        .unwrap();
    // a dip to 2,600 is published at T0 + 10 ...
    env.advance(10).await;
    let dip = Quote {
        price: 2_600 * DOLLAR,
        conf: 0,
        ema: 2_600 * DOLLAR,
        publish_time: env.now,
    };
    // ... and the price is back at 3,000 at T0 + 20, used by a fill
    env.advance(10).await;
    env.refresh_prices().await;
    env.fill(&liq, &mm, 0, ONE / 10, 3_000 * DOLLAR)
        .await
        .unwrap();
    assert_eq!(env.market(0).await.last_oracle_publish_time, T0 + 20);
    // the attacker posts the older, verified dip: fresh enough, but older than what the market used
    let eth = env.markets[0];
    env.write_oracle(eth, dip).await;
    let i = env
        .liquidate_ix(&liq, victim.account, 0, u64::MAX, i64::MAX)
        .await;
    env.expect_error(
        &[i],
        &[&liq.key],
        ErrorCode::OraclePublishTimeRegressed,
        &[victim.account, liq.account, pda::market(0)],
    )
    .await;
    assert_eq!(
        env.margin_account(victim.account).await.positions[0].base,
        2 * ONE
    );
}

// Drift, 2026-04-01: the admin keys were taken (multisig transactions pre-signed with durable
// nonces) and a fake market was listed at once; about $285M left. Here a thief holding the
// admin key can do nothing that moves value before users see it coming and the guardian stops
// it: every such change waits out the timelock in public, and the only immediate powers are
// protective and expire.
#[tokio::test]
async fn drift_apr_2026_a_stolen_admin_key_waits_in_public() {
    use cross_margin::events::AdminActionQueued;
    use cross_margin::state::{ActionStatus, AdminAction, MarketStatus};
    use crossmargin_sdk::instructions as ix;
    use solana_sdk::signature::Signer;

    let mut env = TestEnv::with_markets().await;
    let mm = env.funded_user(1_000_000 * USDC).await;
    let user = env.funded_user(10_003 * USDC).await;
    env.fill(&user, &mm, 0, 2 * ONE, 3_000 * DOLLAR)
        .await
        .unwrap();
    let thief = env.admin.insecure_clone();
    let guardian = env.guardian.insecure_clone();

    // 1. a market on a feed the thief writes, and every user's margin raised to 100%, queued
    let fake_feed = [0xEE; 32];
    let fake_oracle = pda::sponsored_feed(&fake_feed);
    let thiefs_quote = Quote {
        price: 1_000_000 * DOLLAR,
        conf: 0,
        ema: 1_000_000 * DOLLAR,
        publish_time: env.now,
    };
    let data = pyth::pull_data_by(
        thief.pubkey(),
        fake_feed,
        thiefs_quote,
        pyth_solana_receiver_sdk::price_update::VerificationLevel::Full,
    );
    env.set_raw(
        fake_oracle,
        cross_margin::oracle::PYTH_RECEIVER_PROGRAM_ID,
        data,
    )
    .await;
    let listing = AdminAction::AddMarket {
        symbol: symbol("FAKE-PERP"),
        oracle: fake_oracle,
        oracle_source: OracleSource::PythPull,
        pyth_feed_id: fake_feed,
        tokens_per_contract: 1,
        params: eth_params(),
    };
    let squeeze = AdminAction::UpdateMarket {
        market_index: 0,
        params: MarketParams {
            initial_margin_ratio: 1_000_000,
            maintenance_margin_ratio: 999_000,
            ..eth_params()
        },
    };
    let mut queued = Vec::new();
    for action in [listing, squeeze] {
        let id = env.exchange().await.next_action_id;
        let logs = env
            .send(
                &[ix::queue_admin_action(thief.pubkey(), id, action)],
                &[&thief],
            )
            .await
            .unwrap();
        // 2. in public: an event and an account anyone reads, with the hour it can run
        let e: AdminActionQueued = one_event(&logs);
        assert_eq!(e.execute_after, env.now + DELAY);
        assert_eq!(env.queued(id).await.status, ActionStatus::Queued);
        queued.push(id);
    }
    // nothing took effect: the user's requirement is still 10% and it can still leave
    assert_eq!(env.market(0).await.initial_margin_ratio, 100_000);
    let early = env.execute_ix(queued[1]).await;
    env.expect_error(
        &[early],
        &[],
        ErrorCode::ActionNotDue,
        &[pda::market(0), pda::exchange()],
    )
    .await;
    // 3. the user, warned by the queue, closes and withdraws everything well before the delay
    env.fill(&user, &mm, 0, -2 * ONE, 3_000 * DOLLAR)
        .await
        .unwrap();
    let c = env.margin_account(user.account).await.collateral as u64;
    let health = env.health(&[user.account]).await;
    env.send(&[env.withdraw_ix(&user, c, health)], &[&user.key])
        .await
        .unwrap();
    assert_eq!(env.token_balance(user.usdc).await, c);
    // 4. the immediate powers protect, they cannot take: a pause lasts at most 7 days, and
    // withdrawals need no market to be active
    let too_long = ix::set_market_status(thief.pubkey(), 1, MarketStatus::Paused, 8 * 86_400);
    env.expect_error(
        &[too_long],
        &[&thief],
        ErrorCode::ProtectiveDurationOutOfBounds,
        &[pda::market(1)],
    )
    .await;
    // 5. the guardian (a separate key) cancels both; they can never run
    for id in &queued {
        env.send(
            &[ix::cancel_admin_action(guardian.pubkey(), *id)],
            &[&guardian],
        )
        .await
        .unwrap();
    }
    env.advance(DELAY).await;
    env.refresh_prices().await;
    for id in &queued {
        let i = env.execute_ix(*id).await;
        env.expect_error(
            &[i],
            &[],
            ErrorCode::ActionCancelled,
            &[pda::exchange(), pda::market(0), pda::market(2)],
        )
        .await;
    }
    assert_eq!(env.exchange().await.market_count, 2);
    // even uncancelled, the fake listing would have been refused at execution: its oracle is
    // not the sponsored feed account the program accepts (the thief wrote it)
    let id = env
        .queue(AdminAction::AddMarket {
            symbol: symbol("FAKE-PERP"),
            oracle: fake_oracle,
            oracle_source: OracleSource::PythPull,
            pyth_feed_id: fake_feed,
            tokens_per_contract: 1,
            params: eth_params(),
        })
        .await
        .unwrap();
    env.advance(DELAY).await;
    env.refresh_prices().await;
    env.set_raw(
        fake_oracle,
        cross_margin::oracle::PYTH_RECEIVER_PROGRAM_ID,
        pyth::pull_data_by(
            thief.pubkey(),
            fake_feed,
            Quote {
                publish_time: env.now,
                ..thiefs_quote
            },
            pyth_solana_receiver_sdk::price_update::VerificationLevel::Full,
        ),
    )
    .await;
    let i = env.execute_ix(id).await;
    env.expect_error(
        &[i],
        &[],
        ErrorCode::OracleNotSponsoredFeed,
        &[pda::exchange(), pda::market(2)],
    )
    .await;
}
