//! Exchange setup and the admin instructions: happy paths, bounds, and non-admin callers.

use anchor_lang::prelude::Pubkey;
use anchor_spl::token::spl_token;
use cross_margin::error::ErrorCode;
use cross_margin::events::*;
use cross_margin::state::{MarketParams, MarketStatus, OracleSource};
use crossmargin_sdk::{instructions as ix, pda};
use solana_sdk::program_pack::Pack;
use solana_sdk::signature::{Keypair, Signer};

use crate::harness::events::one_event;
use crate::harness::*;

#[tokio::test]
async fn initialize_creates_exchange_and_vault() {
    let mut env = TestEnv::bare().await;
    let admin = env.admin.insecure_clone();
    let logs = env
        .send(
            &[ix::initialize_exchange(admin.pubkey(), env.mint, 150_000)],
            &[&admin],
        )
        .await
        .unwrap();

    let ex = env.exchange().await;
    assert_eq!(ex.admin, admin.pubkey());
    assert_eq!(ex.pending_admin, Pubkey::default());
    assert_eq!(ex.collateral_mint, env.mint);
    assert_eq!(ex.vault, pda::vault());
    assert_eq!(ex.liquidation_buffer, 150_000);
    assert_eq!(
        (ex.insurance_balance, ex.bad_debt, ex.market_count),
        (0, 0, 0)
    );

    // The vault is a token account of the mint whose authority is the exchange PDA.
    let vault = env.account(pda::vault()).await.unwrap();
    assert_eq!(vault.owner, spl_token::ID);
    let vault = spl_token::state::Account::unpack(&vault.data).unwrap();
    assert_eq!(vault.mint, env.mint);
    assert_eq!(vault.owner, pda::exchange());
    assert_eq!(vault.amount, 0);

    let e: ExchangeInitialized = one_event(&logs);
    assert_eq!(
        (e.admin, e.vault, e.liquidation_buffer),
        (admin.pubkey(), pda::vault(), 150_000)
    );
}

#[tokio::test]
async fn initialize_refuses_bad_mint_and_buffer() {
    let mut env = TestEnv::bare().await;
    let admin = env.admin.insecure_clone();
    let nine_decimals = env.create_mint(9).await;
    let watch = [pda::exchange(), pda::vault()];
    env.expect_error(
        &[ix::initialize_exchange(
            admin.pubkey(),
            nine_decimals,
            100_000,
        )],
        &[&admin],
        ErrorCode::InvalidCollateralMint,
        &watch,
    )
    .await;
    env.expect_error(
        &[ix::initialize_exchange(admin.pubkey(), env.mint, 1_000_001)],
        &[&admin],
        ErrorCode::InvalidLiquidationBuffer,
        &watch,
    )
    .await;
    assert!(env.account(pda::exchange()).await.is_none());
}

#[tokio::test]
async fn initialize_twice_is_refused() {
    let mut env = TestEnv::new().await;
    let other = Keypair::new();
    env.airdrop(&other.pubkey(), 1_000_000_000).await;
    let before = env.exchange().await;
    env.expect_failure(
        &[ix::initialize_exchange(other.pubkey(), env.mint, 100_000)],
        &[&other],
        &[pda::exchange(), pda::vault()],
    )
    .await;
    assert_eq!(env.exchange().await.admin, before.admin);
}

