//! Exchange setup and governance: initialization by the upgrade authority only, every admin
//! change through the timelock (queue, wait, execute by anyone; cancel by the admin or the
//! guardian), the protective status with its expiry, and each refusal with its error and nothing
//! changed.

use anchor_lang::prelude::Pubkey;
use anchor_spl::token::spl_token;
use cross_margin::error::ErrorCode;
use cross_margin::events::*;
use cross_margin::state::{ActionStatus, AdminAction, MarketParams, MarketStatus, OracleSource};
use crossmargin_sdk::{instructions as ix, pda};
use solana_sdk::program_pack::Pack;
use solana_sdk::signature::{Keypair, Signer};

use crate::harness::events::one_event;
use crate::harness::*;

fn add_market(oracle: Pubkey, feed_id: [u8; 32], params: MarketParams) -> AdminAction {
    AdminAction::AddMarket {
        symbol: symbol("SOL-PERP"),
        oracle,
        oracle_source: OracleSource::PythPull,
        pyth_feed_id: feed_id,
        tokens_per_contract: 1,
        params,
    }
}

#[tokio::test]
async fn initialize_creates_exchange_and_vault() {
    let mut env = TestEnv::bare().await;
    let admin = env.admin.insecure_clone();
    let guardian = env.guardian.pubkey();
    let logs = env
        .send(
            &[ix::initialize_exchange(
                admin.pubkey(),
                env.mint,
                150_000,
                guardian,
                2 * 86_400,
            )],
            &[&admin],
        )
        .await
        .unwrap();

    let ex = env.exchange().await;
    assert_eq!(ex.admin, admin.pubkey());
    assert_eq!(ex.guardian, guardian);
    assert_eq!(ex.pending_admin, Pubkey::default());
    assert_eq!(ex.collateral_mint, env.mint);
    assert_eq!(ex.vault, pda::vault());
    assert_eq!(
        (ex.liquidation_buffer, ex.timelock_delay_secs),
        (150_000, 2 * 86_400)
    );
    assert_eq!(
        (
            ex.insurance_balance,
            ex.bad_debt,
            ex.market_count,
            ex.next_action_id
        ),
        (0, 0, 0, 0)
    );
    assert!(ex.lookup_tables.is_empty() && !ex.portfolio_margin_enabled);

    // The vault is a token account of the mint whose authority is the exchange PDA.
    let vault = env.account(pda::vault()).await.unwrap();
    assert_eq!(vault.owner, spl_token::ID);
    let vault = spl_token::state::Account::unpack(&vault.data).unwrap();
    assert_eq!(vault.mint, env.mint);
    assert_eq!(vault.owner, pda::exchange());
    assert_eq!(vault.amount, 0);

    let e: ExchangeInitialized = one_event(&logs);
    assert_eq!(
        (
            e.admin,
            e.guardian,
            e.vault,
            e.liquidation_buffer,
            e.timelock_delay_secs
        ),
        (admin.pubkey(), guardian, pda::vault(), 150_000, 2 * 86_400)
    );
}

#[tokio::test]
async fn initialize_refuses_bad_mint_buffer_and_delay() {
    let mut env = TestEnv::bare().await;
    let admin = env.admin.insecure_clone();
    let g = env.guardian.pubkey();
    let nine_decimals = env.create_mint(9).await;
    let watch = [pda::exchange(), pda::vault()];
    let cases = [
        (
            nine_decimals,
            100_000,
            86_400,
            ErrorCode::InvalidCollateralMint,
        ),
        (
            env.mint,
            1_000_001,
            86_400,
            ErrorCode::InvalidLiquidationBuffer,
        ),
        (
            env.mint,
            100_000,
            86_399,
            ErrorCode::TimelockDelayOutOfBounds,
        ),
        (
            env.mint,
            100_000,
            30 * 86_400 + 1,
            ErrorCode::TimelockDelayOutOfBounds,
        ),
    ];
    for (mint, buffer, delay, code) in cases {
        env.expect_error(
            &[ix::initialize_exchange(
                admin.pubkey(),
                mint,
                buffer,
                g,
                delay,
            )],
            &[&admin],
            code,
            &watch,
        )
        .await;
    }
    assert!(env.account(pda::exchange()).await.is_none());
}

