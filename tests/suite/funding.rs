//! The funding crank and lazy settlement, to the unit.

use cross_margin::error::ErrorCode;
use cross_margin::events::{FundingSettled, FundingUpdated};
use cross_margin::state::MarketParams;
use crossmargin_sdk::{instructions as ix, pda};

use crate::harness::events::one_event;
use crate::harness::*;

const U: i64 = USDC as i64;

/// One fill of 1 ETH at 3,030 against an oracle at 3,000 all hour. The fill's weight is its
/// notional at the oracle (3,000) and it counts its deviation (+30, inside the 2% clamp); the
/// period's fills are divided by at least `W_min = 2 * OI * twap * (1 h / 1 day) * 2% / (0.04% *
/// 95%)` = 13,157.894737 USDC for the 1 ETH of open interest, so the premium is 30 / 13,157.89 =
/// 2,279 ppm/day (truncated), the index moves 2,279e-6 * 3,000 / 24 = $0.284875 per ETH, and
/// the long pays 284,875 units: a quarter of the 1.212 USDC the fill paid in fees, so a trader
/// who was both sides could not have profited. A second hour without fills has no premium.
#[tokio::test]
async fn longs_pay_shorts_when_trades_are_above_the_oracle() {
    let mut env = TestEnv::with_markets().await;
    let long = env.funded_user(10_000 * USDC).await;
    let short = env.funded_user(10_000 * USDC).await;
    env.fill(&long, &short, 0, ONE, 3_030 * DOLLAR)
        .await
        .unwrap();
    let (c_long, c_short) = (
        env.margin_account(long.account).await.collateral,
        env.margin_account(short.account).await.collateral,
    );
    // fees: 3,030 * 5 bps = 1.515 paid, 1 bp = 0.303 rebated
    assert_eq!(
        (c_long, c_short),
        (10_000 * U - 1_515_000, 10_000 * U + 303_000)
    );
    let m = env.market(0).await;
    assert_eq!(
        (m.funding.fill_notional, m.funding.fill_premium),
        (3_000 * U as u64, 30 * U)
    );

    env.advance(3_599).await;
    env.refresh_prices().await;
    let watch = [pda::exchange(), pda::market(0)];
    env.expect_error(
        &[ix::update_funding(0, env.markets[0].oracle)],
        &[],
        ErrorCode::FundingNotDue,
        &watch,
    )
    .await;
    env.advance(1).await;
    env.refresh_prices().await;
    let logs = env.update_funding(0).await.unwrap();
    let e: FundingUpdated = one_event(&logs);
    assert_eq!(
        (
            e.oracle_twap,
            e.premium,
            e.elapsed,
            e.premium_weight,
            e.fill_notional,
            e.open_interest
        ),
        (
            3_000_000_000,
            2_279,
            3_600,
            13_157_894_737,
            3_000_000_000,
            ONE as u64
        )
    );
    assert_eq!(e.mark_twap, 3_006_837_000);
    assert_eq!(e.index_delta, 284_875_000);
    assert_eq!(
        (e.cumulative_funding_long, e.cumulative_funding_short),
        (284_875_000, 284_875_000)
    );
    assert_eq!(e.fees_to_insurance, 1_212_000);
    assert_eq!(env.exchange().await.insurance_balance, 1_212_000);
    let m = env.market(0).await;
    assert_eq!(
        (
            m.insurance_fees_pending,
            m.last_funding_rate,
            m.last_funding_ts,
            m.funding.fill_notional,
        ),
        (0, 2_279, T0 + 3_600, 0)
    );
    // the funding moved is under half the fees that moved it
    assert!(
        2 * cross_margin::risk::funding_moved(ONE as u64, e.index_delta)
            <= e.fees_to_insurance as i128
    );

    // Calling again in the same period is refused and changes nothing.
    env.expect_error(
        &[ix::update_funding(0, env.markets[0].oracle)],
        &[],
        ErrorCode::FundingNotDue,
        &watch,
    )
    .await;

    // Settlement: exactly 284,875 units move from the long to the short.
    let logs = env.settle_funding(long.account).await.unwrap();
    let e: FundingSettled = one_event(&logs);
    assert_eq!((e.amount, e.collateral_after), (284_875, c_long - 284_875));
    let logs = env.settle_funding(short.account).await.unwrap();
    let e: FundingSettled = one_event(&logs);
    assert_eq!(
        (e.amount, e.collateral_after),
        (-284_875, c_short + 284_875)
    );
    // Settling again is a no-op.
    let logs = env.settle_funding(long.account).await.unwrap();
    assert_eq!(one_event::<FundingSettled>(&logs).amount, 0);
    assert_eq!(
        env.margin_account(long.account).await.total_funding_paid,
        284_875
    );

    // A period without trades: no premium.
    env.advance(3_600).await;
    env.refresh_prices().await;
    let logs = env.update_funding(0).await.unwrap();
    let e: FundingUpdated = one_event(&logs);
    assert_eq!(
        (e.mark_twap, e.premium, e.index_delta),
        (3_000_000_000, 0, 0)
    );
    let logs = env.settle_funding(long.account).await.unwrap();
    assert_eq!(one_event::<FundingSettled>(&logs).amount, 0);
}

