//! Portfolio margin on chain: switching modes (and every refusal), the exposure a hedge can
//! carry, and liquidation in slices of the whole portfolio. ETH and BTC are both in margin group
//! 1 with a 70% systematic share.

use anchor_lang::prelude::Pubkey;
use cross_margin::error::ErrorCode;
use cross_margin::events::{Bankruptcy, MarginModeSet, PortfolioLiquidated};
use cross_margin::risk::MarginMode;
use cross_margin::state::AdminAction;
use crossmargin_sdk::pda;

use crate::harness::events::{events, one_event};
use crate::harness::*;

const U: i64 = USDC as i64;

async fn env_with_portfolio_margin() -> (TestEnv, User) {
    let mut env = TestEnv::with_markets().await;
    env.admin_change(AdminAction::SetPortfolioMargin { enabled: true })
        .await;
    let mm = env.funded_user(10_000_000 * USDC).await;
    (env, mm)
}

/// Opens long `eth` ETH and short `eth / 10` BTC in `steps` alternating slices (so no step holds
/// an unhedged leg larger than one slice).
async fn hedge(env: &mut TestEnv, user: &User, mm: &User, eth: i64, steps: i64) -> Result<(), u32> {
    for _ in 0..steps {
        for (market, delta, price) in [
            (0u16, eth / steps, 3_000 * DOLLAR),
            (1, -eth / steps / 10, 60_000 * DOLLAR),
        ] {
            if let Err(e) = env.fill(user, mm, market, delta, price).await {
                return Err(custom_code(&e).expect("a program error"));
            }
        }
    }
    Ok(())
}

#[tokio::test]
async fn switching_modes_and_its_refusals() {
    let mut env = TestEnv::with_markets().await;
    let mm = env.funded_user(10_000_000 * USDC).await;
    let user = env.funded_user(5_000 * USDC).await;
    hedge(&mut env, &user, &mm, 4 * ONE, 2).await.unwrap();
    let watch = [user.account];
    // the exchange has not enabled it yet
    let i = env.margin_mode_ix(&user, MarginMode::Portfolio).await;
    env.expect_error(
        &[i],
        &[&user.key],
        ErrorCode::PortfolioMarginDisabled,
        &watch,
    )
    .await;
    env.admin_change(AdminAction::SetPortfolioMargin { enabled: true })
        .await;
    // someone else's signature: the account is the signer's own PDA
    let mallory = env.user(0).await;
    let health = env.health(&[user.account]).await;
    let i = aimed_at(
        crossmargin_sdk::instructions::set_margin_mode(
            mallory.pubkey(),
            0,
            MarginMode::Portfolio,
            health,
        ),
        2,
        user.account,
    );
    let err = env.expect_failure(&[i], &[&mallory.key], &watch).await;
    assert_eq!(
        custom_code(&err),
        Some(anchor_lang::error::ErrorCode::ConstraintSeeds as u32)
    );
    // long 4 ETH (a = 600 at 5%), short 0.4 BTC (a = 600 at 2.5%): standard MM 1,200;
    // portfolio 0.3 * 600 * 2 + |0.7 * 600 - 0.7 * 600| = 360
    let logs = env
        .set_margin_mode(&user, MarginMode::Portfolio)
        .await
        .unwrap();
    let e: MarginModeSet = one_event(&logs);
    assert_eq!(
        (
            e.old_mode,
            e.new_mode,
            e.maintenance_before,
            e.maintenance_after
        ),
        (
            MarginMode::Standard,
            MarginMode::Portfolio,
            1_200 * U,
            360 * U
        )
    );
    // in portfolio mode it grows to 12 ETH / 1.2 BTC: standard IM would be 7,200 > its 4,990
    hedge(&mut env, &user, &mm, 8 * ONE, 4).await.unwrap();
    // so it may not go back to standard (nothing changes)
    let i = env.margin_mode_ix(&user, MarginMode::Standard).await;
    env.expect_error(&[i], &[&user.key], ErrorCode::InitialMarginViolated, &watch)
        .await;
    assert_eq!(
        env.margin_account(user.account).await.margin_mode,
        MarginMode::Portfolio as u8
    );

    // a standard account that is liquidatable, then one that is flagged, may not switch
    let weak = env.funded_user(1_000 * USDC).await;
    env.fill(&weak, &mm, 0, 3 * ONE, 3_000 * DOLLAR)
        .await
        .unwrap();
    env.set_price(0, 2_700 * DOLLAR).await; // E = 1,000 - 4.5 - 900 < MM = 405
    let i = env.margin_mode_ix(&weak, MarginMode::Portfolio).await;
    env.expect_error(
        &[i],
        &[&weak.key],
        ErrorCode::ModeSwitchWhileLiquidatable,
        &[weak.account],
    )
    .await;
    // at 2,820: E = 455.50 >= MM = 423, but under the 20% buffer (507.60): still flagged
    let mut a = env.margin_account(weak.account).await;
    env.set_price(0, 2_820 * DOLLAR).await;
    a.being_liquidated = 1;
    env.write_margin_account(weak.account, &a).await;
    let i = env.margin_mode_ix(&weak, MarginMode::Portfolio).await;
    env.expect_error(
        &[i],
        &[&weak.key],
        ErrorCode::AccountBeingLiquidated,
        &[weak.account],
    )
    .await;
}

