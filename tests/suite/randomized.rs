//! A seeded, stateful randomized sequence over every instruction, with adversaries, on sixteen
//! markets. Actors: traders (some in portfolio margin, some with sub-accounts and trigger
//! orders), a market maker, a whale holding a position in every market (an account at capacity,
//! only transactable as v0 against the exchange's lookup table), a wash-trading pair co-signing
//! fills at the band edge, a delegate bot trading its principal's account against its own at the
//! edge of its limits, a liquidator that also trades (so it often holds the other side of what it
//! takes over), the keeper bot (`Keeper::run_once`, v0 transactions), the admin queueing changes
//! of every kind and bounded parameter through the timelock (executed at random times, some too
//! early), the guardian, strangers trying what they may not, a market whose oracle goes dark and
//! is settled, prices that move (sometimes all at once), uncertain and late, and clock jumps of
//! seconds to days.
//!
//! After every step: a refused step changed nothing; DESIGN.md's invariants 1-11 (see
//! `checks`), including the ones that can see value moving between accounts: the funding an
//! update moves is at most half the fees the period's fills paid, a wash-trading pair never nets
//! funding, a delegate never costs its principal more than its budget (recomputed here, not read
//! back), bad debt only where no open interest is left, no queued change before its delay, no
//! trigger order beyond its limit or before its trigger, portfolio requirements within their
//! bounds; and the vault's surplus over all claims grows only by the rounding the step performed
//! (counted per operation, see `dust_allowance`).
//!
//! `CM_SEED=<u64>` replays a sequence, `CM_STEPS=<n>` sets its length (default 1,000; the long
//! runs in the README use 50,000 and 100,000).

use std::collections::{BTreeMap, BTreeSet};

use anchor_lang::prelude::Pubkey;
use cross_margin::constants::*;
use cross_margin::error::ErrorCode;
use cross_margin::events::*;
use cross_margin::instructions::TriggerOrderParams;
use cross_margin::risk::{grows_risk, requirement, MarginMode, TriggerKind};
use cross_margin::state::{
    AdminAction, DelegateLimits, MarginAccount, Market, MarketParams, MarketStatus, OracleSource,
    TriggerOrders,
};
use crossmargin_keeper::embedded::bootstrap::{market_table_accounts, oracle_address};
use crossmargin_keeper::{Keeper, KeeperConfig};
use crossmargin_sdk::{accounts as decode, instructions as ix, pda};
use solana_sdk::signature::{Keypair, Signer};
use solana_sdk::transaction::TransactionError;

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
    /// True with probability `1/n`.
    pub fn one_in(&mut self, n: i64) -> bool {
        self.range(1, n) == 1
    }
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.range(0, items.len() as i64 - 1) as usize]
    }
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The market whose oracle goes dark (a fifth of the way through a long enough sequence).
const DARK_MARKET: u16 = 9;

struct Owner {
    key: Keypair,
    usdc: Pubkey,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Role {
    Trader,
    Maker,
    Whale,
    Wash,
    Victim,
    Bot,
    Liquidator,
    Keeper,
}

#[derive(Clone, Copy, Debug)]
struct Acct {
    owner: usize,
    sub: u16,
    key: Pubkey,
    role: Role,
}

/// The delegate's cost to its principal, recomputed from the events by the rule the owner was
/// promised (cost at the oracle, per period), never read back from the account.
#[derive(Clone, Copy, Debug, Default)]
struct DelegateWatch {
    budget: u64,
    period_secs: i64,
    period_start: i64,
    spent: u64,
    total: u64,
}

/// What one step did.
struct Outcome {
    kind: &'static str,
    what: String,
    /// Logs of every transaction that landed (one, or a keeper round's several).
    result: Result<Vec<String>, TransactionError>,
    /// (account, market, base before) whose risk may have grown; market `u16::MAX`: a withdrawal.
    grown: Vec<(Pubkey, u16, i64)>,
    /// A hostile step: it must be refused with exactly this custom code.
    expect: Option<u32>,
    /// A keeper round (several transactions; no single-refusal check).
    round: bool,
    /// The liquidator of a single liquidation step, and its equity before.
    liquidator: Option<(Pubkey, i128)>,
}

impl Outcome {
    fn new(
        kind: &'static str,
        what: String,
        result: Result<Vec<String>, TransactionError>,
    ) -> Self {
        Outcome {
            kind,
            what,
            result,
            grown: Vec::new(),
            expect: None,
            round: false,
            liquidator: None,
        }
    }
    fn hostile(mut self, code: u32) -> Self {
        self.expect = Some(code);
        self
    }
}

/// The state before a step, decoded (for the checks that compare).
struct Before {
    accounts: BTreeMap<Pubkey, MarginAccount>,
    markets: Vec<Market>,
    orders: BTreeMap<Pubkey, TriggerOrders>,
}

#[derive(Default)]
struct Counters {
    per_kind: BTreeMap<&'static str, (u32, u32)>,
    liquidations: u32,
    portfolio_liquidations: u32,
    bankruptcies: u32,
    bad_debt_events: u32,
    trigger_executions: u32,
    admin_executed: u32,
    admin_early: u32,
    positions_settled: u32,
    markets_settled: u32,
    keeper_liquidations: u32,
    keeper_transactions: u32,
    delegate_fills: u32,
    wash_fills: u32,
    funding_updates: u32,
    max_positions: usize,
    max_dust_step: i128,
    /// Refusals by step kind and error.
    refusals: BTreeMap<String, u32>,
}

struct World {
    seed: u64,
    rng: Rng,
    env: TestEnv,
    owners: Vec<Owner>,
    accounts: Vec<Acct>,
    /// Each market's reference price (the random walk reverts to it).
    anchor: Vec<i64>,
    /// The publish time each oracle shows.
    published: Vec<i64>,
    dark: Option<u16>,
    admin: Keypair,
    guardian: Keypair,
    /// The original admin: the program's upgrade authority and the lookup table's authority.
    operator: Keypair,
    /// Keys the sequence generated for admin and guardian changes it queued.
    keys: BTreeMap<Pubkey, Keypair>,
    /// Oracle accounts a queued listing or oracle change will use (refreshed with the others).
    staged: Vec<(u16, TestMarket)>,
    /// Whether each oracle's last publication was clean (published now, narrow confidence).
    clean: Vec<bool>,
    /// Markets settled so far.
    settled: BTreeSet<u16>,
    /// Queued changes not yet executed or cancelled: id -> (execute_after, action).
    pending: BTreeMap<u64, (i64, AdminAction)>,
    /// Ids that were executed or cancelled.
    finished: Vec<u64>,
    /// Fees (taker + maker, signed) the fills of each market paid since its last funding update.
    period_fees: Vec<i128>,
    delegates: BTreeMap<Pubkey, DelegateWatch>,
    keeper: Keeper,
    closed: invariants::Closed,
    dust: i128,
    count: Counters,
    /// A market queued for listing (its index when executed, oracle, price).
    listing: Option<(u16, TestMarket, i64)>,
}

fn role_accounts(accounts: &[Acct], role: Role) -> Vec<Acct> {
    accounts
        .iter()
        .filter(|a| a.role == role)
        .copied()
        .collect()
}

impl World {
    async fn new(seed: u64) -> World {
        let mut rng = Rng::new(seed);
        let mut env = TestEnv::with_sixteen_markets().await;
        env.admin_change(AdminAction::SetPortfolioMargin { enabled: true })
            .await;
        env.insurance_top_up(500 * USDC).await;

        let mut owners = Vec::new();
        let mut accounts = Vec::new();
        let plan: Vec<(Role, u64)> = (0..6)
            .map(|_| (Role::Trader, rng.range(500, 3_000) as u64))
            .chain([
                (Role::Maker, 5_000_000),
                (Role::Whale, 100_000),
                (Role::Wash, 100_000),
                (Role::Wash, 100_000),
                (Role::Bot, 20_000),
                (Role::Victim, 3_000),
                (Role::Liquidator, 300_000),
                (Role::Keeper, 500_000),
            ])
            .collect();
        for (n, (role, collateral)) in plan.into_iter().enumerate() {
            // the wallet keeps as much again for deposits and insurance
            let user = env.user(2 * collateral).await;
            env.deposit(&user, collateral * USDC).await;
            accounts.push(Acct {
                owner: n,
                sub: 0,
                key: user.account,
                role,
            });
            owners.push(Owner {
                key: user.key,
                usdc: user.usdc,
            });
        }
        let keeper_acct = role_accounts(&accounts, Role::Keeper)[0];
        let keeper = Keeper::new(
            owners[keeper_acct.owner].key.insecure_clone(),
            keeper_acct.key,
            KeeperConfig {
                rescan_every: 1,
                backoff: std::time::Duration::from_millis(1),
                max_retries: 1,
                ..KeeperConfig::default()
            },
        );
        let now = env.now;
        let mut w = World {
            seed,
            rng,
            anchor: MARKETS.iter().map(|m| m.2).collect(),
            published: vec![now; MARKETS.len()],
            dark: None,
            admin: env.admin.insecure_clone(),
            guardian: env.guardian.insecure_clone(),
            operator: env.admin.insecure_clone(),
            keys: BTreeMap::new(),
            staged: Vec::new(),
            clean: vec![true; MARKETS.len()],
            settled: BTreeSet::new(),
            pending: BTreeMap::new(),
            finished: Vec::new(),
            period_fees: vec![0; MARKETS.len()],
            delegates: BTreeMap::new(),
            keeper,
            closed: invariants::Closed::default(),
            dust: 0,
            count: Counters::default(),
            listing: None,
            env,
            owners,
            accounts,
        };
        w.refresh().await;
        let victim = role_accounts(&w.accounts, Role::Victim)[0];
        let limits = w.random_limits();
        let bot = w.owners[role_accounts(&w.accounts, Role::Bot)[0].owner]
            .key
            .pubkey();
        let key = w.owners[victim.owner].key.insecure_clone();
        let logs = w
            .env
            .send(&[ix::set_delegate(key.pubkey(), 0, bot, limits)], &[&key])
            .await
            .expect("set_delegate");
        w.observe_delegates(&logs);
        let keys = w.keys();
        w.dust = invariants::check(&mut w.env, &keys, i128::MAX)
            .await
            .expect("invariants at the start")
            .dust();
        w
    }

    fn keys(&self) -> Vec<Pubkey> {
        self.accounts.iter().map(|a| a.key).collect()
    }

    fn signer(&self, a: &Acct) -> Keypair {
        self.owners[a.owner].key.insecure_clone()
    }

    fn market_count(&self) -> u16 {
        self.env.markets.len() as u16
    }

    async fn market(&mut self, i: u16) -> Market {
        self.env.market(i).await
    }

    async fn acct(&mut self, key: Pubkey) -> MarginAccount {
        self.env.margin_account(key).await
    }

