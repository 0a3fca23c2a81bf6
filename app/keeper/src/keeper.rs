//! The keeper: funding crank, dead-market settlement, settlement of positions in settled
//! markets, trigger-order execution, and liquidation (bankruptcies resolved on the way), all in
//! v0 transactions against the exchange's lookup tables.

use std::collections::BTreeMap;
use std::time::Duration;

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use anchor_lang::Discriminator;
use backon::{BackoffBuilder, ExponentialBuilder};
use cross_margin::constants::ORACLE_DEAD_AFTER_SECS;
use cross_margin::risk::liquidation_target;
use cross_margin::state::{MarginAccount, TriggerOrders};
use crossmargin_sdk::instructions as ix;
use solana_sdk::signature::{Keypair, Signer};
use tracing::{info, warn};

use crate::chain::{send_instructions, Chain, ChainError, SendOptions};
use crate::markets::{load_exchange, ExchangeState, OracleRead};
use crate::plan::{pack, plan_liquidation, PlanError};
use crate::scan;
use crate::triggers;

#[derive(Clone, Debug)]
pub struct KeeperConfig {
    /// Compute-unit price and the margin on simulated units.
    pub send: SendOptions,
    /// Retries of a transaction that failed for a transient reason (jittered exponential
    /// backoff from `backoff`).
    pub max_retries: usize,
    pub backoff: Duration,
    /// Liquidation passes per round (an account may need several steps).
    pub max_passes: usize,
    /// Re-run getProgramAccounts every this many rounds to find new accounts.
    pub rescan_every: u64,
    /// Execute trigger orders that are due.
    pub execute_triggers: bool,
    /// Sell what the keeper took over back through these market makers (off by default).
    pub unwind: Option<Unwind>,
}

/// Unwinding through market makers: each round, every position the keeper's account holds is
/// closed with the best quote that passes the taker's checks, within `max_slippage_bps` of the
/// oracle.
#[derive(Clone, Debug)]
pub struct Unwind {
    pub makers: Vec<String>,
    pub max_slippage_bps: u32,
    pub max_compute_unit_price: u64,
}

impl Default for KeeperConfig {
    fn default() -> Self {
        KeeperConfig {
            send: SendOptions::default(),
            max_retries: 3,
            backoff: Duration::from_millis(250),
            max_passes: 8,
            rescan_every: 30,
            execute_triggers: true,
            unwind: None,
        }
    }
}

/// What one round did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RoundReport {
    pub funding_updated: Vec<u16>,
    pub accounts_scanned: usize,
    /// Markets whose oracle cannot be read; the accounts holding them are skipped.
    pub markets_unreadable: Vec<u16>,
    pub accounts_skipped: usize,
    /// Accounts found liquidatable (or still flagged under the buffer) during the round.
    pub liquidatable: Vec<Pubkey>,
    /// Liquidation instructions that landed, and the transactions that carried them.
    pub liquidations: usize,
    pub liquidation_transactions: usize,
    pub trigger_executions: usize,
    pub trigger_failures: usize,
    /// Due orders left for a later round because a market of either account had no usable
    /// price.
    pub triggers_waiting: usize,
    /// Liquidatable accounts left for a later round: none of their positions had a tradable
    /// price (stale, or in a settled market awaiting `settle_position`).
    pub liquidations_waiting: usize,
    /// Liquidatable portfolio accounts left for a later round because a leg without a tradable
    /// price hedges the tradable ones and no slice of those improves the account's health: they
    /// wait for that feed (or the market's settlement). Logged as a warning: the account's
    /// losses on its tradable legs may grow meanwhile.
    pub liquidations_waiting_hedge: usize,
    /// Liquidatable accounts the keeper took a slice of this round and could take no more of:
    /// its own margin is used up until it unwinds what it took.
    pub liquidations_beyond_margin: usize,
    /// Liquidatable accounts (and due trigger orders) the keeper could not take over because
    /// every position slot of its own account is in use: it must unwind (`--unwind-maker`) or
    /// leave them to another liquidator. Logged as a warning.
    pub liquidations_beyond_slots: usize,
    /// Positions the keeper closed through market makers, and the ones it could not.
    pub unwinds: usize,
    pub unwind_failures: Vec<String>,
    pub markets_settled: Vec<u16>,
    pub positions_settled: usize,
    pub failures: Vec<String>,
}

