//! Two-party fills: position accounting to the unit, fees, every refusal with nothing changed,
//! and cross margin at work.

use cross_margin::error::ErrorCode;
use cross_margin::events::Filled;
use cross_margin::state::{MarketParams, MarketStatus, Position};
use crossmargin_sdk::{instructions as ix, pda};
use solana_sdk::signature::{Keypair, Signer};

use crate::harness::events::one_event;
use crate::harness::*;

const U: i64 = USDC as i64;

fn pos(base: i64, quote: i64, market_index: u16) -> Position {
    Position {
        base,
        quote,
        funding_snapshot: 0,
        market_index,
        padding: [0; 6],
    }
}

/// Open, add, partial close, flip and close, every figure computed by hand.
/// ETH fees: taker 5 bps, maker -1 bp (rebate). Both start with 10,000 USDC.
#[tokio::test]
async fn position_lifecycle_to_the_unit() {
    let mut env = TestEnv::with_markets().await;
    let t = env.funded_user(10_000 * USDC).await;
    let m = env.funded_user(10_000 * USDC).await;

    // (taker delta, price, taker realized, maker realized, taker base/quote after)
    // 1. buy 2 @ 3,010: notional 6,020; taker fee 3.01, maker rebate 0.602
    let logs = env.fill(&t, &m, 0, 2 * ONE, 3_010 * DOLLAR).await.unwrap();
    let e: Filled = one_event(&logs);
    assert_eq!((e.taker_fee, e.maker_fee), (3_010_000, -602_000));
    assert_eq!((e.taker_realized_pnl, e.maker_realized_pnl), (0, 0));
    assert_eq!(
        (
            e.taker_base_after,
            e.maker_base_after,
            e.open_interest_after
        ),
        (2 * ONE, -2 * ONE, 2 * ONE as u64)
    );
    assert_eq!(e.oracle_price, 3_000 * DOLLAR);
    let (ta, ma) = (
        env.margin_account(t.account).await,
        env.margin_account(m.account).await,
    );
    assert_eq!(ta.positions[0], pos(2 * ONE, -6_020 * U, 0));
    assert_eq!(ma.positions[0], pos(-2 * ONE, 6_020 * U, 0));
    assert_eq!(ta.collateral, 10_000 * U - 3_010_000);
    assert_eq!(ma.collateral, 10_000 * U + 602_000);

    // 2. buy 1 more @ 3,000: entry becomes 3,006.67; fee 1.5 / rebate 0.3
    env.fill(&t, &m, 0, ONE, 3_000 * DOLLAR).await.unwrap();
    let (ta, ma) = (
        env.margin_account(t.account).await,
        env.margin_account(m.account).await,
    );
    assert_eq!(ta.positions[0], pos(3 * ONE, -9_020 * U, 0));
    assert_eq!(ma.positions[0], pos(-3 * ONE, 9_020 * U, 0));

    // 3. sell 1.5 @ 3,100 (within 5% of 3,000): the taker closes half: 4,650 - 4,510 = +140;
    //    fee 2.325, rebate 0.465. The maker closes half of its short: -140.
    env.set_price(0, 3_050 * DOLLAR).await;
    let logs = env
        .fill(&t, &m, 0, -(ONE + ONE / 2), 3_100 * DOLLAR)
        .await
        .unwrap();
    let e: Filled = one_event(&logs);
    assert_eq!(
        (e.taker_realized_pnl, e.maker_realized_pnl),
        (140 * U, -140 * U)
    );
    assert_eq!((e.taker_fee, e.maker_fee), (2_325_000, -465_000));
    let (ta, ma) = (
        env.margin_account(t.account).await,
        env.margin_account(m.account).await,
    );
    assert_eq!(ta.positions[0], pos(ONE + ONE / 2, -4_510 * U, 0));
    assert_eq!(ma.positions[0], pos(-(ONE + ONE / 2), 4_510 * U, 0));

    // 4. sell 2.5 @ 3,050: flip. Closing 1.5 gets 4,575 of the 7,625: realized 65; the new short
    //    of 1 holds 3,050. Fee 3.8125, rebate 0.7625.
    let logs = env
        .fill(&t, &m, 0, -(2 * ONE + ONE / 2), 3_050 * DOLLAR)
        .await
        .unwrap();
    let e: Filled = one_event(&logs);
    assert_eq!(
        (e.taker_realized_pnl, e.maker_realized_pnl),
        (65 * U, -65 * U)
    );
    assert_eq!((e.taker_base_after, e.maker_base_after), (-ONE, ONE));
    assert_eq!(e.open_interest_after, ONE as u64);
    let (ta, ma) = (
        env.margin_account(t.account).await,
        env.margin_account(m.account).await,
    );
    assert_eq!(ta.positions[0], pos(-ONE, 3_050 * U, 0));
    assert_eq!(ma.positions[0], pos(ONE, -3_050 * U, 0));

    // 5. buy 1 @ 2,990: close. +60 / -60. Fee 1.495, rebate 0.299.
    env.set_price(0, 3_000 * DOLLAR).await;
    env.fill(&t, &m, 0, ONE, 2_990 * DOLLAR).await.unwrap();
    let (ta, ma) = (
        env.margin_account(t.account).await,
        env.margin_account(m.account).await,
    );
    assert!(!ta.has_open_positions() && !ma.has_open_positions());
    let taker_fees = 3_010_000 + 1_500_000 + 2_325_000 + 3_812_500 + 1_495_000;
    let maker_rebates = 602_000 + 300_000 + 465_000 + 762_500 + 299_000;
    assert_eq!(ta.collateral, 10_000 * U + 265 * U - taker_fees);
    assert_eq!(ma.collateral, 10_000 * U - 265 * U + maker_rebates);
    assert_eq!(ta.total_realized_pnl, 265 * U);
    assert_eq!(ta.total_fees_paid, taker_fees as u64);
    let market = env.market(0).await;
    assert_eq!(
        market.insurance_fees_pending,
        (taker_fees - maker_rebates) as u64
    );
    assert_eq!(
        (market.open_interest_long, market.open_interest_short),
        (0, 0)
    );
    // the vault holds exactly both accounts plus the pending fees
    assert_eq!(
        env.vault_balance().await as i64,
        ta.collateral + ma.collateral + market.insurance_fees_pending as i64
    );
    // both can take everything out
    env.send(
        &[env.withdraw_ix(&t, ta.collateral as u64, vec![])],
        &[&t.key],
    )
    .await
    .unwrap();
    env.send(
        &[env.withdraw_ix(&m, ma.collateral as u64, vec![])],
        &[&m.key],
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn a_delegate_may_trade() {
    let mut env = TestEnv::with_markets().await;
    let t = env.funded_user(10_000 * USDC).await;
    let m = env.funded_user(10_000 * USDC).await;
    let bot = Keypair::new();
    env.send(
        &[ix::set_delegate(
            t.pubkey(),
            0,
            bot.pubkey(),
            TestEnv::generous_delegate(),
        )],
        &[&t.key],
    )
    .await
    .unwrap();
    let mut i = env.fill_ix(&t, &m, 0, ONE, 3_000 * DOLLAR).await;
    i.accounts[0].pubkey = bot.pubkey();
    env.send(&[i], &[&bot, &m.key]).await.unwrap();
    assert_eq!(env.margin_account(t.account).await.positions[0].base, ONE);
}

#[tokio::test]
async fn fill_refusals_change_nothing() {
    let mut env = TestEnv::with_markets().await;
    let t = env.funded_user(10_000 * USDC).await;
    let m = env.funded_user(10_000 * USDC).await;
    let poor = env.funded_user(100 * USDC).await;
    let stranger = Keypair::new();
    let m_delegate = Keypair::new();
    env.send(
        &[ix::set_delegate(
            m.pubkey(),
            0,
            m_delegate.pubkey(),
            TestEnv::generous_delegate(),
        )],
        &[&m.key],
    )
    .await
    .unwrap();
    env.fill(&t, &m, 0, ONE / 10 + ONE / 200, 3_000 * DOLLAR)
        .await
        .unwrap(); // taker long 0.105
    env.fill(&t, &m, 1, ONE / 100, 60_000 * DOLLAR)
        .await
        .unwrap(); // and 0.01 BTC: health = [BTC]
    let watch = [
        t.account,
        m.account,
        poor.account,
        pda::market(0),
        pda::market(1),
        pda::vault(),
    ];
    let p = 3_000 * DOLLAR;

    // price band: 5% of 3,000 = 150
    let i = env.fill_ix(&t, &m, 0, ONE, p + 150 * DOLLAR + 1).await;
    env.expect_error(&[i], &[&t.key, &m.key], ErrorCode::PriceOutsideBand, &watch)
        .await;
    let i = env.fill_ix(&t, &m, 0, ONE, p - 150 * DOLLAR - 1).await;
    env.expect_error(&[i], &[&t.key, &m.key], ErrorCode::PriceOutsideBand, &watch)
        .await;
    let i = env.fill_ix(&t, &m, 0, ONE, 0).await;
    env.expect_error(&[i], &[&t.key, &m.key], ErrorCode::PriceOutsideBand, &watch)
        .await;
    // lot (0.001 ETH) and minimum (0.01 ETH)
    let i = env.fill_ix(&t, &m, 0, ONE + 1, p).await;
    env.expect_error(
        &[i],
        &[&t.key, &m.key],
        ErrorCode::SizeNotMultipleOfLot,
        &watch,
    )
    .await;
    let i = env.fill_ix(&t, &m, 0, ONE / 200, p).await;
    env.expect_error(&[i], &[&t.key, &m.key], ErrorCode::FillBelowMinimum, &watch)
        .await;
    let i = env.fill_ix(&t, &m, 0, 0, p).await;
    env.expect_error(&[i], &[&t.key, &m.key], ErrorCode::InvalidFillSize, &watch)
        .await;
    // i64::MIN has no opposite for the maker's side: a named refusal, not a panic
    let i = env.fill_ix(&t, &m, 0, i64::MIN, p).await;
    env.expect_error(&[i], &[&t.key, &m.key], ErrorCode::InvalidFillSize, &watch)
        .await;
    // selling 0.1 of the 0.105 long would leave 0.005, under the minimum
    let i = env.fill_ix(&t, &m, 0, -ONE / 10, p).await;
    env.expect_error(
        &[i],
        &[&t.key, &m.key],
        ErrorCode::PositionBelowMinimum,
        &watch,
    )
    .await;
    // margin: 100 USDC cannot buy 1 ETH (IM 300)
    let i = env.fill_ix(&poor, &m, 0, ONE, p).await;
    env.expect_error(
        &[i],
        &[&poor.key, &m.key],
        ErrorCode::InitialMarginViolated,
        &watch,
    )
    .await;
    // signers: a stranger for the taker; the maker's delegate signing for the taker
    let mut i = env.fill_ix(&t, &m, 0, ONE, p).await;
    i.accounts[0].pubkey = stranger.pubkey();
    env.expect_error(
        &[i],
        &[&stranger, &m.key],
        ErrorCode::NotOwnerOrDelegate,
        &watch,
    )
    .await;
    let mut i = env.fill_ix(&t, &m, 0, ONE, p).await;
    i.accounts[0].pubkey = m_delegate.pubkey();
    env.expect_error(
        &[i],
        &[&m_delegate, &m.key],
        ErrorCode::NotOwnerOrDelegate,
        &watch,
    )
    .await;
    let mut i = env.fill_ix(&t, &m, 0, ONE, p).await;
    i.accounts[1].pubkey = t.pubkey();
    env.expect_error(&[i], &[&t.key], ErrorCode::NotOwnerOrDelegate, &watch)
        .await;
    // self trade
    let i = env.fill_ix(&t, &t, 0, ONE, p).await;
    env.expect_error(&[i], &[&t.key], ErrorCode::SelfTrade, &watch)
        .await;
    // wrong market for the index, wrong oracle
    let mut i = env.fill_ix(&t, &m, 0, ONE, p).await;
    i.accounts[3].pubkey = pda::market(1);
    let err = env.expect_failure(&[i], &[&t.key, &m.key], &watch).await;
    // the market's PDA seeds name its index
    assert_eq!(
        custom_code(&err),
        Some(anchor_lang::error::ErrorCode::ConstraintSeeds as u32)
    );
    let mut i = env.fill_ix(&t, &m, 0, ONE, p).await;
    i.accounts[4].pubkey = env.markets[1].oracle;
    env.expect_error(&[i], &[&t.key, &m.key], ErrorCode::OracleWrongKey, &watch)
        .await;
    // the traded market passed again among the health accounts
    let mut i = env.fill_ix(&t, &m, 0, ONE, p).await;
    assert_eq!(i.accounts.len(), 9); // seven named, then BTC's pair
    i.accounts.insert(
        7,
        anchor_lang::prelude::AccountMeta::new_readonly(env.markets[0].oracle, false),
    );
    i.accounts.insert(
        7,
        anchor_lang::prelude::AccountMeta::new_readonly(pda::market(0), false),
    );
    env.expect_error(
        &[i],
        &[&t.key, &m.key],
        ErrorCode::HealthAccountDuplicate,
        &watch,
    )
    .await;
    // the BTC pair left out
    let mut i = env.fill_ix(&t, &m, 0, ONE, p).await;
    i.accounts.truncate(7);
    env.expect_error(
        &[i],
        &[&t.key, &m.key],
        ErrorCode::HealthAccountMissing,
        &watch,
    )
    .await;
    // stale oracle
    env.advance(61).await;
    let i = env.fill_ix(&t, &m, 0, ONE, p).await;
    env.expect_error(&[i], &[&t.key, &m.key], ErrorCode::OracleStale, &watch)
        .await;
    env.refresh_prices().await;

    // open-interest cap: 0.105 open, cap lowered to 1 ETH: 0.9 more is refused, 0.895 fits
    let admin = env.admin.insecure_clone();
    let capped = MarketParams {
        open_interest_cap: ONE as u64,
        ..eth_params()
    };
    env.admin_change(cross_margin::state::AdminAction::UpdateMarket {
        market_index: 0,
        params: capped,
    })
    .await;
    let i = env.fill_ix(&t, &m, 0, 9 * ONE / 10, p).await;
    env.expect_error(
        &[i],
        &[&t.key, &m.key],
        ErrorCode::OpenInterestCapExceeded,
        &watch,
    )
    .await;
    env.fill(&t, &m, 0, 895 * ONE / 1000, p).await.unwrap();
    assert_eq!(env.market(0).await.open_interest_long, ONE as u64);
    // reducing is always allowed at the cap
    env.fill(&t, &m, 0, -ONE / 2, p).await.unwrap();

    // status: reduce-only refuses growth, allows reduction; paused refuses everything
    env.send(
        &[ix::set_market_status(
            admin.pubkey(),
            0,
            MarketStatus::ReduceOnly,
            86_400,
        )],
        &[&admin],
    )
    .await
    .unwrap();
    let i = env.fill_ix(&t, &m, 0, ONE / 10, p).await;
    env.expect_error(&[i], &[&t.key, &m.key], ErrorCode::MarketReduceOnly, &watch)
        .await;
    env.fill(&t, &m, 0, -ONE / 10, p).await.unwrap();
    env.send(
        &[ix::set_market_status(
            admin.pubkey(),
            0,
            MarketStatus::Paused,
            86_400,
        )],
        &[&admin],
    )
    .await
    .unwrap();
    let i = env.fill_ix(&t, &m, 0, -ONE / 10, p).await;
    env.expect_error(&[i], &[&t.key, &m.key], ErrorCode::MarketPaused, &watch)
        .await;
}

/// Opens positions through real fills: `user` long 1 ETH @ 3,000 and (optionally) short 0.1 BTC
/// @ 60,000 against a well-funded market maker.
async fn open_cross_book(env: &mut TestEnv, user: &User, mm: &User, with_btc: bool) {
    env.fill(user, mm, 0, ONE, 3_000 * DOLLAR).await.unwrap();
    if with_btc {
        env.fill(user, mm, 1, -ONE / 10, 60_000 * DOLLAR)
            .await
            .unwrap();
    }
}

/// The BTC profit lets the account add ETH; the same account without it may not, but may still
/// reduce.
#[tokio::test]
async fn cross_margin_lets_profit_carry_new_risk() {
    let mut env = TestEnv::with_markets().await;
    let mm = env.funded_user(1_000_000 * USDC).await;
    // Opening fees: 1.5 (1 ETH) and 3 (0.1 BTC). The cross account needs 600 of IM to open
    // both, so it opens with 700 and takes 200 out once BTC has moved its way.
    let cross = env.funded_user(700 * USDC + 4_500_000).await;
    let alone = env.funded_user(500 * USDC + 1_500_000).await;
    open_cross_book(&mut env, &cross, &mm, true).await;
    open_cross_book(&mut env, &alone, &mm, false).await;
    env.set_price(0, 2_700 * DOLLAR).await;
    env.set_price(1, 55_000 * DOLLAR).await;
    let health = env.health(&[cross.account]).await;
    env.send(
        &[env.withdraw_ix(&cross, 200 * USDC, health)],
        &[&cross.key],
    )
    .await
    .unwrap();
    assert_eq!(env.margin_account(cross.account).await.collateral, 500 * U);
    assert_eq!(env.margin_account(alone.account).await.collateral, 500 * U);

    // cross: E_init = 500 - 300 + 80% * 500 = 600, IM = 270 + 275 = 545. Buying 0.1 ETH at 2,700
    // adds 27 of IM and costs a 0.135 fee: 599.865 >= 572.
    env.fill(&cross, &mm, 0, ONE / 10, 2_700 * DOLLAR)
        .await
        .unwrap();
    // alone: E_init = 200 < IM 270: no new risk
    let i = env.fill_ix(&alone, &mm, 0, ONE / 10, 2_700 * DOLLAR).await;
    env.expect_error(
        &[i],
        &[&alone.key, &mm.key],
        ErrorCode::InitialMarginViolated,
        &[alone.account, mm.account, pda::market(0)],
    )
    .await;
    // ... but it may reduce: sells 0.5 at 2,700, realizing -150 (E stays ~200 > MM)
    let logs = env
        .fill(&alone, &mm, 0, -ONE / 2, 2_700 * DOLLAR)
        .await
        .unwrap();
    let e: Filled = one_event(&logs);
    assert_eq!(e.taker_realized_pnl, -150 * U);
    assert_eq!(
        env.margin_account(alone.account).await.collateral,
        350 * U - 675_000
    );
}

/// A fill that reduces but leaves the account liquidatable and lower is refused.
#[tokio::test]
async fn reducing_fill_may_not_lower_maintenance_health_below_mm() {
    let mut env = TestEnv::with_markets().await;
    let mm = env.funded_user(1_000_000 * USDC).await;
    let user = env.funded_user(400 * USDC).await;
    env.fill(&user, &mm, 0, ONE, 3_000 * DOLLAR).await.unwrap(); // collateral 398.5
    env.set_price(0, 2_660 * DOLLAR).await; // E = 58.5, MM = 133: liquidatable
    let watch = [user.account, mm.account, pda::market(0)];
    // selling at the bottom of the band (2,527) realizes 133 below the oracle: E - MM falls
    let i = env.fill_ix(&user, &mm, 0, -ONE / 2, 2_527 * DOLLAR).await;
    env.expect_error(
        &[i],
        &[&user.key, &mm.key],
        ErrorCode::MaintenanceMarginViolated,
        &watch,
    )
    .await;
    // selling at the oracle price raises E - MM (the requirement falls): allowed
    env.fill(&user, &mm, 0, -ONE / 2, 2_660 * DOLLAR)
        .await
        .unwrap();
}
