//! An attacker's review of the second build-out (everything since e29e1df), by a helper session:
//! each test is either a hole it found, with what the attacker gained (numbers in its doc
//! comment), now asserting the fix; or a defense it confirmed.

use cross_margin::error::ErrorCode;
use cross_margin::events::{Bankruptcy, FundingSettled, Liquidated};
use cross_margin::risk::MarginMode;
use cross_margin::state::{AdminAction, DelegateLimits};
use crossmargin_sdk::{instructions as ix, pda};
use solana_sdk::signature::{Keypair, Signer};

use crate::harness::events::{events, one_event};
use crate::harness::*;

// ------------------------------------------------------------------ socialized loss

/// The counterparty of a bankrupt position could dodge the socialized loss through the order in
/// which it liquidated a multi-market account: the deficit was spread over the market of the
/// *last* liquidated position, which the liquidator chose. B (311.50 USDC) is long 1 ETH from C
/// at 3,000 and long 0.001 BTC from D; ETH falls to 2,650 (E = -40.03). C used to take ETH first
/// and BTC last, putting the whole 66.83 deficit on D's 0.001 BTC short (111% of a position that
/// had not moved) and none on its own ETH short. Now an underwater account's position with the
/// largest loss goes last (`LargestLossLiquidatedLast`): BTC first, then ETH, and the deficit
/// falls on ETH's holders before the takeover: C's short pays it all, D pays nothing.
#[tokio::test]
async fn the_counterparty_cannot_dodge_a_socialized_loss_by_the_order_it_liquidates_in() {
    let mut env = TestEnv::with_markets().await;
    let c = env.funded_user(100_000 * USDC).await;
    let d = env.funded_user(100 * USDC).await;
    let b = env.funded_user(311_500_000).await;
    env.fill(&b, &c, 0, ONE, 3_000 * DOLLAR).await.unwrap();
    env.fill(&b, &d, 1, ONE / 1_000, 60_000 * DOLLAR)
        .await
        .unwrap();
    assert_eq!(env.exchange().await.insurance_balance, 0);
    env.set_price(0, 2_650 * DOLLAR).await;
    assert_eq!(env.account_health(b.account).await.equity, -40_030_000);

    // C may not take B's ETH (its largest loss) while the BTC is open
    let i = env
        .liquidate_ix(&c, b.account, 0, u64::MAX, any_limit(ONE))
        .await;
    let watch = [
        b.account,
        c.account,
        d.account,
        pda::market(0),
        pda::market(1),
    ];
    env.expect_error(
        &[i],
        &[&c.key],
        ErrorCode::LargestLossLiquidatedLast,
        &watch,
    )
    .await;
    // the BTC first (no bankruptcy yet), then the ETH: the deficit lands on ETH's holders
    let logs = env.liquidate(&c, b.account, 1).await.unwrap();
    assert!(events::<Bankruptcy>(&logs).is_empty());
    let logs = env.liquidate(&c, b.account, 0).await.unwrap();
    let k: Bankruptcy = one_event(&logs);
    assert_eq!(k.market_index, 0);
    assert_eq!((k.insurance_paid, k.bad_debt), (0, 0));
    assert_eq!(k.socialized, k.deficit);
    // the only ETH held besides B's long was C's short: C pays the whole deficit, at once
    assert_eq!(k.open_interest, ONE as u64);
    assert_eq!(k.liquidator_share, k.deficit);
    let d_paid = one_event::<FundingSettled>(&env.settle_funding(d.account).await.unwrap()).amount;
    assert_eq!(d_paid, 0, "D's BTC short carries none of the ETH loss");
    invariants::check(&mut env, &[b.account, c.account, d.account], 10)
        .await
        .unwrap();
}

// ------------------------------------------------------------------ delegates