/// The same 1,000 USDC carries a hedge three times as large in portfolio mode: standard margin
/// stops it short of 3.2 ETH / 0.32 BTC (IM 1,920); portfolio margin takes 4 ETH / 0.4 BTC
/// (IM 0.3 * 400 * 2 + 0 = 240 against 2,400 standard) and more.
#[tokio::test]
async fn a_hedged_account_holds_more_than_twice_the_exposure() {
    let (mut env, mm) = env_with_portfolio_margin().await;
    let standard = env.funded_user(1_000 * USDC).await;
    assert_eq!(
        hedge(&mut env, &standard, &mm, 32 * ONE / 10, 8).await,
        Err(u32::from(ErrorCode::InitialMarginViolated))
    );
    let portfolio = env.funded_user(1_000 * USDC).await;
    env.set_margin_mode(&portfolio, MarginMode::Portfolio)
        .await
        .unwrap();
    hedge(&mut env, &portfolio, &mm, 4 * ONE, 8).await.unwrap();
    let h = env.account_health(portfolio.account).await;
    assert_eq!(
        (h.standard_initial_requirement, h.initial_requirement),
        (2_400 * U as i128, 720 * U as i128)
    );
    assert!(h.meets_initial());
    // what standard margin allowed: at most 1.6 ETH / 0.16 BTC
    let s = env.margin_account(standard.account).await;
    assert!(
        s.position(0).map_or(0, |p| p.base) <= 16 * ONE / 10,
        "{:?}",
        s.position(0)
    );
}