    /// Every oracle but the dark one, republished now at its price.
    async fn refresh(&mut self) {
        for i in 0..self.market_count() {
            if Some(i) != self.dark {
                let p = self.env.prices[&i];
                self.publish(i, p, 0, 0).await;
            }
        }
        for (m, tm) in self.staged.clone() {
            let price = match &self.listing {
                Some((index, _, price)) if *index == m => *price,
                _ => self.env.prices.get(&m).copied().unwrap_or(DOLLAR),
            };
            let q = Quote {
                price,
                conf: 0,
                ema: price,
                publish_time: self.env.now,
            };
            self.env.write_oracle(tm, q).await;
        }
    }

    /// Publishes a price `lag` seconds old (never older than the oracle's last publication: a
    /// Pyth account only moves forward).
    async fn publish(&mut self, i: u16, price: i64, conf: u64, lag: i64) {
        let lag = lag.min(self.env.now - self.published[i as usize]).max(0);
        let q = Quote {
            price,
            conf,
            ema: price,
            publish_time: self.env.now - lag,
        };
        let m = self.env.markets[i as usize];
        self.env.prices.insert(i, price);
        self.env.write_oracle(m, q).await;
        self.published[i as usize] = self.env.now - lag;
        self.clean[i as usize] = lag == 0 && conf <= price as u64 / 200;
    }

    /// Whether market `m`'s oracle shows a clean price published now (and it trades).
    fn fresh(&self, m: u16) -> bool {
        self.clean[m as usize]
            && self.published[m as usize] == self.env.now
            && !self.settled.contains(&m)
    }

    fn random_limits(&mut self) -> DelegateLimits {
        DelegateLimits {
            max_price_deviation: self.rng.range(0, 60_000) as u32,
            loss_budget: self.rng.range(0, 300) as u64 * USDC,
            period_secs: self.rng.pick(&[60, 3_600, 86_400, 2 * 86_400]),
            reduce_only: self.rng.one_in(3),
        }
    }

    /// A signed base size worth about `lo..hi` dollars in market `m`, on its lot.
    async fn size(&mut self, m: u16, lo: i64, hi: i64) -> i64 {
        let p = self.market(m).await.params();
        let price = self.env.prices[&m] as i128;
        let notional = self.rng.range(lo, hi) as i128 * 1_000_000;
        let lot_value = (price * p.base_lot_size as i128 / 1_000_000_000).max(1);
        let lots = (notional / lot_value).max(1);
        let base = (lots * p.base_lot_size as i128).min(i64::MAX as i128 / 2) as i64;
        if self.rng.one_in(2) {
            base
        } else {
            -base
        }
    }

    /// A price `dev` ppm off the oracle of market `m`.
    fn off(&self, m: u16, dev: i64) -> i64 {
        let p = self.env.prices[&m] as i128;
        (p + p * dev as i128 / 1_000_000).max(1) as i64
    }

    async fn band(&mut self, m: u16) -> i64 {
        self.market(m).await.price_band as i64
    }

    async fn snapshot_keys(&mut self) -> Vec<Pubkey> {
        let mut watch: Vec<Pubkey> = self.keys();
        watch.extend(self.accounts.iter().map(|a| pda::trigger_orders(&a.key)));
        watch.extend(self.owners.iter().map(|o| o.usdc));
        watch.extend([pda::vault(), pda::exchange()]);
        watch.extend((0..self.market_count()).map(pda::market));
        watch.extend(self.pending.keys().map(|id| pda::admin_action(*id)));
        watch
    }

    async fn before(&mut self) -> Before {
        let mut accounts = BTreeMap::new();
        let mut orders = BTreeMap::new();
        for a in self.accounts.clone() {
            accounts.insert(a.key, self.acct(a.key).await);
            if let Some(o) = self.env.account(pda::trigger_orders(&a.key)).await {
                orders.insert(a.key, decode::decode_trigger_orders(&o.data).unwrap());
            }
        }
        let mut markets = Vec::new();
        for i in 0..self.market_count() {
            markets.push(self.market(i).await);
        }
        Before {
            accounts,
            markets,
            orders,
        }
    }

    // ------------------------------------------------------------------------- steps

    async fn step(&mut self, step: u64, steps: u64) {
        if steps >= 500 && step == steps / 5 && self.dark.is_none() {
            self.dark = Some(DARK_MARKET);
        }
        let watch = self.snapshot_keys().await;
        let snapshot = self.env.snapshot(&watch).await;
        let before = self.before().await;
        let journal = self.env.chain.processed;
        let roll = self.rng.range(0, 999);
        let out = match roll {
            0..=199 => self.trader_fill().await,
            200..=249 => self.whale_fill().await,
            250..=299 => self.wash_fill().await,
            300..=339 => self.delegate_fill().await,
            340..=349 => self.victim_sets_delegate().await,
            350..=354 => self.delegate_tries_to_withdraw().await,
            355..=474 => self.price_move().await,
            475..=519 => self.clock(false).await,
            520..=529 => self.clock(true).await,
            530..=569 => self.update_funding().await,
            570..=589 => self.settle_funding().await,
            590..=624 => self.deposit().await,
            625..=659 => self.withdraw().await,
            660..=719 => self.liquidate().await,
            720..=739 => self.keeper_round().await,
            740..=744 => self.unwind().await,
            745..=764 => self.margin_mode().await,
            765..=794 => self.place_order().await,
            795..=804 => self.cancel_order().await,
            805..=829 => self.execute_order().await,
            830..=834 => self.trigger_account().await,
            835..=859 => self.queue_admin().await,
            860..=889 => self.execute_admin().await,
            890..=896 => self.cancel_admin().await,
            897..=909 => self.market_status().await,
            910..=919 => self.settle_dead_market().await,
            920..=939 => self.settle_position().await,
            940..=944 => self.insurance().await,
            945..=964 => self.sub_account().await,
            965..=979 => self.close_account().await,
            _ => self.stranger().await,
        };
        let entry = self.count.per_kind.entry(out.kind).or_default();
        match &out.result {
            Ok(_) => entry.0 += 1,
            Err(e) => {
                entry.1 += 1;
                let name = match custom_code(e) {
                    Some(c) => ErrorCode::from_code(c)
                        .map(|x| format!("{x:?}"))
                        .unwrap_or(format!("custom {c}")),
                    None => format!("{e:?}"),
                };
                *self
                    .count
                    .refusals
                    .entry(format!("{}: {name}", out.kind))
                    .or_default() += 1;
            }
        }
        let tag = format!("seed {} step {step} ({})", self.seed, out.what);
        if let Some(code) = out.expect {
            let err = out.result.as_ref().err();
            assert!(err.is_some(), "{tag}: a hostile step was accepted");
            let got = err.and_then(custom_code);
            assert_eq!(
                got,
                Some(code),
                "{tag}: refused with {err:?}, expected {code}"
            );
        }
        match &out.result {
            Err(e) if !out.round => {
                assert_eq!(
                    self.env.snapshot(&watch).await,
                    snapshot,
                    "{tag}: refused with {e:?} but changed state"
                );
                assert!(
                    !matches!(e, TransactionError::SanitizeFailure),
                    "{tag}: our client could not build the transaction"
                );
            }
            _ => {}
        }
        let logs: Vec<String> = if out.round {
            self.env
                .chain
                .journal_since(journal)
                .filter(|p| p.error.is_none())
                .flat_map(|p| p.logs.clone())
                .collect()
        } else {
            out.result.clone().unwrap_or_default()
        };
        if let Err(msg) = self.check(&before, &out, &logs).await {
            panic!("{tag}: {msg}");
        }
    }

    /// A trader trades with the maker, another trader or the liquidator.
    async fn trader_fill(&mut self) -> Outcome {
        let traders: Vec<Acct> = self
            .accounts
            .iter()
            .filter(|a| a.role == Role::Trader)
            .copied()
            .collect();
        let t = self.rng.pick(&traders);
        let c = match self.rng.range(0, 9) {
            0..=5 => role_accounts(&self.accounts, Role::Maker)[0],
            6 | 7 => role_accounts(&self.accounts, Role::Liquidator)[0],
            _ => {
                let others: Vec<Acct> = traders
                    .iter()
                    .filter(|o| o.owner != t.owner)
                    .copied()
                    .collect();
                self.rng.pick(&others)
            }
        };
        let held = self.acct(t.key).await.position_market_indices();
        let m = if !held.is_empty() && self.rng.one_in(2) {
            self.rng.pick(&held)
        } else if self.rng.one_in(3) {
            self.rng.range(0, self.market_count() as i64 - 1) as u16
        } else {
            self.rng.range(0, 5) as u16
        };
        let base_now = self
            .acct(t.key)
            .await
            .position(m)
            .map(|p| p.base)
            .unwrap_or(0);
        let size = if base_now != 0 && self.rng.one_in(4) {
            -base_now
        } else {
            self.size(m, 20, 4_000).await
        };
        let band = self.band(m).await;
        let dev = if self.rng.one_in(25) {
            band + self.rng.range(1, 10_000)
        } else {
            self.rng.range(-band * 95 / 100, band * 95 / 100)
        };
        let price = self.off(m, dev);
        self.fill("fill", t, c, m, size, price).await
    }

    async fn fill(
        &mut self,
        kind: &'static str,
        t: Acct,
        c: Acct,
        m: u16,
        size: i64,
        price: i64,
    ) -> Outcome {
        let (ts, cs) = (self.signer(&t), self.signer(&c));
        self.fill_as(kind, &ts, t, &cs, c, m, size, price).await
    }

    #[allow(clippy::too_many_arguments)]
    async fn fill_as(
        &mut self,
        kind: &'static str,
        ts: &Keypair,
        t: Acct,
        cs: &Keypair,
        c: Acct,
        m: u16,
        size: i64,
        price: i64,
    ) -> Outcome {
        let mut grown = Vec::new();
        for key in [t.key, c.key] {
            let b = self
                .acct(key)
                .await
                .position(m)
                .map(|p| p.base)
                .unwrap_or(0);
            grown.push((key, m, b));
        }
        let r = self
            .env
            .fill_signed(ts, t.key, cs, c.key, m, size, price)
            .await;
        let mut o = Outcome::new(
            kind,
            format!("{kind} {:?}->{:?} m{m} {size} @ {price}", t.role, c.role),
            r,
        );
        o.grown = grown;
        o
    }

    /// The whale trades with the maker in any market (it fills its sixteen slots).
    async fn whale_fill(&mut self) -> Outcome {
        let wh = role_accounts(&self.accounts, Role::Whale)[0];
        let mk = role_accounts(&self.accounts, Role::Maker)[0];
        let held = self.acct(wh.key).await.position_market_indices();
        let fresh: Vec<u16> = (0..self.market_count())
            .filter(|m| !held.contains(m))
            .collect();
        let m = if !fresh.is_empty() && held.len() < MAX_POSITIONS && !self.rng.one_in(3) {
            self.rng.pick(&fresh)
        } else {
            self.rng.range(0, self.market_count() as i64 - 1) as u16
        };
        let size = self.size(m, 200, 4_000).await;
        let band = self.band(m).await;
        let dev = self.rng.range(-band / 4, band / 4);
        let price = self.off(m, dev);
        self.fill("whale_fill", wh, mk, m, size, price).await
    }