pub struct Keeper {
    authority: Keypair,
    /// The keeper's own margin account, which takes positions over and executes orders.
    liquidator: Pubkey,
    pub config: KeeperConfig,
    state: Option<ExchangeState>,
    accounts: BTreeMap<Pubkey, MarginAccount>,
    /// Trigger-order accounts, keyed by the margin account they belong to.
    orders: BTreeMap<Pubkey, TriggerOrders>,
    rounds: u64,
}

impl Keeper {
    pub fn new(authority: Keypair, liquidator: Pubkey, config: KeeperConfig) -> Self {
        Keeper {
            authority,
            liquidator,
            config,
            state: None,
            accounts: BTreeMap::new(),
            orders: BTreeMap::new(),
            rounds: 0,
        }
    }

    pub fn accounts(&self) -> &BTreeMap<Pubkey, MarginAccount> {
        &self.accounts
    }

    pub fn state(&self) -> Option<&ExchangeState> {
        self.state.as_ref()
    }

    fn state_ref(&self) -> Result<&ExchangeState, ChainError> {
        self.state
            .as_ref()
            .ok_or_else(|| ChainError::Unavailable("markets not loaded".into()))
    }

    /// Loads the exchange, every market and its oracle, and the lookup tables.
    pub async fn load_markets<C: Chain>(&mut self, chain: &mut C) -> Result<(), ChainError> {
        self.state = Some(load_exchange(chain).await?);
        Ok(())
    }

