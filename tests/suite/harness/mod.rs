//! The integration-test harness: the crossmargin program run natively inside
//! solana-program-test (`processor!`), the real SPL Token program, Pyth accounts of both formats
//! written with their real layouts, a controllable clock, and helpers that check a refusal's error
//! code *and* that nothing changed.

pub mod events;
pub mod invariants;
pub use crossmargin_keeper::pyth;

use anchor_lang::prelude::{AccountMeta, Pubkey};
use anchor_lang::solana_program::instruction::Instruction;
use anchor_lang::{AccountDeserialize, Discriminator};
use cross_margin::constants::MIN_TIMELOCK_DELAY_SECS;
use cross_margin::error::ErrorCode;
use cross_margin::state::{
    AdminAction, DelegateLimits, Exchange, MarginAccount, Market, MarketParams, OracleSource,
    Position,
};
use crossmargin_keeper::embedded::bootstrap::{
    fixed_table_accounts, market_table_accounts, oracle_address,
};
use crossmargin_keeper::embedded::EmbeddedChain;
use crossmargin_sdk::{accounts as decode, health, instructions as ix, pda};
use solana_sdk::account::Account;
use solana_sdk::signature::{Keypair, Signer};
use solana_sdk::transaction::TransactionError;

pub use self::pyth::Quote;

/// The clock every environment starts at (2025-06-15).
pub const T0: i64 = 1_750_000_000;
pub const USDC: u64 = 1_000_000;
pub const ONE: i64 = 1_000_000_000; // one whole base unit
pub const DOLLAR: i64 = 1_000_000; // one dollar at PRICE_PRECISION
pub const LIQUIDATION_BUFFER: u32 = 200_000; // 20%
/// The exchange's timelock delay in the tests (the shortest the program allows).
pub const DELAY: i64 = MIN_TIMELOCK_DELAY_SECS as i64;

/// A listed market as the tests know it.
#[derive(Clone, Copy, Debug)]
pub struct TestMarket {
    pub oracle: Pubkey,
    pub source: OracleSource,
    pub feed_id: [u8; 32],
}

/// A user with a funded USDC token account and margin account 0.
pub struct User {
    pub key: Keypair,
    pub usdc: Pubkey,
    pub account: Pubkey,
    /// The sub-account id of `account`.
    pub sub: u16,
}

impl User {
    pub fn pubkey(&self) -> Pubkey {
        self.key.pubkey()
    }
}

pub fn symbol(s: &str) -> [u8; 16] {
    let mut out = [0u8; 16];
    out[..s.len()].copy_from_slice(s.as_bytes());
    out
}

/// ETH-like parameters: 10x initial (10%), 20x maintenance (5%).
pub fn eth_params() -> MarketParams {
    MarketParams {
        initial_margin_ratio: 100_000,
        maintenance_margin_ratio: 50_000,
        liquidation_fee: 10_000,
        insurance_fee: 5_000,
        upnl_initial_weight: 800_000,
        taker_fee: 500,
        maker_fee: -100,
        price_band: 50_000,
        max_conf_ratio: 20_000,
        max_oracle_age_secs: 60,
        liquidation_max_oracle_age_secs: 300,
        max_funding_premium: 20_000,
        funding_period_secs: 3_600,
        base_lot_size: 1_000_000, // 0.001 ETH
        min_position_base: 10_000_000,
        open_interest_cap: 10_000 * ONE as u64,
        margin_group: 1,
        systematic_share: 700_000,
    }
}

/// BTC-like: 5% initial, 2.5% maintenance.
pub fn btc_params() -> MarketParams {
    MarketParams {
        initial_margin_ratio: 50_000,
        maintenance_margin_ratio: 25_000,
        liquidation_fee: 5_000,
        insurance_fee: 2_500,
        base_lot_size: 100_000, // 0.0001 BTC
        min_position_base: 1_000_000,
        open_interest_cap: 1_000 * ONE as u64,
        ..eth_params()
    }
}

pub fn feed(n: u8) -> [u8; 32] {
    [n; 32]
}

pub struct TestEnv {
    /// The in-process chain (the keeper's and demo's too); `chain.ctx` is the program-test context.
    pub chain: EmbeddedChain,
    pub admin: Keypair,
    pub guardian: Keypair,
    /// The exchange's address lookup table (created at the first listing).
    pub table: Option<Pubkey>,
    pub mint: Pubkey,
    pub mint_authority: Keypair,
    pub now: i64,
    pub markets: Vec<TestMarket>,
    /// The price each market's oracle shows (what `set_price` last wrote).
    pub prices: std::collections::HashMap<u16, i64>,
}

