//! Deposits, withdrawals under the aggregate initial-margin check, and insurance top-ups.

use cross_margin::error::ErrorCode;
use cross_margin::events::*;
use crossmargin_sdk::{instructions as ix, pda};

use crate::harness::events::one_event;
use crate::harness::*;

#[tokio::test]
async fn deposit_and_withdraw_to_the_unit() {
    let mut env = TestEnv::with_markets().await;
    let user = env.user(1_000).await;
    let logs = env.deposit(&user, 250_000_001).await;
    assert_eq!(
        env.token_balance(user.usdc).await,
        1_000 * USDC - 250_000_001
    );
    assert_eq!(env.vault_balance().await, 250_000_001);
    let a = env.margin_account(user.account).await;
    assert_eq!((a.collateral, a.total_deposits), (250_000_001, 250_000_001));
    let e: Deposited = one_event(&logs);
    assert_eq!(
        (e.margin_account, e.depositor, e.amount, e.collateral_after),
        (user.account, user.pubkey(), 250_000_001, 250_000_001)
    );

    let logs = env
        .send(&[env.withdraw_ix(&user, 100_000_000, vec![])], &[&user.key])
        .await
        .unwrap();
    assert_eq!(
        env.token_balance(user.usdc).await,
        1_000 * USDC - 150_000_001
    );
    assert_eq!(env.vault_balance().await, 150_000_001);
    let a = env.margin_account(user.account).await;
    assert_eq!(
        (a.collateral, a.total_withdrawals),
        (150_000_001, 100_000_000)
    );
    let e: Withdrawn = one_event(&logs);
    assert_eq!(
        (e.amount, e.collateral_after, e.funding_settled),
        (100_000_000, 150_000_001, 0)
    );
    assert_eq!(e.free_collateral_after, 150_000_001);

    // Everything that is left, to the unit; then the account is empty and closable.
    env.send(&[env.withdraw_ix(&user, 150_000_001, vec![])], &[&user.key])
        .await
        .unwrap();
    assert_eq!(env.token_balance(user.usdc).await, 1_000 * USDC);
    assert_eq!(env.vault_balance().await, 0);
    env.send(&[ix::close_margin_account(user.pubkey(), 0)], &[&user.key])
        .await
        .unwrap();
}

#[tokio::test]
async fn anyone_may_fund_an_account() {
    let mut env = TestEnv::new().await;
    let user = env.user(0).await;
    let friend = env.user(50).await;
    let logs = env
        .send(
            &[ix::deposit(
                friend.pubkey(),
                user.account,
                friend.usdc,
                20 * USDC,
            )],
            &[&friend.key],
        )
        .await
        .unwrap();
    assert_eq!(
        env.margin_account(user.account).await.collateral,
        20 * USDC as i64
    );
    assert_eq!(env.margin_account(friend.account).await.collateral, 0);
    assert_eq!(env.token_balance(friend.usdc).await, 30 * USDC);
    let e: Deposited = one_event(&logs);
    assert_eq!(
        (e.margin_account, e.depositor),
        (user.account, friend.pubkey())
    );
}

#[tokio::test]
async fn deposit_refusals_change_nothing() {
    let mut env = TestEnv::new().await;
    let user = env.user(100).await;
    let other_mint = env.create_mint(6).await;
    let wrong_mint_account = env.create_token_account(other_mint, user.pubkey()).await;
    env.mint_to(other_mint, wrong_mint_account, 100 * USDC)
        .await;
    // a token account of the right mint that is not the vault
    let fake_vault = env.create_token_account(env.mint, user.pubkey()).await;
    let stranger = env.user(100).await;
    let watch = [
        user.account,
        user.usdc,
        pda::vault(),
        wrong_mint_account,
        fake_vault,
        stranger.usdc,
    ];

    env.expect_error(
        &[ix::deposit(user.pubkey(), user.account, user.usdc, 0)],
        &[&user.key],
        ErrorCode::ZeroAmount,
        &watch,
    )
    .await;
    env.expect_error(
        &[ix::deposit(
            user.pubkey(),
            user.account,
            wrong_mint_account,
            USDC,
        )],
        &[&user.key],
        ErrorCode::InvalidCollateralMint,
        &watch,
    )
    .await;
    // a fake vault: the vault is the exchange's PDA, its seeds refuse any other account
    let fake = aimed_at(
        ix::deposit(user.pubkey(), user.account, user.usdc, USDC),
        3,
        fake_vault,
    );
    let err = env.expect_failure(&[fake], &[&user.key], &watch).await;
    assert_eq!(
        custom_code(&err),
        Some(anchor_lang::error::ErrorCode::ConstraintSeeds as u32)
    );
    // paying from someone else's token account
    env.expect_error(
        &[ix::deposit(
            user.pubkey(),
            user.account,
            stranger.usdc,
            USDC,
        )],
        &[&user.key],
        ErrorCode::TokenOwnerMismatch,
        &watch,
    )
    .await;
    // more than the wallet holds: the token program refuses (custom error 1, InsufficientFunds)
    let err = env
        .expect_failure(
            &[ix::deposit(
                user.pubkey(),
                user.account,
                user.usdc,
                100 * USDC + 1,
            )],
            &[&user.key],
            &watch,
        )
        .await;
    assert_eq!(custom_code(&err), Some(1));
    assert_eq!(env.margin_account(user.account).await.collateral, 0);
}

