//! Every oracle refusal through a real instruction (withdraw against open positions), with nothing
//! changed; and the real Pyth account dumps read end to end by the program.

use anchor_lang::prelude::{AccountMeta, Pubkey};
use cross_margin::error::ErrorCode;
use cross_margin::oracle::{PYTH_LEGACY_PROGRAM_ID, PYTH_RECEIVER_PROGRAM_ID};
use cross_margin::state::OracleSource;
use crossmargin_sdk::pda;
use pyth_sdk_solana::state::PriceStatus;
use pyth_solana_receiver_sdk::price_update::VerificationLevel;

use crate::harness::pyth::{legacy_data, pull_data};
use crate::harness::*;

struct Fixture {
    env: TestEnv,
    user: User,
    health: Vec<AccountMeta>,
    watch: Vec<Pubkey>,
}

/// 10,000 USDC; ETH long 1 @ 3,000 (pull oracle) and BTC short 0.1 @ 60,000 (legacy oracle).
async fn fixture() -> Fixture {
    let mut env = TestEnv::with_markets().await;
    let user = env.funded_user(10_000 * USDC).await;
    env.set_positions(
        user.account,
        &[
            (0, ONE, -3_000 * USDC as i64),
            (1, -ONE / 10, 6_000 * USDC as i64),
        ],
    )
    .await;
    let health = env.health(&[user.account]).await;
    let watch = vec![
        user.account,
        user.usdc,
        pda::vault(),
        pda::market(0),
        pda::market(1),
    ];
    Fixture {
        env,
        user,
        health,
        watch,
    }
}

impl Fixture {
    async fn refused(&mut self, code: ErrorCode) {
        let ix = self.env.withdraw_ix(&self.user, USDC, self.health.clone());
        let key = self.user.key.insecure_clone();
        self.env
            .expect_error(&[ix], &[&key], code, &self.watch)
            .await;
    }

    async fn fresh_prices(&mut self) {
        self.env.set_price(0, 3_000 * DOLLAR).await;
        self.env.set_price(1, 60_000 * DOLLAR).await;
    }

    async fn accepted(&mut self) {
        let ix = self.env.withdraw_ix(&self.user, USDC, self.health.clone());
        let key = self.user.key.insecure_clone();
        self.env
            .send(&[ix], &[&key])
            .await
            .expect("withdraw with valid oracles");
    }

    fn quote(&self, price: i64) -> Quote {
        Quote {
            price,
            conf: 0,
            ema: price,
            publish_time: self.env.now,
        }
    }
}