/// What a transaction left in the log.
pub type Logs = Vec<String>;

impl TestEnv {
    /// A chain with the program (its `ProgramData` naming `admin` as upgrade authority), SPL
    /// Token, a 6-decimal USDC mint, and the clock one timelock delay before `T0` (listing the
    /// first markets moves it to `T0`); no exchange yet.
    pub async fn bare() -> Self {
        let ctx = crossmargin_keeper::embedded::start_with_event_logs(
            crossmargin_keeper::embedded::program_test(),
        )
        .await;
        let mut env = TestEnv {
            chain: EmbeddedChain::from_context(ctx),
            admin: Keypair::new(),
            guardian: Keypair::new(),
            table: None,
            mint: Pubkey::default(),
            mint_authority: Keypair::new(),
            now: 0,
            markets: Vec::new(),
            prices: Default::default(),
        };
        env.set_time(T0 - DELAY).await;
        env.airdrop(&env.admin.pubkey(), 10_000_000_000).await;
        env.mint = env.create_mint(6).await;
        let admin = env.admin.pubkey();
        env.chain.write_program_data(Some(admin)).await;
        env
    }

    /// `bare` plus an initialized exchange (guardian `guardian`, delay `DELAY`).
    pub async fn new() -> Self {
        let mut env = Self::bare().await;
        let admin = env.admin.insecure_clone();
        env.send(
            &[ix::initialize_exchange(
                admin.pubkey(),
                env.mint,
                LIQUIDATION_BUFFER,
                env.guardian.pubkey(),
                DELAY as u32,
            )],
            &[&admin],
        )
        .await
        .expect("initialize_exchange");
        env
    }

    /// `new` plus ETH-PERP (Pyth pull, $3,000) and BTC-PERP (Pyth legacy, $60,000), listed
    /// through the timelock (the clock ends at `T0`), and the lookup table registered.
    pub async fn with_markets() -> Self {
        let mut env = Self::new().await;
        env.list_markets(&[
            (
                "ETH-PERP",
                OracleSource::PythPull,
                feed(1),
                3_000 * DOLLAR,
                eth_params(),
            ),
            (
                "BTC-PERP",
                OracleSource::PythLegacy,
                feed(2),
                60_000 * DOLLAR,
                btc_params(),
            ),
        ])
        .await;
        env
    }

    // ---------------------------------------------------------------- transactions

    /// Sends one transaction (fee payer: the context payer) and returns its logs.
    pub async fn send(
        &mut self,
        ixs: &[Instruction],
        signers: &[&Keypair],
    ) -> Result<Logs, TransactionError> {
        self.chain
            .send_with_logs(ixs, signers, 0)
            .await
            .map_err(|f| {
                if std::env::var("CM_TEST_LOGS").is_ok() {
                    eprintln!("{:?}\n{:#?}", f.error, f.logs);
                }
                f.error
            })
    }

    /// Sends, expects the program error `code`, and checks that none of `watch` changed
    /// (data, lamports, owner): a refused instruction changes nothing.
    pub async fn expect_error(
        &mut self,
        ixs: &[Instruction],
        signers: &[&Keypair],
        code: ErrorCode,
        watch: &[Pubkey],
    ) {
        let before = self.snapshot(watch).await;
        let err = self
            .send(ixs, signers)
            .await
            .expect_err("transaction should fail");
        assert_eq!(
            custom_code(&err),
            Some(u32::from(code)),
            "expected {code:?} ({}), got {err:?}",
            u32::from(code)
        );
        assert_eq!(
            self.snapshot(watch).await,
            before,
            "a refused transaction changed state"
        );
    }

    /// Like `expect_error` for refusals that come from another program or the runtime.
    pub async fn expect_failure(
        &mut self,
        ixs: &[Instruction],
        signers: &[&Keypair],
        watch: &[Pubkey],
    ) -> TransactionError {
        let before = self.snapshot(watch).await;
        let err = self
            .send(ixs, signers)
            .await
            .expect_err("transaction should fail");
        assert_eq!(
            self.snapshot(watch).await,
            before,
            "a refused transaction changed state"
        );
        err
    }

    pub async fn snapshot(&mut self, keys: &[Pubkey]) -> Vec<Option<Account>> {
        let mut out = Vec::with_capacity(keys.len());
        for k in keys {
            out.push(self.chain.ctx.banks_client.get_account(*k).await.unwrap());
        }
        out
    }