#[tokio::test]
async fn add_market_of_each_oracle_kind() {
    let mut env = TestEnv::new().await;
    let eth = env
        .list_market(
            "ETH-PERP",
            OracleSource::PythPull,
            feed(1),
            3_000 * DOLLAR,
            eth_params(),
        )
        .await;
    let btc = env
        .list_market(
            "BTC-PERP",
            OracleSource::PythLegacy,
            feed(2),
            60_000 * DOLLAR,
            btc_params(),
        )
        .await;
    assert_eq!(env.exchange().await.market_count, 2);

    let m = env.market(0).await;
    assert_eq!(m.market_index, 0);
    assert_eq!(m.symbol_str(), "ETH-PERP");
    assert_eq!(m.oracle, eth.oracle);
    assert_eq!(m.pyth_feed_id, feed(1));
    assert_eq!(m.oracle_source, OracleSource::PythPull as u8);
    assert_eq!(m.status, MarketStatus::Active as u8);
    assert_eq!(m.params(), eth_params());
    assert_eq!(m.last_oracle_publish_time, T0);
    assert_eq!(m.last_oracle_price(), 3_000 * DOLLAR);
    assert_eq!(
        (m.mark_twap, m.oracle_twap),
        (3_000 * DOLLAR, 3_000 * DOLLAR)
    );
    assert_eq!((m.open_interest_long, m.open_interest_short), (0, 0));
    assert_eq!(
        (m.cumulative_funding_long, m.cumulative_funding_short),
        (0, 0)
    );

    let b = env.market(1).await;
    assert_eq!(b.oracle, btc.oracle);
    assert_eq!(b.oracle_source, OracleSource::PythLegacy as u8);
    assert_eq!(b.last_oracle_price(), 60_000 * DOLLAR);
    assert_eq!(b.params(), btc_params());
}

#[tokio::test]
async fn add_market_emits_event() {
    let mut env = TestEnv::new().await;
    let m = TestMarket {
        oracle: Pubkey::new_unique(),
        source: OracleSource::PythPull,
        feed_id: feed(9),
    };
    env.markets.push(m);
    env.set_price(0, 2_000 * DOLLAR).await;
    let admin = env.admin.insecure_clone();
    let logs = env
        .send(
            &[ix::add_market(
                admin.pubkey(),
                0,
                m.oracle,
                symbol("SOL-PERP"),
                0,
                feed(9),
                eth_params(),
            )],
            &[&admin],
        )
        .await
        .unwrap();
    let e: MarketAdded = one_event(&logs);
    assert_eq!(
        (e.market_index, e.oracle, e.pyth_feed_id),
        (0, m.oracle, feed(9))
    );
    assert_eq!(e.symbol, symbol("SOL-PERP"));
    assert_eq!(e.params, eth_params());
}

/// Every bound of `MarketParams::validate`, through the instruction: its error, nothing created.
#[tokio::test]
async fn add_market_refuses_out_of_bound_params() {
    let mut env = TestEnv::new().await;
    let m = TestMarket {
        oracle: Pubkey::new_unique(),
        source: OracleSource::PythPull,
        feed_id: feed(1),
    };
    env.markets.push(m);
    env.set_price(0, 3_000 * DOLLAR).await;
    let admin = env.admin.insecure_clone();
    let cases: Vec<(MarketParams, ErrorCode)> = vec![
        (
            MarketParams {
                maintenance_margin_ratio: 100_000,
                ..eth_params()
            },
            ErrorCode::InvalidMarginRatios,
        ),
        (
            MarketParams {
                initial_margin_ratio: 1_100_000,
                ..eth_params()
            },
            ErrorCode::InvalidMarginRatios,
        ),
        (
            MarketParams {
                liquidation_fee: 40_000,
                insurance_fee: 10_000,
                ..eth_params()
            },
            ErrorCode::InvalidFees,
        ),
        (
            MarketParams {
                taker_fee: 60_000,
                ..eth_params()
            },
            ErrorCode::InvalidFees,
        ),
        (
            MarketParams {
                maker_fee: -600,
                ..eth_params()
            },
            ErrorCode::InvalidFees,
        ),
        (
            MarketParams {
                upnl_initial_weight: 1_000_001,
                ..eth_params()
            },
            ErrorCode::InvalidPnlWeight,
        ),
        (
            MarketParams {
                price_band: 0,
                ..eth_params()
            },
            ErrorCode::InvalidPriceBand,
        ),
        (
            MarketParams {
                max_conf_ratio: 0,
                ..eth_params()
            },
            ErrorCode::InvalidOracleLimits,
        ),
        (
            MarketParams {
                max_oracle_age_secs: 400,
                ..eth_params()
            },
            ErrorCode::InvalidOracleLimits,
        ),
        (
            MarketParams {
                funding_period_secs: 10,
                ..eth_params()
            },
            ErrorCode::InvalidFundingParams,
        ),
        (
            MarketParams {
                base_lot_size: 0,
                ..eth_params()
            },
            ErrorCode::InvalidSizeParams,
        ),
        (
            MarketParams {
                min_position_base: 1_500_000,
                ..eth_params()
            },
            ErrorCode::InvalidSizeParams,
        ),
        (
            MarketParams {
                open_interest_cap: 0,
                ..eth_params()
            },
            ErrorCode::InvalidOpenInterestCap,
        ),
    ];
    let watch = [pda::exchange(), pda::market(0)];
    for (params, code) in cases {
        env.expect_error(
            &[ix::add_market(
                admin.pubkey(),
                0,
                m.oracle,
                symbol("ETH-PERP"),
                0,
                feed(1),
                params,
            )],
            &[&admin],
            code,
            &watch,
        )
        .await;
    }
    // symbol and oracle source
    env.expect_error(
        &[ix::add_market(
            admin.pubkey(),
            0,
            m.oracle,
            [0; 16],
            0,
            feed(1),
            eth_params(),
        )],
        &[&admin],
        ErrorCode::InvalidSymbol,
        &watch,
    )
    .await;
    env.expect_error(
        &[ix::add_market(
            admin.pubkey(),
            0,
            m.oracle,
            symbol("ETH-PERP"),
            7,
            feed(1),
            eth_params(),
        )],
        &[&admin],
        ErrorCode::InvalidOracleSource,
        &watch,
    )
    .await;
    assert!(env.account(pda::market(0)).await.is_none());
    assert_eq!(env.exchange().await.market_count, 0);
}

