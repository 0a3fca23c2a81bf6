//! `crossmargin demo`: the whole system on an in-process chain. The program runs natively inside
//! solana-program-test with the real SPL Token and address lookup table programs; Pyth accounts
//! are written in their real layouts at the addresses the program accepts. The operator lists
//! markets through the timelock, traders deposit and a market maker co-signs their fills, one
//! trader hedges in portfolio margin, one protects a position with a stop-loss, prices crash, the
//! keeper executes the stop-loss, cranks funding and liquidates (two bankruptcies on the way),
//! and a final line checks solvency.

use std::fmt::Write;

use anchor_lang::prelude::Pubkey;
use cross_margin::events::{Bankruptcy, Liquidated, TriggerOrderExecuted};
use cross_margin::instructions::TriggerOrderParams;
use cross_margin::risk::{funding_owed, MarginMode, TriggerKind};
use cross_margin::state::{AdminAction, MarginAccount, MarketParams, OracleSource};
use crossmargin_keeper::embedded::bootstrap::{
    fixed_table_accounts, market_table_accounts, oracle_address,
};
use crossmargin_keeper::embedded::{EmbeddedChain, Failure};
use crossmargin_keeper::pyth::Quote;
use crossmargin_keeper::{load_exchange, Chain, Keeper, KeeperConfig};
use crossmargin_sdk::events::events;
use crossmargin_sdk::risk::account_report;
use crossmargin_sdk::{accounts as decode, health, instructions as ix, pda};
use solana_sdk::signature::{Keypair, Signer};

use crate::error::CliError;
use crate::table::{money, Table};
use crate::{base_units, usd_price, usdc};

/// The demo starts one timelock delay before this time (2025-06-15), when listing executes.
const START: i64 = 1_750_000_000;
const DAY: i64 = 86_400;
const USDC: u64 = 1_000_000;
const ONE: i64 = 1_000_000_000;
const DOLLAR: i64 = 1_000_000;

struct Trader {
    name: &'static str,
    key: Keypair,
    usdc: Pubkey,
    account: Pubkey,
}

struct MarketDef {
    symbol: &'static str,
    source: OracleSource,
    feed: [u8; 32],
    oracle: Pubkey,
    price: i64,
    params: MarketParams,
}

fn fail(what: &str) -> impl Fn(Failure) -> CliError + '_ {
    move |f| {
        CliError::new(format!(
            "demo step '{what}' failed: {:?} {:?}",
            f.error,
            crossmargin_keeper::chain::anchor_error_from_logs(&f.logs)
        ))
    }
}

fn symbol(s: &str) -> [u8; 16] {
    let mut out = [0u8; 16];
    out[..s.len()].copy_from_slice(s.as_bytes());
    out
}

#[allow(clippy::too_many_arguments)]
fn params(
    im: u32,
    mm: u32,
    liq: u32,
    ins: u32,
    lot: u64,
    min: u64,
    cap: u64,
    share: u32,
) -> MarketParams {
    MarketParams {
        initial_margin_ratio: im,
        maintenance_margin_ratio: mm,
        liquidation_fee: liq,
        insurance_fee: ins,
        upnl_initial_weight: 800_000,
        taker_fee: 500,
        maker_fee: -100,
        price_band: 50_000,
        max_conf_ratio: 20_000,
        max_oracle_age_secs: 60,
        liquidation_max_oracle_age_secs: 300,
        max_funding_premium: 20_000,
        funding_period_secs: 3_600,
        base_lot_size: lot,
        min_position_base: min,
        open_interest_cap: cap,
        margin_group: 1,
        systematic_share: share,
    }
}

struct Demo {
    chain: EmbeddedChain,
    out: String,
    now: i64,
    mint: Pubkey,
    mint_authority: Keypair,
    markets: Vec<MarketDef>,
    traders: Vec<(Pubkey, &'static str)>,
}

impl Demo {
    fn say(&mut self, text: impl AsRef<str>) {
        let _ = writeln!(self.out, "{}", text.as_ref());
    }

    async fn write_oracle(&mut self, i: usize) {
        let m = &self.markets[i];
        let q = Quote {
            price: m.price,
            conf: (m.price / 2_000) as u64,
            ema: m.price,
            publish_time: self.now,
        };
        let (key, source, feed) = (m.oracle, m.source, m.feed);
        self.chain.write_oracle(key, source, feed, q).await;
    }

