//! The keeper: funding crank, liquidator, bankruptcy resolution (part of `liquidate`).

use std::collections::BTreeMap;
use std::time::Duration;

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use anchor_lang::Discriminator;
use cross_margin::health::MarketView;
use cross_margin::oracle::OraclePrice;
use cross_margin::risk::{liquidation_target, requirement, Health};
use cross_margin::state::{Exchange, MarginAccount, Market};
use crossmargin_sdk::{accounts as decode, health as metas, instructions as ix, oracle, pda};
use solana_sdk::signature::Keypair;
use tracing::{info, warn};

use crate::chain::{Chain, ChainError};
use crate::scan;

/// The exchange, and every market with its oracle's current price (a default price when the
/// oracle cannot be read).
pub async fn load_exchange_and_markets<C: Chain>(
    chain: &mut C,
) -> Result<(Exchange, Vec<(Market, OraclePrice)>), ChainError> {
    let bad = |e: decode::DecodeError| ChainError::Unavailable(e.to_string());
    let ex = chain
        .get_account(&pda::exchange())
        .await?
        .ok_or_else(|| ChainError::Unavailable("no crossmargin exchange on this cluster".into()))?;
    let exchange = decode::decode_exchange(&ex.data).map_err(bad)?;
    let keys: Vec<Pubkey> = (0..exchange.market_count).map(pda::market).collect();
    let mut markets = Vec::new();
    for a in chain
        .get_multiple_accounts(&keys)
        .await?
        .into_iter()
        .flatten()
    {
        markets.push(decode::decode_market(&a.data).map_err(bad)?);
    }
    let oracle_keys: Vec<Pubkey> = markets.iter().map(|m| m.oracle).collect();
    let oracles = chain.get_multiple_accounts(&oracle_keys).await?;
    let markets = markets
        .into_iter()
        .zip(oracles)
        .map(|(m, o)| {
            let price = o
                .and_then(|o| oracle::read_price(&m, &o.owner, &o.data).ok())
                .unwrap_or_default();
            (m, price)
        })
        .collect();
    Ok((exchange, markets))
}

#[derive(Clone, Debug)]
pub struct KeeperConfig {
    /// Compute-unit price, micro-lamports.
    pub priority_fee: u64,
    /// Retries of a transaction that failed for a transient reason.
    pub max_retries: u32,
    /// First pause between retries; doubles each time.
    pub backoff: Duration,
    /// Liquidation passes per round (an account may need several steps).
    pub max_passes: usize,
    /// Re-run getProgramAccounts every this many rounds to find new accounts.
    pub rescan_every: u64,
}

impl Default for KeeperConfig {
    fn default() -> Self {
        KeeperConfig {
            priority_fee: 10_000,
            max_retries: 3,
            backoff: Duration::from_millis(250),
            max_passes: 8,
            rescan_every: 30,
        }
    }
}

/// What one round did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RoundReport {
    pub funding_updated: Vec<u16>,
    pub accounts_scanned: usize,
    /// Accounts found liquidatable (or still flagged under the buffer) during the round.
    pub liquidatable: Vec<Pubkey>,
    /// `liquidate` instructions that landed.
    pub liquidations: usize,
    pub failures: Vec<String>,
}

pub struct Keeper {
    authority: Keypair,
    /// The keeper's own margin account, which takes positions over.
    liquidator: Pubkey,
    pub config: KeeperConfig,
    liquidation_buffer: u32,
    markets: Vec<(Market, OraclePrice)>,
    accounts: BTreeMap<Pubkey, MarginAccount>,
    rounds: u64,
}

impl Keeper {
    pub fn new(authority: Keypair, liquidator: Pubkey, config: KeeperConfig) -> Self {
        Keeper {
            authority,
            liquidator,
            config,
            liquidation_buffer: 0,
            markets: Vec::new(),
            accounts: BTreeMap::new(),
            rounds: 0,
        }
    }

    pub fn accounts(&self) -> &BTreeMap<Pubkey, MarginAccount> {
        &self.accounts
    }

    pub fn markets(&self) -> &[(Market, OraclePrice)] {
        &self.markets
    }

    fn views(&self) -> Vec<MarketView> {
        self.markets
            .iter()
            .map(|(m, p)| MarketView::new(m, *p))
            .collect()
    }

    /// Loads the exchange, every market and its current oracle price.
    pub async fn load_markets<C: Chain>(&mut self, chain: &mut C) -> Result<(), ChainError> {
        let (exchange, markets) = load_exchange_and_markets(chain).await?;
        self.liquidation_buffer = exchange.liquidation_buffer;
        self.markets = markets;
        Ok(())
    }