    /// Finds every margin account and trigger-order account (getProgramAccounts, filtered by
    /// size and discriminator).
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
        let orders = chain
            .get_program_accounts(
                &cross_margin::ID,
                TriggerOrders::SPACE,
                TriggerOrders::DISCRIMINATOR,
            )
            .await?;
        self.orders = orders
            .into_iter()
            .filter_map(|(_, a)| {
                triggers::decode(&a.data).map(|t| (t.margin_account, t.into_owned()))
            })
            .collect();
        Ok(())
    }

    /// Refreshes the known accounts (getMultipleAccounts in chunks); closed ones are dropped.
    pub async fn refresh_accounts<C: Chain>(&mut self, chain: &mut C) -> Result<(), ChainError> {
        let keys: Vec<Pubkey> = self.accounts.keys().copied().collect();
        self.refresh_keys(chain, &keys).await?;
        let owners: Vec<Pubkey> = self.orders.keys().copied().collect();
        let keys: Vec<Pubkey> = owners
            .iter()
            .map(crossmargin_sdk::pda::trigger_orders)
            .collect();
        let fresh = chain.get_multiple_accounts(&keys).await?;
        for (owner, a) in owners.into_iter().zip(fresh) {
            match a.as_ref().and_then(|a| triggers::decode(&a.data)) {
                Some(t) => {
                    self.orders.insert(owner, t.into_owned());
                }
                None => {
                    self.orders.remove(&owner);
                }
            }
        }
        Ok(())
    }

    /// Refreshes some margin accounts (after a transaction changed them).
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

    /// Accounts to liquidate now: `E < MM` in their mode, or flagged and still under the buffer
    /// (`risk::liquidation_target`). Accounts holding a market without a usable price are
    /// skipped and counted.
    pub fn find_liquidatable(&self) -> (Vec<Pubkey>, usize) {
        let Some(state) = &self.state else {
            return (Vec::new(), 0);
        };
        let views = state.views(cross_margin::oracle::OracleUse::Liquidation);
        let mut out = Vec::new();
        let mut skipped = 0;
        for (k, a) in &self.accounts {
            if *k == self.liquidator || !a.has_open_positions() {
                continue;
            }
            let Some(h) = scan::health(a, &views) else {
                skipped += 1;
                continue;
            };
            let under_buffer =
                liquidation_target(h.maintenance_requirement, state.exchange.liquidation_buffer)
                    .map(|t| h.equity < t)
                    .unwrap_or(false);
            if h.liquidatable() || (a.being_liquidated != 0 && under_buffer) {
                out.push(*k);
            }
        }
        (out, skipped)
    }

    /// Sends `ixs` as one transaction, retrying transient failures with jittered exponential
    /// backoff.
    async fn send<C: Chain>(&self, chain: &mut C, ixs: &[Instruction]) -> Result<(), ChainError> {
        let tables = self
            .state
            .as_ref()
            .map(|s| s.tables.clone())
            .unwrap_or_default();
        let mut delays = ExponentialBuilder::default()
            .with_min_delay(self.config.backoff)
            .with_max_times(self.config.max_retries)
            .with_jitter()
            .build();
        loop {
            match send_instructions(chain, ixs, &[&self.authority], &tables, &self.config.send)
                .await
            {
                Ok(_) => return Ok(()),
                Err(e) if e.is_transient() => match delays.next() {
                    Some(pause) => {
                        warn!(error = %e, ?pause, "transient failure, retrying");
                        tokio::time::sleep(pause).await;
                    }
                    None => return Err(e),
                },
                Err(e) => return Err(e),
            }
        }
    }

    /// Cranks `update_funding` for every market whose period has elapsed (a settled market's
    /// crank only sweeps its fees).
    pub async fn crank_funding<C: Chain>(
        &mut self,
        chain: &mut C,
        report: &mut RoundReport,
    ) -> Result<(), ChainError> {
        let state = self.state_ref()?;
        let due: Vec<(u16, Pubkey)> = state
            .markets
            .values()
            .filter(|m| state.now >= m.market.last_funding_ts + m.market.funding_period_secs as i64)
            .filter(|m| m.market.is_settled() || m.trading_price(state.now).is_some())
            .map(|m| (m.market.market_index, m.market.oracle))
            .collect();
        for (index, oracle) in due {
            match self.send(chain, &[ix::update_funding(index, oracle)]).await {
                Ok(()) => {
                    info!(market = index, "funding updated");
                    report.funding_updated.push(index);
                }
                Err(e) => {
                    warn!(market = index, error = %e, "funding update failed");
                    report.failures.push(format!("update_funding {index}: {e}"));
                }
            }
        }
        Ok(())
    }

    /// Settles markets whose oracle is dead (`ORACLE_DEAD_AFTER_SECS` without a valid price),
    /// then closes every position held in a settled market.
    pub async fn settle<C: Chain>(
        &mut self,
        chain: &mut C,
        report: &mut RoundReport,
    ) -> Result<(), ChainError> {
        let state = self.state_ref()?;
        let now = state.now;
        let dead: Vec<(u16, Pubkey)> = state
            .markets
            .values()
            .filter(|m| !m.market.is_settled())
            .filter(|m| now - m.market.last_oracle_publish_time > ORACLE_DEAD_AFTER_SECS)
            .filter(|m| match &m.oracle {
                OracleRead::Price(p) => now - p.publish_time > ORACLE_DEAD_AFTER_SECS,
                OracleRead::Unreadable(_) => true,
            })
            .map(|m| (m.market.market_index, m.market.oracle))
            .collect();
        for (index, oracle) in dead {
            match self
                .send(chain, &[ix::settle_dead_market(index, oracle)])
                .await
            {
                Ok(()) => {
                    warn!(market = index, "market settled: its oracle is dead");
                    report.markets_settled.push(index);
                }
                Err(e) => report
                    .failures
                    .push(format!("settle_dead_market {index}: {e}")),
            }
        }
        if !report.markets_settled.is_empty() {
            self.load_markets(chain).await?;
        }
        let state = self.state_ref()?;
        let settled: Vec<u16> = state
            .markets
            .values()
            .filter(|m| m.market.is_settled())
            .map(|m| m.market.market_index)
            .collect();
        if settled.is_empty() {
            return Ok(());
        }
        let mut ixs = Vec::new();
        for (key, a) in &self.accounts {
            let mut left = a.open_position_count();
            for p in a.open_positions() {
                if settled.contains(&p.market_index) {
                    ixs.push(ix::settle_position(p.market_index, *key, left == 1));
                    left -= 1;
                }
            }
        }
        for ix in ixs {
            let account = ix.accounts[2].pubkey;
            match self.send(chain, std::slice::from_ref(&ix)).await {
                Ok(()) => report.positions_settled += 1,
                Err(e) => report
                    .failures
                    .push(format!("settle_position {account}: {e}")),
            }
        }
        self.refresh_accounts(chain).await
    }

    /// Executes every trigger order that is due, with the keeper's account on the other side.
    pub async fn execute_triggers<C: Chain>(
        &mut self,
        chain: &mut C,
        report: &mut RoundReport,
    ) -> Result<(), ChainError> {
        let state = self.state_ref()?;
        let Some(executor) = self.accounts.get(&self.liquidator).copied() else {
            return Ok(());
        };
        let mut due = Vec::new();
        for (trader_key, t) in &self.orders {
            if *trader_key == self.liquidator {
                continue;
            }
            let Some(trader) = self.accounts.get(trader_key) else {
                continue;
            };
            for o in t.active() {
                let Some(m) = state.markets.get(&o.market_index) else {
                    continue;
                };
                let Some(p) = m.trading_price(state.now) else {
                    continue;
                };
                let base = trader.position(o.market_index).map_or(0, |p| p.base);
                if triggers::is_due(o, base, p.price, p.publish_time, state.now) {
                    due.push((*trader_key, *o));
                }
            }
        }
        let authority = self.authority.pubkey();
        for (trader_key, order) in due {
            // the account as it is now: an earlier execution this round may have changed it
            let Some(trader) = self.accounts.get(&trader_key).copied() else {
                continue;
            };
            let executor = self
                .accounts
                .get(&self.liquidator)
                .copied()
                .unwrap_or(executor);
            let state = self.state_ref()?;
            let planned = triggers::plan_execution(
                state,
                authority,
                self.liquidator,
                &executor,
                trader_key,
                &trader,
                &order,
            );
            match planned {
                Ok(i) => match self.send(chain, &[i]).await {
                    Ok(()) => {
                        info!(account = %trader_key, order = order.id, "trigger order executed");
                        report.trigger_executions += 1;
                        self.refresh_keys(chain, &[self.liquidator, trader_key])
                            .await?;
                    }
                    Err(e) => {
                        warn!(account = %trader_key, order = order.id, error = %e, "trigger order failed");
                        report.trigger_failures += 1;
                        report
                            .failures
                            .push(format!("trigger {trader_key}#{}: {e}", order.id));
                    }
                },
                // a market of either account has no usable price now: the next round retries
                // or the delegate that placed it may not execute it now: not the keeper's failure
                Err(
                    PlanError::NoPrice(_)
                    | PlanError::DelegateLimits
                    | PlanError::MarketStatus(_)
                    | PlanError::TraderMargin,
                ) => report.triggers_waiting += 1,
                Err(e @ PlanError::KeeperSlotsFull) => {
                    warn!(account = %trader_key, order = order.id, reason = %e, "trigger order waits");
                    report.liquidations_beyond_slots += 1;
                }
                Err(e) => {
                    report.trigger_failures += 1;
                    report
                        .failures
                        .push(format!("trigger {trader_key}#{}: {e}", order.id));
                }
            }
        }
        self.refresh_accounts(chain).await
    }

    /// Liquidates every liquidatable account, pass after pass (an account may need several
    /// steps), refreshing the accounts between passes. Each plan's instructions are packed into
    /// as few transactions as the limits allow.
    pub async fn liquidate_all<C: Chain>(
        &mut self,
        chain: &mut C,
        report: &mut RoundReport,
    ) -> Result<(), ChainError> {
        // accounts whose every position (or a hedge of the tradable ones) is in a market without
        // a tradable price: the program never takes over at a stale price, so they wait for one
        // (or for settlement)
        let mut waiting = std::collections::BTreeSet::new();
        // accounts the keeper took a slice of this round
        let mut sliced = std::collections::BTreeSet::new();
        for _ in 0..self.config.max_passes {
            let (mut found, skipped) = self.find_liquidatable();
            report.accounts_skipped = report.accounts_skipped.max(skipped);
            found.retain(|k| !waiting.contains(k));
            if found.is_empty() {
                break;
            }
            let mut landed = 0;
            for key in found {
                if !report.liquidatable.contains(&key) {
                    report.liquidatable.push(key);
                }
                let state = self.state_ref()?;
                let (Some(liquidator), Some(liquidatee)) =
                    (self.accounts.get(&self.liquidator), self.accounts.get(&key))
                else {
                    report
                        .failures
                        .push(format!("{key}: {}", PlanError::NoLiquidatorAccount));
                    continue;
                };
                let plan = match plan_liquidation(
                    state,
                    self.authority.pubkey(),
                    self.liquidator,
                    liquidator,
                    key,
                    liquidatee,
                ) {
                    Ok(p) => p,
                    Err(e @ PlanError::NothingTradable) => {
                        info!(account = %key, reason = %e, "liquidatable, but waits for a price");
                        waiting.insert(key);
                        report.liquidations_waiting += 1;
                        continue;
                    }
                    Err(e @ PlanError::KeeperSlotsFull) => {
                        warn!(account = %key, reason = %e, "liquidatable, but the keeper's slots are full");
                        waiting.insert(key);
                        report.liquidations_beyond_slots += 1;
                        continue;
                    }
                    Err(e @ PlanError::HedgeUntradable) => {
                        warn!(account = %key, reason = %e, "liquidatable, but its hedge waits for a price");
                        waiting.insert(key);
                        report.liquidations_waiting_hedge += 1;
                        continue;
                    }
                    // the keeper already took what its margin carries this round: the rest
                    // waits until it unwinds (a keeper that can take nothing at all fails below)
                    Err(PlanError::KeeperTooSmall(_)) if sliced.contains(&key) => {
                        info!(account = %key, "the keeper's margin is used up for this account");
                        waiting.insert(key);
                        report.liquidations_beyond_margin += 1;
                        continue;
                    }
                    Err(e) => {
                        warn!(account = %key, error = %e, "cannot plan a liquidation");
                        report.failures.push(format!("{key}: {e}"));
                        continue;
                    }
                };
                let batches = match pack(&chain.payer().pubkey(), &plan.instructions, &state.tables)
                {
                    Ok(b) => b,
                    Err(e) => {
                        report.failures.push(format!("{key}: {e}"));
                        continue;
                    }
                };
                info!(account = %key, steps = plan.instructions.len(), transactions = batches.len(), "liquidating");
                for batch in batches {
                    match self.send(chain, &batch).await {
                        Ok(()) => {
                            landed += batch.len();
                            report.liquidation_transactions += 1;
                            sliced.insert(key);
                        }
                        Err(e) => {
                            warn!(account = %key, error = %e, "liquidation failed");
                            report.failures.push(format!("{key}: {e}"));
                            break;
                        }
                    }
                }
                // the next plan needs both accounts' new positions
                self.refresh_keys(chain, &[self.liquidator, key]).await?;
            }
            report.liquidations += landed;
            self.load_markets(chain).await?;
            self.refresh_accounts(chain).await?;
            if landed == 0 {
                break;
            }
        }
        Ok(())
    }

    /// One round: markets and prices, accounts, funding, settlement, trigger orders,
    /// liquidations.
    pub async fn run_once<C: Chain>(&mut self, chain: &mut C) -> Result<RoundReport, ChainError> {
        let mut report = RoundReport::default();
        self.load_markets(chain).await?;
        if self.accounts.is_empty() || self.rounds.is_multiple_of(self.config.rescan_every.max(1)) {
            self.load_accounts(chain).await?;
        } else {
            self.refresh_accounts(chain).await?;
        }
        self.rounds += 1;
        report.accounts_scanned = self.accounts.len();
        report.markets_unreadable = self.state_ref()?.unreadable();
        for m in &report.markets_unreadable {
            warn!(
                market = m,
                "oracle unreadable: accounts holding this market are skipped"
            );
        }
        self.crank_funding(chain, &mut report).await?;
        if !report.funding_updated.is_empty() {
            self.load_markets(chain).await?;
            self.refresh_accounts(chain).await?;
        }
        self.settle(chain, &mut report).await?;
        if self.config.execute_triggers {
            self.execute_triggers(chain, &mut report).await?;
        }
        self.liquidate_all(chain, &mut report).await?;
        if let Some(u) = self.config.unwind.clone() {
            self.unwind(chain, &u, &mut report).await?;
        }
        Ok(report)
    }

    /// Closes every position of the keeper's account through the makers of `u`.
    async fn unwind<C: Chain>(
        &mut self,
        chain: &mut C,
        u: &Unwind,
        report: &mut RoundReport,
    ) -> Result<(), ChainError> {
        self.refresh_keys(chain, &[self.liquidator]).await?;
        let Some(me) = self.accounts.get(&self.liquidator).copied() else {
            return Ok(());
        };
        for p in me.open_positions() {
            let req = crate::rfq::TakeRequest {
                sub_account: me.sub_account_id,
                market_index: p.market_index,
                size: -p.base,
                max_slippage_bps: u.max_slippage_bps,
                max_compute_unit_price: u.max_compute_unit_price,
                makers: u.makers.clone(),
                timeout: Duration::from_secs(10),
            };
            match crate::rfq::take(chain, &self.authority, &req).await {
                Ok(r) => {
                    let (maker, price, _) = r.taken.expect("a taken quote");
                    info!(market = p.market_index, base = -p.base, price, %maker, "unwound");
                    report.unwinds += 1;
                }
                Err(e) => {
                    warn!(market = p.market_index, error = %e, "cannot unwind");
                    report
                        .unwind_failures
                        .push(format!("market {}: {e}", p.market_index));
                }
            }
        }
        self.refresh_keys(chain, &[self.liquidator]).await
    }

    /// Runs rounds every `interval` (for ever when `rounds` is `None`). Returns the last round's
    /// report; a round whose chain was unreachable is an error once `rounds` are done.
    pub async fn run<C: Chain>(
        &mut self,
        chain: &mut C,
        interval: Duration,
        rounds: Option<u64>,
    ) -> Result<RoundReport, ChainError> {
        let mut done = 0;
        loop {
            let last = match self.run_once(chain).await {
                Ok(r) => {
                    info!(
                        scanned = r.accounts_scanned,
                        funding = r.funding_updated.len(),
                        liquidatable = r.liquidatable.len(),
                        liquidations = r.liquidations,
                        triggers = r.trigger_executions,
                        settled = r.positions_settled,
                        skipped = r.accounts_skipped,
                        failures = r.failures.len(),
                        "round"
                    );
                    Ok(r)
                }
                Err(e) if e.is_transient() => {
                    warn!(error = %e, "round failed");
                    Err(e)
                }
                Err(e) => return Err(e),
            };
            done += 1;
            if rounds.is_some_and(|n| done >= n) {
                return last;
            }
            tokio::time::sleep(interval).await;
        }
    }
}
