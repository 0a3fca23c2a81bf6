//! Liquidation on aggregate maintenance margin, bankruptcy, and the attacks it must withstand.
//! ETH-PERP: im 10%, mm 5%, liquidation fee 1%, insurance fee 0.5%; liquidation buffer 20%.

use anchor_lang::prelude::AccountMeta;
use cross_margin::error::ErrorCode;
use cross_margin::events::{Bankruptcy, Liquidated, Withdrawn};
use cross_margin::health_accounts::position_risks;
use cross_margin::risk::{compute_health, liquidation_price, MarginMode};
use cross_margin::state::MarketParams;
use crossmargin_sdk::{instructions as ix, pda};
use solana_sdk::signature::{Keypair, Signer};

use crate::harness::events::{events, one_event};
use crate::harness::*;

const U: i64 = USDC as i64;

struct Book {
    env: TestEnv,
    /// Market maker: the counterparty of every opening fill.
    mm: User,
    /// A well-funded liquidator.
    liq: User,
}

async fn book() -> Book {
    let mut env = TestEnv::with_markets().await;
    let mm = env.funded_user(10_000_000 * USDC).await;
    let liq = env.funded_user(100_000 * USDC).await;
    Book { env, mm, liq }
}

impl Book {
    /// A user long `base` ETH bought at 3,000 with `collateral` left after the taker fee.
    async fn long_eth(&mut self, base: i64, collateral: i64) -> User {
        let fee = base as i128 * 3_000 * 500 / 1_000_000_000; // 5 bps of base * 3,000 USDC, in native
        let user = self
            .env
            .funded_user((collateral as i128 + fee) as u64)
            .await;
        self.env
            .fill(&user, &self.mm, 0, base, 3_000 * DOLLAR)
            .await
            .unwrap();
        assert_eq!(
            self.env.margin_account(user.account).await.collateral,
            collateral
        );
        user
    }

    async fn insurance(&mut self, amount: u64) {
        let donor = self.env.user(0).await;
        self.env.mint_to(self.env.mint, donor.usdc, amount).await;
        self.env
            .send(
                &[ix::deposit_insurance(donor.pubkey(), donor.usdc, amount)],
                &[&donor.key],
            )
            .await
            .unwrap();
    }

    fn watch(&self, accounts: &[&User]) -> Vec<anchor_lang::prelude::Pubkey> {
        let mut w: Vec<_> = accounts.iter().map(|u| u.account).collect();
        w.extend([
            self.liq.account,
            pda::market(0),
            pda::market(1),
            pda::exchange(),
            pda::vault(),
        ]);
        w
    }
}