#[tokio::test]
async fn withdraw_refusals_change_nothing() {
    let mut env = TestEnv::with_markets().await;
    let user = env.funded_user(100 * USDC).await;
    let delegate = env.user(0).await;
    env.send(
        &[ix::set_delegate(
            user.pubkey(),
            0,
            delegate.pubkey(),
            TestEnv::generous_delegate(),
        )],
        &[&user.key],
    )
    .await
    .unwrap();
    let other_mint = env.create_mint(6).await;
    let wrong_mint_account = env.create_token_account(other_mint, user.pubkey()).await;
    let fake_vault = env.create_token_account(env.mint, user.pubkey()).await;
    env.mint_to(env.mint, fake_vault, 500 * USDC).await;
    let watch = [
        user.account,
        user.usdc,
        pda::vault(),
        delegate.usdc,
        fake_vault,
        wrong_mint_account,
    ];

    env.expect_error(
        &[env.withdraw_ix(&user, 0, vec![])],
        &[&user.key],
        ErrorCode::ZeroAmount,
        &watch,
    )
    .await;
    env.expect_error(
        &[env.withdraw_ix(&user, 100 * USDC + 1, vec![])],
        &[&user.key],
        ErrorCode::InsufficientCollateral,
        &watch,
    )
    .await;
    // the delegate may trade, not withdraw, not even to the owner's wallet: the account is the
    // PDA of the signer, so the owner's account under a delegate's signature fails its seeds
    let seeds = Some(anchor_lang::error::ErrorCode::ConstraintSeeds as u32);
    for to in [user.usdc, delegate.usdc] {
        let i = aimed_at(
            ix::withdraw(delegate.pubkey(), 0, to, USDC, vec![]),
            2,
            user.account,
        );
        let err = env.expect_failure(&[i], &[&delegate.key], &watch).await;
        assert_eq!(custom_code(&err), seeds);
    }
    let stranger = env.user(0).await;
    let i = aimed_at(
        ix::withdraw(stranger.pubkey(), 0, stranger.usdc, USDC, vec![]),
        2,
        user.account,
    );
    let err = env
        .expect_failure(
            &[i],
            &[&stranger.key],
            &[user.account, pda::vault(), stranger.usdc],
        )
        .await;
    assert_eq!(custom_code(&err), seeds);
    env.expect_error(
        &[ix::withdraw(
            user.pubkey(),
            0,
            wrong_mint_account,
            USDC,
            vec![],
        )],
        &[&user.key],
        ErrorCode::InvalidCollateralMint,
        &watch,
    )
    .await;
    // a fake vault (a token account of the right mint, with money in it)
    let mut fake = env.withdraw_ix(&user, USDC, vec![]);
    fake.accounts[3].pubkey = fake_vault;
    let err = env.expect_failure(&[fake], &[&user.key], &watch).await;
    assert_eq!(custom_code(&err), seeds, "the vault is the exchange's PDA");
    // the vault itself as the destination (before: a no-op transfer that stranded the
    // amount in the vault under no claim)
    let to_vault = ix::withdraw(user.pubkey(), 0, pda::vault(), USDC, vec![]);
    env.expect_error(
        &[to_vault],
        &[&user.key],
        ErrorCode::WithdrawToVault,
        &watch,
    )
    .await;
    // the owner's signature is required: the owner key as a non-signer
    let mut unsigned = ix::withdraw(user.pubkey(), 0, user.usdc, USDC, vec![]);
    unsigned.accounts[0].is_signer = false;
    let err = env.expect_failure(&[unsigned], &[], &watch).await;
    assert_eq!(
        custom_code(&err),
        Some(anchor_lang::error::ErrorCode::AccountNotSigner as u32)
    );
}