    // ---------------------------------------------------------------- clock

    pub async fn set_time(&mut self, unix_timestamp: i64) {
        self.chain.set_time(unix_timestamp).await;
        self.now = unix_timestamp;
    }

    pub async fn advance(&mut self, secs: i64) {
        self.set_time(self.now + secs).await;
    }

    // ---------------------------------------------------------------- raw accounts

    pub async fn account(&mut self, key: Pubkey) -> Option<Account> {
        self.chain.ctx.banks_client.get_account(key).await.unwrap()
    }

    pub async fn set_raw(&mut self, key: Pubkey, owner: Pubkey, data: Vec<u8>) {
        self.chain.set_account(key, owner, data).await;
    }

    pub async fn airdrop(&mut self, to: &Pubkey, lamports: u64) {
        self.chain.airdrop(to, lamports).await.expect("airdrop");
    }

    // ---------------------------------------------------------------- tokens

    pub async fn create_mint(&mut self, decimals: u8) -> Pubkey {
        let auth = self.mint_authority.pubkey();
        self.chain
            .create_mint(&auth, decimals)
            .await
            .expect("create_mint")
    }

    pub async fn create_token_account(&mut self, mint: Pubkey, owner: Pubkey) -> Pubkey {
        self.chain
            .create_token_account(&mint, &owner)
            .await
            .expect("create_token_account")
    }

    pub async fn mint_to(&mut self, mint: Pubkey, to: Pubkey, amount: u64) {
        let auth = self.mint_authority.insecure_clone();
        self.chain
            .mint_to(&mint, &to, &auth, amount)
            .await
            .expect("mint_to");
    }

    pub async fn token_balance(&mut self, account: Pubkey) -> u64 {
        assert!(
            self.account(account).await.is_some(),
            "no token account {account}"
        );
        self.chain.token_balance(&account).await
    }

    pub async fn vault_balance(&mut self) -> u64 {
        self.token_balance(pda::vault()).await
    }

    // ---------------------------------------------------------------- program accounts

    pub async fn exchange(&mut self) -> Exchange {
        let a = self.account(pda::exchange()).await.expect("exchange");
        Exchange::try_deserialize(&mut &a.data[..]).unwrap()
    }

    pub async fn market(&mut self, index: u16) -> Market {
        let a = self.account(pda::market(index)).await.expect("market");
        decode::decode_market(&a.data).unwrap()
    }

    pub async fn margin_account(&mut self, key: Pubkey) -> MarginAccount {
        let a = self.account(key).await.expect("margin account");
        decode::decode_margin_account(&a.data).unwrap()
    }

    /// Writes a margin account's state directly (until trading exists, this is how tests give
    /// an account positions).
    pub async fn write_margin_account(&mut self, key: Pubkey, account: &MarginAccount) {
        let mut data = MarginAccount::DISCRIMINATOR.to_vec();
        data.extend_from_slice(bytemuck::bytes_of(account));
        self.set_raw(key, cross_margin::ID, data).await;
    }

    /// Gives `key` these positions `(market, base, quote)`, replacing its slots.
    pub async fn set_positions(&mut self, key: Pubkey, positions: &[(u16, i64, i64)]) {
        let mut a = self.margin_account(key).await;
        a.positions = Default::default();
        for (slot, (market, base, quote)) in positions.iter().enumerate() {
            let market_state = self.market(*market).await;
            a.positions[slot] = Position {
                base: *base,
                quote: *quote,
                funding_snapshot: if *base >= 0 {
                    market_state.cumulative_funding_long
                } else {
                    market_state.cumulative_funding_short
                },
                market_index: *market,
                padding: [0; 6],
            };
        }
        self.write_margin_account(key, &a).await;
    }

    pub async fn write_market(&mut self, index: u16, market: &Market) {
        let mut data = Market::DISCRIMINATOR.to_vec();
        data.extend_from_slice(bytemuck::bytes_of(market));
        self.set_raw(pda::market(index), cross_margin::ID, data)
            .await;
    }

    // ---------------------------------------------------------------- oracles and markets

    /// Writes `market`'s oracle account: price, confidence and ema at PRICE_PRECISION.
    pub async fn write_oracle(&mut self, m: TestMarket, q: Quote) {
        self.chain
            .write_oracle(m.oracle, m.source, m.feed_id, q)
            .await
    }

    /// A fresh price (published now, no confidence interval, ema = price).
    pub async fn set_price(&mut self, index: u16, price: i64) {
        let q = Quote {
            price,
            conf: 0,
            ema: price,
            publish_time: self.now,
        };
        let m = self.markets[index as usize];
        self.prices.insert(index, price);
        self.write_oracle(m, q).await;
    }