/// 1,000 USDC, long 2 ETH from 3,000. E - MM = 2p - 5,000 - 0.1p = 0 at p = 2,631.578947...:
/// the program's liquidation price is 2,631.578948. There and one step above the account is not
/// liquidatable; one step below it is, and one step restores the 20% buffer exactly (to the lot).
#[tokio::test]
async fn single_long_at_its_liquidation_price() {
    let mut b = book().await;
    let a = b.long_eth(2 * ONE, 1_000 * U).await;
    let account = b.env.margin_account(a.account).await;
    let views = b.env.market_views().await;
    let risks = position_risks(&account, &views).unwrap();
    let lp = liquidation_price(account.collateral, &risks, 0, MarginMode::Standard)
        .unwrap()
        .unwrap();
    assert_eq!(lp, 2_631_578_948);

    let watch = b.watch(&[&a]);
    b.env.set_price(0, lp).await;
    let h = b.env.account_health(a.account).await;
    assert!(!h.liquidatable());
    assert!(
        (0..=1).contains(&h.maintenance_health()),
        "E - MM = {}",
        h.maintenance_health()
    );
    let i = b
        .env
        .liquidate_ix(&b.liq, a.account, 0, u64::MAX, i64::MAX)
        .await;
    b.env
        .expect_error(&[i], &[&b.liq.key], ErrorCode::NotLiquidatable, &watch)
        .await;
    b.env.set_price(0, lp + 1).await;
    assert!(!b.env.account_health(a.account).await.liquidatable());
    let i = b
        .env
        .liquidate_ix(&b.liq, a.account, 0, u64::MAX, i64::MAX)
        .await;
    b.env
        .expect_error(&[i], &[&b.liq.key], ErrorCode::NotLiquidatable, &watch)
        .await;

    let p = lp - 1; // 2,631.578947
    b.env.set_price(0, p).await;
    let h = b.env.account_health(a.account).await;
    assert!(h.liquidatable());
    let fees_before = b.env.market(0).await.insurance_fees_pending;
    assert_eq!(
        (h.equity, h.maintenance_requirement),
        (263_157_894, 263_157_895)
    );

    let e: Liquidated = one_event(&b.env.liquidate(&b.liq, a.account, 0).await.unwrap());
    // target 1.2 * MM = 315,789,474; gap 52,631,580; per ETH taken E - 1.2 MM improves by
    // p * (1.2 * 5% - 1% - 0.5%) = 118.42 USDC: 0.44444 ETH, rounded up to the lot: 0.445.
    let per_eth = p as f64 / 1e6 * (1.2 * 0.05 - 0.015);
    let needed = (315_789_474.0 - 263_157_894.0) / 1e6 / per_eth;
    assert!((needed - 0.444_444).abs() < 1e-4, "{needed}");
    assert_eq!(e.liquidatee_base_delta, -445_000_000);
    assert_eq!(e.price, 2_605_263_157); // 2,631.578947 * 0.99, rounded down
    assert_eq!(e.insurance_fee, 5_855_264); // 0.445 * 2,631.578947 * 0.5%, rounded up
    assert_eq!(e.liquidation_fee, 11_710_526); // floor(0.445 * p) - ceil(0.445 * price)
    assert_eq!(
        (e.equity_before, e.maintenance_before),
        (263_157_894, 263_157_895)
    );
    // after: C = 1,000 - 175.657896 - 5.855264; 1.555 ETH worth 4,092.105262 against 4,665
    assert_eq!(
        (e.equity_after, e.maintenance_after),
        (245_592_102, 204_605_264)
    );
    assert!(e.equity_after as i128 * 5 >= e.maintenance_after as i128 * 6); // E >= 1.2 MM
    assert!(!e.being_liquidated);
    let after = b.env.margin_account(a.account).await;
    assert_eq!(after.collateral, 818_486_840);
    assert_eq!(
        (after.positions[0].base, after.positions[0].quote),
        (1_555_000_000, -4_665 * U)
    );
    assert_eq!(after.being_liquidated, 0);
    // one lot less would not have restored the buffer: E and MM for 0.444 ETH taken
    let e444 = 263_157_894.0 - 0.444 * p as f64 * 0.015;
    let mm444 = 1.556 * p as f64 * 0.05;
    assert!(e444 < 1.2 * mm444);
    // the liquidator holds 0.445 ETH at the improved price
    let lr = b.env.margin_account(b.liq.account).await;
    assert_eq!(lr.positions[0].base, 445_000_000);
    // the insurance fee accrues to the market (a liquidation does not write the exchange)
    assert_eq!(
        b.env.market(0).await.insurance_fees_pending - fees_before,
        5_855_264
    );
    assert_eq!(b.env.exchange().await.insurance_balance, 0);
    let h = b.env.account_health(b.liq.account).await;
    assert!(h.meets_initial());
}

