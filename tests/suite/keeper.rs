//! The keeper against the embedded chain, and the SDK's risk view against the program's own
//! figures.

use std::collections::BTreeSet;

use cross_margin::events::{Bankruptcy, Withdrawn};
use cross_margin::oracle::OraclePrice;
use cross_margin::state::OracleSource;
use crossmargin_keeper::{Keeper, KeeperConfig};
use crossmargin_sdk::risk::account_report;
use solana_sdk::signature::Signer;

use crate::harness::events::one_event;
use crate::harness::*;

const U: i64 = USDC as i64;

/// The keeper liquidates exactly the accounts under maintenance (one cross-margined, one
/// bankrupt) and leaves the healthy ones alone.
#[tokio::test]
async fn keeper_liquidates_exactly_the_liquidatable_accounts() {
    let mut env = TestEnv::with_markets().await;
    let mm = env.funded_user(10_000_000 * USDC).await;
    let keeper_user = env.funded_user(200_000 * USDC).await;
    env.insurance_top_up(1_000 * USDC).await;

    let a = env.funded_user(1_003 * USDC).await; // long 2 ETH, 1,000 left
    env.fill(&a, &mm, 0, 2 * ONE, 3_000 * DOLLAR).await.unwrap();
    let bankrupt = env.funded_user(311_500_000).await; // long 1 ETH, 310 left
    env.fill(&bankrupt, &mm, 0, ONE, 3_000 * DOLLAR)
        .await
        .unwrap();
    let cross = env.funded_user(874_500_000).await; // long 1 ETH + long 0.1 BTC, 870 left
    env.fill(&cross, &mm, 0, ONE, 3_000 * DOLLAR).await.unwrap();
    env.fill(&cross, &mm, 1, ONE / 10, 60_000 * DOLLAR)
        .await
        .unwrap();
    let healthy_long = env.funded_user(1_001_500_000).await; // long 1 ETH, 1,000 left
    env.fill(&healthy_long, &mm, 0, ONE, 3_000 * DOLLAR)
        .await
        .unwrap();
    let healthy_short = env.funded_user(1_001_500_000).await; // short 1 ETH: gains on the fall
    env.fill(&healthy_short, &mm, 0, -ONE, 3_000 * DOLLAR)
        .await
        .unwrap();

    // ETH 2,600, BTC 57,000: a: E = 200 < 260; bankrupt: E = -90; cross: E = 870 - 400 - 300 =
    // 170 < 130 + 142.5; healthy_long: E = 600 > 130.
    env.set_price(0, 2_600 * DOLLAR).await;
    env.set_price(1, 57_000 * DOLLAR).await;
    let untouched = env
        .snapshot(&[healthy_long.account, healthy_short.account])
        .await;

    let mut keeper = Keeper::new(
        keeper_user.key.insecure_clone(),
        keeper_user.account,
        KeeperConfig::default(),
    );
    let report = keeper.run_once(&mut env.chain).await.unwrap();
    let found: BTreeSet<_> = report.liquidatable.iter().copied().collect();
    let expected: BTreeSet<_> = [a.account, bankrupt.account, cross.account]
        .into_iter()
        .collect();
    assert_eq!(found, expected, "{report:?}");
    assert!(report.failures.is_empty(), "{report:?}");
    assert!(report.liquidations >= 3);
    assert!(report.accounts_scanned >= 7);

    for key in [a.account, bankrupt.account, cross.account] {
        let h = env.account_health(key).await;
        assert!(!h.liquidatable(), "{key} still liquidatable: {h:?}");
        assert_eq!(env.margin_account(key).await.being_liquidated, 0);
    }
    let b = env.margin_account(bankrupt.account).await;
    assert_eq!((b.collateral, b.has_open_positions()), (0, false));
    assert_eq!(
        env.snapshot(&[healthy_long.account, healthy_short.account])
            .await,
        untouched
    );
    let accounts = [
        mm.account,
        keeper_user.account,
        a.account,
        bankrupt.account,
        cross.account,
        healthy_long.account,
        healthy_short.account,
    ];
    invariants::check(&mut env, &accounts, 100).await.unwrap();

    // a second round finds nothing to do
    let again = keeper.run_once(&mut env.chain).await.unwrap();
    assert!(
        again.liquidatable.is_empty() && again.liquidations == 0,
        "{again:?}"
    );
}