    /// Lists a market whose oracle (created here) shows `price`, through the timelock.
    pub async fn list_market(
        &mut self,
        name: &str,
        source: OracleSource,
        feed_id: [u8; 32],
        price: i64,
        params: MarketParams,
    ) -> TestMarket {
        self.list_markets(&[(name, source, feed_id, price, params)])
            .await[0]
    }

    /// Lists markets through the timelock: queues one `AddMarket` each (and, the first time, the
    /// lookup table), moves the clock past the delay, refreshes every oracle, executes them; the
    /// exchange's lookup table is extended with the new markets and their oracles, and every
    /// later transaction is compiled against it.
    pub async fn list_markets(
        &mut self,
        defs: &[(&str, OracleSource, [u8; 32], i64, MarketParams)],
    ) -> Vec<TestMarket> {
        let first = self.exchange().await.market_count;
        let mut listed = Vec::new();
        let mut actions = Vec::new();
        let mut table_accounts = fixed_table_accounts(&self.mint);
        for (k, (name, source, feed_id, price, params)) in defs.iter().enumerate() {
            let m = TestMarket {
                oracle: oracle_address(*source, feed_id),
                source: *source,
                feed_id: *feed_id,
            };
            self.markets.push(m);
            self.set_price(first + k as u16, *price).await;
            actions.push(AdminAction::AddMarket {
                symbol: symbol(name),
                oracle: m.oracle,
                oracle_source: *source,
                pyth_feed_id: *feed_id,
                tokens_per_contract: 1,
                params: *params,
            });
            table_accounts.extend(market_table_accounts(first + k as u16, m.oracle));
            listed.push(m);
        }
        let admin = self.admin.insecure_clone();
        match self.table {
            None => {
                let table = self
                    .chain
                    .create_lookup_table(&admin, &table_accounts)
                    .await
                    .expect("create lookup table");
                self.table = Some(table);
                actions.push(AdminAction::SetLookupTables {
                    tables: vec![table],
                });
            }
            Some(table) => self
                .chain
                .extend_lookup_table(&admin, table, &table_accounts)
                .await
                .expect("extend lookup table"),
        }
        let prices = self.prices.clone();
        let markets = self.markets.clone();
        self.chain
            .queue_and_execute(&admin, actions, async |chain: &mut EmbeddedChain| {
                let now = chain.now().await;
                for (i, m) in markets.iter().enumerate() {
                    let q = Quote {
                        price: prices[&(i as u16)],
                        conf: 0,
                        ema: prices[&(i as u16)],
                        publish_time: now,
                    };
                    chain.write_oracle(m.oracle, m.source, m.feed_id, q).await;
                }
            })
            .await
            .expect("list markets");
        self.now = self.chain.now().await;
        self.chain.use_exchange_tables().await;
        listed
    }

    /// Queues `action`, waits out the delay (refreshing prices), and executes it.
    pub async fn admin_change(&mut self, action: AdminAction) {
        let admin = self.admin.insecure_clone();
        let prices = self.prices.clone();
        let markets = self.markets.clone();
        self.chain
            .queue_and_execute(&admin, vec![action], async |chain: &mut EmbeddedChain| {
                let now = chain.now().await;
                for (i, m) in markets.iter().enumerate() {
                    if let Some(p) = prices.get(&(i as u16)) {
                        let q = Quote {
                            price: *p,
                            conf: 0,
                            ema: *p,
                            publish_time: now,
                        };
                        chain.write_oracle(m.oracle, m.source, m.feed_id, q).await;
                    }
                }
            })
            .await
            .expect("admin change");
        self.now = self.chain.now().await;
        self.chain.use_exchange_tables().await;
    }

    /// Queues `action` now; returns its id.
    pub async fn queue(&mut self, action: AdminAction) -> Result<u64, TransactionError> {
        let id = self.exchange().await.next_action_id;
        let admin = self.admin.insecure_clone();
        self.send(
            &[ix::queue_admin_action(admin.pubkey(), id, action)],
            &[&admin],
        )
        .await?;
        Ok(id)
    }

    /// The instruction that executes queued change `id` (the context payer executes).
    pub async fn execute_ix(&mut self, id: u64) -> Instruction {
        let queued = self.queued(id).await;
        let count = self.exchange().await.market_count;
        let (market, oracle) = ix::action_accounts(&queued.action, count);
        ix::execute_admin_action(self.chain.payer_keypair().pubkey(), id, market, oracle)
    }

