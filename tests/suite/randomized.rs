//! A seeded, stateful randomized sequence over every user, keeper and admin instruction: fills,
//! price moves and crashes with random confidence and staleness, clock jumps, funding updates and
//! settlements, deposits, withdrawals, sub-account creation and closing, liquidations and
//! bankruptcies, and admin changes within bounds (parameters and status), over eight users and
//! both oracle kinds. After every step all seven invariants of DESIGN.md hold, and a refused step
//! changed nothing.
//!
//! `CM_SEED=<u64>` replays a sequence, `CM_STEPS=<n>` sets its length (default 1,000; the long
//! mode is e.g. `CM_STEPS=100000`, 40 to 60 minutes).

use anchor_lang::prelude::Pubkey;
use cross_margin::events::{Bankruptcy, Liquidated};
use cross_margin::risk::grows_risk;
use cross_margin::state::{MarketParams, MarketStatus};
use crossmargin_sdk::{instructions as ix, pda};
use solana_sdk::signature::Signer;

use crate::harness::events::events;
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

/// One margin account of the sequence: its owner (index into the users) and address.
#[derive(Clone, Copy)]
struct Acct {
    user: usize,
    key: Pubkey,
}

#[tokio::test]
async fn randomized_sequences_keep_the_invariants() {
    // The default sequence reaches liquidations and bankruptcies.
    const DEFAULT_SEED: u64 = 6;
    let seed = env_u64("CM_SEED", DEFAULT_SEED);
    let steps = env_u64("CM_STEPS", 1_000);
    eprintln!("randomized_sequences_keep_the_invariants: CM_SEED={seed} CM_STEPS={steps}");
    let mut rng = Rng::new(seed);
    let mut env = TestEnv::with_markets().await;
    let admin = env.admin.insecure_clone();
    let mut users = Vec::new();
    let mut accounts: Vec<Acct> = Vec::new();
    for u in 0..8 {
        let user = env.user(100_000).await;
        let amount = rng.range(500, 3_000) as u64 * USDC;
        env.deposit(&user, amount).await;
        accounts.push(Acct {
            user: u,
            key: user.account,
        });
        users.push(user);
    }
    let donor = env.user(1_000_000).await;
    env.send(
        &[ix::deposit_insurance(
            donor.pubkey(),
            donor.usdc,
            2_000 * USDC,
        )],
        &[&donor.key],
    )
    .await
    .unwrap();
    let base_params = [eth_params(), btc_params()];

    let mut count = std::collections::BTreeMap::<&str, (u32, u32)>::new();
    let (mut liquidations, mut bankruptcies) = (0u32, 0u32);
    let mut closed_history = invariants::Closed::default();
    for step in 0..steps {
        let mut watch: Vec<Pubkey> = accounts.iter().map(|a| a.key).collect();
        watch.extend(users.iter().map(|u| u.usdc));
        watch.extend([
            pda::vault(),
            pda::exchange(),
            pda::market(0),
            pda::market(1),
        ]);
        let roll = rng.range(0, 99);
        let before = env.snapshot(&watch).await;
        // (account, market, base before) whose risk may grow; market u16::MAX = a withdrawal
        let mut grown: Vec<(Pubkey, u16, i64)> = Vec::new();
        let mut liquidator_before: Option<(Pubkey, i128)> = None;
        let mut closed: Option<Pubkey> = None;
        let n = accounts.len() as i64;
        let (kind, what, result): (&str, String, _) = if roll < 35 {
            let t = rng.range(0, n - 1) as usize;
            let m = (t + rng.range(1, n - 1) as usize) % accounts.len();
            let (ta, ma) = (accounts[t], accounts[m]);
            let market = rng.range(0, 1) as u16;
            let (min, k) = if market == 0 {
                (ONE / 100, 150)
            } else {
                (ONE / 1_000, 50)
            };
            let size = min * rng.range(1, k) * if rng.range(0, 1) == 0 { 1 } else { -1 };
            let p = env.prices[&market];
            let price = p + p / 1_000_000 * rng.range(-49_000, 49_000);
            for key in [ta.key, ma.key] {
                let base = env
                    .margin_account(key)
                    .await
                    .position(market)
                    .map(|x| x.base)
                    .unwrap_or(0);
                grown.push((key, market, base));
            }
            let (tu, mu) = (&users[ta.user], &users[ma.user]);
            let i = crossmargin_sdk::instructions::fill(
                tu.pubkey(),
                mu.pubkey(),
                ta.key,
                ma.key,
                market,
                env.markets[market as usize].oracle,
                size,
                price,
                {
                    let a = env.margin_account(ta.key).await;
                    let b = env.margin_account(ma.key).await;
                    let markets = env.markets.clone();
                    crossmargin_sdk::health::fill_health_metas(&a, &b, market, &move |i: u16| {
                        markets.get(i as usize).map(|m| m.oracle)
                    })
                    .unwrap()
                },
            );
            let r = env.send(&[i], &[&tu.key, &mu.key]).await;
            (
                "fill",
                format!("fill {t}->{m} market {market} {size} @ {price}"),
                r,
            )
        } else if roll < 47 {
            // a new price, sometimes too uncertain or published late
            let market = rng.range(0, 1) as u16;
            let p = env.prices[&market];
            let pct = if rng.range(0, 9) == 0 {
                150_000
            } else {
                60_000
            };
            let np = (p + p / 1_000_000 * rng.range(-pct, pct)).max(DOLLAR);
            let conf = if rng.range(0, 9) == 0 {
                np / 40
            } else {
                np / 1_000_000 * rng.range(0, 5_000)
            };
            let lag = if rng.range(0, 9) == 0 {
                rng.range(61, 200)
            } else {
                0
            };
            env.prices.insert(market, np);
            let q = Quote {
                price: np,
                conf: conf as u64,
                ema: np,
                publish_time: env.now - lag,
            };
            let m = env.markets[market as usize];
            env.write_oracle(m, q).await;
            (
                "price",
                format!("price {market} -> {np} conf {conf} lag {lag}"),
                Ok(vec![]),
            )
        } else if roll < 53 {
            let secs = rng.range(1, 900);
            env.advance(secs).await;
            env.refresh_prices().await;
            ("clock", format!("clock +{secs}s"), Ok(vec![]))
        } else if roll < 58 {
            let market = rng.range(0, 1) as u16;
            (
                "update_funding",
                format!("update_funding {market}"),
                env.update_funding(market).await,
            )
        } else if roll < 62 {
            let a = accounts[rng.range(0, n - 1) as usize];
            (
                "settle_funding",
                "settle".into(),
                env.settle_funding(a.key).await,
            )
        } else if roll < 68 {
            let a = accounts[rng.range(0, n - 1) as usize];
            let u = &users[a.user];
            let amount = rng.range(1, 2_000 * USDC as i64) as u64;
            let i = ix::deposit(u.pubkey(), a.key, u.usdc, amount);
            (
                "deposit",
                format!("deposit {amount}"),
                env.send(&[i], &[&u.key]).await,
            )
        } else if roll < 74 {
            let a = accounts[rng.range(0, n - 1) as usize];
            let u = &users[a.user];
            let c = env.margin_account(a.key).await.collateral.max(1);
            let amount = rng.range(1, c) as u64;
            let health = env.health(&[a.key]).await;
            grown.push((a.key, u16::MAX, 0));
            let sub_id = if a.key == pda::margin_account(&u.pubkey(), 0) {
                0
            } else {
                1
            };
            let i = ix::withdraw(u.pubkey(), sub_id, u.usdc, amount, health);
            (
                "withdraw",
                format!("withdraw {amount}"),
                env.send(&[i], &[&u.key]).await,
            )
        } else if roll < 86 {
            // a keeper: goes for an account that is liquidatable (or flagged) if there is one
            let mut target = rng.range(0, n - 1) as usize;
            for (i, a) in accounts.iter().enumerate() {
                let flagged = env.margin_account(a.key).await.being_liquidated != 0;
                if flagged || env.account_health(a.key).await.liquidatable() {
                    target = i;
                    break;
                }
            }
            let l = (target + rng.range(1, n - 1) as usize) % accounts.len();
            let (ta, la) = (accounts[target], accounts[l]);
            let a = env.margin_account(ta.key).await;
            let markets = a.position_market_indices();
            let market = if markets.is_empty() {
                0
            } else {
                markets[rng.range(0, markets.len() as i64 - 1) as usize]
            };
            let base = a.position(market).map(|p| p.base).unwrap_or(0);
            liquidator_before = Some((la.key, env.account_health(la.key).await.equity));
            let lu = User {
                key: users[la.user].key.insecure_clone(),
                usdc: users[la.user].usdc,
                account: la.key,
                sub: 0,
            };
            let i = env
                .liquidate_ix(&lu, ta.key, market, u64::MAX, any_limit(base))
                .await;
            (
                "liquidate",
                format!("liquidate {target} by {l} market {market}"),
                env.send(&[i], &[&lu.key]).await,
            )
        } else if roll < 90 {
            // admin: margin parameters within bounds (a tighter or looser variant)
            let market = rng.range(0, 1) as usize;
            let p = base_params[market];
            let k = rng.range(8, 12) as u32;
            let mm = p.maintenance_margin_ratio * k / 10;
            let params = MarketParams {
                maintenance_margin_ratio: mm,
                initial_margin_ratio: 2 * mm,
                ..p
            };
            let id = env.exchange().await.next_action_id;
            let i = ix::queue_admin_action(
                admin.pubkey(),
                id,
                cross_margin::state::AdminAction::UpdateMarket {
                    market_index: market as u16,
                    params,
                },
            );
            (
                "update_market",
                format!("update_market {market} mm {mm}"),
                env.send(&[i], &[&admin]).await,
            )
        } else if roll < 93 {
            let market = rng.range(0, 1) as u16;
            let status = match rng.range(0, 9) {
                0 => MarketStatus::Paused,
                1 | 2 => MarketStatus::ReduceOnly,
                _ => MarketStatus::Active,
            };
            let i = ix::set_market_status(admin.pubkey(), market, status, 3_600);
            (
                "set_market_status",
                format!("status {market} {status:?}"),
                env.send(&[i], &[&admin]).await,
            )
        } else if roll < 97 {
            // a sub-account for isolated margin (refused when it exists)
            let u = rng.range(0, 7) as usize;
            let key = pda::margin_account(&users[u].pubkey(), 1);
            let amount = rng.range(100, 1_000) as u64 * USDC;
            let ixs = [
                ix::create_margin_account(users[u].pubkey(), 1),
                ix::deposit(users[u].pubkey(), key, users[u].usdc, amount),
            ];
            let r = env.send(&ixs, &[&users[u].key]).await;
            if r.is_ok() {
                accounts.push(Acct { user: u, key });
            }
            (
                "create_margin_account",
                format!("create sub-account of {u}"),
                r,
            )
        } else {
            let i = rng.range(0, n - 1) as usize;
            let a = accounts[i];
            let gone = env.margin_account(a.key).await;
            let r = env
                .send(
                    &[ix::close_margin_account(
                        users[a.user].pubkey(),
                        if a.key == pda::margin_account(&users[a.user].pubkey(), 0) {
                            0
                        } else {
                            1
                        },
                    )],
                    &[&users[a.user].key],
                )
                .await;
            if r.is_ok() {
                closed = Some(a.key);
                closed_history.realized += gone.total_realized_pnl as i128;
                closed_history.funding_paid += gone.total_funding_paid as i128;
            }
            ("close_margin_account", format!("close {i}"), r)
        };
        let entry = count.entry(kind).or_default();
        match &result {
            Ok(logs) => {
                entry.0 += 1;
                // invariant 5: a step that grew risk left the account at or above initial margin
                // (at the prices the oracles show)
                for (key, market, old) in &grown {
                    let a = env.margin_account(*key).await;
                    let new = if *market == u16::MAX {
                        0
                    } else {
                        a.position(*market).map(|p| p.base).unwrap_or(0)
                    };
                    if *market == u16::MAX || grows_risk(*old, new) {
                        let h = env.account_health(*key).await;
                        assert!(
                            h.meets_initial(),
                            "seed {seed} step {step} ({what}): {key} under initial margin: {h:?}"
                        );
                    }
                }
                // invariant 7: every deficit is covered exactly
                let bankrupt = events::<Bankruptcy>(logs);
                for k in &bankrupt {
                    bankruptcies += 1;
                    assert_eq!(
                        k.insurance_paid + k.socialized + k.bad_debt,
                        k.deficit,
                        "seed {seed} step {step}: {k:?}"
                    );
                }
                // invariant 6: E - MM never lowered; the liquidator meets initial margin and gains
                // the stated fee (to the unit of rounding)
                for e in events::<Liquidated>(logs) {
                    liquidations += 1;
                    assert!(
                        e.equity_after - e.maintenance_after
                            >= e.equity_before - e.maintenance_before,
                        "seed {seed} step {step}: liquidation lowered E - MM: {e:?}"
                    );
                    let (lkey, lequity) = liquidator_before.expect("a liquidator");
                    let h = env.account_health(lkey).await;
                    assert!(
                        h.meets_initial(),
                        "seed {seed} step {step}: liquidator under initial margin"
                    );
                    if bankrupt.is_empty() {
                        let gain = h.equity - lequity;
                        assert!(
                            (gain - e.liquidation_fee as i128).abs() <= 1,
                            "seed {seed} step {step}: liquidator gained {gain}, stated fee {}",
                            e.liquidation_fee
                        );
                    }
                }
            }
            Err(e) => {
                entry.1 += 1;
                assert_eq!(
                    env.snapshot(&watch).await,
                    before,
                    "seed {seed} step {step} ({what}): refused with {e:?} but changed state"
                );
            }
        }
        if let Some(k) = closed {
            assert!(env.account(k).await.is_none());
            accounts.retain(|a| a.key != k);
        }
        // invariants 1-3 (each step can leave at most a few units of rounding dust)
        let keys: Vec<Pubkey> = accounts.iter().map(|a| a.key).collect();
        let max_dust = 16 * (step as i128 + 1);
        if let Err(msg) =
            invariants::check_with_closed(&mut env, &keys, max_dust, closed_history).await
        {
            panic!("seed {seed} step {step} ({what}): {msg}");
        }
    }
    let keys: Vec<Pubkey> = accounts.iter().map(|a| a.key).collect();
    let s = invariants::check_with_closed(&mut env, &keys, i128::MAX, closed_history)
        .await
        .unwrap();
    eprintln!("{steps} steps, {liquidations} liquidations, {bankruptcies} bankruptcies, dust {}; (accepted, refused) per kind: {count:?}", s.dust());
    let (ok, refused): (u32, u32) = count.values().fold((0, 0), |(a, b), (x, y)| (a + x, b + y));
    assert!(
        ok > steps as u32 / 3,
        "too few accepted steps to mean anything: {ok}"
    );
    assert!(
        refused > 0,
        "no refusals: the sequence never tested the checks"
    );
    if seed == DEFAULT_SEED && steps >= 1_000 {
        assert!(
            liquidations > 0 && bankruptcies > 0,
            "the default sequence must exercise liquidation and bankruptcy"
        );
    }
}
