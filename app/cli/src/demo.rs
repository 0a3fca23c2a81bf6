//! `crossmargin demo`: the whole system on an in-process chain. The program runs natively inside
//! solana-program-test with the real SPL Token program; Pyth accounts are written in their real
//! layouts. Traders deposit, a market maker co-signs fills, prices and the clock move, the keeper
//! cranks funding and liquidates an account whose aggregate margin fell below maintenance, a
//! bankruptcy is resolved, and a final line checks solvency.

use std::fmt::Write;

use anchor_lang::prelude::Pubkey;
use anchor_lang::AccountDeserialize;
use cross_margin::risk::funding_owed;
use cross_margin::state::{Exchange, MarginAccount, MarketParams, OracleSource};
use crossmargin_keeper::embedded::EmbeddedChain;
use crossmargin_keeper::pyth::{legacy_data, pull_data, Quote};
use crossmargin_keeper::{load_exchange_and_markets, Chain, Keeper, KeeperConfig};
use crossmargin_sdk::risk::account_report;
use crossmargin_sdk::{accounts as decode, health, instructions as ix, pda};
use pyth_sdk_solana::state::PriceStatus::Trading;
use pyth_solana_receiver_sdk::price_update::VerificationLevel;
use solana_sdk::signature::{Keypair, Signer};

use crate::error::CliError;
use crate::table::{money, Table};
use crate::{base_units, usd_price, usdc};

const START: i64 = 1_750_000_000;
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

fn fail(what: &str) -> impl Fn(crossmargin_keeper::embedded::Failure) -> CliError + '_ {
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

fn params(im: u32, mm: u32, liq: u32, ins: u32, lot: u64, min: u64, cap: u64) -> MarketParams {
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
    }
}

struct Demo {
    chain: EmbeddedChain,
    out: String,
    now: i64,
    mint: Pubkey,
    mint_authority: Keypair,
    markets: Vec<MarketDef>,
}