    pub async fn queued(&mut self, id: u64) -> cross_margin::state::QueuedAction {
        let a = self
            .account(pda::admin_action(id))
            .await
            .expect("queued action");
        decode::decode_queued_action(&a.data).unwrap()
    }

    /// Delegate limits that allow anything a fill may do (for tests about something else).
    pub fn generous_delegate() -> DelegateLimits {
        DelegateLimits {
            max_price_deviation: cross_margin::constants::MAX_PRICE_BAND,
            loss_budget: u64::MAX / 2,
            period_secs: 86_400,
            reduce_only: false,
        }
    }

    /// The health metas the SDK derives for these accounts.
    pub async fn health(&mut self, accounts: &[Pubkey]) -> Vec<AccountMeta> {
        let mut decoded = Vec::new();
        for k in accounts {
            decoded.push(self.margin_account(*k).await);
        }
        let refs: Vec<&MarginAccount> = decoded.iter().collect();
        let markets = self.markets.clone();
        health::health_metas_for(&refs, &move |i: u16| {
            markets.get(i as usize).map(|m| m.oracle)
        })
        .unwrap()
    }

    // ---------------------------------------------------------------- users

    /// A user with `usdc` whole USDC in a token account and margin account 0 (empty).
    pub async fn user(&mut self, usdc: u64) -> User {
        let key = Keypair::new();
        self.airdrop(&key.pubkey(), 1_000_000_000).await;
        let token = self.create_token_account(self.mint, key.pubkey()).await;
        if usdc > 0 {
            self.mint_to(self.mint, token, usdc * USDC).await;
        }
        self.send(&[ix::create_margin_account(key.pubkey(), 0)], &[&key])
            .await
            .expect("create_margin_account");
        User {
            account: pda::margin_account(&key.pubkey(), 0),
            usdc: token,
            key,
            sub: 0,
        }
    }

    pub async fn deposit(&mut self, user: &User, amount: u64) -> Logs {
        self.send(
            &[ix::deposit(user.pubkey(), user.account, user.usdc, amount)],
            &[&user.key],
        )
        .await
        .expect("deposit")
    }

    /// A user with `collateral` native USDC deposited (and nothing left in the wallet).
    pub async fn funded_user(&mut self, collateral: u64) -> User {
        let user = self.user(0).await;
        self.mint_to(self.mint, user.usdc, collateral).await;
        self.deposit(&user, collateral).await;
        user
    }

    /// The fill instruction the SDK builds for `taker` buying `taker_base_delta` from `maker`
    /// (health accounts derived from both accounts' current positions), signed by the owners.
    pub async fn fill_ix(
        &mut self,
        taker: &User,
        maker: &User,
        market: u16,
        taker_base_delta: i64,
        price: i64,
    ) -> Instruction {
        let t = self.margin_account(taker.account).await;
        let m = self.margin_account(maker.account).await;
        let markets = self.markets.clone();
        let health = health::fill_health_metas(&t, &m, market, &move |i: u16| {
            markets.get(i as usize).map(|m| m.oracle)
        })
        .unwrap();
        ix::fill(
            taker.pubkey(),
            maker.pubkey(),
            taker.account,
            maker.account,
            market,
            self.markets[market as usize].oracle,
            taker_base_delta,
            price,
            health,
        )
    }

    pub async fn fill(
        &mut self,
        taker: &User,
        maker: &User,
        market: u16,
        taker_base_delta: i64,
        price: i64,
    ) -> Result<Logs, TransactionError> {
        let i = self
            .fill_ix(taker, maker, market, taker_base_delta, price)
            .await;
        self.send(&[i], &[&taker.key, &maker.key]).await
    }

    /// A liquidation step by `liquidator` (signing as owner) of `liquidatee`'s position in `market`.
    pub async fn liquidate_ix(
        &mut self,
        liquidator: &User,
        liquidatee: Pubkey,
        market: u16,
        max_base: u64,
        limit_price: i64,
    ) -> Instruction {
        let lr = self.margin_account(liquidator.account).await;
        let lq = self.margin_account(liquidatee).await;
        let markets = self.markets.clone();
        let health = health::liquidate_health_metas(&lq, &lr, market, &move |i: u16| {
            markets.get(i as usize).map(|m| m.oracle)
        })
        .unwrap();
        ix::liquidate(
            liquidator.pubkey(),
            liquidator.account,
            liquidatee,
            market,
            self.markets[market as usize].oracle,
            max_base,
            limit_price,
            health::may_close_account(&lq),
            health,
        )
    }