/// What a delegate's budget bounds: what its trades cost the account at the oracle when they
/// are made. The positions it opens then carry their market risk for the owner like any
/// position, price and funding alike: the reviewer's attack had the delegate open V long 3 ETH at
/// the oracle against its own account (cost 0) while other fills pushed the premium to 16,470
/// ppm/day, so V paid the delegate's account 6.18 USDC of funding in an hour, outside the budget.
/// An owner whose delegate must not carry risk makes it reduce-only: the same opening is refused
/// and nothing changes (SECURITY.md states the bound).
#[tokio::test]
async fn a_reduce_only_delegate_cannot_open_a_position_that_would_pay_funding() {
    let mut env = TestEnv::with_markets().await;
    let v = env.funded_user(1_000 * USDC).await;
    let d = env.funded_user(10_000 * USDC).await;
    let bot = d.key.insecure_clone();
    env.set_delegate(
        &v,
        bot.pubkey(),
        DelegateLimits {
            max_price_deviation: 5_000,
            loss_budget: USDC,
            period_secs: 86_400,
            reduce_only: true,
        },
    )
    .await;
    let before = env.snapshot(&[v.account, d.account]).await;
    let r = env
        .fill_signed(
            &bot,
            d.account,
            &bot,
            v.account,
            0,
            -3 * ONE,
            3_000 * DOLLAR,
        )
        .await;
    assert_eq!(
        r.as_ref().err().and_then(custom_code),
        Some(u32::from(ErrorCode::DelegateReduceOnly))
    );
    assert_eq!(env.snapshot(&[v.account, d.account]).await, before);
}

/// Found in review (the liveness of a protection): trigger orders a delegate placed keep its role after the
/// owner revokes the delegate, and are charged to whatever limits the account has then. After a
/// plain revocation (limits cleared: 0 deviation, 0 budget) the stop-loss can never execute: the
/// order stays listed, a keeper's attempt fails with `DelegatePriceDeviation`, and the position
/// runs into liquidation. Here the 2 ETH stop-loss at 2,900 (limit 2,850) would have sold at
/// 2,874.24; refused, the account is liquidated at 2,500 instead (≈750 USDC worse).
///
/// Fixed: cancel (or convert to the owner's) every delegate-placed order when the delegate changes,
/// or record the limits with the order.
#[tokio::test]
async fn a_revoked_delegates_stop_loss_still_protects_the_owner() {
    let mut env = TestEnv::with_markets().await;
    let mm = env.funded_user(10_000_000 * USDC).await;
    let trader = env.funded_user(1_003 * USDC).await;
    env.fill(&trader, &mm, 0, 2 * ONE, 3_000 * DOLLAR)
        .await
        .unwrap();
    let keeper = env.funded_user(50_000 * USDC).await;
    let bot = Keypair::new();
    env.airdrop(&bot.pubkey(), 1_000_000_000).await;
    env.set_delegate(&trader, bot.pubkey(), TestEnv::generous_delegate())
        .await;
    let now = env.now;
    let id = env
        .place_order(
            &trader,
            &bot,
            0,
            cross_margin::instructions::TriggerOrderParams {
                kind: cross_margin::risk::TriggerKind::StopLoss,
                trigger_price: 2_900 * DOLLAR,
                limit_price: 2_850 * DOLLAR,
                size: 0,
                expiry: now + 86_400,
                premium: 2_000,
            },
        )
        .await
        .unwrap();
    // the owner retires the bot
    env.set_delegate(&trader, Default::default(), DelegateLimits::default())
        .await;
    env.advance(10).await;
    env.set_price(0, 2_880 * DOLLAR).await;
    assert!(env.trigger_orders(&trader).await.find(id).is_ok());
    let i = env.execute_order_ix(&keeper, &trader, 0, id).await;
    let r = env.send(&[i], &[&keeper.key]).await;
    eprintln!("executing the revoked delegate's stop-loss: {r:?}");
    assert!(
        r.is_ok(),
        "the owner's stop-loss cannot fire after the delegate that placed it was revoked: {:?}",
        r.err().and_then(|e| custom_code(&e))
    );
}

// ------------------------------------------------------------------ governance