    /// The wash pair co-signs a fill at the top of the band (pushing the premium up), in
    /// whichever direction keeps their positions small.
    async fn wash_fill(&mut self) -> Outcome {
        let pair = role_accounts(&self.accounts, Role::Wash);
        let (a, b) = (pair[0], pair[1]);
        let m = self.rng.range(0, 3) as u16;
        let held = self
            .acct(a.key)
            .await
            .position(m)
            .map(|p| p.base)
            .unwrap_or(0);
        let mut size = self.size(m, 5, 300).await.abs();
        if held > 0 {
            size = -size.min(held);
        }
        let band = self.band(m).await;
        let price = self.off(m, band - 1);
        self.count.wash_fills += 1;
        self.fill("wash_fill", a, b, m, size, price).await
    }

    /// The bot, delegate of the victim, trades the victim's account against its own at the edge
    /// of its price limit (sometimes past it), buying dear and selling cheap for the victim.
    async fn delegate_fill(&mut self) -> Outcome {
        let v = role_accounts(&self.accounts, Role::Victim)[0];
        let b = role_accounts(&self.accounts, Role::Bot)[0];
        let limits = self.acct(v.key).await.delegate_limits();
        let held = self.acct(v.key).await.position_market_indices();
        let m = if !held.is_empty() && self.rng.one_in(2) {
            self.rng.pick(&held)
        } else {
            self.rng.range(0, 3) as u16
        };
        let base_now = self
            .acct(v.key)
            .await
            .position(m)
            .map(|p| p.base)
            .unwrap_or(0);
        let size = if base_now != 0 && self.rng.one_in(3) {
            -base_now
        } else {
            self.size(m, 20, 1_500).await
        };
        let max = limits.max_price_deviation as i64;
        let dev = if self.rng.one_in(8) {
            max + self.rng.range(1, 5_000)
        } else {
            max
        };
        let dev = dev.min(self.band(m).await);
        let price = self.off(m, if size > 0 { dev } else { -dev });
        let key = self.signer(&b);
        self.count.delegate_fills += 1;
        self.fill_as("delegate_fill", &key, v, &key, b, m, size, price)
            .await
    }

    async fn victim_sets_delegate(&mut self) -> Outcome {
        let v = role_accounts(&self.accounts, Role::Victim)[0];
        let bot = self.owners[role_accounts(&self.accounts, Role::Bot)[0].owner]
            .key
            .pubkey();
        let mut limits = self.random_limits();
        let bad = self.rng.one_in(10);
        if bad {
            limits.period_secs = 10;
        }
        let key = self.signer(&v);
        let r = self
            .env
            .send(&[ix::set_delegate(key.pubkey(), 0, bot, limits)], &[&key])
            .await;
        let o = Outcome::new("set_delegate", format!("set_delegate {limits:?}"), r);
        if bad {
            o.hostile(ErrorCode::InvalidDelegateLimits.into())
        } else {
            o
        }
    }

    /// The delegate tries to withdraw from its principal's account (pointing its own withdrawal
    /// at it), or to give itself a bigger budget.
    async fn delegate_tries_to_withdraw(&mut self) -> Outcome {
        let v = role_accounts(&self.accounts, Role::Victim)[0];
        let b = role_accounts(&self.accounts, Role::Bot)[0];
        let key = self.signer(&b);
        let health = self.env.health(&[v.key]).await;
        if self.rng.one_in(2) {
            let i = aimed_at(
                ix::withdraw(key.pubkey(), 0, self.owners[b.owner].usdc, USDC, health),
                2,
                v.key,
            );
            let r = self.env.send(&[i], &[&key]).await;
            Outcome::new(
                "hostile_delegate",
                "delegate withdraws from its principal".into(),
                r,
            )
            .hostile(2006)
        } else {
            let limits = DelegateLimits {
                loss_budget: u64::MAX / 2,
                ..self.random_limits()
            };
            let i = aimed_at(
                ix::set_delegate(key.pubkey(), 0, key.pubkey(), limits),
                1,
                v.key,
            );
            let r = self.env.send(&[i], &[&key]).await;
            Outcome::new(
                "hostile_delegate",
                "delegate raises its own budget".into(),
                r,
            )
            .hostile(2006)
        }
    }

    /// A new price for one market (or a crash of all of them), sometimes too uncertain or late;
    /// the walk reverts to each market's reference price.
    async fn price_move(&mut self) -> Outcome {
        let crash = self.rng.one_in(12);
        let markets: Vec<u16> = if crash {
            (0..self.market_count()).collect()
        } else {
            vec![self.rng.range(0, self.market_count() as i64 - 1) as u16]
        };
        let down = self.rng.one_in(2);
        let mut what = String::new();
        for m in markets {
            if Some(m) == self.dark {
                continue;
            }
            let p = self.env.prices[&m] as i128;
            let anchor = self.anchor[m as usize] as i128;
            let shock = if crash {
                let s = self.rng.range(30_000, 150_000);
                if down {
                    -s
                } else {
                    s
                }
            } else if self.rng.one_in(10) {
                self.rng.range(-150_000, 150_000)
            } else {
                self.rng.range(-60_000, 60_000)
            } as i128;
            let np = (p + p * shock / 1_000_000 + (anchor - p) / 20).max(1) as i64;
            let conf = if self.rng.one_in(10) {
                np as u64 / 40
            } else {
                np as u64 / 1_000_000 * self.rng.range(0, 5_000) as u64
            };
            let lag = if self.rng.one_in(10) {
                self.rng.range(61, 200)
            } else {
                0
            };
            self.publish(m, np, conf, lag).await;
            what = format!("{what} m{m}->{np} conf {conf} lag {lag};");
        }
        Outcome::new(if crash { "crash" } else { "price" }, what, Ok(vec![]))
    }

    async fn clock(&mut self, long: bool) -> Outcome {
        let secs = if long {
            self.rng.range(86_400, 4 * 86_400)
        } else {
            self.rng.range(1, 900)
        };
        self.env.advance(secs).await;
        self.refresh().await;
        Outcome::new(
            if long { "clock_days" } else { "clock" },
            format!("clock +{secs}s"),
            Ok(vec![]),
        )
    }

    async fn update_funding(&mut self) -> Outcome {
        let m = self.rng.range(0, self.market_count() as i64 - 1) as u16;
        let r = self.env.update_funding(m).await;
        Outcome::new("update_funding", format!("update_funding {m}"), r)
    }

    async fn settle_funding(&mut self) -> Outcome {
        let a = self.rng.pick(&self.accounts.clone());
        let r = self.env.settle_funding(a.key).await;
        Outcome::new("settle_funding", format!("settle_funding {:?}", a.role), r)
    }

    async fn deposit(&mut self) -> Outcome {
        let a = self.rng.pick(&self.accounts.clone());
        let key = self.signer(&a);
        let amount = if self.rng.one_in(20) {
            0
        } else {
            self.rng.range(1, 2_000 * USDC as i64) as u64
        };
        let i = ix::deposit(key.pubkey(), a.key, self.owners[a.owner].usdc, amount);
        let r = self.env.send(&[i], &[&key]).await;
        let o = Outcome::new("deposit", format!("deposit {amount} to {:?}", a.role), r);
        if amount == 0 {
            o.hostile(ErrorCode::ZeroAmount.into())
        } else {
            o
        }
    }

    async fn withdraw(&mut self) -> Outcome {
        // the infrastructure keeps its collateral (the keeper and liquidator need their margin)
        let users: Vec<Acct> = self
            .accounts
            .iter()
            .filter(|a| {
                matches!(
                    a.role,
                    Role::Trader | Role::Whale | Role::Victim | Role::Bot
                )
            })
            .copied()
            .collect();
        let a = self.rng.pick(&users);
        let key = self.signer(&a);
        let acct = self.acct(a.key).await;
        let amount = if self.rng.one_in(4) {
            // all it may take
            self.env
                .account_health(a.key)
                .await
                .withdrawable(acct.collateral)
        } else {
            self.rng.range(1, acct.collateral.max(1)) as u64
        }
        .max(1);
        let health = self.env.health(&[a.key]).await;
        let i = ix::withdraw(
            key.pubkey(),
            a.sub,
            self.owners[a.owner].usdc,
            amount,
            health,
        );
        let r = self.env.send(&[i], &[&key]).await;
        let mut o = Outcome::new(
            "withdraw",
            format!("withdraw {amount} from {:?}", a.role),
            r,
        );
        o.grown.push((a.key, u16::MAX, 0));
        o
    }

    /// The liquidator goes for an account that is liquidatable (or flagged) if there is one, by
    /// the instruction its mode takes (sometimes the wrong one, or a healthy account).
    async fn liquidate(&mut self) -> Outcome {
        let l = role_accounts(&self.accounts, Role::Liquidator)[0];
        let mut target = None;
        for a in self.accounts.clone() {
            if a.key == l.key {
                continue;
            }
            let flagged = self.acct(a.key).await.being_liquidated != 0;
            if flagged || self.env.account_health(a.key).await.liquidatable() {
                target = Some(a);
                break;
            }
        }
        let healthy = target.is_none();
        let t = target.unwrap_or_else(|| {
            let others: Vec<Acct> = self
                .accounts
                .iter()
                .filter(|a| a.key != l.key)
                .copied()
                .collect();
            self.rng.pick(&others)
        });
        let lq = self.acct(t.key).await;
        let user = User {
            key: self.signer(&l),
            usdc: self.owners[l.owner].usdc,
            account: l.key,
            sub: 0,
        };
        let equity = self.env.account_health(l.key).await.equity;
        let portfolio = lq.margin_mode() == MarginMode::Portfolio;
        let wrong = self.rng.one_in(15);
        let (r, what) = if portfolio != wrong {
            let fraction =
                self.rng
                    .pick(&[100_000_000u64, 250_000_000, 500_000_000, 1_000_000_000]);
            let i = self
                .env
                .liquidate_portfolio_ix(&user, t.key, fraction)
                .await;
            (
                self.env.send(&[i], &[&user.key]).await,
                format!("liquidate_portfolio {:?} {fraction}", t.role),
            )
        } else {
            let held = lq.position_market_indices();
            let m = if held.is_empty() {
                0
            } else {
                self.rng.pick(&held)
            };
            let base = lq.position(m).map(|p| p.base).unwrap_or(0);
            let max = if self.rng.one_in(3) {
                self.size(m, 50, 2_000).await.unsigned_abs()
            } else {
                u64::MAX
            };
            let i = self
                .env
                .liquidate_ix(&user, t.key, m, max, any_limit(base))
                .await;
            (
                self.env.send(&[i], &[&user.key]).await,
                format!("liquidate {:?} m{m} max {max}", t.role),
            )
        };
        let mut o = Outcome::new("liquidate", what, r);
        o.liquidator = Some((l.key, equity));
        let clean = lq.open_positions().all(|p| self.fresh(p.market_index))
            && self
                .acct(l.key)
                .await
                .open_positions()
                .all(|p| self.fresh(p.market_index));
        if !lq.has_open_positions() || !clean {
            o
        } else if wrong && !healthy {
            o.hostile(ErrorCode::WrongLiquidationKind.into())
        } else if healthy && !wrong {
            o.hostile(ErrorCode::NotLiquidatable.into())
        } else {
            o
        }
    }