/// 1,000 USDC; long 2 ETH bought at 3,000, oracle 2,900 (pull feed, no confidence, ema = price).
/// E = 1,000 - 200 = 800; IM = 5,800 * 10% = 580: exactly 220 USDC may leave.
#[tokio::test]
async fn withdraw_up_to_initial_margin_exactly() {
    let mut env = TestEnv::with_markets().await;
    let user = env.funded_user(1_000 * USDC).await;
    env.set_positions(user.account, &[(0, 2 * ONE, -6_000 * USDC as i64)])
        .await;
    env.set_price(0, 2_900 * DOLLAR).await;
    let health = env.health(&[user.account]).await;
    assert_eq!(health.len(), 2);

    let watch = [user.account, user.usdc, pda::vault()];
    env.expect_error(
        &[env.withdraw_ix(&user, 220 * USDC + 1, health.clone())],
        &[&user.key],
        ErrorCode::InitialMarginViolated,
        &watch,
    )
    .await;
    let logs = env
        .send(&[env.withdraw_ix(&user, 220 * USDC, health)], &[&user.key])
        .await
        .unwrap();
    assert_eq!(
        env.margin_account(user.account).await.collateral,
        780 * USDC as i64
    );
    assert_eq!(env.token_balance(user.usdc).await, 220 * USDC);
    assert_eq!(env.vault_balance().await, 780 * USDC);
    let e: Withdrawn = one_event(&logs);
    assert_eq!(e.free_collateral_after, 0);
}

/// Cross margin: the BTC short's profit supports the ETH long's margin.
/// 500 USDC; ETH long 1 @ 3,000 now 2,700 (-300); BTC short 0.1 @ 60,000 now 55,000 (+500).
/// E_init = 500 - 300 + 80% * 500 = 600; IM = 270 + 5,500 * 5% = 545: 55 USDC may leave.
/// Without the BTC position: E_init = 200 < IM = 270: nothing may leave.
#[tokio::test]
async fn profit_in_one_market_supports_margin_in_another() {
    let mut env = TestEnv::with_markets().await;
    let cross = env.funded_user(500 * USDC).await;
    let alone = env.funded_user(500 * USDC).await;
    env.set_positions(
        cross.account,
        &[
            (0, ONE, -3_000 * USDC as i64),
            (1, -ONE / 10, 6_000 * USDC as i64),
        ],
    )
    .await;
    env.set_positions(alone.account, &[(0, ONE, -3_000 * USDC as i64)])
        .await;
    env.set_price(0, 2_700 * DOLLAR).await;
    env.set_price(1, 55_000 * DOLLAR).await;

    let health = env.health(&[cross.account]).await;
    assert_eq!(health.len(), 4);
    let watch = [cross.account, cross.usdc, pda::vault()];
    env.expect_error(
        &[env.withdraw_ix(&cross, 55 * USDC + 1, health.clone())],
        &[&cross.key],
        ErrorCode::InitialMarginViolated,
        &watch,
    )
    .await;
    env.send(&[env.withdraw_ix(&cross, 55 * USDC, health)], &[&cross.key])
        .await
        .unwrap();
    assert_eq!(
        env.margin_account(cross.account).await.collateral,
        445 * USDC as i64
    );
    assert_eq!(env.token_balance(cross.usdc).await, 55 * USDC);

    let health = env.health(&[alone.account]).await;
    env.expect_error(
        &[env.withdraw_ix(&alone, 1, health)],
        &[&alone.key],
        ErrorCode::InitialMarginViolated,
        &[alone.account, alone.usdc, pda::vault()],
    )
    .await;
}

/// Unrealized profit is never withdrawable: 100 USDC with a long bought at 2,000 now worth 3,000
/// has 100 + 80% * 1,000 - 300 = 600 of free collateral, but only 100 may leave.
#[tokio::test]
async fn unrealized_profit_is_not_withdrawable() {
    let mut env = TestEnv::with_markets().await;
    let user = env.funded_user(100 * USDC).await;
    env.set_positions(user.account, &[(0, ONE, -2_000 * USDC as i64)])
        .await;
    let health = env.health(&[user.account]).await;
    env.expect_error(
        &[env.withdraw_ix(&user, 100 * USDC + 1, health.clone())],
        &[&user.key],
        ErrorCode::InsufficientCollateral,
        &[user.account, user.usdc, pda::vault()],
    )
    .await;
    let logs = env
        .send(&[env.withdraw_ix(&user, 100 * USDC, health)], &[&user.key])
        .await
        .unwrap();
    let e: Withdrawn = one_event(&logs);
    assert_eq!(e.collateral_after, 0);
    assert_eq!(e.free_collateral_after, 500 * USDC as i64); // 0 + 800 - 300
}