/// Between `anchor deploy` and the operator's bootstrap, a stranger cannot make itself admin:
/// only the program's upgrade authority initializes.
#[tokio::test]
async fn only_the_upgrade_authority_initializes() {
    let mut env = TestEnv::bare().await;
    let stranger = Keypair::new();
    env.airdrop(&stranger.pubkey(), 1_000_000_000).await;
    let g = env.guardian.pubkey();
    let watch = [pda::exchange(), pda::vault(), stranger.pubkey()];
    env.expect_error(
        &[ix::initialize_exchange(
            stranger.pubkey(),
            env.mint,
            200_000,
            g,
            86_400,
        )],
        &[&stranger],
        ErrorCode::NotUpgradeAuthority,
        &watch,
    )
    .await;
    // a program with no upgrade authority (immutable) cannot be initialized by anyone
    env.chain.write_program_data(None).await;
    let admin = env.admin.insecure_clone();
    env.expect_error(
        &[ix::initialize_exchange(
            admin.pubkey(),
            env.mint,
            200_000,
            g,
            86_400,
        )],
        &[&admin],
        ErrorCode::NotUpgradeAuthority,
        &watch,
    )
    .await;
    // the operator's call succeeds once the authority is theirs
    env.chain.write_program_data(Some(admin.pubkey())).await;
    env.send(
        &[ix::initialize_exchange(
            admin.pubkey(),
            env.mint,
            200_000,
            g,
            86_400,
        )],
        &[&admin],
    )
    .await
    .unwrap();
    assert_eq!(env.exchange().await.admin, admin.pubkey());
}

#[tokio::test]
async fn initialize_twice_is_refused() {
    let mut env = TestEnv::new().await;
    let admin = env.admin.insecure_clone();
    let before = env.exchange().await;
    let g = env.guardian.pubkey();
    // the system program refuses to create the exchange account again
    env.expect_failure(
        &[ix::initialize_exchange(
            admin.pubkey(),
            env.mint,
            100_000,
            g,
            86_400,
        )],
        &[&admin],
        &[pda::exchange(), pda::vault()],
    )
    .await;
    assert_eq!(
        env.exchange().await.liquidation_buffer,
        before.liquidation_buffer
    );
}