/// A stolen admin key could veto its own rotation: only the admin queued, and it could cancel
/// anything. Now the guardian (a separate key) may queue a `TransferAdmin`, which only its
/// proposer may cancel; a `SetGuardian` only the admin may cancel. The thief can still pause a
/// market while the rotation waits out the delay (a pause stops fills, not withdrawals or
/// liquidations, and lasts at most 7 days); then the team executes the rotation and accepts it
/// in one transaction, and cancels the thief's attempt to replace the guardian.
#[tokio::test]
async fn a_stolen_admin_key_cannot_veto_its_own_rotation() {
    let mut env = TestEnv::with_markets().await;
    let thief = env.admin.insecure_clone();
    let guardian = env.guardian.insecure_clone();
    env.airdrop(&guardian.pubkey(), 1_000_000_000).await;
    let team = Keypair::new();
    env.airdrop(&team.pubkey(), 1_000_000_000).await;

    // the guardian starts the rotation; the stolen key cannot cancel it
    let rotation = env.exchange().await.next_action_id;
    env.send(
        &[ix::queue_admin_action(
            guardian.pubkey(),
            rotation,
            AdminAction::TransferAdmin {
                new_admin: team.pubkey(),
            },
        )],
        &[&guardian],
    )
    .await
    .unwrap();
    let watch = [pda::exchange(), pda::admin_action(rotation)];
    env.expect_error(
        &[ix::cancel_admin_action(thief.pubkey(), rotation)],
        &[&thief],
        ErrorCode::NotCancelable,
        &watch,
    )
    .await;
    // the guardian may queue nothing else
    let other = env.exchange().await.next_action_id;
    env.expect_error(
        &[ix::queue_admin_action(
            guardian.pubkey(),
            other,
            AdminAction::SetLiquidationBuffer { buffer: 0 },
        )],
        &[&guardian],
        ErrorCode::NotAdmin,
        &[pda::exchange(), pda::admin_action(other)],
    )
    .await;
    // the thief tries to replace the guardian; the guardian cannot cancel that (the admin can)
    let swap = env
        .queue(AdminAction::SetGuardian {
            guardian: thief.pubkey(),
        })
        .await
        .unwrap();
    env.expect_error(
        &[ix::cancel_admin_action(guardian.pubkey(), swap)],
        &[&guardian],
        ErrorCode::NotCancelable,
        &[pda::exchange(), pda::admin_action(swap)],
    )
    .await;
    // after the delay: execute the rotation and accept it at once
    env.advance(DELAY).await;
    env.refresh_prices().await;
    let exec = env.execute_ix(rotation).await;
    env.send(&[exec, ix::accept_admin(team.pubkey())], &[&team])
        .await
        .unwrap();
    assert_eq!(env.exchange().await.admin, team.pubkey());
    // the new admin cancels the thief's guardian swap; the thief can no longer queue
    env.send(&[ix::cancel_admin_action(team.pubkey(), swap)], &[&team])
        .await
        .unwrap();
    let next = env.exchange().await.next_action_id;
    env.expect_error(
        &[ix::queue_admin_action(
            thief.pubkey(),
            next,
            AdminAction::SetGuardian {
                guardian: thief.pubkey(),
            },
        )],
        &[&thief],
        ErrorCode::NotAdmin,
        &[pda::exchange(), pda::admin_action(next)],
    )
    .await;
}

/// Found in review: a hostile (or stolen) guardian key vetoed its own replacement, and with it every admin
/// change, forever: the admin queues `SetGuardian`, the guardian cancels it, each time. No
/// market can be listed, no parameter changed, no lookup table registered, no oracle moved, no
/// market settled through the timelock, ever again.
///
/// Fixed: `SetGuardian` cancelable by the admin only (the guardian's veto exists to stop a stolen
/// admin key, not to entrench itself).
#[tokio::test]
async fn a_hostile_guardian_cannot_veto_its_own_replacement() {
    let mut env = TestEnv::with_markets().await;
    let guardian = env.guardian.insecure_clone();
    env.airdrop(&guardian.pubkey(), 1_000_000_000).await;
    let fresh = Keypair::new();
    let id = env
        .queue(AdminAction::SetGuardian {
            guardian: fresh.pubkey(),
        })
        .await
        .unwrap();
    let r = env
        .send(
            &[ix::cancel_admin_action(guardian.pubkey(), id)],
            &[&guardian],
        )
        .await;
    assert!(
        r.is_err(),
        "the guardian cancelled its own replacement: governance is frozen for as long as it wants"
    );
}