/// Loss spread over two markets makes the account liquidatable although each position alone,
/// with the same collateral, would be far from it.
#[tokio::test]
async fn cross_margin_account_is_liquidated_on_aggregate() {
    let mut b = book().await;
    let user = b.env.funded_user(874_500_000).await; // 870 after 1.5 + 3.0 of fees
    b.env
        .fill(&user, &b.mm, 0, ONE, 3_000 * DOLLAR)
        .await
        .unwrap();
    b.env
        .fill(&user, &b.mm, 1, ONE / 10, 60_000 * DOLLAR)
        .await
        .unwrap();
    assert_eq!(b.env.margin_account(user.account).await.collateral, 870 * U);
    b.env.set_price(0, 2_700 * DOLLAR).await;
    b.env.set_price(1, 57_000 * DOLLAR).await;

    let account = b.env.margin_account(user.account).await;
    let risks = position_risks(&account, &b.env.market_views().await).unwrap();
    let all = compute_health(account.collateral, &risks, MarginMode::Standard).unwrap();
    // E = 870 - 300 - 300 = 270 < MM = 135 + 142.5 = 277.5
    assert_eq!(
        (all.equity, all.maintenance_requirement),
        (270 * U as i128, 277_500_000)
    );
    assert!(all.liquidatable());
    for alone in [&risks[..1], &risks[1..]] {
        let h = compute_health(account.collateral, alone, MarginMode::Standard).unwrap();
        assert_eq!(h.equity, 570 * U as i128);
        assert!(!h.liquidatable() && h.maintenance_health() > 400 * U as i128);
    }
    let e: Liquidated = one_event(&b.env.liquidate(&b.liq, user.account, 0).await.unwrap());
    assert_eq!(
        (e.equity_before, e.maintenance_before),
        (270 * U, 277_500_000)
    );
    assert!(e.equity_after - e.maintenance_after > e.equity_before - e.maintenance_before);
}

/// E < 0: the whole position goes at 2,623.50 (2,650 less 1%), no insurance fee; the account is
/// left with -66.50, which the insurance fund pays. The account is then usable again.
#[tokio::test]
async fn bankruptcy_covered_by_insurance() {
    let mut b = book().await;
    b.insurance(1_000 * USDC).await;
    let d = b.long_eth(ONE, 310 * U).await;
    b.env.set_price(0, 2_650 * DOLLAR).await;
    assert_eq!(
        b.env.account_health(d.account).await.equity,
        -40 * U as i128
    );
    let logs = b.env.liquidate(&b.liq, d.account, 0).await.unwrap();
    let e: Liquidated = one_event(&logs);
    assert_eq!(
        (e.liquidatee_base_delta, e.price, e.insurance_fee),
        (-ONE, 2_623_500_000, 0)
    );
    assert_eq!(e.liquidation_fee, 26_500_000);
    let k: Bankruptcy = one_event(&logs);
    assert_eq!(
        (k.deficit, k.insurance_paid, k.socialized, k.bad_debt),
        (66_500_000, 66_500_000, 0, 0)
    );
    let ex = b.env.exchange().await;
    assert_eq!(
        (ex.insurance_balance, ex.bad_debt, ex.socialized_loss),
        (933_500_000, 0, 0)
    );
    let a = b.env.margin_account(d.account).await;
    assert_eq!(
        (a.collateral, a.being_liquidated, a.has_open_positions()),
        (0, 0, false)
    );
    // usable again
    b.env.mint_to(b.env.mint, d.usdc, 100 * USDC).await;
    b.env.deposit(&d, 100 * USDC).await;
    b.env
        .fill(&d, &b.mm, 0, ONE / 100, 2_650 * DOLLAR)
        .await
        .unwrap();
    let accounts = [d.account, b.mm.account, b.liq.account];
    invariants::check(&mut b.env, &accounts, 10).await.unwrap();
}

