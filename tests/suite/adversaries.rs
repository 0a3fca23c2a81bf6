//! Issue 11's attacks, each a regression test with its numbers, asserting the defense: a
//! delegate draining the account it trades for, and a liquidator charged a socialized loss over
//! the position it just took over. (Wash-traded funding is `funding::wash_fills_cannot_pin_funding`;
//! the counterparty dodging a socialized loss is
//! `liquidation::the_counterparty_cannot_dodge_a_socialized_loss_by_liquidating`.)

use cross_margin::error::ErrorCode;
use cross_margin::events::{Bankruptcy, Filled, FundingSettled};
use cross_margin::state::DelegateLimits;
use crossmargin_sdk::pda;
use solana_sdk::signature::Signer;

use crate::harness::events::one_event;
use crate::harness::*;

const U: i64 = USDC as i64;

/// Finding 2: "may trade, may not withdraw" did not hold: a delegate filled its victim's account
/// against its own at the band edges, six round trips taking the victim from 1,000.000000 to
/// 1.918000 USDC. Now the owner sets the delegate's limits: prices within 0.5% of the oracle and
/// at most 10 USDC of cost per day, measured at the oracle. The old attack is refused at its
/// first fill; round trips inside the band stop at the budget (9.9015 USDC spent: the fourth
/// fill would have made it 13.2); the next day allows another 10 at most.
#[tokio::test]
async fn a_delegate_costs_its_account_at_most_the_budget_its_owner_set() {
    let mut env = TestEnv::with_markets().await;
    let victim = env.funded_user(1_000 * USDC).await;
    let thief = env.funded_user(2_000 * USDC).await;
    let limits = DelegateLimits {
        max_price_deviation: 5_000,
        loss_budget: 10 * USDC,
        period_secs: 86_400,
        reduce_only: false,
    };
    env.set_delegate(&victim, thief.pubkey(), limits).await;
    let watch = [victim.account, thief.account, pda::market(0)];
    let t = thief.key.insecure_clone();

    // the old attack: buy 1 ETH at +5% from the delegate's own account
    let i = {
        let v = env.margin_account(victim.account).await;
        let th = env.margin_account(thief.account).await;
        let markets = env.markets.clone();
        let h = crossmargin_sdk::health::fill_health_metas(&v, &th, 0, &move |i: u16| {
            markets.get(i as usize).map(|m| m.oracle)
        })
        .unwrap();
        crossmargin_sdk::instructions::fill(
            t.pubkey(),
            t.pubkey(),
            victim.account,
            thief.account,
            0,
            env.markets[0].oracle,
            ONE,
            3_150 * DOLLAR,
            h,
        )
    };
    env.expect_error(&[i], &[&t], ErrorCode::DelegatePriceDeviation, &watch)
        .await;

    // round trips at the edge of the delegate's band
    for (delta, price) in [
        (ONE / 5, 3_015 * DOLLAR),
        (-ONE / 5, 2_985 * DOLLAR),
        (ONE / 5, 3_015 * DOLLAR),
    ] {
        let logs = env
            .fill_signed(&t, victim.account, &t, thief.account, 0, delta, price)
            .await
            .unwrap();
        let e: Filled = one_event(&logs);
        assert!(e.taker_by_delegate && !e.maker_by_delegate);
    }
    let v = env.margin_account(victim.account).await;
    assert_eq!(
        (v.delegate_period_spent, v.total_delegate_cost),
        (9_901_500, 9_901_500)
    );
    // the fourth fill would cost 3.2985 more: over the budget, refused, nothing changed
    let before = env.snapshot(&watch).await;
    let err = env
        .fill_signed(
            &t,
            victim.account,
            &t,
            thief.account,
            0,
            -ONE / 5,
            2_985 * DOLLAR,
        )
        .await
        .unwrap_err();
    assert_eq!(
        custom_code(&err),
        Some(u32::from(ErrorCode::DelegateBudgetExceeded))
    );
    assert_eq!(env.snapshot(&watch).await, before);
    // the victim's equity at the oracle fell by exactly what the delegate spent
    let h = env.account_health(victim.account).await;
    assert_eq!(h.equity, (1_000 * U - 9_901_500) as i128);
    // it could not withdraw either (the withdrawal's account is the signer's own PDA)
    let i = aimed_at(
        crossmargin_sdk::instructions::withdraw(t.pubkey(), 0, thief.usdc, USDC, vec![]),
        2,
        victim.account,
    );
    let err = env.expect_failure(&[i], &[&t], &watch).await;
    assert_eq!(
        custom_code(&err),
        Some(anchor_lang::error::ErrorCode::ConstraintSeeds as u32)
    );

    // a day later the budget is fresh: another 3.2985, no more than 10 in the period
    env.advance(86_400).await;
    env.refresh_prices().await;
    env.fill_signed(
        &t,
        victim.account,
        &t,
        thief.account,
        0,
        -ONE / 5,
        2_985 * DOLLAR,
    )
    .await
    .unwrap();
    let v = env.margin_account(victim.account).await;
    assert_eq!(
        (v.delegate_period_spent, v.total_delegate_cost),
        (3_298_500, 13_200_000)
    );

    // a reduce-only delegate can only shrink positions
    env.set_delegate(
        &victim,
        thief.pubkey(),
        DelegateLimits {
            reduce_only: true,
            ..limits
        },
    )
    .await;
    let before = env.snapshot(&watch).await;
    let err = env
        .fill_signed(
            &t,
            victim.account,
            &t,
            thief.account,
            0,
            ONE / 5,
            3_000 * DOLLAR,
        )
        .await
        .unwrap_err();
    assert_eq!(
        custom_code(&err),
        Some(u32::from(ErrorCode::DelegateReduceOnly))
    );
    assert_eq!(env.snapshot(&watch).await, before);
    // limits out of bounds are refused
    for bad in [
        DelegateLimits {
            max_price_deviation: 200_001,
            ..limits
        },
        DelegateLimits {
            period_secs: 59,
            ..limits
        },
        DelegateLimits {
            period_secs: 31 * 86_400,
            ..limits
        },
    ] {
        let i =
            crossmargin_sdk::instructions::set_delegate(victim.pubkey(), 0, thief.pubkey(), bad);
        env.expect_error(
            &[i],
            &[&victim.key],
            ErrorCode::InvalidDelegateLimits,
            &[victim.account],
        )
        .await;
    }
}