    async fn keeper_round(&mut self) -> Outcome {
        let before = self.env.chain.processed;
        let report = self
            .keeper
            .run_once(&mut self.env.chain)
            .await
            .expect("keeper round");
        self.count.keeper_liquidations += report.liquidations as u32;
        self.count.keeper_transactions += (self.env.chain.processed - before) as u32;
        if !report.failures.is_empty() {
            let k = role_accounts(&self.accounts, Role::Keeper)[0];
            eprintln!("keeper health {:?}", self.env.account_health(k.key).await);
            for t in &report.liquidatable {
                let a = self.acct(*t).await;
                eprintln!(
                    "target {t} mode {:?} health {:?} positions {:?}",
                    a.margin_mode(),
                    self.env.account_health(*t).await,
                    a.open_positions().collect::<Vec<_>>()
                );
            }
        }
        assert!(
            report.failures.is_empty(),
            "seed {}: keeper failures {:?}",
            self.seed,
            report.failures
        );
        let mut o = Outcome::new(
            "keeper",
            format!(
                "keeper: {} liquidations, {} orders, funding {:?}, settled {:?}/{}",
                report.liquidations,
                report.trigger_executions,
                report.funding_updated,
                report.markets_settled,
                report.positions_settled
            ),
            Ok(vec![]),
        );
        o.round = true;
        // the keeper's own account takes positions over and executes orders
        let k = role_accounts(&self.accounts, Role::Keeper)[0];
        o.grown.push((k.key, u16::MAX, 0));
        o
    }

    /// The keeper or the liquidator sells what it took over back to the maker at the oracle.
    async fn unwind(&mut self) -> Outcome {
        let who = self.rng.pick(&[Role::Keeper, Role::Liquidator]);
        let a = role_accounts(&self.accounts, who)[0];
        let mk = role_accounts(&self.accounts, Role::Maker)[0];
        let held = self.acct(a.key).await.position_market_indices();
        if held.is_empty() {
            return Outcome::new("unwind", "nothing to unwind".into(), Ok(vec![]));
        }
        let m = self.rng.pick(&held);
        let base = self.acct(a.key).await.position(m).unwrap().base;
        let price = self.env.prices[&m];
        self.fill("unwind", a, mk, m, -base, price).await
    }

    async fn margin_mode(&mut self) -> Outcome {
        let candidates: Vec<Acct> = self
            .accounts
            .iter()
            .filter(|a| matches!(a.role, Role::Trader | Role::Whale | Role::Liquidator))
            .copied()
            .collect();
        let a = self.rng.pick(&candidates);
        let mode = if self.acct(a.key).await.margin_mode() == MarginMode::Portfolio {
            MarginMode::Standard
        } else {
            MarginMode::Portfolio
        };
        let key = self.signer(&a);
        let health = self.env.health(&[a.key]).await;
        let i = ix::set_margin_mode(key.pubkey(), a.sub, mode, health);
        let r = self.env.send(&[i], &[&key]).await;
        let mut o = Outcome::new("set_margin_mode", format!("{:?} to {mode:?}", a.role), r);
        if mode == MarginMode::Standard {
            o.grown.push((a.key, u16::MAX, 0));
        }
        o
    }

    /// A stop-loss or take-profit on one of a trader's (or, by the bot, the victim's)
    /// positions; now and then one the program must refuse.
    async fn place_order(&mut self) -> Outcome {
        let mut owners: Vec<Acct> = role_accounts(&self.accounts, Role::Trader);
        owners.push(role_accounts(&self.accounts, Role::Victim)[0]);
        let a = self.rng.pick(&owners);
        let signer = if a.role == Role::Victim && self.rng.one_in(2) {
            self.signer(&role_accounts(&self.accounts, Role::Bot)[0])
        } else {
            self.signer(&a)
        };
        let acct = self.acct(a.key).await;
        let held = acct.position_market_indices();
        if held.is_empty() {
            return Outcome::new(
                "place_trigger_order",
                "nothing to protect".into(),
                Ok(vec![]),
            );
        }
        let m = self.rng.pick(&held);
        let base = acct.position(m).unwrap().base;
        let long = base > 0;
        let kind = if self.rng.one_in(2) {
            TriggerKind::StopLoss
        } else {
            TriggerKind::TakeProfit
        };
        // a stop-loss below a long (above a short), a take-profit the other way
        let below = (kind == TriggerKind::StopLoss) == long;
        let away = self.rng.range(1_000, 25_000);
        let trigger = self.off(m, if below { -away } else { away });
        let slack = self.rng.range(0, 40_000);
        let limit = {
            let t = trigger as i128;
            let s = t * slack as i128 / 1_000_000;
            (if long { t - s } else { t + s }).max(1) as i64
        };
        let size = if self.rng.one_in(2) {
            0
        } else {
            let lots = self.market(m).await.base_lot_size;
            let part = base.unsigned_abs() / lots / self.rng.range(1, 4) as u64;
            part.max(1) * lots
        };
        let params = TriggerOrderParams {
            kind,
            trigger_price: trigger,
            limit_price: limit,
            size,
            expiry: self.env.now + self.rng.range(3_600, 7 * 86_400),
            premium: self.rng.range(0, 3_000) as u32,
        };
        let (params, code) = match self.rng.range(0, 19) {
            // (the whole position: a partial size may be off the lot or under the minimum, which
            // the program checks first)
            0 => (
                TriggerOrderParams {
                    premium: MAX_TRIGGER_PREMIUM + 1,
                    size: 0,
                    ..params
                },
                Some(ErrorCode::TriggerPremiumTooHigh),
            ),
            1 => (
                TriggerOrderParams {
                    expiry: self.env.now,
                    size: 0,
                    ..params
                },
                Some(ErrorCode::TriggerInvalidExpiry),
            ),
            2 => (
                TriggerOrderParams {
                    size: base.unsigned_abs() + self.market(m).await.base_lot_size,
                    ..params
                },
                Some(ErrorCode::TriggerWouldGrowPosition),
            ),
            _ => (params, None),
        };
        let user = User {
            key: self.signer(&a),
            usdc: self.owners[a.owner].usdc,
            account: a.key,
            sub: a.sub,
        };
        let r = self
            .env
            .place_order(&user, &signer, m, params)
            .await
            .map(|_| Vec::<String>::new());
        // place_order's logs are not returned; read the event from the journal instead
        let r = r.map(|_| {
            self.env
                .chain
                .journal
                .back()
                .map(|p| p.logs.clone())
                .unwrap_or_default()
        });
        let o = Outcome::new(
            "place_trigger_order",
            format!(
                "{:?} {kind:?} m{m} trigger {trigger} limit {limit} size {size}",
                a.role
            ),
            r,
        );
        match code {
            Some(c) => o.hostile(c.into()),
            None => o,
        }
    }

    async fn orders_of(&mut self, key: Pubkey) -> Option<TriggerOrders> {
        let a = self.env.account(pda::trigger_orders(&key)).await?;
        Some(decode::decode_trigger_orders(&a.data).unwrap())
    }

    async fn cancel_order(&mut self) -> Outcome {
        let a = self.rng.pick(&self.accounts.clone());
        let Some(orders) = self.orders_of(a.key).await else {
            return Outcome::new("cancel_trigger_order", "no orders".into(), Ok(vec![]));
        };
        let ids: Vec<u64> = orders.active().map(|o| o.id).collect();
        let id = if ids.is_empty() || self.rng.one_in(6) {
            orders.next_order_id + 5
        } else {
            self.rng.pick(&ids)
        };
        let key = self.signer(&a);
        let r = self
            .env
            .send(
                &[ix::cancel_trigger_order(key.pubkey(), a.key, id)],
                &[&key],
            )
            .await;
        let o = Outcome::new("cancel_trigger_order", format!("cancel {id}"), r);
        if ids.contains(&id) {
            o
        } else {
            o.hostile(ErrorCode::TriggerOrderNotFound.into())
        }
    }

    /// The liquidator's account (or now and then the trader's own) executes an order.
    async fn execute_order(&mut self) -> Outcome {
        let mut all = Vec::new();
        for a in self.accounts.clone() {
            if let Some(o) = self.orders_of(a.key).await {
                for order in o.active() {
                    all.push((a, order.id, order.market_index));
                }
            }
        }
        if all.is_empty() {
            return Outcome::new("execute_trigger_order", "no orders".into(), Ok(vec![]));
        }
        // mostly an order whose trigger the oracle has crossed
        let mut due = Vec::new();
        for (a, id, m) in &all {
            let o = self.orders_of(a.key).await.unwrap().find(*id).unwrap();
            let p = self.env.prices[m];
            let live = o.expiry >= self.env.now;
            if live
                && cross_margin::risk::trigger_reached(o.kind(), o.is_long(), o.trigger_price, p)
            {
                due.push((*a, *id, *m));
            }
        }
        let (t, id, m) = if !due.is_empty() && !self.rng.one_in(4) {
            self.rng.pick(&due)
        } else {
            self.rng.pick(&all)
        };
        let own = self.rng.one_in(15);
        let e = if own {
            t
        } else {
            role_accounts(&self.accounts, Role::Liquidator)[0]
        };
        let user = |w: &World, a: &Acct| User {
            key: w.signer(a),
            usdc: w.owners[a.owner].usdc,
            account: a.key,
            sub: a.sub,
        };
        let (eu, tu) = (user(self, &e), user(self, &t));
        let i = self.env.execute_order_ix(&eu, &tu, m, id).await;
        let r = self.env.send(&[i], &[&eu.key]).await;
        let b = self
            .acct(e.key)
            .await
            .position(m)
            .map(|p| p.base)
            .unwrap_or(0);
        let mut o = Outcome::new(
            "execute_trigger_order",
            format!("{:?} executes {:?}'s {id} m{m}", e.role, t.role),
            r,
        );
        if own {
            o = o.hostile(ErrorCode::TriggerSelfExecution.into());
        }
        o.grown.push((e.key, m, b));
        o
    }