/// A listing is queued, visible for the whole delay, refused before it, executed by anyone
/// after it, and cannot be executed twice.
#[tokio::test]
async fn a_listing_waits_out_the_timelock() {
    let mut env = TestEnv::new().await;
    let m = TestMarket {
        oracle: pda::sponsored_feed(&feed(9)),
        source: OracleSource::PythPull,
        feed_id: feed(9),
    };
    env.markets.push(m);
    env.set_price(0, 150 * DOLLAR).await;
    let queued_at = env.now;
    let id = env.exchange().await.next_action_id;
    let admin = env.admin.insecure_clone();
    let action = add_market(m.oracle, feed(9), eth_params());
    let logs = env
        .send(
            &[ix::queue_admin_action(admin.pubkey(), id, action.clone())],
            &[&admin],
        )
        .await
        .unwrap();
    let e: AdminActionQueued = one_event(&logs);
    assert_eq!(
        (e.id, e.proposer, e.execute_after),
        (id, admin.pubkey(), queued_at + DELAY)
    );
    assert_eq!(e.action, action);
    let q = env.queued(id).await;
    assert_eq!(
        (q.status, q.queued_at, q.execute_after),
        (ActionStatus::Queued, queued_at, queued_at + DELAY)
    );

    // one second early: refused, nothing created
    env.advance(DELAY - 1).await;
    env.set_price(0, 150 * DOLLAR).await;
    let exec = env.execute_ix(id).await;
    let watch = [pda::exchange(), pda::market(0), pda::admin_action(id)];
    env.expect_error(
        std::slice::from_ref(&exec),
        &[],
        ErrorCode::ActionNotDue,
        &watch,
    )
    .await;
    // on time: anyone executes (here the context payer)
    env.advance(1).await;
    env.set_price(0, 150 * DOLLAR).await;
    let logs = env.send(std::slice::from_ref(&exec), &[]).await.unwrap();
    let added: MarketAdded = one_event(&logs);
    assert_eq!(
        (added.market_index, added.oracle, added.unit_exponent),
        (0, m.oracle, 0)
    );
    let done: AdminActionExecuted = one_event(&logs);
    assert_eq!(done.id, id);
    let mk = env.market(0).await;
    assert_eq!(
        (mk.symbol_str(), mk.oracle, mk.params()),
        ("SOL-PERP", m.oracle, eth_params())
    );
    assert_eq!(
        (mk.last_oracle_publish_time, mk.last_funding_ts),
        (env.now, env.now)
    );
    assert_eq!(env.exchange().await.market_count, 1);
    let q = env.queued(id).await;
    assert_eq!((q.status, q.resolved_at), (ActionStatus::Executed, env.now));
    // executing it again is refused
    env.expect_error(&[exec], &[], ErrorCode::ActionAlreadyExecuted, &watch)
        .await;
}

/// The next market's address is predictable: a stranger who sends it lamports before the
/// listing executes cannot block it (the account is topped up, allocated and assigned). Both the
/// smallest gift the runtime allows (a rent-exempt empty account) and one over the market's rent.
#[tokio::test]
async fn a_prefunded_market_address_does_not_block_a_listing() {
    let smallest = solana_sdk::rent::Rent::default().minimum_balance(0);
    for gift in [smallest, 100_000_000] {
        let mut env = TestEnv::new().await;
        let m = TestMarket {
            oracle: pda::sponsored_feed(&feed(9)),
            source: OracleSource::PythPull,
            feed_id: feed(9),
        };
        env.markets.push(m);
        env.set_price(0, 150 * DOLLAR).await;
        let id = env
            .queue(add_market(m.oracle, feed(9), eth_params()))
            .await
            .unwrap();
        let mallory = Keypair::new();
        env.airdrop(&mallory.pubkey(), 1_000_000_000).await;
        let i = anchor_lang::solana_program::system_instruction::transfer(
            &mallory.pubkey(),
            &pda::market(0),
            gift,
        );
        env.send(&[i], &[&mallory]).await.unwrap();
        env.advance(DELAY).await;
        env.set_price(0, 150 * DOLLAR).await;
        let exec = env.execute_ix(id).await;
        env.send(&[exec], &[]).await.unwrap();
        let a = env.account(pda::market(0)).await.unwrap();
        let rent = solana_sdk::rent::Rent::default().minimum_balance(a.data.len());
        assert_eq!(
            (a.owner, a.data.len(), a.lamports),
            (
                cross_margin::ID,
                cross_margin::state::Market::SPACE,
                rent.max(gift)
            ),
            "gift {gift}"
        );
        assert_eq!(env.market(0).await.symbol_str(), "SOL-PERP");
        assert_eq!(env.exchange().await.market_count, 1);
    }
}