// ------------------------------------------------------------------ portfolio margin

/// Found in review: a settled market still offsets risk in portfolio margin. Its position is valued at a
/// fixed price, so it hedges nothing, yet it keeps its margin group and systematic share and
/// grants the credit of a live hedge to the account's other legs, which the owner can grow.
///
/// A portfolio account (5,000 USDC) holds long 10 ETH / short 1 BTC (group 1, 70% share). BTC is
/// settled at 60,000 (through the timelock). Its owner then buys 10 more ETH: 20 ETH long
/// (60,000 USDC notional) whose price nothing offsets any more. The standard initial requirement
/// of that ETH alone is 6,000 USDC, more than the account's ~4,940 of equity; the portfolio
/// requirement, counting the dead BTC short as a hedge, is 4,800, so the fill is accepted. The
/// account then carries 60,000 of naked ETH at a maintenance requirement of 2,400 instead of
/// 3,000: 25x where the market allows 20x, the difference a loss for the insurance fund and the
/// other traders when ETH gaps.
///
/// Fixed: a settled market's positions count in group 0 (no credit) in `position_risks`, or the
/// settled view carries `systematic_share = 0`.
#[tokio::test]
async fn a_settled_leg_grants_no_portfolio_credit() {
    let mut env = TestEnv::with_markets().await;
    env.admin_change(AdminAction::SetPortfolioMargin { enabled: true })
        .await;
    let mm = env.funded_user(10_000_000 * USDC).await;
    let user = env.funded_user(5_000 * USDC).await;
    env.set_margin_mode(&user, MarginMode::Portfolio)
        .await
        .unwrap();
    for _ in 0..4 {
        env.fill(&user, &mm, 0, 10 * ONE / 4, 3_000 * DOLLAR)
            .await
            .unwrap();
        env.fill(&user, &mm, 1, -ONE / 4, 60_000 * DOLLAR)
            .await
            .unwrap();
    }
    env.admin_change(AdminAction::SettleMarket { market_index: 1 })
        .await;
    assert!(env.market(1).await.is_settled());
    let h = env.account_health(user.account).await;
    eprintln!("after BTC settlement: {h:?}");
    let i = env.fill_ix(&user, &mm, 0, 10 * ONE, 3_000 * DOLLAR).await;
    let r = env.send(&[i], &[&user.key, &mm.key]).await;
    let h = env.account_health(user.account).await;
    eprintln!("after buying 10 more ETH: {r:?} {h:?}");
    assert_eq!(
        r.as_ref().err().and_then(custom_code),
        Some(u32::from(ErrorCode::InitialMarginViolated)),
        "20 ETH naked long accepted on the credit of a settled BTC short: {h:?}"
    );
}

// ------------------------------------------------------------------ defenses that hold

/// DEFENSE: a quiet market whose oracle still publishes cannot be settled by a stranger at a
/// stale recorded price. Nobody trades or cranks ETH for four days (the program records nothing),
/// then ETH is 3,600 on a live feed: `settle_dead_market` is refused (`OracleStillAlive`), so
/// nobody closes every position at the 3,000 recorded four days earlier.
#[tokio::test]
async fn a_quiet_market_with_a_live_oracle_cannot_be_settled_by_a_stranger() {
    let mut env = TestEnv::with_markets().await;
    let mm = env.funded_user(1_000_000 * USDC).await;
    let user = env.funded_user(10_000 * USDC).await;
    env.fill(&user, &mm, 0, ONE, 3_000 * DOLLAR).await.unwrap();
    env.advance(4 * 86_400).await;
    env.set_price(0, 3_600 * DOLLAR).await;
    let oracle = env.markets[0].oracle;
    env.expect_error(
        &[ix::settle_dead_market(0, oracle)],
        &[],
        ErrorCode::OracleStillAlive,
        &[pda::market(0)],
    )
    .await;
}