    /// Creates a trader's trigger-order account, or closes an empty one.
    async fn trigger_account(&mut self) -> Outcome {
        let traders = role_accounts(&self.accounts, Role::Trader);
        let a = self.rng.pick(&traders);
        let key = self.signer(&a);
        match self.orders_of(a.key).await {
            None => {
                let r = self
                    .env
                    .send(&[ix::create_trigger_orders(key.pubkey(), a.key)], &[&key])
                    .await;
                Outcome::new("create_trigger_orders", "create".into(), r)
            }
            Some(o) => {
                let empty = o.is_empty();
                let i = ix::close_trigger_orders(key.pubkey(), a.key, o.payer);
                let r = self.env.send(&[i], &[&key]).await;
                let out = Outcome::new("close_trigger_orders", format!("close (empty {empty})"), r);
                if empty {
                    out
                } else {
                    out.hostile(ErrorCode::TriggerOrdersNotEmpty.into())
                }
            }
        }
    }

    /// New parameters for market `m`: every bounded field may move, within bounds (now and
    /// then out of them, refused at queueing).
    async fn random_params(&mut self, m: u16) -> (MarketParams, Option<ErrorCode>) {
        let cur = self.market(m).await.params();
        let base = {
            let (_, _, price, mm, group, share) = MARKETS[(m as usize).min(15)];
            params_for(price, mm, group, share)
        };
        let mut p = cur;
        let r = &mut self.rng;
        if r.one_in(2) {
            p.maintenance_margin_ratio =
                (base.maintenance_margin_ratio as i64 * r.range(70, 160) / 100) as u32;
            p.initial_margin_ratio =
                (p.maintenance_margin_ratio as i64 * r.range(150, 250) / 100) as u32;
        }
        if r.one_in(3) {
            p.liquidation_fee = p.maintenance_margin_ratio * r.range(5, 30) as u32 / 100;
            p.insurance_fee = p.maintenance_margin_ratio * r.range(0, 15) as u32 / 100;
        }
        if r.one_in(3) {
            p.taker_fee = r.range(100, 1_000) as u32;
            p.maker_fee = r.range(
                MIN_NET_FEE as i64 - p.taker_fee as i64,
                p.taker_fee as i64 / 2,
            ) as i32;
        }
        if r.one_in(4) {
            p.upnl_initial_weight = r.range(500_000, 1_000_000) as u32;
        }
        if r.one_in(4) {
            p.price_band = r.range(10_000, 100_000) as u32;
        }
        if r.one_in(4) {
            p.max_conf_ratio = r.range(MIN_CONF_RATIO as i64, 50_000) as u32;
            p.max_oracle_age_secs = r.range(60, 120) as u32;
            p.liquidation_max_oracle_age_secs = r.range(120, 600) as u32;
        }
        if r.one_in(4) {
            p.max_funding_premium = r.range(5_000, 50_000) as u32;
            p.funding_period_secs = r.pick(&[600, 1_800, 3_600, 7_200]);
        }
        if r.one_in(5) {
            p.base_lot_size = if r.one_in(2) && base.base_lot_size >= 10 {
                base.base_lot_size / 10
            } else {
                base.base_lot_size
            };
            p.min_position_base = p.base_lot_size * r.range(1, 20) as u64;
        }
        if r.one_in(5) {
            let cap = base.open_interest_cap as i128 * r.range(1, 200) as i128 / 100;
            p.open_interest_cap =
                (cap - cap % p.base_lot_size as i128).max(p.base_lot_size as i128) as u64;
        }
        if r.one_in(3) {
            p.margin_group = r.range(0, 4) as u8;
            p.systematic_share = r.range(0, MAX_SYSTEMATIC_SHARE as i64) as u32;
        }
        // a new lot may not divide the current cap: keep the cap a multiple of the lot
        p.open_interest_cap =
            (p.open_interest_cap - p.open_interest_cap % p.base_lot_size).max(p.base_lot_size);
        // the fees must stay below maintenance
        p.liquidation_fee = p.liquidation_fee.min(p.maintenance_margin_ratio / 4);
        p.insurance_fee = p.insurance_fee.min(p.maintenance_margin_ratio / 8);
        match r.range(0, 14) {
            0 => (
                MarketParams {
                    initial_margin_ratio: p.maintenance_margin_ratio,
                    ..p
                },
                Some(ErrorCode::InvalidMarginRatios),
            ),
            1 => (
                MarketParams {
                    maker_fee: MIN_NET_FEE as i32 - p.taker_fee as i32 - 1,
                    ..p
                },
                Some(ErrorCode::InvalidNetFee),
            ),
            2 => (
                MarketParams {
                    max_conf_ratio: MIN_CONF_RATIO - 1,
                    ..p
                },
                Some(ErrorCode::InvalidOracleLimits),
            ),
            3 => (
                MarketParams {
                    systematic_share: MAX_SYSTEMATIC_SHARE + 1,
                    ..p
                },
                Some(ErrorCode::InvalidSystematicShare),
            ),
            _ => (p, None),
        }
    }

    /// The admin queues a change of any kind (a stranger now and then tries to).
    async fn queue_admin(&mut self) -> Outcome {
        let n = self.market_count();
        let live: Vec<u16> = {
            let mut v = Vec::new();
            for i in 0..n {
                if !self.market(i).await.is_settled() {
                    v.push(i);
                }
            }
            v
        };
        let m = self.rng.pick(&live);
        let mut code = None;
        let action = match self.rng.range(0, 99) {
            0..=49 => {
                let (params, c) = self.random_params(m).await;
                code = c;
                AdminAction::UpdateMarket {
                    market_index: m,
                    params,
                }
            }
            50..=56 if Some(m) != self.dark => {
                // a feed that moved: a new sponsored account (or legacy account) for the market
                let old = self.env.markets[m as usize];
                let feed_id = {
                    let mut f = old.feed_id;
                    f[31] = f[31].wrapping_add(1);
                    f
                };
                let oracle = oracle_address(old.source, &feed_id);
                let tm = TestMarket {
                    oracle,
                    source: old.source,
                    feed_id,
                };
                let price = self.env.prices[&m];
                let q = Quote {
                    price,
                    conf: 0,
                    ema: price,
                    publish_time: self.env.now,
                };
                self.env.write_oracle(tm, q).await;
                self.staged.push((m, tm));
                self.extend_table(&[oracle]).await;
                AdminAction::SetOracle {
                    market_index: m,
                    oracle,
                    oracle_source: old.source,
                    pyth_feed_id: feed_id,
                }
            }
            57..=60 => AdminAction::SetLookupTables {
                tables: vec![self.env.table.unwrap()],
            },
            61..=64 => {
                let k = Keypair::new();
                let pk = k.pubkey();
                self.keys.insert(pk, k);
                AdminAction::TransferAdmin { new_admin: pk }
            }
            65..=69 => {
                let k = Keypair::new();
                let pk = k.pubkey();
                self.keys.insert(pk, k);
                AdminAction::SetGuardian { guardian: pk }
            }
            70..=75 => {
                let d = if self.rng.one_in(8) {
                    code = Some(ErrorCode::TimelockDelayOutOfBounds);
                    MIN_TIMELOCK_DELAY_SECS - 1
                } else {
                    self.rng.range(
                        MIN_TIMELOCK_DELAY_SECS as i64,
                        2 * MIN_TIMELOCK_DELAY_SECS as i64,
                    ) as u32
                };
                AdminAction::SetTimelockDelay { delay_secs: d }
            }
            76..=82 => AdminAction::SetLiquidationBuffer {
                buffer: self.rng.range(0, 500_000) as u32,
            },
            83..=86 => {
                // retire a market (never ETH or BTC; at most four)
                let settled = n as usize - live.len();
                if m < 2 || settled >= 4 {
                    AdminAction::SetPortfolioMargin { enabled: true }
                } else {
                    AdminAction::SettleMarket { market_index: m }
                }
            }
            87..=92 => AdminAction::SetPortfolioMargin {
                enabled: !self.rng.one_in(3),
            },
            _ => {
                if self.listing.is_some()
                    || n >= 20
                    || self
                        .pending
                        .values()
                        .any(|(_, a)| matches!(a, AdminAction::AddMarket { .. }))
                {
                    AdminAction::SetPortfolioMargin { enabled: true }
                } else {
                    let index = n;
                    let feed_id = feed(100 + index as u8);
                    let oracle = oracle_address(OracleSource::PythPull, &feed_id);
                    let tm = TestMarket {
                        oracle,
                        source: OracleSource::PythPull,
                        feed_id,
                    };
                    let price = self.rng.range(1_000_000, 500_000_000);
                    let q = Quote {
                        price,
                        conf: 0,
                        ema: price,
                        publish_time: self.env.now,
                    };
                    self.env.write_oracle(tm, q).await;
                    self.staged.push((index, tm));
                    let accounts = market_table_accounts(index, oracle);
                    self.extend_table(&accounts).await;
                    self.listing = Some((index, tm, price));
                    AdminAction::AddMarket {
                        symbol: symbol(&format!("NEW{index}-PERP")),
                        oracle,
                        oracle_source: OracleSource::PythPull,
                        pyth_feed_id: feed_id,
                        tokens_per_contract: 1,
                        params: params_for(price, 60_000, 0, 0),
                    }
                }
            }
        };
        let stranger = self.rng.one_in(20);
        let signer = if stranger {
            Keypair::new()
        } else {
            self.admin.insecure_clone()
        };
        if stranger {
            self.env.airdrop(&signer.pubkey(), 1_000_000_000).await;
            code = Some(ErrorCode::NotAdmin);
        }
        let id = self.env.exchange().await.next_action_id;
        let r = self
            .env
            .send(
                &[ix::queue_admin_action(signer.pubkey(), id, action.clone())],
                &[&signer],
            )
            .await;
        if r.is_err() && matches!(action, AdminAction::AddMarket { .. }) {
            self.listing = None;
        }
        let o = Outcome::new(
            "queue_admin_action",
            format!("queue {id} {}", action_name(&action)),
            r,
        );
        match code {
            Some(c) => o.hostile(c.into()),
            None => o,
        }
    }

    /// Adds addresses to the exchange's lookup table (its authority is the operator).
    async fn extend_table(&mut self, addresses: &[Pubkey]) {
        let table = self.env.table.unwrap();
        let op = self.operator.insecure_clone();
        self.env
            .chain
            .extend_lookup_table(&op, table, addresses)
            .await
            .expect("extend lookup table");
        self.env.chain.use_exchange_tables().await;
    }