#[tokio::test]
async fn the_admin_or_the_guardian_cancels_and_nobody_else() {
    let mut env = TestEnv::with_markets().await;
    let admin = env.admin.insecure_clone();
    let guardian = env.guardian.insecure_clone();
    let mallory = Keypair::new();
    env.airdrop(&mallory.pubkey(), 1_000_000_000).await;
    env.airdrop(&guardian.pubkey(), 1_000_000_000).await;
    let raise = AdminAction::UpdateMarket {
        market_index: 0,
        params: MarketParams {
            maintenance_margin_ratio: 90_000,
            initial_margin_ratio: 180_000,
            ..eth_params()
        },
    };
    let a = env.queue(raise.clone()).await.unwrap();
    let b = env.queue(raise.clone()).await.unwrap();
    let watch = [pda::admin_action(a), pda::admin_action(b), pda::market(0)];
    env.expect_error(
        &[ix::cancel_admin_action(mallory.pubkey(), a)],
        &[&mallory],
        ErrorCode::NotAdminOrGuardian,
        &watch,
    )
    .await;
    let logs = env
        .send(
            &[ix::cancel_admin_action(guardian.pubkey(), a)],
            &[&guardian],
        )
        .await
        .unwrap();
    let e: AdminActionCancelled = one_event(&logs);
    assert_eq!((e.id, e.by), (a, guardian.pubkey()));
    env.send(&[ix::cancel_admin_action(admin.pubkey(), b)], &[&admin])
        .await
        .unwrap();
    assert_eq!(env.queued(a).await.status, ActionStatus::Cancelled);
    // a cancelled change executes never, even after its delay, and cannot be cancelled again
    env.advance(DELAY).await;
    env.refresh_prices().await;
    let exec = env.execute_ix(a).await;
    env.expect_error(&[exec], &[], ErrorCode::ActionCancelled, &watch)
        .await;
    env.expect_error(
        &[ix::cancel_admin_action(admin.pubkey(), a)],
        &[&admin],
        ErrorCode::ActionCancelled,
        &watch,
    )
    .await;
    assert_eq!(env.market(0).await.params(), eth_params());
}

#[tokio::test]
async fn only_the_admin_queues() {
    let mut env = TestEnv::with_markets().await;
    let guardian = env.guardian.insecure_clone();
    let mallory = Keypair::new();
    env.airdrop(&mallory.pubkey(), 1_000_000_000).await;
    env.airdrop(&guardian.pubkey(), 1_000_000_000).await;
    let id = env.exchange().await.next_action_id;
    let watch = [pda::exchange(), pda::admin_action(id)];
    for who in [&mallory, &guardian] {
        // a stranger's lookup table would only resolve addresses, but registering one is the
        // admin's, through the timelock
        for action in [
            AdminAction::SetGuardian {
                guardian: who.pubkey(),
            },
            AdminAction::SetLookupTables {
                tables: vec![Pubkey::new_unique()],
            },
        ] {
            env.expect_error(
                &[ix::queue_admin_action(who.pubkey(), id, action)],
                &[who],
                ErrorCode::NotAdmin,
                &watch,
            )
            .await;
        }
    }
}