/// DEFENSE: the issue-11 counterparty dodge, single market, holds also when the counterparty is
/// not the liquidator but closes the other side just before (the remaining holders carry it,
/// nothing becomes bad debt), and a liquidator cannot make the deficit bad debt by liquidating
/// with its own short netted away.
#[tokio::test]
async fn a_liquidator_holding_the_other_side_still_pays_its_share() {
    let mut env = TestEnv::with_markets().await;
    let c = env.funded_user(100_000 * USDC).await;
    let h = env.funded_user(100_000 * USDC).await;
    let b = env.funded_user(311_500_000).await;
    env.fill(&b, &c, 0, ONE, 3_000 * DOLLAR).await.unwrap();
    // an honest holder on each side too
    env.fill(&h, &c, 0, ONE, 3_000 * DOLLAR).await.unwrap();
    env.set_price(0, 2_650 * DOLLAR).await;
    let logs = env.liquidate(&c, b.account, 0).await.unwrap();
    let l: Liquidated = one_event(&logs);
    let k: Bankruptcy = one_event(&logs);
    assert_eq!(l.liquidation_fee, 26_500_000);
    assert_eq!((k.bad_debt, k.socialized), (0, k.deficit));
    // C's 2 ETH short and H's 1 ETH long carry it (3 of open interest)
    assert_eq!(k.open_interest, 3 * ONE as u64);
    assert!(k.liquidator_share * 3 >= k.deficit * 2);
    invariants::check(&mut env, &[b.account, c.account, h.account], 10)
        .await
        .unwrap();
}

/// Found in review: in portfolio mode a fill that shrinks a position is treated as risk-reducing (only the
/// maintenance rule applies), but closing one leg of a hedge raises the portfolio requirement up
/// to fourfold. So initial margin is skipped: open a hedge (cheap in portfolio margin), then
/// close the hedging leg, and hold a naked position at maintenance-level margin.
///
/// A portfolio account with 2,000 USDC opens long 10 ETH / short 1 BTC in eight slices
/// (portfolio IM 1,800, standard 6,000), then buys back the 1 BTC: that fill only has to leave
/// E >= R_maint, and R_maint of 10 naked ETH is 1,500. It ends holding 30,000 USDC of naked ETH
/// on 1,925 of equity: 15.6x where ETH's initial margin allows 10x (an IM of 3,000; 1,075 USDC of
/// initial margin skipped), while the same 10 ETH bought directly by an identical account is
/// refused (`InitialMarginViolated`). The same path is open to a reduce-only delegate (it "only
/// shrinks positions": `a_reduce_only_delegate_cannot_unhedge_a_portfolio`) and to trigger
/// orders.
///
/// Fixed: in portfolio mode, judge a fill by the requirement, not by position sizes: a fill that
/// raises the account's initial requirement (in its mode) must meet initial margin afterwards
/// (and a reduce-only delegate may not raise it at all).
#[tokio::test]
async fn closing_a_hedge_leg_does_not_skip_initial_margin() {
    let mut env = TestEnv::with_markets().await;
    env.admin_change(AdminAction::SetPortfolioMargin { enabled: true })
        .await;
    let mm = env.funded_user(10_000_000 * USDC).await;
    let user = env.funded_user(2_000 * USDC).await;
    env.set_margin_mode(&user, MarginMode::Portfolio)
        .await
        .unwrap();
    for _ in 0..8 {
        env.fill(&user, &mm, 0, 10 * ONE / 8, 3_000 * DOLLAR)
            .await
            .unwrap();
        env.fill(&user, &mm, 1, -ONE / 8, 60_000 * DOLLAR)
            .await
            .unwrap();
    }
    let h = env.account_health(user.account).await;
    eprintln!("hedged: {h:?}");
    // a naked 10 ETH long of this size is refused outright
    let naked = env.funded_user(2_000 * USDC).await;
    let i = env.fill_ix(&naked, &mm, 0, 10 * ONE, 3_000 * DOLLAR).await;
    env.expect_error(
        &[i],
        &[&naked.key, &mm.key],
        ErrorCode::InitialMarginViolated,
        &[naked.account],
    )
    .await;
    // but closing the hedge leg gets there
    let i = env.fill_ix(&user, &mm, 1, ONE, 60_000 * DOLLAR).await;
    let r = env.send(&[i], &[&user.key, &mm.key]).await;
    let h = env.account_health(user.account).await;
    eprintln!("after closing the BTC leg: ok={} {h:?}", r.is_ok());
    assert!(
        r.is_err() || h.meets_initial(),
        "naked 10 ETH held on {} of equity against an initial requirement of {}",
        h.equity,
        h.initial_requirement
    );
}