    pub async fn liquidate(
        &mut self,
        liquidator: &User,
        liquidatee: Pubkey,
        market: u16,
    ) -> Result<Logs, TransactionError> {
        let base = self
            .margin_account(liquidatee)
            .await
            .position(market)
            .map(|p| p.base)
            .unwrap_or(0);
        let i = self
            .liquidate_ix(liquidator, liquidatee, market, u64::MAX, any_limit(base))
            .await;
        self.send(&[i], &[&liquidator.key]).await
    }

    pub async fn update_funding(&mut self, market: u16) -> Result<Logs, TransactionError> {
        let oracle = self.markets[market as usize].oracle;
        self.send(&[ix::update_funding(market, oracle)], &[]).await
    }

    pub async fn settle_funding_ix(&mut self, account: Pubkey) -> Instruction {
        let a = self.margin_account(account).await;
        ix::settle_funding(account, health::funding_metas(&a))
    }

    pub async fn settle_funding(&mut self, account: Pubkey) -> Result<Logs, TransactionError> {
        let i = self.settle_funding_ix(account).await;
        self.send(&[i], &[]).await
    }

    /// Refreshes every market's oracle at its current price, published now.
    pub async fn refresh_prices(&mut self) {
        for i in 0..self.markets.len() as u16 {
            let p = self.prices[&i];
            self.set_price(i, p).await;
        }
    }

    /// Adds `amount` to the insurance fund from a fresh donor.
    pub async fn insurance_top_up(&mut self, amount: u64) {
        let donor = self.user(0).await;
        self.mint_to(self.mint, donor.usdc, amount).await;
        self.send(
            &[ix::deposit_insurance(donor.pubkey(), donor.usdc, amount)],
            &[&donor.key],
        )
        .await
        .unwrap();
    }

    /// The account's health computed off-chain with the program's own math, at the prices the
    /// oracles show now (`prices`, no confidence, ema = price).
    pub async fn account_health(&mut self, key: Pubkey) -> cross_margin::risk::Health {
        let a = self.margin_account(key).await;
        let views = self.market_views().await;
        cross_margin::health_accounts::account_health(&a, &views).unwrap()
    }

    /// Every market as the risk math sees it, at the current oracle prices (a settled market
    /// at its settlement price).
    pub async fn market_views(&mut self) -> Vec<cross_margin::risk::MarketView> {
        let mut views = Vec::new();
        for i in 0..self.markets.len() as u16 {
            let m = self.market(i).await;
            let p = self.prices[&i];
            let price = cross_margin::oracle::OraclePrice {
                price: p,
                conf: 0,
                ema_price: p,
                publish_time: self.now,
            };
            views.push(crossmargin_sdk::risk::market_view(&m, price));
        }
        views
    }

    pub fn withdraw_ix(&self, user: &User, amount: u64, health: Vec<AccountMeta>) -> Instruction {
        ix::withdraw(user.pubkey(), user.sub, user.usdc, amount, health)
    }
}

/// `ix` with the account at `index` replaced by `key` (a signer pointing its instruction at
/// someone else's account).
pub fn aimed_at(mut ix: Instruction, index: usize, key: Pubkey) -> Instruction {
    ix.accounts[index].pubkey = key;
    ix
}

// ---------------------------------------------------------------- roles, modes, orders

impl TestEnv {
    /// A fill signed by `taker_signer` for `taker` and `maker_signer` for `maker` (owners or
    /// delegates).
    #[allow(clippy::too_many_arguments)]
    pub async fn fill_signed(
        &mut self,
        taker_signer: &Keypair,
        taker: Pubkey,
        maker_signer: &Keypair,
        maker: Pubkey,
        market: u16,
        taker_base_delta: i64,
        price: i64,
    ) -> Result<Logs, TransactionError> {
        let t = self.margin_account(taker).await;
        let m = self.margin_account(maker).await;
        let markets = self.markets.clone();
        let health = health::fill_health_metas(&t, &m, market, &move |i: u16| {
            markets.get(i as usize).map(|m| m.oracle)
        })
        .unwrap();
        let i = ix::fill(
            taker_signer.pubkey(),
            maker_signer.pubkey(),
            taker,
            maker,
            market,
            self.markets[market as usize].oracle,
            taker_base_delta,
            price,
            health,
        );
        self.send(&[i], &[taker_signer, maker_signer]).await
    }