/// Every argument a queued change carries is checked at queueing (each bound with its error,
/// nothing queued), and again when it executes.
#[tokio::test]
async fn queueing_checks_the_arguments() {
    let mut env = TestEnv::with_markets().await;
    let admin = env.admin.insecure_clone();
    let id = env.exchange().await.next_action_id;
    let watch = [pda::exchange(), pda::admin_action(id)];
    let oracle = pda::sponsored_feed(&feed(9));
    let cases: Vec<(AdminAction, ErrorCode)> = vec![
        (
            add_market(
                oracle,
                feed(9),
                MarketParams {
                    maintenance_margin_ratio: 100_000,
                    ..eth_params()
                },
            ),
            ErrorCode::InvalidMarginRatios,
        ),
        (
            add_market(
                oracle,
                feed(9),
                MarketParams {
                    initial_margin_ratio: 1_100_000,
                    ..eth_params()
                },
            ),
            ErrorCode::InvalidMarginRatios,
        ),
        (
            add_market(
                oracle,
                feed(9),
                MarketParams {
                    liquidation_fee: 40_000,
                    insurance_fee: 10_000,
                    ..eth_params()
                },
            ),
            ErrorCode::InvalidFees,
        ),
        (
            add_market(
                oracle,
                feed(9),
                MarketParams {
                    taker_fee: 60_000,
                    ..eth_params()
                },
            ),
            ErrorCode::InvalidFees,
        ),
        (
            add_market(
                oracle,
                feed(9),
                MarketParams {
                    maker_fee: -600,
                    ..eth_params()
                },
            ),
            ErrorCode::InvalidFees,
        ),
        (
            add_market(
                oracle,
                feed(9),
                MarketParams {
                    maker_fee: -460,
                    ..eth_params()
                },
            ),
            ErrorCode::InvalidNetFee,
        ),
        (
            add_market(
                oracle,
                feed(9),
                MarketParams {
                    upnl_initial_weight: 1_000_001,
                    ..eth_params()
                },
            ),
            ErrorCode::InvalidPnlWeight,
        ),
        (
            add_market(
                oracle,
                feed(9),
                MarketParams {
                    price_band: 0,
                    ..eth_params()
                },
            ),
            ErrorCode::InvalidPriceBand,
        ),
        // the floors a real feed always meets: 1% confidence, 60 s trading, 120 s liquidation
        (
            add_market(
                oracle,
                feed(9),
                MarketParams {
                    max_conf_ratio: 1,
                    ..eth_params()
                },
            ),
            ErrorCode::InvalidOracleLimits,
        ),
        (
            add_market(
                oracle,
                feed(9),
                MarketParams {
                    max_oracle_age_secs: 1,
                    ..eth_params()
                },
            ),
            ErrorCode::InvalidOracleLimits,
        ),
        (
            add_market(
                oracle,
                feed(9),
                MarketParams {
                    max_oracle_age_secs: 400,
                    ..eth_params()
                },
            ),
            ErrorCode::InvalidOracleLimits,
        ),
        (
            add_market(
                oracle,
                feed(9),
                MarketParams {
                    max_oracle_age_secs: 60,
                    liquidation_max_oracle_age_secs: 90,
                    ..eth_params()
                },
            ),
            ErrorCode::InvalidOracleLimits,
        ),
        (
            add_market(
                oracle,
                feed(9),
                MarketParams {
                    funding_period_secs: 10,
                    ..eth_params()
                },
            ),
            ErrorCode::InvalidFundingParams,
        ),
        (
            add_market(
                oracle,
                feed(9),
                MarketParams {
                    base_lot_size: 0,
                    ..eth_params()
                },
            ),
            ErrorCode::InvalidSizeParams,
        ),
        (
            add_market(
                oracle,
                feed(9),
                MarketParams {
                    min_position_base: 1_500_000,
                    ..eth_params()
                },
            ),
            ErrorCode::InvalidSizeParams,
        ),
        (
            add_market(
                oracle,
                feed(9),
                MarketParams {
                    open_interest_cap: 0,
                    ..eth_params()
                },
            ),
            ErrorCode::InvalidOpenInterestCap,
        ),
        (
            add_market(
                oracle,
                feed(9),
                MarketParams {
                    margin_group: 65,
                    ..eth_params()
                },
            ),
            ErrorCode::InvalidMarginGroup,
        ),
        (
            add_market(
                oracle,
                feed(9),
                MarketParams {
                    systematic_share: 750_001,
                    ..eth_params()
                },
            ),
            ErrorCode::InvalidSystematicShare,
        ),
        (
            AdminAction::AddMarket {
                symbol: [0; 16],
                oracle,
                oracle_source: OracleSource::PythPull,
                pyth_feed_id: feed(9),
                tokens_per_contract: 1,
                params: eth_params(),
            },
            ErrorCode::InvalidSymbol,
        ),
        (
            AdminAction::AddMarket {
                symbol: symbol("BONK-PERP"),
                oracle,
                oracle_source: OracleSource::PythPull,
                pyth_feed_id: feed(9),
                tokens_per_contract: 1_500,
                params: eth_params(),
            },
            ErrorCode::InvalidUnit,
        ),
        (
            AdminAction::UpdateMarket {
                market_index: 0,
                params: MarketParams {
                    price_band: 300_000,
                    ..eth_params()
                },
            },
            ErrorCode::InvalidPriceBand,
        ),
        (
            AdminAction::SetTimelockDelay { delay_secs: 3_600 },
            ErrorCode::TimelockDelayOutOfBounds,
        ),
        (
            AdminAction::SetLiquidationBuffer { buffer: 2_000_000 },
            ErrorCode::InvalidLiquidationBuffer,
        ),
        (
            AdminAction::SetLookupTables {
                tables: vec![Pubkey::new_unique(); 5],
            },
            ErrorCode::TooManyLookupTables,
        ),
    ];
    for (action, code) in cases {
        env.expect_error(
            &[ix::queue_admin_action(admin.pubkey(), id, action)],
            &[&admin],
            code,
            &watch,
        )
        .await;
    }
    assert_eq!(env.exchange().await.next_action_id, id);
}