#[tokio::test]
async fn pull_oracle_refusals() {
    let mut f = fixture().await;
    let eth = f.env.markets[0];

    // stale: 61 s old with a 60 s limit (BTC kept fresh)
    f.env.advance(61).await;
    f.env.set_price(1, 60_000 * DOLLAR).await;
    f.refused(ErrorCode::OracleStale).await;
    f.fresh_prices().await;

    // published in the future beyond the 10 s skew
    let q = Quote {
        publish_time: f.env.now + 11,
        ..f.quote(3_000 * DOLLAR)
    };
    f.env.write_oracle(eth, q).await;
    f.refused(ErrorCode::OracleFuturePublishTime).await;

    // confidence wider than 2% of the price
    let q = Quote {
        conf: 60 * DOLLAR as u64 + 1,
        ..f.quote(3_000 * DOLLAR)
    };
    f.env.write_oracle(eth, q).await;
    f.refused(ErrorCode::OracleConfidenceTooWide).await;
    let q = Quote {
        conf: 60 * DOLLAR as u64,
        ..f.quote(3_000 * DOLLAR)
    };
    f.env.write_oracle(eth, q).await;
    f.accepted().await; // exactly 2% is accepted

    // zero and negative prices
    for p in [0, -3_000 * DOLLAR] {
        let q = f.quote(p);
        f.env
            .write_oracle(
                eth,
                Quote {
                    ema: 3_000 * DOLLAR,
                    ..q
                },
            )
            .await;
        f.refused(ErrorCode::OracleNonPositivePrice).await;
    }

    // a verified update for the right feed but only partially verified
    let data = pull_data(
        eth.oracle,
        eth.feed_id,
        f.quote(3_000 * DOLLAR),
        VerificationLevel::Partial { num_signatures: 12 },
    );
    f.env
        .set_raw(eth.oracle, PYTH_RECEIVER_PROGRAM_ID, data)
        .await;
    f.refused(ErrorCode::OracleUnverified).await;

    // a fully verified update for another feed at the market's oracle address
    let data = pull_data(
        eth.oracle,
        [2; 32],
        f.quote(3_000 * DOLLAR),
        VerificationLevel::Full,
    );
    f.env
        .set_raw(eth.oracle, PYTH_RECEIVER_PROGRAM_ID, data)
        .await;
    f.refused(ErrorCode::OracleWrongFeedId).await;

    // the right feed at the sponsored address, but written by someone else (not the
    // push oracle's own account)
    let data = crate::harness::pyth::pull_data_by(
        Pubkey::new_unique(),
        eth.feed_id,
        f.quote(3_000 * DOLLAR),
        VerificationLevel::Full,
    );
    f.env
        .set_raw(eth.oracle, PYTH_RECEIVER_PROGRAM_ID, data)
        .await;
    f.refused(ErrorCode::OracleNotSponsoredFeed).await;

    // the right bytes, owned by someone else
    let data = pull_data(
        eth.oracle,
        eth.feed_id,
        f.quote(3_000 * DOLLAR),
        VerificationLevel::Full,
    );
    f.env
        .set_raw(eth.oracle, Pubkey::new_unique(), data.clone())
        .await;
    f.refused(ErrorCode::OracleWrongOwner).await;
    f.env
        .set_raw(eth.oracle, PYTH_LEGACY_PROGRAM_ID, data)
        .await;
    f.refused(ErrorCode::OracleWrongOwner).await;

    // junk owned by the receiver
    f.env
        .set_raw(eth.oracle, PYTH_RECEIVER_PROGRAM_ID, vec![0xab; 134])
        .await;
    f.refused(ErrorCode::OracleInvalidData).await;

    f.fresh_prices().await;
    f.accepted().await;
}

/// Anyone can post an older verified update; the market refuses to go back in time.
#[tokio::test]
async fn regressing_publish_time_is_refused() {
    let mut f = fixture().await;
    let eth = f.env.markets[0];
    assert_eq!(f.env.market(0).await.last_oracle_publish_time, T0);
    f.env.advance(30).await;
    f.env.set_price(1, 60_000 * DOLLAR).await;
    // fresh enough (31 s < 60 s) but older than what the market already used
    let q = Quote {
        publish_time: T0 - 1,
        ..f.quote(3_000 * DOLLAR)
    };
    f.env.write_oracle(eth, q).await;
    f.refused(ErrorCode::OraclePublishTimeRegressed).await;
    // the same publish time as the market's is fine
    let q = Quote {
        publish_time: T0,
        ..f.quote(3_000 * DOLLAR)
    };
    f.env.write_oracle(eth, q).await;
    f.accepted().await;
}

#[tokio::test]
async fn legacy_oracle_refusals() {
    let mut f = fixture().await;
    let btc = f.env.markets[1];
    for (status, name) in [
        (PriceStatus::Halted, "halted"),
        (PriceStatus::Unknown, "unknown"),
        (PriceStatus::Auction, "auction"),
    ] {
        let data = legacy_data(f.quote(60_000 * DOLLAR), status);
        f.env
            .set_raw(btc.oracle, PYTH_LEGACY_PROGRAM_ID, data)
            .await;
        eprintln!("status {name}");
        f.refused(ErrorCode::OracleNotTrading).await;
    }
    // stale
    f.fresh_prices().await;
    f.env.advance(61).await;
    f.env.set_price(0, 3_000 * DOLLAR).await;
    f.refused(ErrorCode::OracleStale).await;
    // wrong magic
    let mut data = legacy_data(f.quote(60_000 * DOLLAR), PriceStatus::Trading);
    data[0] ^= 0xff;
    f.env
        .set_raw(btc.oracle, PYTH_LEGACY_PROGRAM_ID, data)
        .await;
    f.refused(ErrorCode::OracleInvalidData).await;
    // a legacy account owned by the receiver program
    let data = legacy_data(f.quote(60_000 * DOLLAR), PriceStatus::Trading);
    f.env
        .set_raw(btc.oracle, PYTH_RECEIVER_PROGRAM_ID, data)
        .await;
    f.refused(ErrorCode::OracleWrongOwner).await;
    // a pull update where a legacy account is expected
    let data = pull_data(
        btc.oracle,
        btc.feed_id,
        f.quote(60_000 * DOLLAR),
        VerificationLevel::Full,
    );
    f.env
        .set_raw(btc.oracle, PYTH_LEGACY_PROGRAM_ID, data)
        .await;
    f.refused(ErrorCode::OracleInvalidData).await;
    // too uncertain
    let q = Quote {
        conf: 1_200 * DOLLAR as u64 + 1,
        ..f.quote(60_000 * DOLLAR)
    };
    f.env.write_oracle(btc, q).await;
    f.refused(ErrorCode::OracleConfidenceTooWide).await;

    f.fresh_prices().await;
    f.accepted().await;
}