    pub async fn set_delegate(&mut self, user: &User, delegate: Pubkey, limits: DelegateLimits) {
        let i = ix::set_delegate(user.pubkey(), user.sub, delegate, limits);
        self.send(&[i], &[&user.key]).await.expect("set_delegate");
    }

    /// The instruction switching `user`'s margin mode.
    pub async fn margin_mode_ix(
        &mut self,
        user: &User,
        mode: cross_margin::risk::MarginMode,
    ) -> Instruction {
        let health = self.health(&[user.account]).await;
        ix::set_margin_mode(user.pubkey(), user.sub, mode, health)
    }

    pub async fn set_margin_mode(
        &mut self,
        user: &User,
        mode: cross_margin::risk::MarginMode,
    ) -> Result<Logs, TransactionError> {
        let i = self.margin_mode_ix(user, mode).await;
        self.send(&[i], &[&user.key]).await
    }

    /// A portfolio liquidation step by `liquidator` of `liquidatee`, at most `max_fraction`.
    pub async fn liquidate_portfolio_ix(
        &mut self,
        liquidator: &User,
        liquidatee: Pubkey,
        max_fraction: u64,
    ) -> Instruction {
        let lr = self.margin_account(liquidator.account).await;
        let lq = self.margin_account(liquidatee).await;
        let markets = self.markets.clone();
        let health = health::portfolio_liquidation_metas(&lq, &lr, &move |i: u16| {
            markets.get(i as usize).map(|m| m.oracle)
        })
        .unwrap();
        ix::liquidate_portfolio(
            liquidator.pubkey(),
            liquidator.account,
            liquidatee,
            max_fraction,
            true,
            health,
        )
    }

    pub async fn liquidate_portfolio(
        &mut self,
        liquidator: &User,
        liquidatee: Pubkey,
        max_fraction: u64,
    ) -> Result<Logs, TransactionError> {
        let i = self
            .liquidate_portfolio_ix(liquidator, liquidatee, max_fraction)
            .await;
        self.send(&[i], &[&liquidator.key]).await
    }

    /// Places a trigger order on `user`'s position (creating the order account the first time),
    /// signed by `signer` (the owner or the delegate); returns the order id.
    pub async fn place_order(
        &mut self,
        user: &User,
        signer: &Keypair,
        market: u16,
        params: cross_margin::instructions::TriggerOrderParams,
    ) -> Result<u64, TransactionError> {
        let key = pda::trigger_orders(&user.account);
        let mut ixs = Vec::new();
        let id = match self.account(key).await {
            None => {
                ixs.push(ix::create_trigger_orders(signer.pubkey(), user.account));
                0
            }
            Some(a) => {
                decode::decode_trigger_orders(&a.data)
                    .unwrap()
                    .next_order_id
            }
        };
        ixs.push(ix::place_trigger_order(
            signer.pubkey(),
            user.account,
            market,
            self.markets[market as usize].oracle,
            params,
        ));
        self.send(&ixs, &[signer]).await.map(|_| id)
    }

    pub async fn trigger_orders(&mut self, user: &User) -> cross_margin::state::TriggerOrders {
        let a = self
            .account(pda::trigger_orders(&user.account))
            .await
            .expect("trigger orders");
        decode::decode_trigger_orders(&a.data).unwrap()
    }

    /// The instruction executing `trader`'s order `id` by `executor`.
    pub async fn execute_order_ix(
        &mut self,
        executor: &User,
        trader: &User,
        market: u16,
        id: u64,
    ) -> Instruction {
        let t = self.margin_account(trader.account).await;
        let e = self.margin_account(executor.account).await;
        let markets = self.markets.clone();
        let health = health::fill_health_metas(&t, &e, market, &move |i: u16| {
            markets.get(i as usize).map(|m| m.oracle)
        })
        .unwrap();
        ix::execute_trigger_order(
            executor.pubkey(),
            executor.account,
            trader.account,
            market,
            self.markets[market as usize].oracle,
            id,
            health,
        )
    }

    /// Writes `market`'s oracle as published `age` seconds ago at `price`.
    pub async fn set_price_aged(&mut self, index: u16, price: i64, age: i64) {
        let q = Quote {
            price,
            conf: 0,
            ema: price,
            publish_time: self.now - age,
        };
        let m = self.markets[index as usize];
        self.prices.insert(index, price);
        self.write_oracle(m, q).await;
    }
}

// ---------------------------------------------------------------- sixteen markets

