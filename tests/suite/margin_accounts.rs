//! Creating, delegating and closing margin accounts.

use anchor_lang::prelude::Pubkey;
use cross_margin::error::ErrorCode;
use cross_margin::events::*;
use crossmargin_sdk::{instructions as ix, pda};
use solana_sdk::signature::{Keypair, Signer};

use crate::harness::events::one_event;
use crate::harness::*;

#[tokio::test]
async fn create_sub_accounts() {
    let mut env = TestEnv::new().await;
    let owner = Keypair::new();
    env.airdrop(&owner.pubkey(), 1_000_000_000).await;
    for sub in [0u16, 1, 7] {
        let logs = env
            .send(&[ix::create_margin_account(owner.pubkey(), sub)], &[&owner])
            .await
            .unwrap();
        let key = pda::margin_account(&owner.pubkey(), sub);
        let a = env.margin_account(key).await;
        assert_eq!(a.owner, owner.pubkey());
        assert_eq!(a.sub_account_id, sub);
        assert_eq!(a.delegate, Pubkey::default());
        assert_eq!(a.collateral, 0);
        assert!(!a.has_open_positions());
        let e: MarginAccountCreated = one_event(&logs);
        assert_eq!(
            (e.margin_account, e.owner, e.sub_account_id),
            (key, owner.pubkey(), sub)
        );
        assert_eq!(env.account(key).await.unwrap().data.len(), 760);
    }
    // The same sub-account id cannot be created twice.
    let key = pda::margin_account(&owner.pubkey(), 1);
    env.expect_failure(
        &[ix::create_margin_account(owner.pubkey(), 1)],
        &[&owner],
        &[key],
    )
    .await;
}

#[tokio::test]
async fn delegate_is_set_by_owner_only() {
    let mut env = TestEnv::new().await;
    let user = env.user(0).await;
    let delegate = Pubkey::new_unique();
    let logs = env
        .send(
            &[ix::set_delegate(
                user.pubkey(),
                0,
                delegate,
                TestEnv::generous_delegate(),
            )],
            &[&user.key],
        )
        .await
        .unwrap();
    assert_eq!(env.margin_account(user.account).await.delegate, delegate);
    let e: DelegateSet = one_event(&logs);
    assert_eq!(
        (e.old_delegate, e.new_delegate),
        (Pubkey::default(), delegate)
    );

    let mallory = env.user(0).await;
    let i = aimed_at(
        ix::set_delegate(
            mallory.pubkey(),
            0,
            mallory.pubkey(),
            TestEnv::generous_delegate(),
        ),
        1,
        user.account,
    );
    let err = env
        .expect_failure(&[i], &[&mallory.key], &[user.account])
        .await;
    assert_eq!(
        custom_code(&err),
        Some(anchor_lang::error::ErrorCode::ConstraintSeeds as u32)
    );
    // clearing it
    env.send(
        &[ix::set_delegate(
            user.pubkey(),
            0,
            Pubkey::default(),
            TestEnv::generous_delegate(),
        )],
        &[&user.key],
    )
    .await
    .unwrap();
    assert_eq!(
        env.margin_account(user.account).await.delegate,
        Pubkey::default()
    );
}

#[tokio::test]
async fn close_returns_rent_when_empty() {
    let mut env = TestEnv::new().await;
    let user = env.user(0).await;
    let rent = env.account(user.account).await.unwrap().lamports;
    let before = env.account(user.pubkey()).await.unwrap().lamports;
    let logs = env
        .send(&[ix::close_margin_account(user.pubkey(), 0)], &[&user.key])
        .await
        .unwrap();
    assert!(env.account(user.account).await.is_none());
    assert_eq!(
        env.account(user.pubkey()).await.unwrap().lamports,
        before + rent
    );
    let e: MarginAccountClosed = one_event(&logs);
    assert_eq!((e.margin_account, e.owner), (user.account, user.pubkey()));
}

#[tokio::test]
async fn close_refuses_non_empty_and_strangers() {
    let mut env = TestEnv::with_markets().await;
    let user = env.funded_user(5 * USDC).await;
    let watch = [user.account, user.pubkey()];
    // collateral left
    env.expect_error(
        &[ix::close_margin_account(user.pubkey(), 0)],
        &[&user.key],
        ErrorCode::AccountNotEmpty,
        &watch,
    )
    .await;
    // a stranger
    let mallory = env.user(0).await;
    let i = aimed_at(
        ix::close_margin_account(mallory.pubkey(), 0),
        1,
        user.account,
    );
    let err = env
        .expect_failure(&[i], &[&mallory.key], &[user.account, mallory.pubkey()])
        .await;
    assert_eq!(
        custom_code(&err),
        Some(anchor_lang::error::ErrorCode::ConstraintSeeds as u32)
    );
    // no collateral, but a position
    let flat = env.user(0).await;
    env.set_positions(flat.account, &[(0, ONE / 100, -30 * USDC as i64)])
        .await;
    env.expect_error(
        &[ix::close_margin_account(flat.pubkey(), 0)],
        &[&flat.key],
        ErrorCode::AccountNotEmpty,
        &[flat.account, flat.pubkey()],
    )
    .await;
}