    /// Anyone executes a queued change, due or not (or one already finished).
    async fn execute_admin(&mut self) -> Outcome {
        let mut ids: Vec<u64> = self.pending.keys().copied().collect();
        if ids.is_empty() || self.rng.one_in(10) {
            ids.extend(self.finished.iter().copied());
        }
        if ids.is_empty() {
            return Outcome::new("execute_admin_action", "nothing queued".into(), Ok(vec![]));
        }
        let id = self.rng.pick(&ids);
        let queued = self.env.queued(id).await;
        let count = self.env.exchange().await.market_count;
        let (market, oracle) = ix::action_accounts(&queued.action, count);
        let payer = self.env.chain.payer_keypair();
        let i = ix::execute_admin_action(payer.pubkey(), id, market, oracle);
        let r = self.env.send(&[i], &[&payer]).await;
        let o = Outcome::new(
            "execute_admin_action",
            format!("execute {id} {}", action_name(&queued.action)),
            r,
        );
        match self.pending.get(&id) {
            Some((after, _)) if self.env.now < *after => {
                self.count.admin_early += 1;
                o.hostile(ErrorCode::ActionNotDue.into())
            }
            Some(_) => o,
            None => {
                let code = if queued.status == cross_margin::state::ActionStatus::Cancelled {
                    ErrorCode::ActionCancelled
                } else {
                    ErrorCode::ActionAlreadyExecuted
                };
                o.hostile(code.into())
            }
        }
    }

    /// The admin or the guardian cancels a queued change (a stranger cannot).
    async fn cancel_admin(&mut self) -> Outcome {
        let ids: Vec<u64> = self.pending.keys().copied().collect();
        if ids.is_empty() {
            return Outcome::new("cancel_admin_action", "nothing queued".into(), Ok(vec![]));
        }
        let id = self.rng.pick(&ids);
        let (signer, mut code) = match self.rng.range(0, 4) {
            0 | 1 => (self.admin.insecure_clone(), None),
            2 | 3 => (self.guardian.insecure_clone(), None),
            _ => {
                let k = Keypair::new();
                self.env.airdrop(&k.pubkey(), 1_000_000_000).await;
                (k, Some(ErrorCode::NotAdminOrGuardian))
            }
        };
        // a TransferAdmin only by its proposer, a SetGuardian only by the admin
        let q = self.env.queued(id).await;
        let allowed = match q.action {
            AdminAction::TransferAdmin { .. } => q.proposer == signer.pubkey(),
            AdminAction::SetGuardian { .. } => self.admin.pubkey() == signer.pubkey(),
            _ => true,
        };
        if code.is_none() && !allowed {
            code = Some(ErrorCode::NotCancelable);
        }
        let r = self
            .env
            .send(&[ix::cancel_admin_action(signer.pubkey(), id)], &[&signer])
            .await;
        let o = Outcome::new("cancel_admin_action", format!("cancel {id}"), r);
        match code {
            Some(c) => o.hostile(c.into()),
            None => o,
        }
    }

    /// A protective status by the admin or the guardian, or accepting a pending admin transfer.
    async fn market_status(&mut self) -> Outcome {
        let ex = self.env.exchange().await;
        if ex.pending_admin != Pubkey::default() && self.rng.one_in(2) {
            if let Some(k) = self.keys.get(&ex.pending_admin) {
                let k = k.insecure_clone();
                self.env.airdrop(&k.pubkey(), 1_000_000_000).await;
                let r = self.env.send(&[ix::accept_admin(k.pubkey())], &[&k]).await;
                if r.is_ok() {
                    self.admin = k.insecure_clone();
                    self.env.admin = k;
                }
                return Outcome::new("accept_admin", "accept_admin".into(), r);
            }
            let k = Keypair::new();
            self.env.airdrop(&k.pubkey(), 1_000_000_000).await;
            let r = self.env.send(&[ix::accept_admin(k.pubkey())], &[&k]).await;
            return Outcome::new("accept_admin", "a stranger accepts".into(), r)
                .hostile(ErrorCode::NotPendingAdmin.into());
        }
        let m = self.rng.range(0, self.market_count() as i64 - 1) as u16;
        let status = match self.rng.range(0, 9) {
            0 => MarketStatus::Paused,
            1 | 2 => MarketStatus::ReduceOnly,
            _ => MarketStatus::Active,
        };
        let duration = if self.rng.one_in(12) {
            MAX_PROTECTIVE_STATUS_SECS + 1
        } else {
            self.rng.range(60, 6 * 3_600) as u32
        };
        let signer = if self.rng.one_in(2) {
            self.admin.insecure_clone()
        } else {
            self.guardian.insecure_clone()
        };
        let settled = self.market(m).await.is_settled();
        let r = self
            .env
            .send(
                &[ix::set_market_status(signer.pubkey(), m, status, duration)],
                &[&signer],
            )
            .await;
        let o = Outcome::new(
            "set_market_status",
            format!("m{m} {status:?} for {duration}s"),
            r,
        );
        if settled {
            o.hostile(ErrorCode::MarketSettled.into())
        } else if duration > MAX_PROTECTIVE_STATUS_SECS && status != MarketStatus::Active {
            o.hostile(ErrorCode::ProtectiveDurationOutOfBounds.into())
        } else {
            o
        }
    }

    async fn settle_dead_market(&mut self) -> Outcome {
        let m = match self.dark {
            Some(d) if !self.rng.one_in(4) => d,
            _ => self.rng.range(0, self.market_count() as i64 - 1) as u16,
        };
        let market = self.market(m).await;
        let oracle = self.env.markets[m as usize].oracle;
        let r = self
            .env
            .send(&[ix::settle_dead_market(m, oracle)], &[])
            .await;
        let dead = self.env.now - self.published[m as usize] > ORACLE_DEAD_AFTER_SECS;
        let o = Outcome::new("settle_dead_market", format!("settle_dead_market {m}"), r);
        if market.is_settled() {
            o.hostile(ErrorCode::MarketSettled.into())
        } else if !dead {
            o.hostile(ErrorCode::OracleStillAlive.into())
        } else {
            o
        }
    }

    async fn settle_position(&mut self) -> Outcome {
        let mut held = Vec::new();
        for a in self.accounts.clone() {
            let acct = self.acct(a.key).await;
            for p in acct.open_positions() {
                held.push((a, p.market_index, acct.open_position_count()));
            }
        }
        if held.is_empty() {
            return Outcome::new("settle_position", "no positions".into(), Ok(vec![]));
        }
        let mut settled = Vec::new();
        for (a, m, n) in &held {
            if self.market(*m).await.is_settled() {
                settled.push((*a, *m, *n));
            }
        }
        let (a, m, n) = if settled.is_empty() || self.rng.one_in(8) {
            self.rng.pick(&held)
        } else {
            self.rng.pick(&settled)
        };
        let is_settled = self.market(m).await.is_settled();
        let r = self
            .env
            .send(&[ix::settle_position(m, a.key, n <= 1)], &[])
            .await;
        let o = Outcome::new(
            "settle_position",
            format!("settle_position {:?} m{m}", a.role),
            r,
        );
        if is_settled {
            o
        } else {
            o.hostile(ErrorCode::MarketNotSettled.into())
        }
    }

    async fn insurance(&mut self) -> Outcome {
        let mk = role_accounts(&self.accounts, Role::Maker)[0];
        let key = self.signer(&mk);
        let amount = self.rng.range(1, 1_000) as u64 * USDC;
        let i = ix::deposit_insurance(key.pubkey(), self.owners[mk.owner].usdc, amount);
        let r = self.env.send(&[i], &[&key]).await;
        Outcome::new("deposit_insurance", format!("insurance +{amount}"), r)
    }

    /// A trader opens a sub-account for isolated margin (refused when it exists).
    async fn sub_account(&mut self) -> Outcome {
        let traders = role_accounts(&self.accounts, Role::Trader);
        let t = self.rng.pick(&traders);
        let sub = self.rng.range(1, 3) as u16;
        let key = self.signer(&t);
        let account = pda::margin_account(&key.pubkey(), sub);
        let amount = self.rng.range(100, 1_000) as u64 * USDC;
        let exists = self.accounts.iter().any(|a| a.key == account);
        let ixs = [
            ix::create_margin_account(key.pubkey(), sub),
            ix::deposit(key.pubkey(), account, self.owners[t.owner].usdc, amount),
        ];
        let r = self.env.send(&ixs, &[&key]).await;
        if r.is_ok() {
            self.accounts.push(Acct {
                owner: t.owner,
                sub,
                key: account,
                role: Role::Trader,
            });
        }
        let o = Outcome::new("create_margin_account", format!("sub-account {sub}"), r);
        if exists {
            // the system program refuses to create an account that exists
            o.hostile(0)
        } else {
            o
        }
    }

    /// A trader closes one of its accounts (refused unless empty).
    async fn close_account(&mut self) -> Outcome {
        let traders = role_accounts(&self.accounts, Role::Trader);
        let t = self.rng.pick(&traders);
        let key = self.signer(&t);
        let acct = self.acct(t.key).await;
        let mut ixs = Vec::new();
        if let Some(o) = self.orders_of(t.key).await {
            if o.is_empty() {
                ixs.push(ix::close_trigger_orders(key.pubkey(), t.key, o.payer));
            }
        }
        ixs.push(ix::close_margin_account(key.pubkey(), t.sub));
        let r = self.env.send(&ixs, &[&key]).await;
        let o = Outcome::new("close_margin_account", format!("close sub {}", t.sub), r);
        if o.result.is_ok() {
            self.closed.realized += acct.total_realized_pnl as i128;
            self.closed.funding_paid += acct.total_funding_paid as i128;
            self.accounts.retain(|a| a.key != t.key);
            if !self.accounts.iter().any(|a| a.owner == t.owner) {
                // keep every owner with an account: reopen its main one
                let r = self
                    .env
                    .send(&[ix::create_margin_account(key.pubkey(), 0)], &[&key])
                    .await;
                if r.is_ok() {
                    self.accounts.push(Acct {
                        owner: t.owner,
                        sub: 0,
                        key: pda::margin_account(&key.pubkey(), 0),
                        role: Role::Trader,
                    });
                }
            }
            o
        } else if acct.is_empty() {
            o
        } else {
            o.hostile(ErrorCode::AccountNotEmpty.into())
        }
    }

    /// What a stranger tries: initializing the exchange again, liquidating its own account,
    /// queueing as the guardian.
    async fn stranger(&mut self) -> Outcome {
        match self.rng.range(0, 2) {
            0 => {
                let op = self.operator.insecure_clone();
                let i = ix::initialize_exchange(
                    op.pubkey(),
                    self.env.mint,
                    0,
                    op.pubkey(),
                    DELAY as u32,
                );
                let r = self.env.send(&[i], &[&op]).await;
                // the exchange account exists: the system program refuses to create it again
                Outcome::new("initialize_exchange", "initialize again".into(), r).hostile(0)
            }
            1 => {
                let l = role_accounts(&self.accounts, Role::Liquidator)[0];
                let user = User {
                    key: self.signer(&l),
                    usdc: self.owners[l.owner].usdc,
                    account: l.key,
                    sub: 0,
                };
                let i = self
                    .env
                    .liquidate_ix(&user, l.key, 0, u64::MAX, i64::MAX)
                    .await;
                let r = self.env.send(&[i], &[&user.key]).await;
                Outcome::new("self_liquidation", "liquidator liquidates itself".into(), r)
                    .hostile(ErrorCode::SelfLiquidation.into())
            }
            _ => {
                let g = self.guardian.insecure_clone();
                self.env.airdrop(&g.pubkey(), 1_000_000_000).await;
                let id = self.env.exchange().await.next_action_id;
                let i = ix::queue_admin_action(
                    g.pubkey(),
                    id,
                    AdminAction::SetGuardian {
                        guardian: g.pubkey(),
                    },
                );
                let r = self.env.send(&[i], &[&g]).await;
                Outcome::new("guardian_queues", "the guardian queues a change".into(), r)
                    .hostile(ErrorCode::NotAdmin.into())
            }
        }
    }