/// The sixteen markets: name, oracle kind, price (PRICE_PRECISION), maintenance ratio, margin
/// group and systematic share. Groups: 1 majors, 2 L1s, 3 DeFi, 4 memes, 0 none.
pub const MARKETS: [(&str, OracleSource, i64, u32, u8, u32); 16] = [
    (
        "ETH-PERP",
        OracleSource::PythPull,
        3_000_000_000,
        50_000,
        1,
        700_000,
    ),
    (
        "BTC-PERP",
        OracleSource::PythLegacy,
        60_000_000_000,
        25_000,
        1,
        700_000,
    ),
    (
        "SOL-PERP",
        OracleSource::PythPull,
        150_000_000,
        50_000,
        2,
        600_000,
    ),
    (
        "AVAX-PERP",
        OracleSource::PythLegacy,
        30_000_000,
        60_000,
        2,
        500_000,
    ),
    (
        "SUI-PERP",
        OracleSource::PythPull,
        3_000_000,
        75_000,
        2,
        500_000,
    ),
    (
        "APT-PERP",
        OracleSource::PythPull,
        8_000_000,
        75_000,
        2,
        400_000,
    ),
    (
        "LINK-PERP",
        OracleSource::PythLegacy,
        15_000_000,
        60_000,
        3,
        300_000,
    ),
    (
        "UNI-PERP",
        OracleSource::PythPull,
        7_000_000,
        75_000,
        3,
        300_000,
    ),
    (
        "AAVE-PERP",
        OracleSource::PythPull,
        250_000_000,
        60_000,
        3,
        300_000,
    ),
    (
        "DOGE-PERP",
        OracleSource::PythPull,
        150_000,
        100_000,
        4,
        500_000,
    ),
    (
        "WIF-PERP",
        OracleSource::PythLegacy,
        2_000_000,
        125_000,
        4,
        500_000,
    ),
    ("JUP-PERP", OracleSource::PythPull, 800_000, 100_000, 0, 0),
    ("PYTH-PERP", OracleSource::PythPull, 300_000, 100_000, 0, 0),
    (
        "XRP-PERP",
        OracleSource::PythLegacy,
        2_500_000,
        50_000,
        0,
        0,
    ),
    (
        "BNB-PERP",
        OracleSource::PythPull,
        600_000_000,
        40_000,
        1,
        500_000,
    ),
    ("TIA-PERP", OracleSource::PythPull, 5_000_000, 100_000, 0, 0),
];

/// Parameters for a market at `price`: lots worth at most a dollar, a minimum position of ten
/// lots, an open-interest cap of about $20M.
pub fn params_for(price: i64, mm: u32, group: u8, share: u32) -> MarketParams {
    let mut lot: u64 = 1;
    while lot < 1_000_000_000 && (lot as i128 * 10) * (price as i128) <= 1_000_000_000_000_000 {
        lot *= 10;
    }
    let cap = (20_000_000_000_000_000_000_000u128 / price as u128) as u64;
    MarketParams {
        initial_margin_ratio: 2 * mm,
        maintenance_margin_ratio: mm,
        liquidation_fee: mm / 5,
        insurance_fee: mm / 10,
        base_lot_size: lot,
        min_position_base: 10 * lot,
        open_interest_cap: cap - cap % lot,
        margin_group: group,
        systematic_share: share,
        ..eth_params()
    }
}

/// The sixteen markets as `list_markets` takes them (feed ids 1..=16).
pub fn sixteen_markets() -> Vec<(&'static str, OracleSource, [u8; 32], i64, MarketParams)> {
    MARKETS
        .iter()
        .enumerate()
        .map(|(i, (name, source, price, mm, group, share))| {
            (
                *name,
                *source,
                feed(i as u8 + 1),
                *price,
                params_for(*price, *mm, *group, *share),
            )
        })
        .collect()
}

impl TestEnv {
    /// `new` plus the sixteen markets of `MARKETS`, listed through the timelock, and the lookup
    /// table holding all of them.
    pub async fn with_sixteen_markets() -> Self {
        let mut env = Self::new().await;
        env.list_markets(&sixteen_markets()).await;
        env
    }
}

/// A limit price that accepts any takeover price for a position of sign `base`.
pub fn any_limit(base: i64) -> i64 {
    if base > 0 {
        i64::MAX
    } else {
        0
    }
}

/// The custom error number of a failed instruction.
pub fn custom_code(err: &TransactionError) -> Option<u32> {
    match err {
        TransactionError::InstructionError(
            _,
            anchor_lang::solana_program::instruction::InstructionError::Custom(n),
        ) => Some(*n),
        _ => None,
    }
}