fn fixture_bytes(name: &str) -> Vec<u8> {
    let path = format!("{}/fixtures/pyth/{name}.bin", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Lists `(symbol, oracle, source, feed)` markets whose oracle accounts are already written
/// (real dumps), through the timelock, so that the clock reads `at` when they execute.
async fn list_real(env: &mut TestEnv, at: i64, markets: &[(&str, Pubkey, OracleSource, [u8; 32])]) {
    env.set_time(at - DELAY).await;
    let mut ids = Vec::new();
    for (name, oracle, source, feed_id) in markets {
        ids.push(
            env.queue(cross_margin::state::AdminAction::AddMarket {
                symbol: symbol(name),
                oracle: *oracle,
                oracle_source: *source,
                pyth_feed_id: *feed_id,
                tokens_per_contract: 1,
                params: eth_params(),
            })
            .await
            .unwrap(),
        );
        env.markets.push(TestMarket {
            oracle: *oracle,
            source: *source,
            feed_id: *feed_id,
        });
    }
    env.set_time(at).await;
    for id in ids {
        let i = env.execute_ix(id).await;
        env.send(&[i], &[]).await.unwrap();
    }
}

/// The real SOL/USD `PriceUpdateV2` dump, at its real address (the sponsored feed account of
/// the SOL/USD feed id), read by the program.
#[tokio::test]
async fn real_pull_account_end_to_end() {
    let mut env = TestEnv::new().await;
    let key: Pubkey = "7UVimffxr9ow1uXYxsr4LHAcV58mLzhmwaeKvJ1pjLiE"
        .parse()
        .unwrap();
    let feed_id: [u8; 32] = [
        0xef, 0x0d, 0x8b, 0x6f, 0xda, 0x2c, 0xeb, 0xa4, 0x1d, 0xa1, 0x5d, 0x40, 0x95, 0xd1, 0xda,
        0x39, 0x2a, 0x0d, 0x2f, 0x8e, 0xd0, 0xc6, 0xc7, 0xbc, 0x0f, 0x4c, 0xfa, 0xc8, 0xc2, 0x80,
        0xb5, 0x6d,
    ];
    assert_eq!(pda::sponsored_feed(&feed_id), key);
    env.set_raw(
        key,
        PYTH_RECEIVER_PROGRAM_ID,
        fixture_bytes("7UVimffxr9ow1uXYxsr4LHAcV58mLzhmwaeKvJ1pjLiE"),
    )
    .await;
    // declared with another asset's feed id, the account is not that feed's sponsored account
    env.set_time(1_720_533_480 + 5 - DELAY).await;
    let wrong = env
        .queue(cross_margin::state::AdminAction::AddMarket {
            symbol: symbol("SOL-PERP"),
            oracle: key,
            oracle_source: OracleSource::PythPull,
            pyth_feed_id: [1; 32],
            tokens_per_contract: 1,
            params: eth_params(),
        })
        .await
        .unwrap();
    env.set_time(1_720_533_480 + 5).await;
    let i = env.execute_ix(wrong).await;
    env.expect_error(
        &[i],
        &[],
        ErrorCode::OracleNotSponsoredFeed,
        &[pda::market(0)],
    )
    .await;
    list_real(
        &mut env,
        1_720_533_480 + 5,
        &[("SOL-PERP", key, OracleSource::PythPull, feed_id)],
    )
    .await;
    let m = env.market(0).await;
    assert_eq!(m.last_oracle_price(), 140_615_937);
    assert_eq!(m.last_oracle_publish_time, 1_720_533_480);

    // 10 SOL long bought at $140: E = 100 + 6.15937 = 106.15937; conf 0.137937 widens the initial
    // valuation: min(140.615937 - 0.137937, 141.066847) = 140.478 -> U_init = 4.78 * 80% = 3.824;
    // IM = 1,406.15937 * 10% = 140.615937 -> withdrawing anything is refused (E_init < IM).
    let user = env.funded_user(100 * USDC).await;
    env.set_positions(user.account, &[(0, 10 * ONE, -1_400 * USDC as i64)])
        .await;
    let health = env.health(&[user.account]).await;
    env.expect_error(
        &[env.withdraw_ix(&user, 1, health.clone())],
        &[&user.key],
        ErrorCode::InitialMarginViolated,
        &[user.account, pda::vault()],
    )
    .await;
    // with 100 more USDC: E_init = 203.824, IM = 140.615937 -> 63.208063 free
    env.mint_to(env.mint, user.usdc, 100 * USDC).await;
    env.deposit(&user, 100 * USDC).await;
    env.expect_error(
        &[env.withdraw_ix(&user, 63_208_064, health.clone())],
        &[&user.key],
        ErrorCode::InitialMarginViolated,
        &[user.account, pda::vault()],
    )
    .await;
    env.send(
        &[env.withdraw_ix(&user, 63_208_063, health.clone())],
        &[&user.key],
    )
    .await
    .unwrap();
    // a minute later the dump is stale
    env.advance(56).await;
    env.expect_error(
        &[env.withdraw_ix(&user, 1, health)],
        &[&user.key],
        ErrorCode::OracleStale,
        &[user.account],
    )
    .await;
}

/// The real USDC/USD legacy price account; and the ancient one, which is refused as stale.
#[tokio::test]
async fn real_legacy_accounts_end_to_end() {
    let mut env = TestEnv::new().await;
    let usdc: Pubkey = "Gnt27xtC473ZT2Mw5u8wZ68Z3gULkSTb5DuxJy7eJotD"
        .parse()
        .unwrap();
    let old: Pubkey = "J83w4HKfqxwcq3BEMMkPFSppX3gqekLyLJBexebFVkix"
        .parse()
        .unwrap();
    env.set_raw(
        usdc,
        PYTH_LEGACY_PROGRAM_ID,
        fixture_bytes("Gnt27xtC473ZT2Mw5u8wZ68Z3gULkSTb5DuxJy7eJotD"),
    )
    .await;
    env.set_raw(
        old,
        PYTH_LEGACY_PROGRAM_ID,
        fixture_bytes("J83w4HKfqxwcq3BEMMkPFSppX3gqekLyLJBexebFVkix"),
    )
    .await;
    list_real(
        &mut env,
        1_701_981_042 + 30,
        &[
            ("USDC-PERP", usdc, OracleSource::PythLegacy, [0; 32]),
            ("OLD-PERP", old, OracleSource::PythLegacy, [0; 32]),
        ],
    )
    .await;
    assert_eq!(env.market(0).await.last_oracle_price(), 1_000_007);
    assert_eq!(env.market(1).await.last_oracle_price(), 32_112_500);

    let user = env.funded_user(100 * USDC).await;
    env.set_positions(user.account, &[(0, 100 * ONE, -100 * USDC as i64)])
        .await;
    let health = env.health(&[user.account]).await;
    env.send(&[env.withdraw_ix(&user, USDC, health)], &[&user.key])
        .await
        .unwrap();

    let other = env.funded_user(100 * USDC).await;
    env.set_positions(other.account, &[(1, ONE, -32 * USDC as i64)])
        .await;
    let health = env.health(&[other.account]).await;
    env.expect_error(
        &[env.withdraw_ix(&other, USDC, health)],
        &[&other.key],
        ErrorCode::OracleStale,
        &[other.account],
    )
    .await;
}