/// Insurance holds 20 of the 66.50 deficit; 46.50 goes over the open interest as it stood before
/// the takeover, less the bankrupt long: x's 2 ETH long and the market maker's 3 ETH short, 5 ETH
/// in all: 9.30 per ETH, each holder to the unit. The liquidator's new position, taken over at
/// the bankrupt price, pays nothing of it.
#[tokio::test]
async fn bankruptcy_partly_socialized() {
    let mut b = book().await;
    b.insurance(20 * USDC).await;
    let x = b.long_eth(2 * ONE, 10_000 * U).await;
    let d = b.long_eth(ONE, 310 * U).await;
    b.env.set_price(0, 2_650 * DOLLAR).await;
    let logs = b.env.liquidate(&b.liq, d.account, 0).await.unwrap();
    let k: Bankruptcy = one_event(&logs);
    assert_eq!(
        (k.deficit, k.insurance_paid, k.socialized, k.bad_debt),
        (66_500_000, 20 * USDC, 46_500_000, 0)
    );
    assert_eq!((k.open_interest, k.liquidator_share), (5 * ONE as u64, 0));
    assert_eq!(k.index_delta, 9_300_000_000); // 46.5 USDC / 5 ETH, index units
    let m = b.env.market(0).await;
    assert_eq!(
        (m.cumulative_funding_long, m.cumulative_funding_short),
        (9_300_000_000, -9_300_000_000)
    );
    assert_eq!(
        (m.open_interest_long, m.open_interest_short),
        (3 * ONE as u64, 3 * ONE as u64)
    );
    let ex = b.env.exchange().await;
    assert_eq!((ex.insurance_balance, ex.socialized_loss), (0, 46_500_000));

    let mut paid = 0;
    for (user, expected) in [(&x, 18_600_000), (&b.liq, 0), (&b.mm, 27_900_000)] {
        let e: cross_margin::events::FundingSettled =
            one_event(&b.env.settle_funding(user.account).await.unwrap());
        assert_eq!(e.amount, expected);
        paid += e.amount;
    }
    assert_eq!(paid, 46_500_000);
    let accounts = [x.account, d.account, b.mm.account, b.liq.account];
    invariants::check(&mut b.env, &accounts, 10).await.unwrap();
}

/// Issue 11, finding 3: the holder of the other side of a bankrupt position is the liquidator.
/// Its takeover nets the open interest to zero; before, the 66.50 deficit then became bad debt
/// and the holder kept its 26.50 liquidation fee. Now the loss is spread over the open interest
/// as it stood before the takeover, less the bankrupt long: the liquidator's own 1 ETH short, which
/// pays all 66.50 directly. Nothing is recorded as bad debt.
#[tokio::test]
async fn the_counterparty_cannot_dodge_a_socialized_loss_by_liquidating() {
    let mut b = book().await;
    let d = b.env.funded_user(311_500_000).await;
    b.env
        .fill(&d, &b.liq, 0, ONE, 3_000 * DOLLAR)
        .await
        .unwrap();
    b.env.set_price(0, 2_650 * DOLLAR).await;
    let before = b.env.margin_account(b.liq.account).await.collateral;
    let logs = b.env.liquidate(&b.liq, d.account, 0).await.unwrap();
    let e: Liquidated = one_event(&logs);
    assert_eq!(e.liquidation_fee, 26_500_000);
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
        (66_500_000, 0, 66_500_000, 0, ONE as u64, 66_500_000)
    );
    let m = b.env.market(0).await;
    assert_eq!((m.open_interest_long, m.open_interest_short), (0, 0));
    let ex = b.env.exchange().await;
    assert_eq!((ex.bad_debt, ex.socialized_loss), (0, 66_500_000));
    // the liquidator's short from 3,000 was closed at 2,623.50 (+376.50); it paid the 66.50
    // deficit its counterparty left: +310.00 in all, the 26.50 fee included
    let lr = b.env.margin_account(b.liq.account).await;
    assert_eq!(lr.collateral - before, 376_500_000 - 66_500_000);
    assert_eq!(lr.total_funding_paid, 66_500_000);
    let accounts = [d.account, b.mm.account, b.liq.account];
    invariants::check(&mut b.env, &accounts, 10).await.unwrap();
}