#[tokio::test]
async fn add_market_refuses_bad_oracles() {
    let mut env = TestEnv::new().await;
    let admin = env.admin.insecure_clone();
    let pull = TestMarket {
        oracle: Pubkey::new_unique(),
        source: OracleSource::PythPull,
        feed_id: feed(1),
    };
    env.markets.push(pull);
    env.set_price(0, 3_000 * DOLLAR).await;
    let watch = [pda::exchange(), pda::market(0)];
    let add = |oracle: Pubkey, source: u8, feed_id: [u8; 32]| {
        ix::add_market(
            admin.pubkey(),
            0,
            oracle,
            symbol("ETH-PERP"),
            source,
            feed_id,
            eth_params(),
        )
    };
    // a pull update for another feed
    env.expect_error(
        &[add(pull.oracle, 0, feed(3))],
        &[&admin],
        ErrorCode::OracleWrongFeedId,
        &watch,
    )
    .await;
    // a pull update declared as a legacy account: wrong owner
    env.expect_error(
        &[add(pull.oracle, 1, feed(1))],
        &[&admin],
        ErrorCode::OracleWrongOwner,
        &watch,
    )
    .await;
    // garbage owned by the receiver program
    let junk = Pubkey::new_unique();
    env.set_raw(
        junk,
        cross_margin::oracle::PYTH_RECEIVER_PROGRAM_ID,
        vec![1; 134],
    )
    .await;
    env.expect_error(
        &[add(junk, 0, feed(1))],
        &[&admin],
        ErrorCode::OracleInvalidData,
        &watch,
    )
    .await;
    // an account that does not exist
    env.expect_error(
        &[add(Pubkey::new_unique(), 0, feed(1))],
        &[&admin],
        ErrorCode::OracleWrongOwner,
        &watch,
    )
    .await;
}

#[tokio::test]
async fn non_admin_is_refused_everywhere() {
    let mut env = TestEnv::with_markets().await;
    let mallory = Keypair::new();
    env.airdrop(&mallory.pubkey(), 1_000_000_000).await;
    let m = env.markets[0];
    env.markets.push(TestMarket { ..m });
    let watch = [pda::exchange(), pda::market(0), pda::market(2)];
    let cases = vec![
        ix::add_market(
            mallory.pubkey(),
            2,
            m.oracle,
            symbol("X-PERP"),
            0,
            feed(1),
            eth_params(),
        ),
        ix::update_market(mallory.pubkey(), 0, eth_params()),
        ix::set_market_status(mallory.pubkey(), 0, MarketStatus::Paused as u8),
        ix::transfer_admin(mallory.pubkey(), mallory.pubkey()),
    ];
    for i in cases {
        env.expect_error(&[i], &[&mallory], ErrorCode::NotAdmin, &watch)
            .await;
    }
}