#[tokio::test]
async fn keeper_cranks_funding_each_period() {
    let mut env = TestEnv::with_markets().await;
    let keeper_user = env.funded_user(1_000 * USDC).await;
    let mut keeper = Keeper::new(
        keeper_user.key.insecure_clone(),
        keeper_user.account,
        KeeperConfig::default(),
    );
    let r = keeper.run_once(&mut env.chain).await.unwrap();
    assert!(r.funding_updated.is_empty());
    env.advance(3_600).await;
    env.refresh_prices().await;
    let r = keeper.run_once(&mut env.chain).await.unwrap();
    assert_eq!(r.funding_updated, vec![0, 1]);
    assert_eq!(env.market(0).await.last_funding_ts, T0 + 3_600);
    assert_eq!(env.market(1).await.last_funding_ts, T0 + 3_600);
    let r = keeper.run_once(&mut env.chain).await.unwrap();
    assert!(r.funding_updated.is_empty());
}

/// The SDK's report of an account equals what the program computes for it: the free collateral
/// the program reports after a withdrawal, and the health figures of its own math.
#[tokio::test]
async fn sdk_risk_view_matches_the_program() {
    let mut env = TestEnv::with_markets().await;
    let mm = env.funded_user(10_000_000 * USDC).await;
    let user = env.funded_user(5_000 * USDC).await;
    env.fill(&user, &mm, 0, 2 * ONE, 3_000 * DOLLAR)
        .await
        .unwrap();
    env.fill(&user, &mm, 1, -ONE / 10, 60_000 * DOLLAR)
        .await
        .unwrap();
    env.set_price(0, 2_900 * DOLLAR).await;
    env.set_price(1, 58_000 * DOLLAR).await;
    let health = env.health(&[user.account]).await;
    let logs = env
        .send(&[env.withdraw_ix(&user, 100 * USDC, health)], &[&user.key])
        .await
        .unwrap();
    let program: Withdrawn = one_event(&logs);

    let account = env.margin_account(user.account).await;
    let mut markets = Vec::new();
    for i in 0..2u16 {
        let p = env.prices[&i];
        markets.push((
            env.market(i).await,
            OraclePrice {
                price: p,
                conf: 0,
                ema_price: p,
                publish_time: env.now,
            },
        ));
    }
    let report = account_report(&account, &markets, None).unwrap();
    assert_eq!(report.free_collateral, program.free_collateral_after);
    assert_eq!(report.collateral, program.collateral_after);
    let h = env.account_health(user.account).await;
    assert_eq!(report.equity as i128, h.equity);
    assert_eq!(
        report.maintenance_requirement as i128,
        h.maintenance_requirement
    );
    assert_eq!(report.initial_requirement as i128, h.initial_requirement);
    // hand check: C = 5,000 - 3 - 3 - 100 = 4,894; U = -200 + 200 = 0; MM = 290 + 145 = 435
    assert_eq!(report.equity, 4_894 * U);
    assert_eq!(report.maintenance_requirement, 435 * U);
    assert_eq!(report.positions.len(), 2);
    assert_eq!(report.positions[0].symbol, "ETH-PERP");
    assert_eq!(report.positions[0].entry_price, 3_000 * DOLLAR);
    assert_eq!(report.positions[1].notional, 5_800 * U);
    assert!(!report.liquidatable);
    // the liquidation price the report gives is where the program starts to liquidate
    let lp = report.positions[0].liquidation_price.unwrap();
    env.set_price(0, lp).await;
    assert!(!env.account_health(user.account).await.liquidatable());
    env.set_price(0, lp - 1).await;
    assert!(env.account_health(user.account).await.liquidatable());
    let _ = user.key.pubkey();
}