/// A keeper closes every position of a bankrupt account in one transaction.
#[tokio::test]
async fn several_positions_in_one_transaction() {
    let mut b = book().await;
    b.insurance(10_000 * USDC).await;
    let user = b.env.funded_user(874_500_000).await;
    b.env
        .fill(&user, &b.mm, 0, ONE, 3_000 * DOLLAR)
        .await
        .unwrap();
    b.env
        .fill(&user, &b.mm, 1, ONE / 10, 60_000 * DOLLAR)
        .await
        .unwrap();
    b.env.set_price(0, 2_400 * DOLLAR).await;
    b.env.set_price(1, 52_000 * DOLLAR).await; // E = 870 - 600 - 800 < 0
    let first = b
        .env
        .liquidate_ix(&b.liq, user.account, 0, u64::MAX, i64::MAX)
        .await;
    // the second instruction's health list is what the account will hold after the first
    let markets = b.env.markets.clone();
    let second = ix::liquidate(
        b.liq.pubkey(),
        b.liq.account,
        user.account,
        1,
        markets[1].oracle,
        u64::MAX,
        i64::MAX,
        true, // the last position: this step may resolve the bankruptcy
        vec![
            AccountMeta::new_readonly(pda::market(0), false),
            AccountMeta::new_readonly(markets[0].oracle, false),
        ],
    );
    let logs = b.env.send(&[first, second], &[&b.liq.key]).await.unwrap();
    assert_eq!(events::<Liquidated>(&logs).len(), 2);
    let k: Bankruptcy = one_event(&logs);
    assert_eq!(k.market_index, 1);
    let a = b.env.margin_account(user.account).await;
    assert_eq!((a.collateral, a.has_open_positions()), (0, false));
}

