//! The keeper against the embedded chain, and the SDK's risk view against the program's own
//! figures.

use std::collections::BTreeSet;

use cross_margin::events::Withdrawn;
use cross_margin::oracle::OraclePrice;
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