    /// Finds every margin account (getProgramAccounts, filtered by size and discriminator).
    pub async fn load_accounts<C: Chain>(&mut self, chain: &mut C) -> Result<(), ChainError> {
        let all = chain
            .get_program_accounts(
                &cross_margin::ID,
                MarginAccount::SPACE,
                MarginAccount::DISCRIMINATOR,
            )
            .await?;
        self.accounts = all
            .into_iter()
            .filter_map(|(k, a)| scan::decode(&a.data).map(|d| (k, d.into_owned())))
            .collect();
        Ok(())
    }

    /// Refreshes the known accounts (getMultipleAccounts in chunks); closed ones are dropped.
    pub async fn refresh_accounts<C: Chain>(&mut self, chain: &mut C) -> Result<(), ChainError> {
        let keys: Vec<Pubkey> = self.accounts.keys().copied().collect();
        let fresh = chain.get_multiple_accounts(&keys).await?;
        for (k, a) in keys.into_iter().zip(fresh) {
            match a.as_ref().and_then(|a| scan::decode(&a.data)) {
                Some(d) => {
                    self.accounts.insert(k, d.into_owned());
                }
                None => {
                    self.accounts.remove(&k);
                }
            }
        }
        Ok(())
    }

    /// Refreshes some accounts (after a transaction changed them).
    pub async fn refresh_keys<C: Chain>(
        &mut self,
        chain: &mut C,
        keys: &[Pubkey],
    ) -> Result<(), ChainError> {
        let fresh = chain.get_multiple_accounts(keys).await?;
        for (k, a) in keys.iter().zip(fresh) {
            match a.as_ref().and_then(|a| scan::decode(&a.data)) {
                Some(d) => {
                    self.accounts.insert(*k, d.into_owned());
                }
                None => {
                    self.accounts.remove(k);
                }
            }
        }
        Ok(())
    }

    /// Accounts to liquidate now: `E < MM`, or flagged and still under the buffer.
    pub fn find_liquidatable(&self) -> Vec<(Pubkey, Health)> {
        let views = self.views();
        let mut out = Vec::new();
        for (k, a) in &self.accounts {
            if *k == self.liquidator {
                continue;
            }
            let Some(h) = scan::health(a, &views) else {
                continue;
            };
            let under_buffer =
                liquidation_target(h.maintenance_requirement, self.liquidation_buffer)
                    .map(|t| h.equity < t)
                    .unwrap_or(false);
            if h.liquidatable() || (a.being_liquidated != 0 && under_buffer) {
                out.push((*k, h));
            }
        }
        out
    }