/// Every transaction processed since journal entry `from` is within the packet and lock limits
/// (the embedded chain enforces neither); returns how many there were.
fn all_within_limits(env: &TestEnv, from: u64) -> usize {
    let mut n = 0;
    for p in env.chain.journal_since(from) {
        let size = crossmargin_sdk::tx::serialized_size(&p.transaction);
        let locks = crossmargin_sdk::tx::account_locks(&p.transaction.message);
        assert!(
            size <= 1_232 && locks <= 64,
            "{size} bytes, {locks} locks: {:?}",
            p.logs.first()
        );
        n += 1;
    }
    n
}

/// A notional of `dollars` in market `m` at its listing price, on the lot.
fn notional_base(m: usize, dollars: i128) -> i64 {
    let (_, _, price, mm, group, share) = MARKETS[m];
    let lot = params_for(price, mm, group, share).base_lot_size as i128;
    let base = dollars * 1_000_000 * 1_000_000_000 / price as i128;
    (base - base % lot) as i64
}

/// Issue 12 end to end: on sixteen markets, an account holding sixteen positions withdraws and
/// trades through v0 transactions, is liquidated by the keeper partially (buffer restored), then
/// after a crash completely, the bankruptcy resolved, over several transactions; the keeper's
/// account holds positions of its own; every transaction is within 1,232 bytes and 64 locks.
#[tokio::test]
async fn the_keeper_liquidates_a_sixteen_position_account_end_to_end() {
    let mut env = TestEnv::with_sixteen_markets().await;
    let mm = env.funded_user(10_000_000 * USDC).await;
    let a = env.funded_user(2_500 * USDC).await;
    let keeper_user = env.funded_user(1_000_000 * USDC).await;
    for m in 0..16u16 {
        let base = notional_base(m as usize, 1_000);
        env.fill(&a, &mm, m, base, MARKETS[m as usize].2)
            .await
            .unwrap();
    }
    // the keeper's own positions: short ETH and SOL
    for (m, dollars) in [(0u16, 3_000), (2, 1_500)] {
        let base = notional_base(m as usize, dollars);
        env.fill(&keeper_user, &mm, m, -base, MARKETS[m as usize].2)
            .await
            .unwrap();
    }
    assert_eq!(
        env.margin_account(a.account).await.open_position_count(),
        16
    );
    let start = env.chain.processed;

    // the 16-position account withdraws and trades through v0, within the limits
    let health = env.health(&[a.account]).await;
    let i = env.withdraw_ix(&a, 10 * USDC, health);
    env.send(&[i], &[&a.key]).await.unwrap();
    let lot = env.market(0).await.base_lot_size as i64;
    env.fill(&a, &mm, 0, 10 * lot, MARKETS[0].2).await.unwrap();
    for p in env.chain.journal_since(start) {
        assert!(matches!(
            p.transaction.message,
            solana_sdk::message::VersionedMessage::V0(_)
        ));
    }
    assert_eq!(all_within_limits(&env, start), 2);

    // -10% everywhere: under maintenance with equity left; the keeper restores the buffer
    for m in 0..16u16 {
        env.set_price(m, MARKETS[m as usize].2 / 10 * 9).await;
    }
    let h = env.account_health(a.account).await;
    assert!(h.liquidatable() && h.equity > 0, "{h:?}");
    let mut keeper = Keeper::new(
        keeper_user.key.insecure_clone(),
        keeper_user.account,
        KeeperConfig::default(),
    );
    let from = env.chain.processed;
    let r = keeper.run_once(&mut env.chain).await.unwrap();
    assert!(r.failures.is_empty(), "{r:?}");
    assert!(r.liquidations >= 1);
    let h = env.account_health(a.account).await;
    let after = env.margin_account(a.account).await;
    assert!(after.has_open_positions());
    assert!(
        h.equity * 5 >= h.maintenance_requirement * 6,
        "E >= (1 + 20%) MM after the partial liquidation: {h:?}"
    );

    // a crash: -25% more; the account is bankrupt and every position goes, over several
    // transactions
    for m in 0..16u16 {
        env.set_price(m, MARKETS[m as usize].2 / 100 * 65).await;
    }
    assert!(env.account_health(a.account).await.equity < 0);
    let crash = env.chain.processed;
    let r = keeper.run_once(&mut env.chain).await.unwrap();
    assert!(r.failures.is_empty(), "{r:?}");
    let a_after = env.margin_account(a.account).await;
    assert_eq!((a_after.collateral, a_after.open_position_count()), (0, 0));
    assert!(r.liquidation_transactions >= 2, "{r:?}");
    let logs: Vec<String> = env
        .chain
        .journal_since(crash)
        .flat_map(|p| p.logs.clone())
        .collect();
    let k: Bankruptcy = one_event(&logs);
    assert_eq!(k.margin_account, a.account);
    assert_eq!(k.insurance_paid + k.socialized + k.bad_debt, k.deficit);
    assert!(all_within_limits(&env, from) >= 3);
    let accounts = [mm.account, a.account, keeper_user.account];
    invariants::check(&mut env, &accounts, 1_000).await.unwrap();
}