    // ------------------------------------------------------------------------- checks

    fn observe_delegates(&mut self, logs: &[String]) {
        for e in events::<DelegateSet>(logs) {
            let w = self.delegates.entry(e.margin_account).or_default();
            w.budget = e.limits.loss_budget;
            w.period_secs = e.limits.period_secs as i64;
            w.period_start = self.env.now;
            w.spent = 0;
            if e.new_delegate == Pubkey::default() {
                w.budget = 0;
            }
        }
    }

    /// Charges a delegate-signed trade to the principal's recomputed budget.
    fn charge_delegate(
        &mut self,
        account: Pubkey,
        delta: i64,
        price: i64,
        oracle: i64,
        fee: i64,
    ) -> Result<(), String> {
        let now = self.env.now;
        let w = self.delegates.entry(account).or_default();
        if now >= w.period_start + w.period_secs {
            w.period_start = now;
            w.spent = 0;
        }
        // cost at the oracle: what the account paid above (or received below) it, plus the fee
        let num = delta as i128 * (price as i128 - oracle as i128);
        let dev = num.div_euclid(1_000_000_000) + (num.rem_euclid(1_000_000_000) != 0) as i128;
        let cost = (dev + fee as i128).max(0) as u64;
        w.spent += cost;
        w.total += cost;
        if w.spent > w.budget {
            return Err(format!(
                "invariant 11: delegate cost {} this period over the budget {}",
                w.spent, w.budget
            ));
        }
        Ok(())
    }

    async fn check(
        &mut self,
        before: &Before,
        out: &Outcome,
        logs: &[String],
    ) -> Result<(), String> {
        let now = self.env.now;
        let direct = !out.round;
        // invariant 5: a step that grew risk left the account at or above initial margin
        if out.result.is_ok() {
            for (key, m, old) in &out.grown {
                let Some(_) = self.env.account(*key).await else {
                    continue;
                };
                let a = self.acct(*key).await;
                let new = if *m == u16::MAX {
                    0
                } else {
                    a.position(*m).map(|p| p.base).unwrap_or(0)
                };
                if *m == u16::MAX || grows_risk(*old, new) {
                    let h = self.env.account_health(*key).await;
                    if !h.meets_initial() {
                        return Err(format!("invariant 5: {key} under initial margin: {h:?}"));
                    }
                }
            }
        }
        self.observe_delegates(logs);
        let mut ops: i128 = 0;
        // positions holding each market after the step (a funding move rounds once per position)
        let mut held_by: BTreeMap<u16, i128> = BTreeMap::new();
        for a in self.accounts.clone() {
            for p in self.acct(a.key).await.open_positions() {
                *held_by.entry(p.market_index).or_default() += 1;
            }
        }
        let n_pos = |m: u16, before: &Before| -> i128 {
            let now_n = held_by.get(&m).copied().unwrap_or(0);
            let then_n = before
                .accounts
                .values()
                .filter(|a| a.position(m).is_some())
                .count() as i128;
            now_n.max(then_n)
        };
        // fills: fees for the funding bound, delegate costs
        for e in events::<Filled>(logs) {
            ops += 4;
            self.period_fees[e.market_index as usize] += e.taker_fee as i128 + e.maker_fee as i128;
            if e.taker_by_delegate {
                self.charge_delegate(
                    e.taker,
                    e.taker_base_delta,
                    e.price,
                    e.oracle_price,
                    e.taker_fee,
                )?;
            }
            if e.maker_by_delegate {
                self.charge_delegate(
                    e.maker,
                    -e.taker_base_delta,
                    e.price,
                    e.oracle_price,
                    e.maker_fee,
                )?;
            }
        }
        for e in events::<MarketParamsUpdated>(logs) {
            // the program starts the period's fill sums afresh under new parameters
            self.period_fees[e.market_index as usize] = 0;
        }
        // invariant 11: an update moves at most half the fees the period's fills paid
        for e in events::<FundingUpdated>(logs) {
            self.count.funding_updates += 1;
            let m = e.market_index as usize;
            let moved = cross_margin::risk::funding_moved(e.open_interest, e.index_delta);
            if 2 * moved > self.period_fees[m].max(0) {
                return Err(format!(
                    "invariant 11: funding update moved {moved} but the period's fills paid {} in fees: {e:?}",
                    self.period_fees[m]
                ));
            }
            self.period_fees[m] = 0;
            ops += n_pos(e.market_index, before);
        }
        for e in events::<MarketSettled>(logs) {
            self.count.markets_settled += 1;
            self.settled.insert(e.market_index);
            let m = e.market_index as usize;
            let moved = cross_margin::risk::funding_moved(e.open_interest, e.final_index_delta);
            if 2 * moved > self.period_fees[m].max(0) {
                return Err(format!(
                    "invariant 11: settlement's last funding moved {moved} of fees {}",
                    self.period_fees[m]
                ));
            }
            self.period_fees[m] = 0;
            ops += n_pos(e.market_index, before) + 1;
            let after = self.market(e.market_index).await;
            let recorded = before.markets[m].last_oracle_price();
            if e.settlement_price != recorded || after.settlement_price != recorded {
                return Err(format!(
                    "invariant 10: market {m} settled at {} not its last recorded price {recorded}",
                    e.settlement_price
                ));
            }
        }
        for e in events::<PositionSettled>(logs) {
            self.count.positions_settled += 1;
            ops += 2;
            let price = self.market(e.market_index).await.settlement_price;
            if e.price != price {
                return Err(format!(
                    "invariant 10: a position closed at {} in a market settled at {price}",
                    e.price
                ));
            }
        }
        // invariant 6: E - MM never lowered; the liquidator meets initial margin and gains the
        // stated fee (to the unit of rounding)
        let bankrupt = events::<Bankruptcy>(logs);
        for e in events::<Liquidated>(logs) {
            self.count.liquidations += 1;
            ops += 4;
            if e.equity_after - e.maintenance_after < e.equity_before - e.maintenance_before {
                return Err(format!("invariant 6: liquidation lowered E - MM: {e:?}"));
            }
            if let Some((lkey, lequity)) = out.liquidator {
                let h = self.env.account_health(lkey).await;
                if !h.meets_initial() {
                    return Err(format!(
                        "invariant 6: liquidator under initial margin: {h:?}"
                    ));
                }
                if bankrupt.is_empty() && (h.equity - lequity - e.liquidation_fee as i128).abs() > 1
                {
                    return Err(format!(
                        "invariant 6: liquidator gained {}, stated fee {}",
                        h.equity - lequity,
                        e.liquidation_fee
                    ));
                }
            }
        }
        // invariant 8: a portfolio slice never lowers E - MM
        for e in events::<PortfolioLiquidated>(logs) {
            self.count.portfolio_liquidations += 1;
            ops += 4 * e.positions_taken as i128;
            if e.equity_after - e.maintenance_after < e.equity_before - e.maintenance_before {
                return Err(format!(
                    "invariant 8: portfolio slice lowered E - MM: {e:?}"
                ));
            }
            if let Some((lkey, _)) = out.liquidator {
                if !self.env.account_health(lkey).await.meets_initial() {
                    return Err("invariant 8: portfolio liquidator under initial margin".into());
                }
            }
        }
        // invariants 7 and 11: every deficit is covered exactly; bad debt only where no open
        // interest is left to carry it
        for k in &bankrupt {
            self.count.bankruptcies += 1;
            let m = k.market_index as usize;
            ops +=
                n_pos(k.market_index, before) + (k.open_interest as i128 / 1_000_000_000_000) + 2;
            if k.insurance_paid + k.socialized + k.bad_debt != k.deficit {
                return Err(format!("invariant 7: {k:?}"));
            }
            if direct {
                let mk = &before.markets[m];
                let held = before
                    .accounts
                    .get(&k.margin_account)
                    .and_then(|a| a.position(k.market_index))
                    .map(|p| p.base.unsigned_abs())
                    .unwrap_or(0);
                let carrying = mk.open_interest_both() - held as u128;
                if k.open_interest as u128 != carrying {
                    return Err(format!("invariant 11: loss spread over {} but {carrying} held the market besides the bankrupt position", k.open_interest));
                }
            }
            if k.bad_debt > 0 {
                self.count.bad_debt_events += 1;
                if k.open_interest != 0 {
                    return Err(format!(
                        "invariant 11: bad debt {} recorded with open interest {} to carry it",
                        k.bad_debt, k.open_interest
                    ));
                }
            }
        }
        // invariant 9: no trigger order beyond its limit, before its trigger or published price,
        // or growing a position
        for e in events::<TriggerOrderExecuted>(logs) {
            self.count.trigger_executions += 1;
            ops += 4;
            let order = before
                .orders
                .get(&e.margin_account)
                .and_then(|o| o.find(e.order_id).ok())
                .ok_or("invariant 9: executed an order that did not exist")?;
            let base_before = before.accounts[&e.margin_account]
                .position(e.market_index)
                .map(|p| p.base)
                .unwrap_or(0);
            let long = base_before > 0;
            let limit_ok = if long {
                e.price >= order.limit_price
            } else {
                e.price <= order.limit_price
            };
            let crossed = match (order.kind(), long) {
                (TriggerKind::StopLoss, true) | (TriggerKind::TakeProfit, false) => {
                    e.oracle_price <= order.trigger_price
                }
                _ => e.oracle_price >= order.trigger_price,
            };
            let reduces = e.base_after.unsigned_abs() < base_before.unsigned_abs()
                && (e.base_after == 0 || (e.base_after > 0) == long)
                && e.base_delta.unsigned_abs() <= base_before.unsigned_abs();
            if !(limit_ok && crossed && reduces) {
                return Err(format!(
                    "invariant 9: {e:?} of {order:?} (base before {base_before})"
                ));
            }
            if direct && self.published[e.market_index as usize] <= order.placed_at {
                return Err(format!(
                    "invariant 9: executed on a price published at {} for an order placed at {}",
                    self.published[e.market_index as usize], order.placed_at
                ));
            }
            if order.by_delegate() {
                self.charge_delegate(
                    e.margin_account,
                    e.base_delta,
                    e.price,
                    e.oracle_price,
                    e.trader_fee,
                )?;
            }
        }
        // invariant 10: no queued change takes effect before its delay
        for e in events::<AdminActionQueued>(logs) {
            if e.execute_after < now + MIN_TIMELOCK_DELAY_SECS as i64 {
                return Err(format!(
                    "invariant 10: change {} executable at {} (queued at {now})",
                    e.id, e.execute_after
                ));
            }
            self.pending.insert(e.id, (e.execute_after, e.action));
        }
        for e in events::<AdminActionCancelled>(logs) {
            self.pending.remove(&e.id);
            self.finished.push(e.id);
            if matches!(
                self.env.queued(e.id).await.action,
                AdminAction::AddMarket { .. }
            ) {
                self.listing = None;
            }
        }
        for e in events::<AdminActionExecuted>(logs) {
            self.count.admin_executed += 1;
            let (after, _) = self.pending.remove(&e.id).ok_or_else(|| {
                format!("invariant 10: change {} executed but was not pending", e.id)
            })?;
            if now < after {
                return Err(format!(
                    "invariant 10: change {} executed at {now}, before {after}",
                    e.id
                ));
            }
            self.finished.push(e.id);
            self.apply(&e.action).await?;
        }
        // delegate totals: the account's own record agrees with the recomputation
        for (key, w) in self.delegates.clone() {
            if self.env.account(key).await.is_none() {
                continue;
            }
            let a = self.acct(key).await;
            if a.total_delegate_cost != w.total || a.delegate_period_spent > a.delegate_loss_budget
            {
                return Err(format!(
                    "invariant 11: delegate cost recorded {} (period {} of {}) but the fills cost {}",
                    a.total_delegate_cost, a.delegate_period_spent, a.delegate_loss_budget, w.total
                ));
            }
        }
        // invariant 11: the wash pair only trades with itself, so funding nets to <= 0 for it
        let mut wash_funding: i128 = 0;
        let views = self.env.market_views().await;
        let mut max_positions = 0;
        for a in self.accounts.clone() {
            let acct = self.acct(a.key).await;
            max_positions = max_positions.max(acct.open_position_count());
            if a.role == Role::Wash {
                wash_funding += acct.total_funding_paid as i128;
                for p in acct.open_positions() {
                    let v = &views[p.market_index as usize];
                    wash_funding += v.funding_owed(p.base, p.funding_snapshot).unwrap() as i128;
                }
            }
            // invariant 8: portfolio requirements within their bounds, and as the formula says
            if acct.margin_mode() == MarginMode::Portfolio && acct.has_open_positions() {
                let h = cross_margin::health_accounts::account_health(&acct, &views).unwrap();
                let std = h.standard_maintenance_requirement;
                let r = h.maintenance_requirement;
                if r > std
                    || 4 * r < std
                    || h.initial_requirement > h.standard_initial_requirement
                    || 4 * h.initial_requirement < h.standard_initial_requirement
                {
                    return Err(format!(
                        "invariant 8: portfolio requirement out of bounds: {h:?}"
                    ));
                }
                let exact = portfolio_formula(&acct, &views);
                let lo = exact.max(std * 250_000).min(std * 1_000_000);
                let n = acct.open_position_count() as i128;
                if r * 1_000_000 < lo || r * 1_000_000 > lo + (n + 1) * 1_000_000 {
                    return Err(format!("invariant 8: portfolio maintenance {r} but the formula gives {}e-6 (standard {std})", lo));
                }
            }
        }
        self.count.max_positions = self.count.max_positions.max(max_positions);
        if wash_funding < 0 {
            return Err(format!(
                "invariant 11: the wash pair netted {} of funding",
                -wash_funding
            ));
        }
        // invariants 1-4, and the dust: the vault's surplus grows only by the step's rounding
        let keys = self.keys();
        let s = invariants::check_with_closed(&mut self.env, &keys, i128::MAX, self.closed).await?;
        let grew = s.dust() - self.dust;
        let allowance = ops.max(0);
        if grew > allowance {
            return Err(format!("invariant 1: the vault's surplus grew by {grew}, more than the {allowance} units of rounding this step performed"));
        }
        self.count.max_dust_step = self.count.max_dust_step.max(grew);
        self.dust = s.dust();
        Ok(())
    }

