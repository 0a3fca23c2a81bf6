//! The `(Market, oracle)` pairs after the named accounts: each malformed list has its own error
//! and changes nothing.

use anchor_lang::prelude::AccountMeta;
use cross_margin::error::ErrorCode;
use crossmargin_sdk::pda;

use crate::harness::*;

fn ro(k: anchor_lang::prelude::Pubkey) -> AccountMeta {
    AccountMeta::new_readonly(k, false)
}

#[tokio::test]
async fn malformed_health_lists() {
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
    let good = env.health(&[user.account]).await;
    let (m0, o0, m1, o1) = (
        pda::market(0),
        env.markets[0].oracle,
        pda::market(1),
        env.markets[1].oracle,
    );
    assert_eq!(good, vec![ro(m0), ro(o0), ro(m1), ro(o1)]);

    // a fake market: the real market's bytes in an account the program does not own
    let fake_market = anchor_lang::prelude::Pubkey::new_unique();
    let real = env.account(m0).await.unwrap();
    env.set_raw(
        fake_market,
        anchor_lang::prelude::Pubkey::new_unique(),
        real.data,
    )
    .await;

    let cases: Vec<(Vec<AccountMeta>, ErrorCode)> = vec![
        (vec![], ErrorCode::HealthAccountMissing),
        (vec![ro(m0), ro(o0)], ErrorCode::HealthAccountMissing),
        (
            vec![ro(m0), ro(o0), ro(m1)],
            ErrorCode::HealthAccountMissing,
        ),
        (
            vec![ro(m0), ro(o0), ro(m1), ro(o1), ro(m0), ro(o0)],
            ErrorCode::HealthAccountUnexpected,
        ),
        (
            vec![ro(m0), ro(o0), ro(m0), ro(o0)],
            ErrorCode::HealthAccountDuplicate,
        ),
        (
            vec![ro(m1), ro(o1), ro(m0), ro(o0)],
            ErrorCode::HealthAccountWrongMarket,
        ),
        (
            vec![ro(m0), ro(o1), ro(m1), ro(o1)],
            ErrorCode::HealthAccountWrongOracle,
        ),
        (
            vec![ro(m0), ro(o0), ro(m1), ro(o0)],
            ErrorCode::HealthAccountWrongOracle,
        ),
        (
            vec![ro(fake_market), ro(o0), ro(m1), ro(o1)],
            ErrorCode::HealthAccountNotMarket,
        ),
        (
            vec![ro(o0), ro(o0), ro(m1), ro(o1)],
            ErrorCode::HealthAccountNotMarket,
        ),
        (
            vec![ro(user.account), ro(o0), ro(m1), ro(o1)],
            ErrorCode::HealthAccountNotMarket,
        ),
        (
            vec![ro(pda::exchange()), ro(o0), ro(m1), ro(o1)],
            ErrorCode::HealthAccountNotMarket,
        ),
    ];
    let watch = [user.account, user.usdc, pda::vault(), m0, m1];
    for (metas, code) in cases {
        let ix = env.withdraw_ix(&user, USDC, metas);
        env.expect_error(&[ix], &[&user.key], code, &watch).await;
    }
    let ix = env.withdraw_ix(&user, USDC, good);
    env.send(&[ix], &[&user.key]).await.unwrap();
    assert_eq!(env.token_balance(user.usdc).await, USDC);
}