/// A keeper whose account holds sixteen positions cannot take over a position in a seventeenth
/// market (the program would refuse `PositionSlotsFull`). It takes what it can hold (the
/// account's ETH, though the new market's position carries the larger requirement), counts the
/// rest as beyond its slots, a warning and no failure, and takes it once a slot is free.
#[tokio::test]
async fn a_keeper_with_every_slot_in_use_takes_what_it_can_hold() {
    let mut env = TestEnv::with_sixteen_markets().await;
    let price = 100 * 1_000_000;
    env.list_market(
        "NEW-PERP",
        OracleSource::PythPull,
        feed(200),
        price,
        params_for(price, 50_000, 0, 0),
    )
    .await;
    let mm = env.funded_user(10_000_000 * USDC).await;
    let keeper_user = env.funded_user(1_000_000 * USDC).await;
    for m in 0..16u16 {
        let base = notional_base(m as usize, 200);
        env.fill(&keeper_user, &mm, m, base, MARKETS[m as usize].2)
            .await
            .unwrap();
    }
    let a = env.funded_user(600 * USDC).await;
    // (the first maker's slots are full too: it took the keeper's other sides)
    let mm2 = env.funded_user(1_000_000 * USDC).await;
    env.fill(&a, &mm2, 16, 50 * ONE, price).await.unwrap();
    let eth = notional_base(0, 500);
    env.fill(&a, &mm, 0, eth, MARKETS[0].2).await.unwrap();
    env.set_price(16, price / 100 * 92).await;
    let h = env.account_health(a.account).await;
    assert!(h.liquidatable() && h.equity > 0, "{h:?}");

    let mut keeper = Keeper::new(
        keeper_user.key.insecure_clone(),
        keeper_user.account,
        KeeperConfig::default(),
    );
    let r = keeper.run_once(&mut env.chain).await.unwrap();
    assert!(r.failures.is_empty(), "{r:?}");
    assert!(r.liquidations >= 1, "{r:?}");
    assert_eq!(r.liquidations_beyond_slots, 1, "{r:?}");
    let after = env.margin_account(a.account).await;
    assert_eq!(after.position(16).map(|p| p.base), Some(50 * ONE));
    assert!(after.position(0).map_or(0, |p| p.base) < eth);
    assert!(env.account_health(a.account).await.liquidatable());
    let k = env.margin_account(keeper_user.account).await;
    assert_eq!((k.open_position_count(), k.position(16)), (16, None));

    // the keeper closes its SOL position: a slot is free, and the next round takes the rest
    let sol = env
        .margin_account(keeper_user.account)
        .await
        .position(2)
        .unwrap()
        .base;
    env.fill(&keeper_user, &mm, 2, -sol, MARKETS[2].2)
        .await
        .unwrap();
    let r = keeper.run_once(&mut env.chain).await.unwrap();
    assert!(r.failures.is_empty(), "{r:?}");
    assert_eq!(r.liquidations_beyond_slots, 0, "{r:?}");
    assert!(!env.account_health(a.account).await.liquidatable());
    let accounts = [mm.account, mm2.account, a.account, keeper_user.account];
    invariants::check(&mut env, &accounts, 1_000).await.unwrap();
}