/// Listing checks what it lists: the accounts the change names, and a pull oracle that is the
/// sponsored feed account of its feed id (a stranger's `PriceUpdateV2` could be closed or left to
/// go stale, freezing every account that holds the market).
#[tokio::test]
async fn execution_checks_the_accounts_it_is_given() {
    let mut env = TestEnv::with_markets().await;
    let feed_id = feed(9);
    let sponsored = pda::sponsored_feed(&feed_id);
    let stranger_post = Pubkey::new_unique();
    let now = env.now;
    let q = Quote {
        price: 150 * DOLLAR,
        conf: 0,
        ema: 150 * DOLLAR,
        publish_time: now,
    };
    // a fully verified update of the right feed, posted by a stranger with their own keypair
    env.set_raw(
        stranger_post,
        cross_margin::oracle::PYTH_RECEIVER_PROGRAM_ID,
        pyth::pull_data_by(
            Pubkey::new_unique(),
            feed_id,
            q,
            pyth_solana_receiver_sdk::price_update::VerificationLevel::Full,
        ),
    )
    .await;
    let by_stranger = env
        .queue(add_market(stranger_post, feed_id, eth_params()))
        .await
        .unwrap();
    let good = env
        .queue(add_market(sponsored, feed_id, eth_params()))
        .await
        .unwrap();
    env.advance(DELAY).await;
    env.refresh_prices().await;
    env.chain
        .write_oracle(
            sponsored,
            OracleSource::PythPull,
            feed_id,
            Quote {
                publish_time: env.now,
                ..q
            },
        )
        .await;
    let watch = [pda::exchange(), pda::market(2), pda::admin_action(good)];
    let payer = env.chain.payer_keypair().pubkey();
    let i = env.execute_ix(by_stranger).await;
    env.expect_error(&[i], &[], ErrorCode::OracleNotSponsoredFeed, &watch)
        .await;
    // the accounts a change names must be passed, and be those it names
    env.expect_error(
        &[ix::execute_admin_action(
            payer,
            good,
            Some(pda::market(2)),
            None,
        )],
        &[],
        ErrorCode::ActionAccountMissing,
        &watch,
    )
    .await;
    env.expect_error(
        &[ix::execute_admin_action(
            payer,
            good,
            Some(pda::market(2)),
            Some(stranger_post),
        )],
        &[],
        ErrorCode::ActionWrongAccount,
        &watch,
    )
    .await;
    env.expect_error(
        &[ix::execute_admin_action(
            payer,
            good,
            Some(pda::market(7)),
            Some(sponsored),
        )],
        &[],
        ErrorCode::ActionWrongAccount,
        &watch,
    )
    .await;
    {
        let i = env.execute_ix(good).await;
        env.send(&[i], &[]).await
    }
    .unwrap();
    assert_eq!(env.market(2).await.oracle, sponsored);
}