    async fn trader(&mut self, name: &'static str, deposit: u64) -> Result<Trader, CliError> {
        let key = Keypair::new();
        self.chain
            .airdrop(&key.pubkey(), 1_000_000_000)
            .await
            .map_err(fail("airdrop"))?;
        let token = self
            .chain
            .create_token_account(&self.mint, &key.pubkey())
            .await
            .map_err(fail("token account"))?;
        let account = pda::margin_account(&key.pubkey(), 0);
        let mut ixs = vec![ix::create_margin_account(key.pubkey(), 0)];
        if deposit > 0 {
            let auth = self.mint_authority.insecure_clone();
            self.chain
                .mint_to(&self.mint, &token, &auth, deposit)
                .await
                .map_err(fail("mint"))?;
            ixs.push(ix::deposit(key.pubkey(), account, token, deposit));
        }
        self.chain
            .send_with_logs(&ixs, &[&key], 0)
            .await
            .map_err(fail("create and deposit"))?;
        self.traders.push((account, name));
        Ok(Trader {
            name,
            key,
            usdc: token,
            account,
        })
    }

    fn name(&self, k: &Pubkey) -> &'static str {
        self.traders
            .iter()
            .find(|(a, _)| a == k)
            .map(|(_, n)| *n)
            .unwrap_or("?")
    }

    fn oracles(&self) -> Vec<Pubkey> {
        self.markets.iter().map(|m| m.oracle).collect()
    }

    async fn fill(
        &mut self,
        taker: &Trader,
        maker: &Trader,
        market: u16,
        base: i64,
        price: i64,
    ) -> Result<(), CliError> {
        let t = self.margin_account(&taker.account).await?;
        let m = self.margin_account(&maker.account).await?;
        let oracles = self.oracles();
        let metas =
            health::fill_health_metas(&t, &m, market, &|i: u16| oracles.get(i as usize).copied())
                .map_err(|e| CliError::new(e.to_string()))?;
        let i = ix::fill(
            taker.key.pubkey(),
            maker.key.pubkey(),
            taker.account,
            maker.account,
            market,
            oracles[market as usize],
            base,
            price,
            metas,
        );
        self.chain
            .send_with_logs(&[i], &[&taker.key, &maker.key], 0)
            .await
            .map_err(fail("fill"))?;
        let side = if base > 0 { "buys" } else { "sells" };
        let line = format!(
            "  {:<6} {side} {:>7.3} {} at {:>10} from the {}",
            taker.name,
            base_units(base.abs()),
            self.markets[market as usize].symbol,
            money(usd_price(price)),
            maker.name
        );
        self.say(line);
        Ok(())
    }

    async fn margin_account(&mut self, key: &Pubkey) -> Result<MarginAccount, CliError> {
        let a = self
            .chain
            .get_account(key)
            .await?
            .ok_or_else(|| CliError::new(format!("no account {key}")))?;
        decode::decode_margin_account(&a.data).map_err(|e| CliError::new(e.to_string()))
    }

    async fn set_prices(&mut self, prices: &[i64]) {
        for (i, p) in prices.iter().enumerate() {
            self.markets[i].price = *p;
            self.write_oracle(i).await;
        }
    }

    async fn advance(&mut self, secs: i64) {
        self.now += secs;
        self.chain.set_time(self.now).await;
        for i in 0..self.markets.len() {
            self.write_oracle(i).await;
        }
    }

    async fn accounts_table(&mut self, traders: &[&Trader], title: &str) -> Result<(), CliError> {
        let state = load_exchange(&mut self.chain).await?;
        let markets = state.priced_markets();
        let mut t = Table::new(&[
            "account",
            "mode",
            "collateral",
            "equity",
            "initial req.",
            "maint. req.",
            "free coll.",
            "leverage",
            "state",
        ]);
        let mut p = Table::new(&[
            "account",
            "market",
            "base",
            "entry",
            "oracle",
            "uPnL",
            "liq. price",
        ]);
        for tr in traders {
            let a = self.margin_account(&tr.account).await?;
            let r = account_report(&a, &markets, None)?;
            let state = if r.liquidatable {
                "LIQUIDATABLE"
            } else if a.being_liquidated != 0 {
                "being liquidated"
            } else {
                "ok"
            };
            t.row(vec![
                tr.name.to_string(),
                match r.margin_mode {
                    MarginMode::Standard => "standard".into(),
                    MarginMode::Portfolio => "portfolio".into(),
                },
                money(usdc(r.collateral)),
                money(usdc(r.equity)),
                money(usdc(r.initial_requirement)),
                money(usdc(r.maintenance_requirement)),
                money(usdc(r.free_collateral)),
                r.effective_leverage
                    .map(|l| format!("{:.2}x", l as f64 / 1e6))
                    .unwrap_or_else(|| "-".into()),
                state.to_string(),
            ]);
            for x in &r.positions {
                p.row(vec![
                    tr.name.to_string(),
                    x.symbol.clone(),
                    format!("{:.3}", base_units(x.base)),
                    money(usd_price(x.entry_price)),
                    money(usd_price(x.oracle_price)),
                    money(usdc(x.unrealized_pnl)),
                    x.liquidation_price
                        .map(|l| money(usd_price(l)))
                        .unwrap_or_else(|| "-".into()),
                ]);
            }
        }
        let text = format!("\n{title}\n{}\n{}", t.render(), p.render());
        self.say(text);
        Ok(())
    }