    async fn send_with_retry<C: Chain>(
        &self,
        chain: &mut C,
        ixs: &[Instruction],
    ) -> Result<(), ChainError> {
        let mut pause = self.config.backoff;
        let mut attempt = 0;
        loop {
            match chain
                .send(ixs, &[&self.authority], self.config.priority_fee)
                .await
            {
                Ok(()) => return Ok(()),
                Err(e) if e.is_transient() && attempt < self.config.max_retries => {
                    warn!(attempt, error = %e, "transient failure, retrying");
                    tokio::time::sleep(pause).await;
                    pause *= 2;
                    attempt += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Cranks `update_funding` for every market whose period has elapsed.
    pub async fn crank_funding<C: Chain>(
        &mut self,
        chain: &mut C,
        now: i64,
    ) -> Vec<Result<u16, String>> {
        let due: Vec<(u16, Pubkey)> = self
            .markets
            .iter()
            .filter(|(m, _)| now >= m.last_funding_ts + m.funding_period_secs as i64)
            .map(|(m, _)| (m.market_index, m.oracle))
            .collect();
        let mut out = Vec::new();
        for (index, oracle) in due {
            match self
                .send_with_retry(chain, &[ix::update_funding(index, oracle)])
                .await
            {
                Ok(()) => {
                    info!(market = index, "funding updated");
                    out.push(Ok(index));
                }
                Err(e) => {
                    warn!(market = index, error = %e, "funding update failed");
                    out.push(Err(format!("update_funding {index}: {e}")));
                }
            }
        }
        out
    }

    /// The instructions that liquidate `key` now: every position in one transaction when its
    /// equity is gone, otherwise the position with the largest maintenance requirement. Each
    /// instruction's health accounts are those the accounts will hold when it runs.
    pub fn plan_liquidation(&self, key: &Pubkey, health: &Health) -> Option<Vec<Instruction>> {
        let mut lq = *self.accounts.get(key)?;
        let mut lr = *self.accounts.get(&self.liquidator)?;
        let price_of = |i: u16| {
            self.markets
                .get(i as usize)
                .map(|(_, p)| p.price)
                .unwrap_or(0)
        };
        let mm_of = |i: u16, base: i64| {
            self.markets
                .get(i as usize)
                .and_then(|(m, p)| requirement(base, p.price, m.maintenance_margin_ratio).ok())
                .unwrap_or(0)
        };
        let targets: Vec<u16> = if health.equity <= 0 {
            lq.position_market_indices()
        } else {
            let best = lq
                .open_positions()
                .max_by_key(|p| mm_of(p.market_index, p.base))?;
            vec![best.market_index]
        };
        let oracles = |i: u16| self.markets.get(i as usize).map(|(m, _)| m.oracle);
        let mut ixs = Vec::new();
        for market in targets {
            let base = lq.position(market)?.base;
            let health = metas::liquidate_health_metas(&lq, &lr, market, &oracles).ok()?;
            // never pay more (taking a long) or receive less (taking a short) than the oracle
            // price this keeper saw; the program's price is that improved by the fee
            let limit = price_of(market);
            ixs.push(ix::liquidate(
                solana_sdk::signature::Signer::pubkey(&self.authority),
                self.liquidator,
                *key,
                market,
                oracles(market)?,
                u64::MAX,
                limit,
                health,
            ));
            // (several steps are planned only when equity is gone, and then each takes the whole
            // position)
            lq.position_mut(market)?.base = 0;
            let slot = lr.position_or_free_slot(market).ok()?;
            slot.base = slot.base.saturating_add(base);
        }
        Some(ixs)
    }

    /// Liquidates every liquidatable account, pass after pass (an account may need several steps),
    /// refreshing the accounts between passes.
    pub async fn liquidate_all<C: Chain>(
        &mut self,
        chain: &mut C,
        report: &mut RoundReport,
    ) -> Result<(), ChainError> {
        for _ in 0..self.config.max_passes {
            let found = self.find_liquidatable();
            if found.is_empty() {
                break;
            }
            let mut landed = 0;
            for (key, h) in found {
                if !report.liquidatable.contains(&key) {
                    report.liquidatable.push(key);
                }
                let Some(ixs) = self.plan_liquidation(&key, &h) else {
                    report
                        .failures
                        .push(format!("{key}: cannot plan (liquidator account missing?)"));
                    continue;
                };
                info!(account = %key, equity = h.equity as i64, maintenance = h.maintenance_requirement as i64, steps = ixs.len(), "liquidating");
                match self.send_with_retry(chain, &ixs).await {
                    Ok(()) => {
                        landed += ixs.len();
                        // the next plan needs the liquidator's new positions
                        self.refresh_keys(chain, &[self.liquidator, key]).await?;
                    }
                    Err(e) => {
                        warn!(account = %key, error = %e, "liquidation failed");
                        report.failures.push(format!("{key}: {e}"));
                    }
                }
            }
            report.liquidations += landed;
            self.refresh_accounts(chain).await?;
            if landed == 0 {
                break;
            }
        }
        Ok(())
    }

    /// One round: markets and prices, accounts, funding, liquidations.
    pub async fn run_once<C: Chain>(&mut self, chain: &mut C) -> Result<RoundReport, ChainError> {
        let mut report = RoundReport::default();
        let now = chain.unix_timestamp().await?;
        self.load_markets(chain).await?;
        if self.accounts.is_empty() || self.rounds.is_multiple_of(self.config.rescan_every.max(1)) {
            self.load_accounts(chain).await?;
        } else {
            self.refresh_accounts(chain).await?;
        }
        self.rounds += 1;
        report.accounts_scanned = self.accounts.len();
        for r in self.crank_funding(chain, now).await {
            match r {
                Ok(i) => report.funding_updated.push(i),
                Err(e) => report.failures.push(e),
            }
        }
        if !report.funding_updated.is_empty() {
            self.load_markets(chain).await?;
            self.refresh_accounts(chain).await?;
        }
        self.liquidate_all(chain, &mut report).await?;
        Ok(report)
    }

    /// Runs rounds every `interval` (for ever when `rounds` is `None`).
    pub async fn run<C: Chain>(
        &mut self,
        chain: &mut C,
        interval: Duration,
        rounds: Option<u64>,
    ) -> Result<(), ChainError> {
        let mut done = 0;
        loop {
            match self.run_once(chain).await {
                Ok(r) => info!(
                    scanned = r.accounts_scanned,
                    funding = r.funding_updated.len(),
                    liquidatable = r.liquidatable.len(),
                    liquidations = r.liquidations,
                    failures = r.failures.len(),
                    "round"
                ),
                Err(e) if e.is_transient() => warn!(error = %e, "round failed"),
                Err(e) => return Err(e),
            }
            done += 1;
            if rounds.is_some_and(|n| done >= n) {
                return Ok(());
            }
            tokio::time::sleep(interval).await;
        }
    }
}