#[tokio::test]
async fn parameters_and_the_admin_itself_change_only_through_the_timelock() {
    let mut env = TestEnv::with_markets().await;
    let new = MarketParams {
        initial_margin_ratio: 200_000,
        maintenance_margin_ratio: 100_000,
        open_interest_cap: 500 * ONE as u64,
        ..eth_params()
    };
    let id = env
        .queue(AdminAction::UpdateMarket {
            market_index: 0,
            params: new,
        })
        .await
        .unwrap();
    assert_eq!(
        env.market(0).await.params(),
        eth_params(),
        "nothing changes at queueing"
    );
    env.advance(DELAY).await;
    env.refresh_prices().await;
    let logs = {
        let i = env.execute_ix(id).await;
        env.send(&[i], &[]).await
    }
    .unwrap();
    let e: MarketParamsUpdated = one_event(&logs);
    assert_eq!((e.market_index, e.old, e.new), (0, eth_params(), new));
    assert_eq!(env.market(0).await.params(), new);

    // the admin moves in two steps: an executed TransferAdmin names the pending admin, who
    // accepts
    let next = Keypair::new();
    let stranger = Keypair::new();
    env.airdrop(&next.pubkey(), 1_000_000_000).await;
    env.airdrop(&stranger.pubkey(), 1_000_000_000).await;
    env.expect_error(
        &[ix::accept_admin(next.pubkey())],
        &[&next],
        ErrorCode::NotPendingAdmin,
        &[pda::exchange()],
    )
    .await;
    env.admin_change(AdminAction::TransferAdmin {
        new_admin: next.pubkey(),
    })
    .await;
    let admin = env.admin.insecure_clone();
    let ex = env.exchange().await;
    assert_eq!(
        (ex.admin, ex.pending_admin),
        (admin.pubkey(), next.pubkey())
    );
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
    // the old admin can no longer queue
    let id = ex.next_action_id;
    env.expect_error(
        &[ix::queue_admin_action(
            admin.pubkey(),
            id,
            AdminAction::SetPortfolioMargin { enabled: true },
        )],
        &[&admin],
        ErrorCode::NotAdmin,
        &[pda::exchange()],
    )
    .await;

    // the delay itself, the guardian, the buffer, portfolio margin: all queued changes
    env.admin = next.insecure_clone();
    env.admin_change(AdminAction::SetTimelockDelay {
        delay_secs: 2 * 86_400,
    })
    .await;
    env.admin_change(AdminAction::SetGuardian {
        guardian: stranger.pubkey(),
    })
    .await;
    env.admin_change(AdminAction::SetLiquidationBuffer { buffer: 300_000 })
        .await;
    env.admin_change(AdminAction::SetPortfolioMargin { enabled: true })
        .await;
    let ex = env.exchange().await;
    assert_eq!(
        (
            ex.timelock_delay_secs,
            ex.guardian,
            ex.liquidation_buffer,
            ex.portfolio_margin_enabled
        ),
        (2 * 86_400, stranger.pubkey(), 300_000, true)
    );
    // the new delay applies to what is queued after it
    let before = env.now;
    let id = env
        .queue(AdminAction::SetPortfolioMargin { enabled: false })
        .await
        .unwrap();
    assert_eq!(env.queued(id).await.execute_after, before + 2 * 86_400);
}