/// One market's oracle cannot be read (garbage data): the keeper reports it, skips the accounts
/// holding it, and still liquidates the others.
#[tokio::test]
async fn an_unreadable_oracle_skips_its_accounts_and_no_others() {
    let mut env = TestEnv::with_markets().await;
    let mm = env.funded_user(10_000_000 * USDC).await;
    let keeper_user = env.funded_user(200_000 * USDC).await;
    let x = env.funded_user(1_003 * USDC).await; // long 2 ETH
    env.fill(&x, &mm, 0, 2 * ONE, 3_000 * DOLLAR).await.unwrap();
    let y = env.funded_user(1_006 * USDC).await; // long 1 ETH and 0.05 BTC
    env.fill(&y, &mm, 0, ONE, 3_000 * DOLLAR).await.unwrap();
    env.fill(&y, &mm, 1, ONE / 20, 60_000 * DOLLAR)
        .await
        .unwrap();
    env.set_price(0, 2_600 * DOLLAR).await;
    let btc = env.markets[1].oracle;
    env.set_raw(
        btc,
        cross_margin::oracle::PYTH_LEGACY_PROGRAM_ID,
        vec![7; 3_312],
    )
    .await;
    assert!(env.account_health(x.account).await.liquidatable());
    let untouched = env.snapshot(&[y.account]).await;
    let mut keeper = Keeper::new(
        keeper_user.key.insecure_clone(),
        keeper_user.account,
        KeeperConfig::default(),
    );
    let r = keeper.run_once(&mut env.chain).await.unwrap();
    assert_eq!(r.markets_unreadable, vec![1]);
    assert!(r.accounts_skipped >= 1, "{r:?}");
    assert!(r.failures.is_empty(), "{r:?}");
    assert_eq!(r.liquidatable, vec![x.account]);
    assert!(!env.account_health(x.account).await.liquidatable());
    assert_eq!(env.snapshot(&[y.account]).await, untouched);
}

/// Issue 12's whale: long 100 ETH at E 7,850 / MM 13,800 against a keeper holding 2,000 USDC.
/// Each round the keeper takes the slice its own margin carries (and sells it back to the
/// market maker between rounds): no round fails, and the whale's E - MM rises every time.
#[tokio::test]
async fn the_keeper_slices_a_whale_to_its_own_margin() {
    let mut env = TestEnv::with_markets().await;
    let mm = env.funded_user(10_000_000 * USDC).await;
    let whale = env.funded_user(32_000 * USDC).await;
    env.fill(&whale, &mm, 0, 100 * ONE, 3_000 * DOLLAR)
        .await
        .unwrap();
    env.set_price(0, 2_760 * DOLLAR).await;
    let h = env.account_health(whale.account).await;
    assert_eq!(
        (h.equity, h.maintenance_requirement),
        (7_850 * U as i128, 13_800 * U as i128)
    );
    let keeper_user = env.funded_user(2_000 * USDC).await;
    let mut keeper = Keeper::new(
        keeper_user.key.insecure_clone(),
        keeper_user.account,
        KeeperConfig::default(),
    );
    let mut last = h.equity - h.maintenance_requirement;
    for round in 0..3 {
        let r = keeper.run_once(&mut env.chain).await.unwrap();
        assert!(r.failures.is_empty(), "round {round}: {r:?}");
        assert!(r.liquidations >= 1, "round {round}: {r:?}");
        let h = env.account_health(whale.account).await;
        let now = h.equity - h.maintenance_requirement;
        assert!(now > last, "round {round}: E - MM {last} -> {now}");
        last = now;
        assert!(env
            .account_health(keeper_user.account)
            .await
            .meets_initial());
        // the keeper unwinds what it took with the market maker, at the oracle
        let taken = env
            .margin_account(keeper_user.account)
            .await
            .position(0)
            .unwrap()
            .base;
        env.fill(&keeper_user, &mm, 0, -taken, 2_760 * DOLLAR)
            .await
            .unwrap();
    }
}