impl Demo {
    async fn write_oracle(&mut self, i: usize) {
        let m = &self.markets[i];
        let q = Quote {
            price: m.price,
            conf: (m.price / 2_000) as u64,
            ema: m.price,
            publish_time: self.now,
        };
        let (owner, data) = match m.source {
            OracleSource::PythPull => (
                cross_margin::oracle::PYTH_RECEIVER_PROGRAM_ID,
                pull_data(m.feed, q, VerificationLevel::Full),
            ),
            OracleSource::PythLegacy => (
                cross_margin::oracle::PYTH_LEGACY_PROGRAM_ID,
                legacy_data(q, Trading),
            ),
        };
        let oracle = m.oracle;
        self.chain.set_account(oracle, owner, data).await;
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
        Ok(Trader {
            name,
            key,
            usdc: token,
            account,
        })
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
        let oracles: Vec<Pubkey> = self.markets.iter().map(|m| m.oracle).collect();
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
        let _ = writeln!(
            self.out,
            "  {:<6} {side} {:>7.3} {} at {:>10} from {}",
            taker.name,
            base_units(base.abs()),
            self.markets[market as usize].symbol,
            money(usd_price(price)),
            maker.name
        );
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
        let (_, markets) = load_exchange_and_markets(&mut self.chain).await?;
        let mut t = Table::new(&[
            "account",
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
            let r = account_report(&a, &markets)?;
            let state = if r.liquidatable {
                "LIQUIDATABLE"
            } else if a.being_liquidated != 0 {
                "being liquidated"
            } else {
                "ok"
            };
            t.row(vec![
                tr.name.to_string(),
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
        let _ = writeln!(self.out, "\n{title}\n{}\n{}", t.render(), p.render());
        Ok(())
    }

    /// Vault balance against every claim: collateral and position quote net of owed funding,
    /// plus insurance and fees awaiting the next funding update, minus recorded bad debt.
    async fn solvency(&mut self) -> Result<(i128, i128, Exchange), CliError> {
        let ex = self
            .chain
            .get_account(&pda::exchange())
            .await?
            .ok_or_else(|| CliError::new("no exchange"))?;
        let exchange = Exchange::try_deserialize(&mut &ex.data[..])
            .map_err(|e| CliError::new(e.to_string()))?;
        let (_, markets) = load_exchange_and_markets(&mut self.chain).await?;
        let mut claims: i128 = exchange.insurance_balance as i128;
        for (m, _) in &markets {
            claims += m.insurance_fees_pending as i128;
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
                let m = &markets[p.market_index as usize].0;
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
    chain.set_time(START).await;
    let mint_authority = Keypair::new();
    let mint = chain
        .create_mint(&mint_authority.pubkey(), 6)
        .await
        .map_err(fail("mint"))?;
    let markets = vec![
        MarketDef {
            symbol: "ETH-PERP",
            source: OracleSource::PythPull,
            feed: [1; 32],
            oracle: Pubkey::new_unique(),
            price: 3_000 * DOLLAR,
            params: params(
                100_000,
                50_000,
                10_000,
                5_000,
                1_000_000,
                10_000_000,
                10_000 * ONE as u64,
            ),
        },
        MarketDef {
            symbol: "BTC-PERP",
            source: OracleSource::PythLegacy,
            feed: [0; 32],
            oracle: Pubkey::new_unique(),
            price: 60_000 * DOLLAR,
            params: params(
                50_000,
                25_000,
                5_000,
                2_500,
                100_000,
                1_000_000,
                500 * ONE as u64,
            ),
        },
        MarketDef {
            symbol: "SOL-PERP",
            source: OracleSource::PythPull,
            feed: [3; 32],
            oracle: Pubkey::new_unique(),
            price: 150 * DOLLAR,
            params: params(
                200_000,
                100_000,
                20_000,
                10_000,
                10_000_000,
                100_000_000,
                200_000 * ONE as u64,
            ),
        },
    ];
    let mut d = Demo {
        chain,
        out: String::new(),
        now: START,
        mint,
        mint_authority,
        markets,
    };
    let _ = writeln!(d.out, "crossmargin demo: the program runs natively in an in-process chain (solana-program-test, real SPL Token)\n");

    // Exchange and markets
    let admin = Keypair::new();
    d.chain
        .airdrop(&admin.pubkey(), 10_000_000_000)
        .await
        .map_err(fail("airdrop"))?;
    d.chain
        .send_with_logs(
            &[ix::initialize_exchange(admin.pubkey(), mint, 200_000)],
            &[&admin],
            0,
        )
        .await
        .map_err(fail("initialize_exchange"))?;
    let mut mt = Table::new(&[
        "market", "oracle", "price", "initial", "maint.", "liq. fee", "OI cap",
    ]);
    for i in 0..d.markets.len() {
        d.write_oracle(i).await;
        let m = &d.markets[i];
        let add = ix::add_market(
            admin.pubkey(),
            i as u16,
            m.oracle,
            symbol(m.symbol),
            m.source as u8,
            m.feed,
            m.params,
        );
        mt.row(vec![
            m.symbol.into(),
            match m.source {
                OracleSource::PythPull => "Pyth pull".into(),
                OracleSource::PythLegacy => "Pyth legacy".into(),
            },
            money(usd_price(m.price)),
            format!("{}%", m.params.initial_margin_ratio as f64 / 1e4),
            format!("{}%", m.params.maintenance_margin_ratio as f64 / 1e4),
            format!("{}%", m.params.liquidation_fee as f64 / 1e4),
            format!("{}", m.params.open_interest_cap / ONE as u64),
        ]);
        d.chain
            .send_with_logs(&[add], &[&admin], 0)
            .await
            .map_err(fail("add_market"))?;
    }
    let _ = writeln!(
        d.out,
        "1. The exchange lists three markets (liquidation buffer 20%)\n{}",
        mt.render()
    );

    // Traders
    let mm = d.trader("maker", 5_000_000 * USDC).await?;
    let keeper_t = d.trader("keeper", 100_000 * USDC).await?;
    let alice = d.trader("alice", 20_000 * USDC).await?;
    let bob = d.trader("bob", 2_000 * USDC).await?;
    let carol = d.trader("carol", 610 * USDC).await?;
    let donor = d.trader("fund", 0).await?;
    d.chain
        .mint_to(
            &mint,
            &donor.usdc,
            &d.mint_authority.insecure_clone(),
            500 * USDC,
        )
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
    let _ = writeln!(
        d.out,
        "2. Deposits: alice 20,000, bob 2,000, carol 610, the maker 5,000,000, the keeper 100,000; 500 into insurance\n\n3. Fills (the maker co-signs every taker's transaction)"
    );
    d.fill(&alice, &mm, 0, 5 * ONE, 3_010 * DOLLAR).await?;
    d.fill(&alice, &mm, 1, -ONE / 2, 59_950 * DOLLAR).await?;
    d.fill(&bob, &mm, 0, 5 * ONE, 3_000 * DOLLAR).await?;
    d.fill(&carol, &mm, 2, -20 * ONE, 150 * DOLLAR).await?;
    d.accounts_table(
        &[&alice, &bob, &carol],
        "4. Accounts after trading (one balance backs all of an account's positions)",
    )
    .await?;

    // An hour passes: ETH -12%, BTC -5%, SOL +40%
    d.advance(3_600).await;
    d.set_prices(&[2_640 * DOLLAR, 57_000 * DOLLAR, 210 * DOLLAR])
        .await;
    let _ = writeln!(
        d.out,
        "5. One hour later: ETH 2,640 (-12%), BTC 57,000 (-5%), SOL 210 (+40%)"
    );
    d.accounts_table(
        &[&alice, &bob, &carol],
        "   Accounts at the new prices, before the keeper runs",
    )
    .await?;

    // The keeper
    let mut keeper = Keeper::new(
        keeper_t.key.insecure_clone(),
        keeper_t.account,
        KeeperConfig::default(),
    );
    let report = keeper.run_once(&mut d.chain).await?;
    let name = |k: &Pubkey| {
        [&alice, &bob, &carol]
            .iter()
            .find(|t| t.account == *k)
            .map(|t| t.name)
            .unwrap_or("?")
    };
    let _ = writeln!(
        d.out,
        "6. The keeper runs one round: funding updated on {} market(s); liquidatable: {}; {} liquidate instruction(s) landed{}",
        report.funding_updated.len(),
        report.liquidatable.iter().map(name).collect::<Vec<_>>().join(", "),
        report.liquidations,
        if report.failures.is_empty() { String::new() } else { format!("; failures: {:?}", report.failures) }
    );
    d.accounts_table(
        &[&alice, &bob, &carol, &keeper_t],
        "7. Accounts after the keeper",
    )
    .await?;

    let (vault, claims, exchange) = d.solvency().await?;
    let _ = writeln!(
        d.out,
        "8. Insurance fund {} USDC, socialized loss {} USDC, bad debt {} USDC",
        money(usdc(exchange.insurance_balance as i64)),
        money(usdc(exchange.socialized_loss as i64)),
        money(usdc(exchange.bad_debt as i64)),
    );
    let ok = vault >= claims;
    let _ = writeln!(
        d.out,
        "\nSOLVENCY: vault {} USDC vs claims + insurance {} USDC: {} (difference {} native units of rounding dust)",
        money(vault as f64 / 1e6),
        money(claims as f64 / 1e6),
        if ok { "SOLVENT" } else { "SHORTFALL" },
        vault - claims
    );
    if !ok {
        return Err(CliError::new(format!("demo ended insolvent:\n{}", d.out)));
    }
    Ok(d.out)
}