#[tokio::test]
async fn update_market_changes_params_within_bounds() {
    let mut env = TestEnv::with_markets().await;
    let admin = env.admin.insecure_clone();
    let new = MarketParams {
        initial_margin_ratio: 200_000,
        maintenance_margin_ratio: 100_000,
        open_interest_cap: 500 * ONE as u64,
        ..eth_params()
    };
    let logs = env
        .send(&[ix::update_market(admin.pubkey(), 0, new)], &[&admin])
        .await
        .unwrap();
    assert_eq!(env.market(0).await.params(), new);
    let e: MarketParamsUpdated = one_event(&logs);
    assert_eq!((e.market_index, e.old, e.new), (0, eth_params(), new));

    let bad = MarketParams {
        maintenance_margin_ratio: 200_000,
        ..new
    };
    env.expect_error(
        &[ix::update_market(admin.pubkey(), 0, bad)],
        &[&admin],
        ErrorCode::InvalidMarginRatios,
        &[pda::market(0)],
    )
    .await;
    assert_eq!(env.market(0).await.params(), new);
}

#[tokio::test]
async fn market_status_cycle() {
    let mut env = TestEnv::with_markets().await;
    let admin = env.admin.insecure_clone();
    for status in [
        MarketStatus::ReduceOnly,
        MarketStatus::Paused,
        MarketStatus::Active,
    ] {
        let old = env.market(1).await.status;
        let logs = env
            .send(
                &[ix::set_market_status(admin.pubkey(), 1, status as u8)],
                &[&admin],
            )
            .await
            .unwrap();
        assert_eq!(env.market(1).await.status, status as u8);
        let e: MarketStatusChanged = one_event(&logs);
        assert_eq!(
            (e.market_index, e.old_status, e.new_status),
            (1, old, status as u8)
        );
    }
    env.expect_error(
        &[ix::set_market_status(admin.pubkey(), 1, 3)],
        &[&admin],
        ErrorCode::InvalidMarketStatus,
        &[pda::market(1)],
    )
    .await;
}

#[tokio::test]
async fn admin_handover_is_two_steps() {
    let mut env = TestEnv::with_markets().await;
    let admin = env.admin.insecure_clone();
    let next = Keypair::new();
    let stranger = Keypair::new();
    env.airdrop(&next.pubkey(), 1_000_000_000).await;
    env.airdrop(&stranger.pubkey(), 1_000_000_000).await;

    // Nobody can accept before a transfer is proposed.
    env.expect_error(
        &[ix::accept_admin(next.pubkey())],
        &[&next],
        ErrorCode::NotPendingAdmin,
        &[pda::exchange()],
    )
    .await;

    let logs = env
        .send(
            &[ix::transfer_admin(admin.pubkey(), next.pubkey())],
            &[&admin],
        )
        .await
        .unwrap();
    let e: AdminTransferProposed = one_event(&logs);
    assert_eq!((e.admin, e.pending_admin), (admin.pubkey(), next.pubkey()));
    let ex = env.exchange().await;
    assert_eq!(
        (ex.admin, ex.pending_admin),
        (admin.pubkey(), next.pubkey())
    );

    // Only the named key can accept.
    env.expect_error(
        &[ix::accept_admin(stranger.pubkey())],
        &[&stranger],
        ErrorCode::NotPendingAdmin,
        &[pda::exchange()],
    )
    .await;

    let logs = env
        .send(&[ix::accept_admin(next.pubkey())], &[&next])
        .await
        .unwrap();
    let e: AdminTransferred = one_event(&logs);
    assert_eq!((e.old_admin, e.new_admin), (admin.pubkey(), next.pubkey()));
    let ex = env.exchange().await;
    assert_eq!(
        (ex.admin, ex.pending_admin),
        (next.pubkey(), Pubkey::default())
    );

    // The old admin has no power left; the new one does.
    env.expect_error(
        &[ix::set_market_status(admin.pubkey(), 0, 2)],
        &[&admin],
        ErrorCode::NotAdmin,
        &[pda::market(0)],
    )
    .await;
    env.send(&[ix::set_market_status(next.pubkey(), 0, 2)], &[&next])
        .await
        .unwrap();
    assert_eq!(env.market(0).await.status, 2);
}