/// The hedge of `closing_a_hedge_leg_does_not_skip_initial_margin`: a portfolio account with
/// `deposit` long 10 ETH / short 1 BTC, opened in eight slices against `mm`.
async fn portfolio_hedge(env: &mut TestEnv, mm: &User, deposit: u64) -> User {
    let user = env.funded_user(deposit).await;
    env.set_margin_mode(&user, MarginMode::Portfolio)
        .await
        .unwrap();
    for _ in 0..8 {
        env.fill(&user, mm, 0, 10 * ONE / 8, 3_000 * DOLLAR)
            .await
            .unwrap();
        env.fill(&user, mm, 1, -ONE / 8, 60_000 * DOLLAR)
            .await
            .unwrap();
    }
    user
}

/// Found in review: a reduce-only delegate ("only shrinks positions") can turn a hedged portfolio account
/// naked. V (2,000 USDC, long 10 ETH / short 1 BTC, R_maint 900) names a reduce-only delegate;
/// the delegate buys back V's BTC short from its own account at the oracle (a reduction; its
/// budget is charged only the 30 USDC taker fee): V's maintenance requirement goes from 900 to
/// 1,500 and V holds 30,000 of naked ETH on 1,925 of equity (E - MM = 425): a 1.5% ETH fall
/// makes it liquidatable, where the hedged account still had E - R = 596 after the same fall.
/// The delegate's own account then liquidates it and earns the 1% fee on what it takes.
///
/// Fixed: a reduce-only delegate may not raise the account's requirement (in its mode).
#[tokio::test]
async fn a_reduce_only_delegate_cannot_unhedge_a_portfolio() {
    let mut env = TestEnv::with_markets().await;
    env.admin_change(AdminAction::SetPortfolioMargin { enabled: true })
        .await;
    let mm = env.funded_user(10_000_000 * USDC).await;
    let v = portfolio_hedge(&mut env, &mm, 2_000 * USDC).await;
    let d = env.funded_user(1_000_000 * USDC).await;
    let bot = d.key.insecure_clone();
    env.set_delegate(
        &v,
        bot.pubkey(),
        DelegateLimits {
            max_price_deviation: 5_000,
            loss_budget: 100 * USDC,
            period_secs: 86_400,
            reduce_only: true,
        },
    )
    .await;
    let before = env.account_health(v.account).await;
    let r = env
        .fill_signed(&bot, v.account, &bot, d.account, 1, ONE, 60_000 * DOLLAR)
        .await;
    let after = env.account_health(v.account).await;
    eprintln!(
        "reduce-only delegate closed the hedge leg: ok={} R_maint {} -> {}",
        r.is_ok(),
        before.maintenance_requirement,
        after.maintenance_requirement
    );
    assert!(
        r.is_err(),
        "a reduce-only delegate raised V's maintenance requirement from {} to {}",
        before.maintenance_requirement,
        after.maintenance_requirement
    );
}