/// When the hedge breaks (ETH down 2%, BTC up 2%), the account is liquidated in slices of the
/// whole portfolio: each leg by the same fraction, fees scaled by R / standard MM, never lowering
/// E - R; the per-position liquidation is refused for a portfolio account.
#[tokio::test]
async fn a_broken_hedge_is_liquidated_in_slices() {
    let (mut env, mm) = env_with_portfolio_margin().await;
    let liq = env.funded_user(100_000 * USDC).await;
    let user = env.funded_user(1_000 * USDC).await;
    env.set_margin_mode(&user, MarginMode::Portfolio)
        .await
        .unwrap();
    hedge(&mut env, &user, &mm, 4 * ONE, 8).await.unwrap();
    env.set_price(0, 2_940 * DOLLAR).await;
    env.set_price(1, 61_200 * DOLLAR).await;
    let before = env.account_health(user.account).await;
    assert!(before.liquidatable(), "{before:?}");
    let watch = [user.account, liq.account, pda::market(0), pda::market(1)];
    let i = env
        .liquidate_ix(&liq, user.account, 0, u64::MAX, i64::MAX)
        .await;
    env.expect_error(&[i], &[&liq.key], ErrorCode::WrongLiquidationKind, &watch)
        .await;
    // and the portfolio liquidation refuses a standard account
    let i = env
        .liquidate_portfolio_ix(&user, liq.account, 1_000_000_000)
        .await;
    env.expect_error(&[i], &[&user.key], ErrorCode::WrongLiquidationKind, &watch)
        .await;

    let a = env.margin_account(user.account).await;
    let (eth, btc) = (a.position(0).unwrap().base, a.position(1).unwrap().base);
    let logs = env
        .liquidate_portfolio(&liq, user.account, 1_000_000_000)
        .await
        .unwrap();
    let e: PortfolioLiquidated = one_event(&logs);
    assert_eq!(e.positions_taken, 2);
    assert!(e.fraction > 0 && e.fraction < 1_000_000_000, "{e:?}");
    assert!(
        e.equity_after - e.maintenance_after >= e.equity_before - e.maintenance_before,
        "{e:?}"
    );
    let scale =
        before.maintenance_requirement * 1_000_000 / before.standard_maintenance_requirement;
    assert_eq!(e.fee_scale as i128, scale);
    let after = env.margin_account(user.account).await;
    let (eth2, btc2) = (
        after.position(0).unwrap().base,
        after.position(1).unwrap().base,
    );
    // each leg shrank by the slice, rounded up to its lot
    let took = |b: i64, b2: i64, lot: i64| {
        let t = ((b.abs() as i128 * e.fraction as i128 + 999_999_999) / 1_000_000_000) as i64;
        assert_eq!(b.abs() - b2.abs(), (t + lot - 1) / lot * lot);
    };
    took(eth, eth2, 1_000_000);
    took(btc, btc2, 100_000);
    assert!(env.account_health(liq.account).await.meets_initial());
    if !e.being_liquidated {
        let h = env.account_health(user.account).await;
        assert!(h.equity * 1_000_000 >= h.maintenance_requirement * 1_200_000);
    }

    // a crash past zero equity takes everything and resolves the bankruptcy
    env.set_price(0, 2_000 * DOLLAR).await;
    env.set_price(1, 80_000 * DOLLAR).await;
    let logs = env
        .liquidate_portfolio(&liq, user.account, 1_000_000_000)
        .await
        .unwrap();
    let e: PortfolioLiquidated = one_event(&logs);
    assert_eq!((e.fraction, e.being_liquidated), (1_000_000_000, false));
    assert_eq!(events::<Bankruptcy>(&logs).len(), 1);
    let a = env.margin_account(user.account).await;
    assert_eq!((a.collateral, a.has_open_positions()), (0, false));
    invariants::check(&mut env, &[mm.account, liq.account, user.account], 20)
        .await
        .unwrap();
}

/// A broken hedge whose BTC feed has gone stale: taking over only the ETH leg would leave the BTC
/// short unhedged and lower E - R, so the program refuses the slice (and changes nothing) and
/// the keeper counts the account as waiting, not as a failure; once BTC is republished the keeper
/// liquidates it.
#[tokio::test]
async fn a_hedge_with_a_stale_leg_waits_for_its_feed() {
    let (mut env, mm) = env_with_portfolio_margin().await;
    let keeper_user = env.funded_user(100_000 * USDC).await;
    let user = env.funded_user(1_000 * USDC).await;
    env.set_margin_mode(&user, MarginMode::Portfolio)
        .await
        .unwrap();
    hedge(&mut env, &user, &mm, 4 * ONE, 8).await.unwrap();
    // BTC's feed is 400 s old (beyond its 300 s liquidation limit); ETH falls 6%
    env.advance(400).await;
    env.set_price(0, 2_820 * DOLLAR).await;
    let h = env.account_health(user.account).await;
    assert!(h.liquidatable(), "{h:?}");
    let mut keeper = whole_slice_refused(&mut env, &keeper_user, &user).await;
    // (the round may crank funding: the markets change, the two accounts do not)
    let both = [user.account, keeper_user.account];
    let before = env.snapshot(&both).await;
    let report = keeper.run_once(&mut env.chain).await.unwrap();
    assert_eq!(report.liquidatable, vec![user.account], "{report:?}");
    assert!(report.failures.is_empty(), "{report:?}");
    assert_eq!(
        (
            report.liquidations,
            report.liquidations_waiting,
            report.liquidations_waiting_hedge
        ),
        (0, 0, 1),
        "{report:?}"
    );
    assert_eq!(env.snapshot(&both).await, before);

    env.set_price(1, 60_000 * DOLLAR).await;
    let report = keeper.run_once(&mut env.chain).await.unwrap();
    assert!(report.failures.is_empty(), "{report:?}");
    assert!(report.liquidations >= 1, "{report:?}");
    assert!(!env.account_health(user.account).await.liquidatable());
    invariants::check(
        &mut env,
        &[mm.account, keeper_user.account, user.account],
        20,
    )
    .await
    .unwrap();
}