/// The one immediate power: pause or reduce-only, by the admin or the guardian, for a bounded
/// time; it lapses by itself; nobody else can set it.
#[tokio::test]
async fn protective_status_is_immediate_bounded_and_expires() {
    let mut env = TestEnv::with_markets().await;
    let admin = env.admin.insecure_clone();
    let guardian = env.guardian.insecure_clone();
    let mallory = Keypair::new();
    env.airdrop(&mallory.pubkey(), 1_000_000_000).await;
    env.airdrop(&guardian.pubkey(), 1_000_000_000).await;
    let watch = [pda::market(1)];
    env.expect_error(
        &[ix::set_market_status(
            mallory.pubkey(),
            1,
            MarketStatus::Paused,
            3_600,
        )],
        &[&mallory],
        ErrorCode::NotAdminOrGuardian,
        &watch,
    )
    .await;
    for (duration, code) in [
        (0, ErrorCode::ProtectiveDurationOutOfBounds),
        (7 * 86_400 + 1, ErrorCode::ProtectiveDurationOutOfBounds),
    ] {
        env.expect_error(
            &[ix::set_market_status(
                admin.pubkey(),
                1,
                MarketStatus::Paused,
                duration,
            )],
            &[&admin],
            code,
            &watch,
        )
        .await;
    }
    env.expect_error(
        &[ix::set_market_status(
            admin.pubkey(),
            1,
            MarketStatus::Settled,
            3_600,
        )],
        &[&admin],
        ErrorCode::InvalidMarketStatus,
        &watch,
    )
    .await;

    let logs = env
        .send(
            &[ix::set_market_status(
                guardian.pubkey(),
                1,
                MarketStatus::Paused,
                3_600,
            )],
            &[&guardian],
        )
        .await
        .unwrap();
    let e: MarketStatusChanged = one_event(&logs);
    assert_eq!(
        (
            e.market_index,
            e.old_status,
            e.new_status,
            e.expires_at,
            e.by
        ),
        (
            1,
            MarketStatus::Active,
            MarketStatus::Paused,
            env.now + 3_600,
            guardian.pubkey()
        )
    );
    let taker = env.funded_user(10_000 * USDC).await;
    let maker = env.funded_user(10_000 * USDC).await;
    let i = env
        .fill_ix(&taker, &maker, 1, ONE / 100, 60_000 * DOLLAR)
        .await;
    env.expect_error(
        &[i],
        &[&taker.key, &maker.key],
        ErrorCode::MarketPaused,
        &[taker.account, maker.account, pda::market(1)],
    )
    .await;
    // an hour later the pause has lapsed by itself
    env.advance(3_600).await;
    env.refresh_prices().await;
    env.fill(&taker, &maker, 1, ONE / 100, 60_000 * DOLLAR)
        .await
        .unwrap();
    // renewed as reduce-only, then lifted early by the admin
    env.send(
        &[ix::set_market_status(
            admin.pubkey(),
            1,
            MarketStatus::ReduceOnly,
            86_400,
        )],
        &[&admin],
    )
    .await
    .unwrap();
    let i = env
        .fill_ix(&taker, &maker, 1, ONE / 100, 60_000 * DOLLAR)
        .await;
    env.expect_error(
        &[i],
        &[&taker.key, &maker.key],
        ErrorCode::MarketReduceOnly,
        &[taker.account, maker.account, pda::market(1)],
    )
    .await;
    env.send(
        &[ix::set_market_status(
            admin.pubkey(),
            1,
            MarketStatus::Active,
            0,
        )],
        &[&admin],
    )
    .await
    .unwrap();
    env.fill(&taker, &maker, 1, ONE / 100, 60_000 * DOLLAR)
        .await
        .unwrap();
}

#[tokio::test]
async fn lookup_tables_are_registered_through_the_timelock() {
    let mut env = TestEnv::with_markets().await;
    let table = env.table.unwrap();
    assert_eq!(env.exchange().await.lookup_tables, vec![table]);
    let other = Pubkey::new_unique();
    let id = env
        .queue(AdminAction::SetLookupTables {
            tables: vec![table, other],
        })
        .await
        .unwrap();
    env.advance(DELAY).await;
    env.refresh_prices().await;
    let logs = {
        let i = env.execute_ix(id).await;
        env.send(&[i], &[]).await
    }
    .unwrap();
    let e: LookupTablesSet = one_event(&logs);
    assert_eq!(e.tables, vec![table, other]);
    assert_eq!(env.exchange().await.lookup_tables, vec![table, other]);
}