#[tokio::test]
async fn liquidation_refusals_change_nothing() {
    let mut b = book().await;
    let victim = b.long_eth(2 * ONE, 1_000 * U).await;
    let healthy = b.long_eth(ONE, 1_000 * U).await;
    let poor = b.env.funded_user(10 * USDC).await;
    // the liquidator also holds BTC, so its health list is not empty
    b.env
        .fill(&b.liq, &b.mm, 1, ONE / 100, 60_000 * DOLLAR)
        .await
        .unwrap();
    b.env.set_price(0, 2_600 * DOLLAR).await; // victim: E = 200 < MM = 260
    let mut watch = b.watch(&[&victim, &healthy, &poor]);
    watch.push(b.mm.account);
    let liq = b.liq.key.insecure_clone();
    let max = u64::MAX;

    let i = b
        .env
        .liquidate_ix(&b.liq, healthy.account, 0, max, i64::MAX)
        .await;
    b.env
        .expect_error(&[i], &[&liq], ErrorCode::NotLiquidatable, &watch)
        .await;
    let i = b
        .env
        .liquidate_ix(&victim, victim.account, 0, max, i64::MAX)
        .await;
    b.env
        .expect_error(&[i], &[&victim.key], ErrorCode::SelfLiquidation, &watch)
        .await;
    let i = b
        .env
        .liquidate_ix(&poor, victim.account, 0, max, i64::MAX)
        .await;
    b.env
        .expect_error(&[i], &[&poor.key], ErrorCode::LiquidatorUnderMargin, &watch)
        .await;
    // takeover price 2,574: a limit of 2,573.999999 refuses it
    let i = b
        .env
        .liquidate_ix(&b.liq, victim.account, 0, max, 2_574 * DOLLAR - 1)
        .await;
    b.env
        .expect_error(&[i], &[&liq], ErrorCode::LiquidationLimitPrice, &watch)
        .await;
    let i = b
        .env
        .liquidate_ix(&b.liq, victim.account, 0, 999_999, i64::MAX)
        .await;
    b.env
        .expect_error(&[i], &[&liq], ErrorCode::LiquidationSizeZero, &watch)
        .await;
    let i = b
        .env
        .liquidate_ix(&b.liq, victim.account, 1, max, i64::MAX)
        .await;
    b.env
        .expect_error(&[i], &[&liq], ErrorCode::NoPositionToLiquidate, &watch)
        .await;
    let stranger = Keypair::new();
    let mut i = b
        .env
        .liquidate_ix(&b.liq, victim.account, 0, max, i64::MAX)
        .await;
    i.accounts[0].pubkey = stranger.pubkey();
    b.env
        .expect_error(&[i], &[&stranger], ErrorCode::NotOwnerOrDelegate, &watch)
        .await;
    // health accounts: the liquidator's BTC pair missing
    let mut i = b
        .env
        .liquidate_ix(&b.liq, victim.account, 0, max, i64::MAX)
        .await;
    i.accounts.truncate(7);
    b.env
        .expect_error(&[i], &[&liq], ErrorCode::HealthAccountMissing, &watch)
        .await;

    // oracles: liquidation accepts an older price than trading (200 s > 60 s), not past 300 s
    b.env.advance(200).await;
    let health = b.env.health(&[healthy.account]).await;
    let i = b.env.withdraw_ix(&healthy, USDC, health);
    b.env
        .expect_error(&[i], &[&healthy.key], ErrorCode::OracleStale, &watch)
        .await;
    b.env.advance(101).await;
    let i = b
        .env
        .liquidate_ix(&b.liq, victim.account, 0, max, i64::MAX)
        .await;
    b.env
        .expect_error(&[i], &[&liq], ErrorCode::OracleStale, &watch)
        .await;
    b.env.refresh_prices().await;
    let eth = b.env.markets[0];
    let q = Quote {
        price: 2_600 * DOLLAR,
        conf: 52 * DOLLAR as u64 + 1,
        ema: 2_600 * DOLLAR,
        publish_time: b.env.now,
    };
    b.env.write_oracle(eth, q).await;
    let i = b
        .env
        .liquidate_ix(&b.liq, victim.account, 0, max, i64::MAX)
        .await;
    b.env
        .expect_error(&[i], &[&liq], ErrorCode::OracleConfidenceTooWide, &watch)
        .await;
    b.env
        .write_oracle(
            eth,
            Quote {
                price: 0,
                conf: 0,
                ..q
            },
        )
        .await;
    let i = b
        .env
        .liquidate_ix(&b.liq, victim.account, 0, max, i64::MAX)
        .await;
    b.env
        .expect_error(&[i], &[&liq], ErrorCode::OracleNonPositivePrice, &watch)
        .await;

    // and with a valid price, it goes through
    b.env.set_price(0, 2_600 * DOLLAR).await;
    b.env.liquidate(&b.liq, victim.account, 0).await.unwrap();
}

/// While `being_liquidated` is set the account may only reduce risk; the flag clears once equity
/// is back above the buffer.
#[tokio::test]
async fn being_liquidated_blocks_new_risk_until_restored() {
    let mut b = book().await;
    let v = b.long_eth(2 * ONE, 1_000 * U).await;
    b.env.set_price(0, 2_600 * DOLLAR).await;
    let i = b
        .env
        .liquidate_ix(&b.liq, v.account, 0, ONE as u64 / 10, i64::MAX)
        .await;
    let e: Liquidated = one_event(&b.env.send(&[i], &[&b.liq.key]).await.unwrap());
    assert_eq!(e.liquidatee_base_delta, -ONE / 10);
    assert!(e.being_liquidated);
    assert_eq!(b.env.margin_account(v.account).await.being_liquidated, 1);

    let watch = b.watch(&[&v]);
    let health = b.env.health(&[v.account]).await;
    let i = b.env.withdraw_ix(&v, USDC, health);
    b.env
        .expect_error(&[i], &[&v.key], ErrorCode::AccountBeingLiquidated, &watch)
        .await;
    let i = b.env.fill_ix(&v, &b.mm, 0, ONE / 10, 2_600 * DOLLAR).await;
    b.env
        .expect_error(
            &[i],
            &[&v.key, &b.mm.key],
            ErrorCode::AccountBeingLiquidated,
            &[v.account, b.mm.account],
        )
        .await;
    // reducing is allowed: 1.9 -> 1.4 ETH brings E (~195.45) above MM (182) but not to the
    // buffer (218.4)
    b.env
        .fill(&v, &b.mm, 0, -ONE / 2, 2_600 * DOLLAR)
        .await
        .unwrap();
    let h = b.env.account_health(v.account).await;
    assert!(!h.liquidatable());
    assert!(h.equity * 5 < h.maintenance_requirement * 6);
    assert_eq!(b.env.margin_account(v.account).await.being_liquidated, 1);
    // flagged and still under the buffer: liquidation may continue
    let e: Liquidated = one_event(&b.env.liquidate(&b.liq, v.account, 0).await.unwrap());
    assert!(!e.being_liquidated);
    // the price recovers: withdrawals work again
    b.env.set_price(0, 3_000 * DOLLAR).await;
    let health = b.env.health(&[v.account]).await;
    let i = b.env.withdraw_ix(&v, USDC, health);
    b.env.send(&[i], &[&v.key]).await.unwrap();
}