/// Finding 4 (`CM_SEED=9001 CM_STEPS=50000` failed at step 4452): a liquidator took over a
/// bankrupt account's whole 0.099 BTC long, passed the initial check, and then the same
/// instruction socialized the deficit over open interest that included the position it had just
/// taken, leaving it under initial margin. Here: B, long 0.099 BTC from 60,000 with 299.03 USDC,
/// is at -492.97 when BTC is 52,000. The keeper-like liquidator L (250 USDC, no BTC) takes it
/// over at 51,740: B's deficit is 518.71. Spread over the open interest before the takeover,
/// less B's long, it falls on the market maker's 0.099 BTC short; L's new long pays nothing and
/// L meets its initial margin after everything the instruction did.
#[tokio::test]
async fn the_liquidators_new_position_pays_no_part_of_the_deficit() {
    let mut env = TestEnv::with_markets().await;
    let mm = env.funded_user(10_000_000 * USDC).await;
    let b = env.funded_user(302 * USDC).await;
    env.fill(&b, &mm, 1, 99 * ONE / 1_000, 60_000 * DOLLAR)
        .await
        .unwrap();
    assert_eq!(env.margin_account(b.account).await.collateral, 299_030_000);
    let l = env.funded_user(250 * USDC).await;
    env.set_price(1, 52_000 * DOLLAR).await;
    assert_eq!(env.account_health(b.account).await.equity, -492_970_000);
    let logs = env.liquidate(&l, b.account, 1).await.unwrap();
    let k: Bankruptcy = one_event(&logs);
    assert_eq!(
        (
            k.deficit,
            k.insurance_paid,
            k.socialized,
            k.bad_debt,
            k.open_interest,
            k.liquidator_share
        ),
        (518_710_000, 0, 518_710_000, 0, 99 * ONE as u64 / 1_000, 0)
    );
    let h = env.account_health(l.account).await;
    assert!(h.meets_initial(), "{h:?}");
    // L: C 250 plus 0.099 BTC bought at 51,740 and worth 52,000: E = 275.74; IM = 257.40
    assert_eq!(
        (h.equity, h.initial_requirement),
        (275_740_000, 257_400_000)
    );
    let paid = one_event::<FundingSettled>(&env.settle_funding(mm.account).await.unwrap()).amount;
    // the index moves by the deficit per contract rounded against the payers: one unit more
    assert_eq!(paid, 518_710_001);
    let none = one_event::<FundingSettled>(&env.settle_funding(l.account).await.unwrap()).amount;
    assert_eq!(none, 0);
    invariants::check(&mut env, &[mm.account, b.account, l.account], 10)
        .await
        .unwrap();
}