/// Issue 11, finding 1: funding pinned by wash fills. An honest 10 ETH long faces the attacker's
/// 10 ETH short; two more accounts of the attacker co-sign a minimum-size fill (0.01 ETH) at the
/// top of the band (+5%) every minute for an hour. Before: the last fill was the mark for 60 s, so
/// the premium sat at its clamp and the long paid 25.000000 USDC for 0.756 of fees. Now each
/// fill counts at most 2% of its 30 USDC notional (0.6) and the hour's 36 are divided by W_min =
/// 131,578.947369 (10 ETH of open interest): the premium is 273 ppm/day, the long pays 0.341250,
/// and the attacker's group is 0.414750 USDC poorer for it.
#[tokio::test]
async fn wash_fills_cannot_pin_funding() {
    let mut env = TestEnv::with_markets().await;
    let honest = env.funded_user(10_000 * USDC).await;
    let attacker = env.funded_user(10_000 * USDC).await;
    let wash_a = env.funded_user(1_000 * USDC).await;
    let wash_b = env.funded_user(1_000 * USDC).await;
    env.fill(&honest, &attacker, 0, 10 * ONE, 3_000 * DOLLAR)
        .await
        .unwrap();
    // the first update opens a clean period
    env.advance(3_600).await;
    env.refresh_prices().await;
    env.update_funding(0).await.unwrap();
    let group = [attacker.account, wash_a.account, wash_b.account];
    let mut value_before = 0i128;
    for k in group {
        value_before += env.margin_account(k).await.collateral as i128;
    }
    for minute in 0..60 {
        env.advance(60).await;
        env.refresh_prices().await;
        // a buys then sells back 0.01 ETH, always at 3,150 (+5%)
        let (t, m) = if minute % 2 == 0 {
            (&wash_a, &wash_b)
        } else {
            (&wash_b, &wash_a)
        };
        env.fill(t, m, 0, ONE / 100, 3_150 * DOLLAR).await.unwrap();
    }
    let e: FundingUpdated = one_event(&env.update_funding(0).await.unwrap());
    assert_eq!(
        (e.elapsed, e.open_interest, e.fill_notional),
        (3_600, 10 * ONE as u64, 1_800 * U as u64)
    );
    assert_eq!(
        (e.premium_weight, e.premium, e.index_delta),
        (131_578_947_369, 273, 34_125_000)
    );
    let paid =
        one_event::<FundingSettled>(&env.settle_funding(honest.account).await.unwrap()).amount;
    assert_eq!(paid, 341_250);
    env.settle_funding(attacker.account).await.unwrap();
    let mut value_after = 0i128;
    for k in group {
        value_after += env.margin_account(k).await.collateral as i128;
    }
    // the wash fills' fees (0.756) exceed the funding the group collected (0.34125)
    assert_eq!(e.fees_to_insurance, 756_000);
    assert_eq!(value_after - value_before, 341_250 - 756_000);
}

/// A 60 s period whose only fill is 5% above the oracle: the fill counts 2% (its clamp), its
/// notional (3,000) is above `W_min` for a minute (219.30), so the premium is its deviation, at
/// the clamp. Index delta = 2% * 3,000 * 60 / 86,400 = 0.041666... per ETH = 41,666,666 index
/// units: the long pays 41,667 (rounded up), the short receives 41,666 (rounded down); one unit
/// of dust stays in the vault.
#[tokio::test]
async fn premium_is_clamped_and_rounding_favours_the_vault() {
    let mut env = TestEnv::with_markets().await;
    let fast = MarketParams {
        funding_period_secs: 60,
        ..eth_params()
    };
    env.admin_change(cross_margin::state::AdminAction::UpdateMarket {
        market_index: 0,
        params: fast,
    })
    .await;
    env.advance(60).await;
    env.refresh_prices().await;
    env.update_funding(0).await.unwrap();
    let long = env.funded_user(10_000 * USDC).await;
    let short = env.funded_user(10_000 * USDC).await;
    env.fill(&long, &short, 0, ONE, 3_150 * DOLLAR)
        .await
        .unwrap();
    env.advance(60).await;
    env.refresh_prices().await;
    let e: FundingUpdated = one_event(&env.update_funding(0).await.unwrap());
    assert_eq!(
        (e.mark_twap, e.premium, e.index_delta, e.premium_weight),
        (3_060_000_000, 20_000, 41_666_666, 3_000_000_000)
    );
    let paid = one_event::<FundingSettled>(&env.settle_funding(long.account).await.unwrap()).amount;
    let received =
        one_event::<FundingSettled>(&env.settle_funding(short.account).await.unwrap()).amount;
    assert_eq!((paid, received), (41_667, -41_666));
}