/// A flagged account whose owner tops it up: the deposit reads no prices, so the flag stays until
/// the next instruction that computes health, which refreshes it before deciding: the withdrawal
/// that follows is judged on the restored account and clears the flag.
#[tokio::test]
async fn a_topped_up_flagged_account_withdraws_and_clears_its_flag() {
    let mut b = book().await;
    let v = b.long_eth(2 * ONE, 1_000 * U).await;
    b.env.set_price(0, 2_600 * DOLLAR).await;
    let i = b
        .env
        .liquidate_ix(&b.liq, v.account, 0, ONE as u64 / 10, i64::MAX)
        .await;
    b.env.send(&[i], &[&b.liq.key]).await.unwrap();
    assert_eq!(b.env.margin_account(v.account).await.being_liquidated, 1);
    b.env.mint_to(b.env.mint, v.usdc, 2_000 * USDC).await;
    b.env.deposit(&v, 2_000 * USDC).await;
    assert_eq!(b.env.margin_account(v.account).await.being_liquidated, 1);
    let h = b.env.account_health(v.account).await;
    assert!(
        h.equity * 5 > h.maintenance_requirement * 6,
        "above the buffer: {h:?}"
    );
    let health = b.env.health(&[v.account]).await;
    let i = b.env.withdraw_ix(&v, 100 * USDC, health);
    let w: Withdrawn = one_event(&b.env.send(&[i], &[&v.key]).await.unwrap());
    assert_eq!(w.amount, 100 * USDC);
    assert_eq!(b.env.margin_account(v.account).await.being_liquidated, 0);
}

/// Mango-style (a): two colluding accounts trade at the band edge, then the oracle is pumped.
/// The winner's unrealized profit counts at 80% in the initial check and cannot be withdrawn:
/// only settled collateral leaves.
#[tokio::test]
async fn attack_collusion_and_oracle_pump_cannot_withdraw_profit() {
    let mut b = book().await;
    let a = b.env.funded_user(5_000 * USDC).await;
    let c = b.env.funded_user(5_000 * USDC).await;
    b.env
        .fill(&a, &c, 0, 10 * ONE, 3_150 * DOLLAR)
        .await
        .unwrap(); // band edge: +5%
    let ca = b.env.margin_account(a.account).await.collateral;
    assert_eq!(ca, 5_000 * U - 15_750_000); // 5 bps of 31,500
    b.env.set_price(0, 3_600 * DOLLAR).await; // the pump: +4,500 of unrealized profit for A
    let h = b.env.account_health(a.account).await;
    // E_init = 4,984.25 + 80% * 4,500 = 8,584.25; IM = 3,600: free 4,984.25 == C
    assert_eq!(h.initial_equity, (ca + 3_600 * U) as i128);
    assert_eq!(
        h.free_collateral(),
        ca as i128 + 3_600 * U as i128 - 3_600 * U as i128
    );
    assert_eq!(h.withdrawable(ca), ca as u64);
    let health = b.env.health(&[a.account]).await;
    let watch = [a.account, a.usdc, pda::vault()];
    let i = b.env.withdraw_ix(&a, ca as u64 + 1, health.clone());
    b.env
        .expect_error(&[i], &[&a.key], ErrorCode::InsufficientCollateral, &watch)
        .await;
    b.env
        .send(&[b.env.withdraw_ix(&a, ca as u64, health)], &[&a.key])
        .await
        .unwrap();
    // the group got back 4,984.25 of the 10,000 it put in; C's account is now liquidatable
    assert!(b.env.account_health(c.account).await.liquidatable());
    assert_eq!(
        b.env.token_balance(a.usdc).await + b.env.token_balance(c.usdc).await,
        ca as u64
    );
}