/// Two liquidations in different markets (neither can close its account) lock no writable
/// account in common: in a crash they run in parallel, not serialized on the exchange.
#[tokio::test]
async fn liquidations_in_different_markets_share_no_writable_account() {
    let mut env = TestEnv::with_markets().await;
    let mm = env.funded_user(10_000_000 * USDC).await;
    let (l1, l2) = (
        env.funded_user(100_000 * USDC).await,
        env.funded_user(100_000 * USDC).await,
    );
    let a = env.funded_user(1_400 * USDC).await;
    let b = env.funded_user(1_400 * USDC).await;
    for u in [&a, &b] {
        env.fill(u, &mm, 0, 2 * ONE, 3_000 * DOLLAR).await.unwrap();
        env.fill(u, &mm, 1, ONE / 10, 60_000 * DOLLAR)
            .await
            .unwrap();
    }
    env.set_price(0, 2_700 * DOLLAR).await;
    env.set_price(1, 55_000 * DOLLAR).await;
    assert!(env.account_health(a.account).await.liquidatable());
    let i1 = env
        .liquidate_ix(&l1, a.account, 0, u64::MAX, i64::MAX)
        .await;
    let i2 = env
        .liquidate_ix(&l2, b.account, 1, u64::MAX, i64::MAX)
        .await;
    let writable = |i: &anchor_lang::solana_program::instruction::Instruction| -> BTreeSet<_> {
        i.accounts
            .iter()
            .filter(|m| m.is_writable)
            .map(|m| m.pubkey)
            .collect()
    };
    let (w1, w2) = (writable(&i1), writable(&i2));
    assert!(w1.is_disjoint(&w2), "{w1:?} / {w2:?}");
    assert!(!w1.contains(&crossmargin_sdk::pda::exchange()));
    env.send(&[i1], &[&l1.key]).await.unwrap();
    env.send(&[i2], &[&l2.key]).await.unwrap();
}

/// A stop-loss beside its twin without one, both long 2 ETH from 3,000 with 1,000 USDC. At 2,880
/// (published after the order) the keeper executes the stop: the protected account sells at
/// 2,880 * 0.998 = 2,874.24 and keeps 1,000 - 251.52 - 2.87424 = 745.60576 USDC. A crash to
/// 2,550 then leaves the twin under maintenance and the keeper liquidates it; the protected
/// account is untouched, flat, with more than the twin's equity.
#[tokio::test]
async fn a_stop_loss_executed_by_the_keeper_beside_a_liquidated_twin() {
    let mut env = TestEnv::with_markets().await;
    let mm = env.funded_user(10_000_000 * USDC).await;
    let keeper_user = env.funded_user(200_000 * USDC).await;
    let protected = env.funded_user(1_003 * USDC).await;
    let twin = env.funded_user(1_003 * USDC).await;
    for u in [&protected, &twin] {
        env.fill(u, &mm, 0, 2 * ONE, 3_000 * DOLLAR).await.unwrap();
    }
    let key = protected.key.insecure_clone();
    let stop = cross_margin::instructions::TriggerOrderParams {
        kind: cross_margin::risk::TriggerKind::StopLoss,
        trigger_price: 2_900 * DOLLAR,
        limit_price: 2_850 * DOLLAR,
        size: 0,
        expiry: env.now + 86_400,
        premium: 2_000,
    };
    env.place_order(&protected, &key, 0, stop).await.unwrap();
    let mut keeper = Keeper::new(
        keeper_user.key.insecure_clone(),
        keeper_user.account,
        KeeperConfig::default(),
    );
    env.advance(5).await;
    env.set_price(0, 2_880 * DOLLAR).await;
    let r = keeper.run_once(&mut env.chain).await.unwrap();
    assert_eq!((r.trigger_executions, r.liquidations), (1, 0), "{r:?}");
    let p = env.margin_account(protected.account).await;
    assert_eq!((p.collateral, p.open_position_count()), (745_605_760, 0));
    env.set_price(0, 2_550 * DOLLAR).await;
    let untouched = env.snapshot(&[protected.account]).await;
    let r = keeper.run_once(&mut env.chain).await.unwrap();
    assert_eq!(r.liquidatable, vec![twin.account], "{r:?}");
    assert!(r.failures.is_empty());
    assert_eq!(env.snapshot(&[protected.account]).await, untouched);
    let t = env.account_health(twin.account).await;
    assert!(t.equity < 745_605_760, "{t:?}");
}
