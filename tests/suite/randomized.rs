//! A seeded randomized sequence of fills, price and clock moves, funding updates, settlements,
//! deposits and withdrawals over several accounts and both oracle kinds. After every step the
//! invariants hold; a refused step changed nothing.
//!
//! `CM_SEED=<u64>` replays a sequence, `CM_STEPS=<n>` sets its length (default 300).

use anchor_lang::prelude::Pubkey;
use crossmargin_sdk::{instructions as ix, pda};

use crate::harness::*;

/// SplitMix64: small, seedable, good enough to drive a test.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % (hi - lo + 1) as u64) as i64
    }
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::test]
async fn randomized_trading_keeps_invariants() {
    let seed = env_u64("CM_SEED", 0x5EED_2026);
    let steps = env_u64("CM_STEPS", 300);
    eprintln!("randomized_trading_keeps_invariants: CM_SEED={seed} CM_STEPS={steps}");
    let mut rng = Rng::new(seed);
    let mut env = TestEnv::with_markets().await;
    let mut users = Vec::new();
    for _ in 0..6 {
        let u = env.user(100_000).await;
        let amount = rng.range(2_000, 20_000) as u64 * USDC;
        env.deposit(&u, amount).await;
        users.push(u);
    }
    let accounts: Vec<Pubkey> = users.iter().map(|u| u.account).collect();
    let mut watch = accounts.clone();
    watch.extend(users.iter().map(|u| u.usdc));
    watch.extend([
        pda::vault(),
        pda::exchange(),
        pda::market(0),
        pda::market(1),
    ]);

    let (mut ok, mut refused) = (0u32, 0u32);
    for step in 0..steps {
        let roll = rng.range(0, 99);
        let before = env.snapshot(&watch).await;
        let (what, result) = if roll < 45 {
            let t = rng.range(0, 5) as usize;
            let m = (t + rng.range(1, 5) as usize) % 6;
            let market = rng.range(0, 1) as u16;
            let (min, k) = if market == 0 {
                (ONE / 100, 50)
            } else {
                (ONE / 1_000, 30)
            };
            let size = min * rng.range(1, k) * if rng.range(0, 1) == 0 { 1 } else { -1 };
            let p = env.prices[&market];
            let price = p + p / 1_000_000 * rng.range(-49_000, 49_000);
            let i = env.fill_ix(&users[t], &users[m], market, size, price).await;
            let r = env.send(&[i], &[&users[t].key, &users[m].key]).await;
            (format!("fill {t}->{m} market {market} {size} @ {price}"), r)
        } else if roll < 60 {
            let market = rng.range(0, 1) as u16;
            let p = env.prices[&market];
            let np = p + p / 1_000_000 * rng.range(-30_000, 30_000);
            env.set_price(market, np).await;
            (format!("price {market} -> {np}"), Ok(vec![]))
        } else if roll < 70 {
            let secs = rng.range(1, 900);
            env.advance(secs).await;
            env.refresh_prices().await;
            (format!("clock +{secs}s"), Ok(vec![]))
        } else if roll < 78 {
            let market = rng.range(0, 1) as u16;
            (
                format!("update_funding {market}"),
                env.update_funding(market).await,
            )
        } else if roll < 86 {
            let u = rng.range(0, 5) as usize;
            (format!("settle {u}"), env.settle_funding(accounts[u]).await)
        } else if roll < 93 {
            let u = rng.range(0, 5) as usize;
            let amount = rng.range(1, 2_000 * USDC as i64) as u64;
            let i = ix::deposit(users[u].pubkey(), users[u].account, users[u].usdc, amount);
            (
                format!("deposit {u} {amount}"),
                env.send(&[i], &[&users[u].key]).await,
            )
        } else {
            let u = rng.range(0, 5) as usize;
            let c = env.margin_account(accounts[u]).await.collateral.max(1);
            let amount = rng.range(1, c) as u64;
            let health = env.health(&[accounts[u]]).await;
            let i = env.withdraw_ix(&users[u], amount, health);
            (
                format!("withdraw {u} {amount}"),
                env.send(&[i], &[&users[u].key]).await,
            )
        };
        match result {
            Ok(_) => ok += 1,
            Err(e) => {
                refused += 1;
                assert_eq!(
                    env.snapshot(&watch).await,
                    before,
                    "seed {seed} step {step} ({what}): refused with {e:?} but changed state"
                );
            }
        }
        // Each step can leave at most a few units of rounding dust per account and market.
        let max_dust = 16 * (step as i128 + 1);
        if let Err(msg) = invariants::check(&mut env, &accounts, max_dust).await {
            panic!("seed {seed} step {step} ({what}): {msg}");
        }
    }
    let s = invariants::check(&mut env, &accounts, i128::MAX)
        .await
        .unwrap();
    eprintln!(
        "{steps} steps: {ok} accepted, {refused} refused; vault {} claims {} dust {}",
        s.vault,
        s.claims,
        s.dust()
    );
    assert!(
        ok > steps as u32 / 3,
        "too few accepted steps to mean anything: {ok}"
    );
    assert!(
        refused > 0,
        "no refusals: the sequence never tested the checks"
    );
}