    /// What an executed change means for the sequence's own bookkeeping (and a check that it
    /// took effect).
    async fn apply(&mut self, action: &AdminAction) -> Result<(), String> {
        let ex = self.env.exchange().await;
        let took = match action {
            AdminAction::UpdateMarket {
                market_index,
                params,
            } => self.market(*market_index).await.params() == *params,
            AdminAction::SetOracle {
                market_index,
                oracle,
                oracle_source,
                pyth_feed_id,
            } => {
                self.staged.retain(|(_, tm)| tm.oracle != *oracle);
                self.env.markets[*market_index as usize] = TestMarket {
                    oracle: *oracle,
                    source: *oracle_source,
                    feed_id: *pyth_feed_id,
                };
                let p = self.env.prices[market_index];
                if Some(*market_index) != self.dark {
                    self.publish(*market_index, p, 0, 0).await;
                }
                self.market(*market_index).await.oracle == *oracle
            }
            AdminAction::SetGuardian { guardian } => {
                self.guardian = self.keys[guardian].insecure_clone();
                self.env.guardian = self.guardian.insecure_clone();
                ex.guardian == *guardian
            }
            AdminAction::TransferAdmin { new_admin } => ex.pending_admin == *new_admin,
            AdminAction::AddMarket { .. } => {
                let (index, tm, price) = self
                    .listing
                    .take()
                    .ok_or("a market was listed that the sequence did not queue")?;
                self.staged.retain(|(_, t)| t.oracle != tm.oracle);
                self.env.markets.push(tm);
                self.env.prices.insert(index, price);
                self.anchor.push(price);
                self.published.push(self.env.now);
                self.clean.push(true);
                self.period_fees.push(0);
                self.publish(index, price, 0, 0).await;
                ex.market_count == index + 1
            }
            AdminAction::SetTimelockDelay { delay_secs } => ex.timelock_delay_secs == *delay_secs,
            AdminAction::SetLiquidationBuffer { buffer } => ex.liquidation_buffer == *buffer,
            AdminAction::SetPortfolioMargin { enabled } => ex.portfolio_margin_enabled == *enabled,
            AdminAction::SetLookupTables { tables } => ex.lookup_tables == *tables,
            AdminAction::SettleMarket { market_index } => {
                self.market(*market_index).await.is_settled()
            }
        };
        if took {
            Ok(())
        } else {
            Err(format!(
                "{} executed but did not take effect",
                action_name(action)
            ))
        }
    }

    fn finish(&self, steps: u64, elapsed: std::time::Duration) {
        let c = &self.count;
        eprintln!(
            "seed {} steps {steps} in {:.1}s: {} liquidations ({} by the keeper in {} transactions), {} portfolio slices, {} bankruptcies ({} with bad debt), {} trigger executions, {} admin changes executed ({} early attempts refused), {} markets settled, {} positions settled, {} delegate fills, {} wash fills, {} funding updates, at most {} positions in one account, dust {} (at most {} in one step)\n(accepted, refused) per kind: {:?}\nrefusals: {:?}",
            self.seed,
            elapsed.as_secs_f64(),
            c.liquidations,
            c.keeper_liquidations,
            c.keeper_transactions,
            c.portfolio_liquidations,
            c.bankruptcies,
            c.bad_debt_events,
            c.trigger_executions,
            c.admin_executed,
            c.admin_early,
            c.markets_settled,
            c.positions_settled,
            c.delegate_fills,
            c.wash_fills,
            c.funding_updates,
            c.max_positions,
            self.dust,
            c.max_dust_step,
            c.per_kind,
            c.refusals
        );
    }
}

/// The portfolio maintenance requirement by DESIGN.md's formula, in millionths of a quote unit,
/// from each position's standard requirement: `sum (1 - s) |a| + sum_groups |sum s a|`.
fn portfolio_formula(acct: &MarginAccount, views: &[cross_margin::risk::MarketView]) -> i128 {
    let risks = cross_margin::health_accounts::position_risks(acct, views).unwrap();
    let mut total: i128 = 0;
    let mut groups: BTreeMap<u8, i128> = BTreeMap::new();
    for p in &risks {
        let a = requirement(p.base, p.price.price, p.params.maintenance_margin_ratio).unwrap();
        let signed = if p.base > 0 { a } else { -a };
        let s = if p.params.margin_group == 0 {
            0
        } else {
            p.params.systematic_share as i128
        };
        total += (1_000_000 - s) * a;
        if p.params.margin_group != 0 {
            *groups.entry(p.params.margin_group).or_default() += s * signed;
        }
    }
    total + groups.values().map(|v| v.abs()).sum::<i128>()
}

fn action_name(a: &AdminAction) -> String {
    let s = format!("{a:?}");
    s.split([' ', '{']).next().unwrap_or("").to_string()
}

#[tokio::test]
async fn randomized_sequences_keep_the_invariants() {
    // The default sequence reaches liquidations (standard and portfolio), bankruptcies, trigger
    // executions, executed admin changes and a settled market.
    const DEFAULT_SEED: u64 = 17;
    let seed = env_u64("CM_SEED", DEFAULT_SEED);
    let steps = env_u64("CM_STEPS", 1_000);
    eprintln!("randomized_sequences_keep_the_invariants: CM_SEED={seed} CM_STEPS={steps}");
    let started = std::time::Instant::now();
    let mut w = World::new(seed).await;
    for step in 0..steps {
        w.step(step, steps).await;
    }
    w.finish(steps, started.elapsed());
    let c = &w.count;
    let (ok, refused): (u32, u32) = c
        .per_kind
        .values()
        .fold((0, 0), |(a, b), (x, y)| (a + x, b + y));
    assert!(
        ok > steps as u32 / 3,
        "too few accepted steps to mean anything: {ok}"
    );
    assert!(
        refused > 0,
        "no refusals: the sequence never tested the checks"
    );
    let distinct: BTreeSet<&str> = c
        .per_kind
        .iter()
        .filter(|(_, (a, _))| *a > 0)
        .map(|(k, _)| *k)
        .collect();
    if seed == DEFAULT_SEED && steps >= 1_000 {
        for (what, n) in [
            ("liquidations", c.liquidations),
            ("portfolio liquidations", c.portfolio_liquidations),
            ("bankruptcies", c.bankruptcies),
            ("trigger executions", c.trigger_executions),
            ("executed admin changes", c.admin_executed),
            ("settled positions", c.positions_settled),
            ("delegate fills", c.delegate_fills),
            ("keeper liquidations", c.keeper_liquidations),
        ] {
            assert!(n > 0, "the default sequence must exercise {what}");
        }
        assert!(
            c.max_positions >= 12,
            "no account came near capacity: {}",
            c.max_positions
        );
        assert!(
            distinct.len() >= 25,
            "only {} kinds of step landed: {distinct:?}",
            distinct.len()
        );
    }
}