/// (b) Liquidating oneself through a second account loses the insurance fee: the owner's two
/// accounts together end poorer by it (plus rounding).
#[tokio::test]
async fn attack_self_liquidation_through_second_account_is_unprofitable() {
    let mut b = book().await;
    let v = b.long_eth(2 * ONE, 1_000 * U).await;
    b.env
        .send(&[ix::create_margin_account(v.pubkey(), 1)], &[&v.key])
        .await
        .unwrap();
    let second = User {
        key: v.key.insecure_clone(),
        usdc: v.usdc,
        account: pda::margin_account(&v.pubkey(), 1),
        sub: 1,
    };
    b.env.mint_to(b.env.mint, v.usdc, 10_000 * USDC).await;
    b.env
        .send(
            &[ix::deposit(
                v.pubkey(),
                second.account,
                v.usdc,
                10_000 * USDC,
            )],
            &[&v.key],
        )
        .await
        .unwrap();
    b.env.set_price(0, 2_600 * DOLLAR).await;
    let before = b.env.account_health(v.account).await.equity
        + b.env.account_health(second.account).await.equity;
    let e: Liquidated = one_event(&b.env.liquidate(&second, v.account, 0).await.unwrap());
    let after = b.env.account_health(v.account).await.equity
        + b.env.account_health(second.account).await.equity;
    let loss = before - after;
    assert!(e.insurance_fee > 0);
    assert!(
        loss >= e.insurance_fee as i128 && loss <= e.insurance_fee as i128 + 2,
        "loss {loss}, fee {}",
        e.insurance_fee
    );
}

/// (c) A thin market's open-interest cap bounds the bad debt a price spike can create: with a
/// 1 ETH cap, no one can hold 2; a 100% spike against a 1 ETH short with 310 USDC leaves a
/// deficit of exactly 1 * 6,000 * 1.01 - 3,000 - 310 = 2,750, whatever the attacker wanted.
#[tokio::test]
async fn attack_thin_market_spike_is_bounded_by_the_cap() {
    let mut b = book().await;
    let thin = MarketParams {
        open_interest_cap: ONE as u64,
        ..eth_params()
    };
    b.env
        .admin_change(cross_margin::state::AdminAction::UpdateMarket {
            market_index: 0,
            params: thin,
        })
        .await;
    let s = b.env.funded_user(311_500_000).await;
    let i = b.env.fill_ix(&s, &b.mm, 0, -2 * ONE, 3_000 * DOLLAR).await;
    b.env
        .expect_error(
            &[i],
            &[&s.key, &b.mm.key],
            ErrorCode::OpenInterestCapExceeded,
            &[s.account, pda::market(0)],
        )
        .await;
    b.env
        .fill(&s, &b.mm, 0, -ONE, 3_000 * DOLLAR)
        .await
        .unwrap();
    b.env.set_price(0, 6_000 * DOLLAR).await;
    b.insurance(5_000 * USDC).await;
    let logs = b.env.liquidate(&b.liq, s.account, 0).await.unwrap();
    let k: Bankruptcy = one_event(&logs);
    assert_eq!(k.deficit, 2_750 * USDC);
    assert_eq!(k.insurance_paid, 2_750 * USDC);
}