    /// What the keeper's transactions since journal entry `from` did, from their events.
    fn keeper_story(&mut self, from: u64) {
        let logs: Vec<Vec<String>> = self
            .chain
            .journal_since(from)
            .filter(|p| p.error.is_none())
            .map(|p| p.logs.clone())
            .collect();
        for l in &logs {
            for e in events::<TriggerOrderExecuted>(l) {
                let line = format!(
                    "   stop-loss #{} of {}: sold {:.3} {} at {} (oracle {}, less the executor's premium; limit {}), trader fee {}",
                    e.order_id,
                    self.name(&e.margin_account),
                    base_units(e.base_delta.abs()),
                    self.markets[e.market_index as usize].symbol,
                    money(usd_price(e.price)),
                    money(usd_price(e.oracle_price)),
                    money(usd_price(e.limit_price)),
                    money(usdc(e.trader_fee)),
                );
                self.say(line);
            }
            for e in events::<Liquidated>(l) {
                let line = format!(
                    "   liquidated {}: {:.3} {} taken at {} (oracle {}): liquidation fee {} to the keeper, insurance fee {}; E {} -> {}, MM {} -> {}{}",
                    self.name(&e.liquidatee),
                    base_units(e.liquidatee_base_delta.abs()),
                    self.markets[e.market_index as usize].symbol,
                    money(usd_price(e.price)),
                    money(usd_price(e.oracle_price)),
                    money(usdc(e.liquidation_fee)),
                    money(usdc(e.insurance_fee)),
                    money(usdc(e.equity_before)),
                    money(usdc(e.equity_after)),
                    money(usdc(e.maintenance_before)),
                    money(usdc(e.maintenance_after)),
                    if e.being_liquidated { " (still flagged)" } else { "" },
                );
                self.say(line);
            }
            for e in events::<Bankruptcy>(l) {
                let line = format!(
                    "   bankruptcy of {}: deficit {} = insurance {} + socialized {} over {:.3} {} of open interest (the keeper's own earlier position paid {}) + bad debt {}",
                    self.name(&e.margin_account),
                    money(usdc(e.deficit as i64)),
                    money(usdc(e.insurance_paid as i64)),
                    money(usdc(e.socialized as i64)),
                    base_units(e.open_interest as i64),
                    self.markets[e.market_index as usize].symbol,
                    money(usdc(e.liquidator_share as i64)),
                    money(usdc(e.bad_debt as i64)),
                );
                self.say(line);
            }
        }
    }

    /// Vault balance against every claim: collateral and position quote net of owed funding,
    /// plus insurance and fees awaiting the next funding update, minus recorded bad debt.
    async fn solvency(&mut self) -> Result<(i128, i128, cross_margin::state::Exchange), CliError> {
        let state = load_exchange(&mut self.chain).await?;
        let exchange = state.exchange.clone();
        let mut claims: i128 = exchange.insurance_balance as i128;
        for m in state.markets.values() {
            claims += m.market.insurance_fees_pending as i128;
        }
        let accounts = self
            .chain
            .get_program_accounts(
                &cross_margin::ID,
                MarginAccount::SPACE,
                <MarginAccount as anchor_lang::Discriminator>::DISCRIMINATOR,
            )
            .await?;
        for (_, a) in accounts {
            let a =
                decode::decode_margin_account(&a.data).map_err(|e| CliError::new(e.to_string()))?;
            claims += a.collateral as i128;
            for p in a.open_positions() {
                let m = &state.markets[&p.market_index].market;
                claims += p.quote as i128
                    - funding_owed(p.base, m.funding_index(p.base), p.funding_snapshot)? as i128;
            }
        }
        let vault = self.chain.token_balance(&pda::vault()).await as i128;
        Ok((vault, claims - exchange.bad_debt as i128, exchange))
    }
}