/// The same stale BTC hedge, but the tradable ETH leg is the larger one (its requirement 564
/// against BTC's 472.50 at the stale price moved by the band): closing ETH whole leaves BTC
/// unhedged (R 375 -> 472.50), which the program refuses, while closing about a sixth of it nets
/// the group and lowers R. The keeper finds that slice instead of waiting, and the account's
/// `E - R` rises with BTC untouched; the fees of a slice follow the tradable legs' share of R at
/// the margin (here none: a leg that hedges the stale one frees nothing in full).
#[tokio::test]
async fn an_over_hedged_tradable_leg_is_sliced_down_to_its_hedge() {
    let (mut env, mm) = env_with_portfolio_margin().await;
    let keeper_user = env.funded_user(100_000 * USDC).await;
    let user = env.funded_user(1_900 * USDC).await;
    env.set_margin_mode(&user, MarginMode::Portfolio)
        .await
        .unwrap();
    for _ in 0..4 {
        env.fill(&user, &mm, 0, ONE, 3_000 * DOLLAR).await.unwrap();
        env.fill(&user, &mm, 1, -(3 * ONE / 40), 60_000 * DOLLAR)
            .await
            .unwrap();
    }
    env.advance(400).await;
    env.set_price(0, 2_820 * DOLLAR).await;
    // as a liquidation sees it: BTC at its last price moved by the band against the short
    let before = liquidation_health(&mut env, user.account).await;
    assert!(before.liquidatable() && before.equity > 0, "{before:?}");
    assert_eq!(
        (
            before.maintenance_requirement,
            before.standard_maintenance_requirement
        ),
        (375 * U as i128, 1_036_500_000)
    );
    let mut keeper = whole_slice_refused(&mut env, &keeper_user, &user).await;
    let report = keeper.run_once(&mut env.chain).await.unwrap();
    assert!(report.failures.is_empty(), "{report:?}");
    assert!(report.liquidations >= 1, "{report:?}");
    let after = liquidation_health(&mut env, user.account).await;
    assert!(
        after.maintenance_health() > before.maintenance_health(),
        "{before:?} -> {after:?}"
    );
    // ETH cut to where it nets BTC in the group (t = 1 - 472.5 / 564): R 375 -> 283.5036, at no
    // fee (the tradable leg carries none of R at the margin); then nothing better is left and
    // the account waits for BTC's feed
    assert_eq!(
        (after.equity, after.maintenance_requirement),
        (265 * U as i128, 283_503_600)
    );
    assert_eq!(report.liquidations_waiting_hedge, 1, "{report:?}");
    let a = env.margin_account(user.account).await;
    let eth = a.position(0).map_or(0, |p| p.base);
    assert!(0 < eth && eth < 4 * ONE, "ETH {eth}");
    assert_eq!(a.position(1).map(|p| p.base), Some(-(3 * ONE / 10)));
    invariants::check(
        &mut env,
        &[mm.account, keeper_user.account, user.account],
        20,
    )
    .await
    .unwrap();
}

/// An account's health as a liquidation values it while BTC (market 1) is stale.
async fn liquidation_health(env: &mut TestEnv, key: Pubkey) -> cross_margin::risk::Health {
    let a = env.margin_account(key).await;
    let mut views = env.market_views().await;
    views[1] = env.market(1).await.stale_view();
    cross_margin::health_accounts::account_health(&a, &views).unwrap()
}

/// The whole slice of `user`'s tradable legs is refused (it would unhedge the stale BTC leg),
/// changing nothing; returns a keeper on `keeper_user`'s account.
async fn whole_slice_refused(
    env: &mut TestEnv,
    keeper_user: &User,
    user: &User,
) -> crossmargin_keeper::Keeper {
    let watch = [
        user.account,
        keeper_user.account,
        pda::market(0),
        pda::market(1),
    ];
    let i = env
        .liquidate_portfolio_ix(keeper_user, user.account, 1_000_000_000)
        .await;
    env.expect_error(
        &[i],
        &[&keeper_user.key],
        ErrorCode::LiquidationWorsensHealth,
        &watch,
    )
    .await;
    crossmargin_keeper::Keeper::new(
        keeper_user.key.insecure_clone(),
        keeper_user.account,
        crossmargin_keeper::KeeperConfig::default(),
    )
}
