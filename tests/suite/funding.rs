//! The funding crank and lazy settlement, to the unit.

use cross_margin::error::ErrorCode;
use cross_margin::events::{FundingSettled, FundingUpdated};
use cross_margin::state::MarketParams;
use crossmargin_sdk::{instructions as ix, pda};
use solana_sdk::signature::Signer;

use crate::harness::events::one_event;
use crate::harness::*;

const U: i64 = USDC as i64;

/// One fill at 3,030 against an oracle at 3,000 all hour. The fill's price counts as the mark for
/// 60 s, the oracle for the other 3,540 s: mark TWAP 3,000.5, premium 0.5 / 3,000 = 166 ppm/day
/// (truncated). Over one hour that is 166e-6 * 3,000 / 24 = $0.02075 per ETH: the long pays
/// 20,750 units, the short receives them. A second hour without fills has no premium.
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
        (e.mark_twap, e.oracle_twap, e.premium, e.elapsed),
        (3_000_500_000, 3_000_000_000, 166, 3_600)
    );
    assert_eq!(e.index_delta, 20_750_000);
    assert_eq!(
        (e.cumulative_funding_long, e.cumulative_funding_short),
        (20_750_000, 20_750_000)
    );
    assert_eq!(e.fees_to_insurance, 1_212_000);
    assert_eq!(env.exchange().await.insurance_balance, 1_212_000);
    let m = env.market(0).await;
    assert_eq!(
        (
            m.insurance_fees_pending,
            m.last_funding_rate,
            m.last_funding_ts
        ),
        (0, 166, T0 + 3_600)
    );

    // Calling again in the same period is refused and changes nothing.
    env.expect_error(
        &[ix::update_funding(0, env.markets[0].oracle)],
        &[],
        ErrorCode::FundingNotDue,
        &watch,
    )
    .await;

    // Settlement: exactly 20,750 units move from the long to the short.
    let logs = env.settle_funding(long.account).await.unwrap();
    let e: FundingSettled = one_event(&logs);
    assert_eq!((e.amount, e.collateral_after), (20_750, c_long - 20_750));
    let logs = env.settle_funding(short.account).await.unwrap();
    let e: FundingSettled = one_event(&logs);
    assert_eq!((e.amount, e.collateral_after), (-20_750, c_short + 20_750));
    // Settling again is a no-op.
    let logs = env.settle_funding(long.account).await.unwrap();
    assert_eq!(one_event::<FundingSettled>(&logs).amount, 0);
    assert_eq!(
        env.margin_account(long.account).await.collateral,
        c_long - 20_750
    );
    assert_eq!(
        env.margin_account(long.account).await.total_funding_paid,
        20_750
    );

    // A period without trades: the premium decays to zero.
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

/// A 60 s period whose only mark is a fill 5% above the oracle: the premium clamps at 2%/day.
/// Index delta = 2% * 3,000 * 60 / 86,400 = 0.041666... per ETH = 41,666,666 index units: the
/// long pays 41,667 (rounded up), the short receives 41,666 (rounded down); one unit of dust
/// stays in the vault.
#[tokio::test]
async fn premium_is_clamped_and_rounding_favours_the_vault() {
    let mut env = TestEnv::with_markets().await;
    let admin = env.admin.insecure_clone();
    let fast = MarketParams {
        funding_period_secs: 60,
        ..eth_params()
    };
    env.send(&[ix::update_market(admin.pubkey(), 0, fast)], &[&admin])
        .await
        .unwrap();
    let long = env.funded_user(10_000 * USDC).await;
    let short = env.funded_user(10_000 * USDC).await;
    env.fill(&long, &short, 0, ONE, 3_150 * DOLLAR)
        .await
        .unwrap();
    env.advance(60).await;
    env.refresh_prices().await;
    let e: FundingUpdated = one_event(&env.update_funding(0).await.unwrap());
    assert_eq!(
        (e.mark_twap, e.premium, e.index_delta),
        (3_150_000_000, 20_000, 41_666_666)
    );
    let paid = one_event::<FundingSettled>(&env.settle_funding(long.account).await.unwrap()).amount;
    let received =
        one_event::<FundingSettled>(&env.settle_funding(short.account).await.unwrap()).amount;
    assert_eq!((paid, received), (41_667, -41_666));
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
    let mut wrong_market = ix::update_funding(1, env.markets[1].oracle);
    wrong_market.accounts[1].pubkey = pda::market(0);
    env.expect_error(&[wrong_market], &[], ErrorCode::MarketIndexMismatch, &watch)
        .await;

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