/// Runs the demo and returns its story.
pub async fn run() -> Result<String, CliError> {
    let mut chain = EmbeddedChain::start().await;
    chain.set_time(START - DAY).await;
    let mint_authority = Keypair::new();
    let mint = chain
        .create_mint(&mint_authority.pubkey(), 6)
        .await
        .map_err(fail("mint"))?;
    let defs = [
        (
            "ETH-PERP",
            OracleSource::PythPull,
            [1u8; 32],
            3_000 * DOLLAR,
            params(
                100_000,
                50_000,
                10_000,
                5_000,
                1_000_000,
                10_000_000,
                10_000 * ONE as u64,
                700_000,
            ),
        ),
        (
            "BTC-PERP",
            OracleSource::PythLegacy,
            [0u8; 32],
            60_000 * DOLLAR,
            params(
                50_000,
                25_000,
                5_000,
                2_500,
                100_000,
                1_000_000,
                500 * ONE as u64,
                700_000,
            ),
        ),
        (
            "SOL-PERP",
            OracleSource::PythPull,
            [3u8; 32],
            150 * DOLLAR,
            params(
                200_000,
                100_000,
                20_000,
                10_000,
                10_000_000,
                100_000_000,
                200_000 * ONE as u64,
                500_000,
            ),
        ),
    ];
    let markets = defs
        .iter()
        .map(|(s, source, feed, price, params)| MarketDef {
            symbol: s,
            source: *source,
            feed: *feed,
            oracle: oracle_address(*source, feed),
            price: *price,
            params: *params,
        })
        .collect();
    let mut d = Demo {
        chain,
        out: String::new(),
        now: START - DAY,
        mint,
        mint_authority,
        markets,
        traders: Vec::new(),
    };
    d.say("crossmargin demo: the program runs natively in an in-process chain (solana-program-test, real SPL Token and lookup-table programs)\n");

    // 1. Exchange, timelocked listing, lookup table
    let admin = Keypair::new();
    let guardian = Keypair::new();
    d.chain
        .airdrop(&admin.pubkey(), 10_000_000_000)
        .await
        .map_err(fail("airdrop"))?;
    d.chain.write_program_data(Some(admin.pubkey())).await;
    d.chain
        .send_with_logs(
            &[ix::initialize_exchange(
                admin.pubkey(),
                mint,
                200_000,
                guardian.pubkey(),
                DAY as u32,
            )],
            &[&admin],
            0,
        )
        .await
        .map_err(fail("initialize_exchange"))?;
    let mut table_accounts = fixed_table_accounts(&mint);
    let mut actions = Vec::new();
    let mut mt = Table::new(&[
        "market",
        "oracle",
        "price",
        "initial",
        "maint.",
        "liq. fee",
        "group share",
        "OI cap",
    ]);
    for i in 0..d.markets.len() {
        d.write_oracle(i).await;
        let m = &d.markets[i];
        actions.push(AdminAction::AddMarket {
            symbol: symbol(m.symbol),
            oracle: m.oracle,
            oracle_source: m.source,
            pyth_feed_id: m.feed,
            tokens_per_contract: 1,
            params: m.params,
        });
        table_accounts.extend(market_table_accounts(i as u16, m.oracle));
        mt.row(vec![
            m.symbol.into(),
            match m.source {
                OracleSource::PythPull => "Pyth pull (sponsored)".into(),
                OracleSource::PythLegacy => "Pyth legacy".into(),
            },
            money(usd_price(m.price)),
            format!("{}%", m.params.initial_margin_ratio as f64 / 1e4),
            format!("{}%", m.params.maintenance_margin_ratio as f64 / 1e4),
            format!("{}%", m.params.liquidation_fee as f64 / 1e4),
            format!("{}%", m.params.systematic_share as f64 / 1e4),
            format!("{}", m.params.open_interest_cap / ONE as u64),
        ]);
    }
    let table = d
        .chain
        .create_lookup_table(&admin, &table_accounts)
        .await
        .map_err(fail("lookup table"))?;
    actions.push(AdminAction::SetLookupTables {
        tables: vec![table],
    });
    actions.push(AdminAction::SetPortfolioMargin { enabled: true });
    let n_actions = actions.len();
    let count = d.markets.len();
    let snapshot: Vec<(Pubkey, OracleSource, [u8; 32], i64)> = d
        .markets
        .iter()
        .map(|m| (m.oracle, m.source, m.feed, m.price))
        .collect();
    d.chain
        .queue_and_execute(&admin, actions, async |chain: &mut EmbeddedChain| {
            let now = chain.now().await;
            for (key, source, feed, price) in &snapshot {
                let q = Quote {
                    price: *price,
                    conf: (*price / 2_000) as u64,
                    ema: *price,
                    publish_time: now,
                };
                chain.write_oracle(*key, *source, *feed, q).await;
            }
        })
        .await
        .map_err(fail("timelocked listing"))?;
    d.now = START;
    d.chain.use_exchange_tables().await;
    let line = format!(
        "1. The upgrade authority creates the exchange (liquidation buffer 20%, a guardian, a 1-day timelock) and queues\n   {n_actions} changes: {count} markets, the lookup table ({} addresses) and portfolio margin. They are visible on chain\n   for the whole day (the guardian could cancel any); a day later anyone executes them.\n{}",
        table_accounts.len(),
        mt.render()
    );
    d.say(line);

    // 2. Traders
    let mm = d.trader("maker", 5_000_000 * USDC).await?;
    let keeper_t = d.trader("keeper", 100_000 * USDC).await?;
    let alice = d.trader("alice", 20_000 * USDC).await?;
    let bob = d.trader("bob", 2_400 * USDC).await?;
    let carol = d.trader("carol", 610 * USDC).await?;
    let dave = d.trader("dave", 1_500 * USDC).await?;
    let erin = d.trader("erin", 1_500 * USDC).await?;
    let donor = d.trader("fund", 0).await?;
    let auth = d.mint_authority.insecure_clone();
    d.chain
        .mint_to(&mint, &donor.usdc, &auth, 500 * USDC)
        .await
        .map_err(fail("mint"))?;
    d.chain
        .send_with_logs(
            &[ix::deposit_insurance(
                donor.key.pubkey(),
                donor.usdc,
                500 * USDC,
            )],
            &[&donor.key],
            0,
        )
        .await
        .map_err(fail("deposit_insurance"))?;
    d.say("2. Deposits: alice 20,000, bob 2,400, carol 610, dave and erin 1,500 each, the maker 5,000,000, the keeper 100,000;\n   500 into insurance\n\n3. Fills (the maker co-signs every taker's transaction, a v0 transaction against the lookup table)");
    d.fill(&alice, &mm, 0, 5 * ONE, 3_010 * DOLLAR).await?;
    d.fill(&alice, &mm, 1, -ONE / 4, 59_950 * DOLLAR).await?;
    d.fill(&bob, &mm, 0, 5 * ONE, 3_000 * DOLLAR).await?;
    d.fill(&carol, &mm, 2, -20 * ONE, 150 * DOLLAR).await?;
    d.fill(&dave, &mm, 0, 4 * ONE, 3_000 * DOLLAR).await?;
    d.fill(&erin, &mm, 0, 4 * ONE, 3_000 * DOLLAR).await?;

    // alice hedges in portfolio margin
    let before = d.margin_account(&alice.account).await?;
    let state = load_exchange(&mut d.chain).await?;
    let r_before = account_report(&before, &state.priced_markets(), None)?;
    let oracles = d.oracles();
    let metas = health::health_metas_for(&[&before], &|i: u16| oracles.get(i as usize).copied())
        .map_err(|e| CliError::new(e.to_string()))?;
    d.chain
        .send_with_logs(
            &[ix::set_margin_mode(
                alice.key.pubkey(),
                0,
                MarginMode::Portfolio,
                metas,
            )],
            &[&alice.key],
            0,
        )
        .await
        .map_err(fail("set_margin_mode"))?;
    let after = d.margin_account(&alice.account).await?;
    let r_after = account_report(&after, &state.priced_markets(), None)?;
    let line = format!(
        "  alice is long ETH and short BTC, both in margin group 1 (70% systematic): she switches to portfolio margin;\n  her maintenance requirement goes from {} to {} USDC, the initial one from {} to {}",
        money(usdc(r_before.maintenance_requirement)),
        money(usdc(r_after.maintenance_requirement)),
        money(usdc(r_before.initial_requirement)),
        money(usdc(r_after.initial_requirement)),
    );
    d.say(line);

    // dave protects his long with a stop-loss
    d.chain
        .send_with_logs(
            &[
                ix::create_trigger_orders(dave.key.pubkey(), dave.account),
                ix::place_trigger_order(
                    dave.key.pubkey(),
                    dave.account,
                    0,
                    d.markets[0].oracle,
                    TriggerOrderParams {
                        kind: TriggerKind::StopLoss,
                        trigger_price: 2_850 * DOLLAR,
                        limit_price: 2_800 * DOLLAR,
                        size: 0,
                        expiry: START + 30 * DAY,
                        premium: 2_000,
                    },
                ),
            ],
            &[&dave.key],
            0,
        )
        .await
        .map_err(fail("place stop-loss"))?;
    d.say("  dave places a stop-loss on his 4 ETH: trigger 2,850, limit 2,800, executor premium 0.2%; erin holds the same position unprotected");
    let everyone = [&alice, &bob, &carol, &dave, &erin];
    d.accounts_table(
        &everyone,
        "4. Accounts after trading (one balance backs all of an account's positions)",
    )
    .await?;

    // 5. ETH slips to 2,840: the stop-loss fires
    let mut keeper = Keeper::new(
        keeper_t.key.insecure_clone(),
        keeper_t.account,
        KeeperConfig::default(),
    );
    d.advance(600).await;
    d.set_prices(&[2_840 * DOLLAR, 59_000 * DOLLAR, 160 * DOLLAR])
        .await;
    let mark = d.chain.processed;
    let report = keeper.run_once(&mut d.chain).await?;
    d.say(format!(
        "\n5. Ten minutes later ETH slips to 2,840: the keeper's round executes {} trigger order(s), its own account taking the other side",
        report.trigger_executions
    ));
    d.keeper_story(mark);

    // 6. The crash
    d.advance(3_000).await;
    d.set_prices(&[2_640 * DOLLAR, 57_000 * DOLLAR, 210 * DOLLAR])
        .await;
    d.say("\n6. One hour after the fills: ETH 2,640 (-12%), BTC 57,000 (-5%), SOL 210 (+40%)");
    d.accounts_table(
        &everyone,
        "   Accounts at the new prices, before the keeper runs",
    )
    .await?;
    let mark = d.chain.processed;
    let report = keeper.run_once(&mut d.chain).await?;
    let names: Vec<&str> = report.liquidatable.iter().map(|k| d.name(k)).collect();
    d.say(format!(
        "\n7. The keeper's round: funding updated on {} market(s); liquidatable: {}; {} liquidation instruction(s) in {} v0 transaction(s){}",
        report.funding_updated.len(),
        names.join(", "),
        report.liquidations,
        report.liquidation_transactions,
        if report.failures.is_empty() { String::new() } else { format!("; failures: {:?}", report.failures) }
    ));
    d.keeper_story(mark);
    d.say("   erin's equity was still positive (54 USDC), but taking her whole position costs 1.5% of its notional in fees\n   (the liquidator's 1% and the insurance 0.5%, 158 USDC): more than she had, so she ends at zero and the fund pays the rest.");
    d.accounts_table(
        &[&alice, &bob, &carol, &dave, &erin, &keeper_t],
        "8. Accounts after the keeper",
    )
    .await?;
    let dave_after = d.margin_account(&dave.account).await?;
    let erin_after = d.margin_account(&erin.account).await?;
    d.say(format!(
        "   dave's stop-loss kept {} USDC of his collateral; erin, with the same position and no stop-loss, kept {}",
        money(usdc(dave_after.collateral)),
        money(usdc(erin_after.collateral))
    ));

    let (vault, claims, exchange) = d.solvency().await?;
    d.say(format!(
        "\n9. Insurance fund {} USDC, socialized loss {} USDC, bad debt {} USDC",
        money(usdc(exchange.insurance_balance as i64)),
        money(usdc(exchange.socialized_loss as i64)),
        money(usdc(exchange.bad_debt as i64)),
    ));
    let ok = vault >= claims;
    d.say(format!(
        "\nSOLVENCY: vault {} USDC vs claims + insurance {} USDC: {} (difference {} native units of rounding dust)",
        money(vault as f64 / 1e6),
        money(claims as f64 / 1e6),
        if ok { "SOLVENT" } else { "SHORTFALL" },
        vault - claims
    ));
    if !ok {
        return Err(CliError::new(format!("demo ended insolvent:\n{}", d.out)));
    }
    Ok(d.out)
}