/// Issue 13: a market nobody cranks for ten years at $100,000 still updates (the oracle sum is
/// 128 bits wide; before, an i64 of price x seconds overflowed after about 2.9 years and every
/// later update failed).
#[tokio::test]
async fn a_market_left_uncranked_for_years_still_updates() {
    let mut env = TestEnv::with_markets().await;
    let long = env.funded_user(100_000 * USDC).await;
    let short = env.funded_user(100_000 * USDC).await;
    env.set_price(1, 100_000 * DOLLAR).await;
    env.fill(&long, &short, 1, ONE / 10, 100_000 * DOLLAR)
        .await
        .unwrap();
    env.advance(10 * 365 * 86_400).await;
    env.refresh_prices().await;
    let e: FundingUpdated = one_event(&env.update_funding(1).await.unwrap());
    assert_eq!(
        (e.oracle_twap, e.elapsed),
        (100_000 * DOLLAR, 10 * 365 * 86_400)
    );
    assert_eq!(e.premium, 0);
}

#[tokio::test]
async fn funding_refuses_an_invalid_oracle_and_bad_market_lists() {
    let mut env = TestEnv::with_markets().await;
    let long = env.funded_user(10_000 * USDC).await;
    let short = env.funded_user(10_000 * USDC).await;
    env.fill(&long, &short, 0, ONE, 3_000 * DOLLAR)
        .await
        .unwrap();
    env.fill(&long, &short, 1, ONE / 100, 60_000 * DOLLAR)
        .await
        .unwrap();
    env.advance(3_600).await; // oracles now an hour old
    let watch = [pda::exchange(), pda::market(0)];
    env.expect_error(
        &[ix::update_funding(0, env.markets[0].oracle)],
        &[],
        ErrorCode::OracleStale,
        &watch,
    )
    .await;
    env.expect_error(
        &[ix::update_funding(0, env.markets[1].oracle)],
        &[],
        ErrorCode::OracleWrongKey,
        &watch,
    )
    .await;
    // another market's account under this index: the PDA seeds refuse it
    let mut wrong_market = ix::update_funding(1, env.markets[1].oracle);
    wrong_market.accounts[1].pubkey = pda::market(0);
    let err = env.expect_failure(&[wrong_market], &[], &watch).await;
    assert_eq!(
        custom_code(&err),
        Some(anchor_lang::error::ErrorCode::ConstraintSeeds as u32)
    );

    // settle_funding takes one Market per position, in order
    let ro = |k| anchor_lang::prelude::AccountMeta::new_readonly(k, false);
    let cases = vec![
        (vec![ro(pda::market(0))], ErrorCode::HealthAccountMissing),
        (
            vec![ro(pda::market(1)), ro(pda::market(0))],
            ErrorCode::HealthAccountWrongMarket,
        ),
        (
            vec![ro(pda::market(0)), ro(pda::market(0))],
            ErrorCode::HealthAccountDuplicate,
        ),
        (
            vec![ro(pda::market(0)), ro(pda::market(1)), ro(pda::market(1))],
            ErrorCode::HealthAccountUnexpected,
        ),
        (
            vec![ro(pda::market(0)), ro(env.markets[1].oracle)],
            ErrorCode::HealthAccountNotMarket,
        ),
    ];
    for (metas, code) in cases {
        env.expect_error(
            &[ix::settle_funding(long.account, metas)],
            &[],
            code,
            &[long.account],
        )
        .await;
    }
}

/// A parameter change starts the period's fill sums afresh: fills weighed under the old fees
/// (here a lower taker fee than the one executed) would otherwise move funding by more than half
/// what they paid. The same 1 ETH at 3,030, then a change raising the taker fee to 50 bps lands
/// before the update: the update sees no fills, so no premium, and the indices stay.
#[tokio::test]
async fn a_parameter_change_restarts_the_periods_fill_sums() {
    let mut env = TestEnv::with_markets().await;
    let long = env.funded_user(10_000 * USDC).await;
    let short = env.funded_user(10_000 * USDC).await;
    let params = MarketParams {
        taker_fee: 5_000,
        ..eth_params()
    };
    let id = env
        .queue(cross_margin::state::AdminAction::UpdateMarket {
            market_index: 0,
            params,
        })
        .await
        .unwrap();
    env.advance(DELAY).await;
    env.refresh_prices().await;
    // the keeper catches funding up to now, then the period starts with this fill
    env.update_funding(0).await.unwrap();
    env.fill(&long, &short, 0, ONE, 3_030 * DOLLAR)
        .await
        .unwrap();
    let m = env.market(0).await;
    assert_eq!(m.funding.fill_notional, 3_000 * U as u64);
    let exec = env.execute_ix(id).await;
    env.send(&[exec], &[]).await.unwrap();
    let m = env.market(0).await;
    assert_eq!((m.funding.fill_notional, m.funding.fill_premium), (0, 0));
    assert_eq!(m.taker_fee, 5_000);
    env.advance(3_600).await;
    env.refresh_prices().await;
    let e: FundingUpdated = one_event(&env.update_funding(0).await.unwrap());
    assert_eq!((e.premium, e.index_delta, e.fill_notional), (0, 0, 0));
}