/// Settling funding before a withdrawal: the owed funding leaves collateral first.
#[tokio::test]
async fn withdraw_settles_funding_first() {
    let mut env = TestEnv::with_markets().await;
    let user = env.funded_user(1_000 * USDC).await;
    env.set_positions(user.account, &[(0, ONE, -3_000 * USDC as i64)])
        .await;
    // The long index moved by $2.5 per ETH since the position's snapshot.
    let mut m = env.market(0).await;
    m.cumulative_funding_long += 2_500_000_000;
    env.write_market(0, &m).await;
    let health = env.health(&[user.account]).await;
    // collateral after settlement: 997.5; E_init = 997.5, IM = 300 -> 697.5 free
    env.expect_error(
        &[env.withdraw_ix(&user, 697_500_001, health.clone())],
        &[&user.key],
        ErrorCode::InitialMarginViolated,
        &[user.account, user.usdc, pda::vault()],
    )
    .await;
    let logs = env
        .send(&[env.withdraw_ix(&user, 697_500_000, health)], &[&user.key])
        .await
        .unwrap();
    let e: Withdrawn = one_event(&logs);
    assert_eq!(e.funding_settled, 2_500_000);
    let a = env.margin_account(user.account).await;
    assert_eq!(a.collateral, 300 * USDC as i64);
    assert_eq!(a.total_funding_paid, 2_500_000);
    assert_eq!(a.positions[0].funding_snapshot, m.cumulative_funding_long);
}

#[tokio::test]
async fn insurance_top_up() {
    let mut env = TestEnv::new().await;
    let donor = env.user(1_000).await;
    let logs = env
        .send(
            &[ix::deposit_insurance(
                donor.pubkey(),
                donor.usdc,
                123_456_789,
            )],
            &[&donor.key],
        )
        .await
        .unwrap();
    assert_eq!(env.exchange().await.insurance_balance, 123_456_789);
    assert_eq!(env.vault_balance().await, 123_456_789);
    assert_eq!(
        env.token_balance(donor.usdc).await,
        1_000 * USDC - 123_456_789
    );
    let e: InsuranceDeposited = one_event(&logs);
    assert_eq!(
        (e.depositor, e.amount, e.insurance_balance_after),
        (donor.pubkey(), 123_456_789, 123_456_789)
    );

    let watch = [pda::exchange(), pda::vault(), donor.usdc];
    env.expect_error(
        &[ix::deposit_insurance(donor.pubkey(), donor.usdc, 0)],
        &[&donor.key],
        ErrorCode::ZeroAmount,
        &watch,
    )
    .await;
    let other = env.user(10).await;
    env.expect_error(
        &[ix::deposit_insurance(donor.pubkey(), other.usdc, USDC)],
        &[&donor.key],
        ErrorCode::TokenOwnerMismatch,
        &watch,
    )
    .await;
}

/// Sub-accounts are isolated: a loss in sub-account 1 does not touch sub-account 0.
#[tokio::test]
async fn sub_accounts_are_isolated() {
    let mut env = TestEnv::with_markets().await;
    let user = env.funded_user(1_000 * USDC).await;
    env.send(&[ix::create_margin_account(user.pubkey(), 1)], &[&user.key])
        .await
        .unwrap();
    let isolated = pda::margin_account(&user.pubkey(), 1);
    env.mint_to(env.mint, user.usdc, 100 * USDC).await;
    env.send(
        &[ix::deposit(user.pubkey(), isolated, user.usdc, 100 * USDC)],
        &[&user.key],
    )
    .await
    .unwrap();
    env.set_positions(isolated, &[(0, ONE, -3_000 * USDC as i64)])
        .await;
    env.set_price(0, 2_850 * DOLLAR).await; // sub-account 1: E = -50
                                            // sub-account 0 has no positions: all of it can leave
    env.send(
        &[env.withdraw_ix(&user, 1_000 * USDC, vec![])],
        &[&user.key],
    )
    .await
    .unwrap();
    assert_eq!(env.token_balance(user.usdc).await, 1_000 * USDC);
    // sub-account 1 cannot withdraw anything
    let health = env.health(&[isolated]).await;
    env.expect_error(
        &[ix::withdraw(user.pubkey(), 1, user.usdc, 1, health)],
        &[&user.key],
        ErrorCode::InitialMarginViolated,
        &[isolated, user.usdc, pda::vault()],
    )
    .await;
}
