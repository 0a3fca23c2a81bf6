//! The command line's arguments and what each command does (`main.rs` only prints).

use std::path::PathBuf;
use std::time::Duration;

use anchor_lang::prelude::Pubkey;
use clap::{Args, Parser, Subcommand, ValueEnum};
use cross_margin::risk::{MarginMode, TriggerKind};
use cross_margin::state::{AdminAction, DelegateLimits, MarketStatus};
use crossmargin_keeper::chain::SendOptions;
use crossmargin_keeper::rpc::RpcChain;
use crossmargin_keeper::{Chain, Keeper, KeeperConfig};
use crossmargin_sdk::pda;
use solana_sdk::signature::{read_keypair_file, Keypair, Signer};

use crate::{
    account, admin, demo, parse_fixed, parse_price, parse_size, parse_usdc, portfolio, CliError,
};
use crossmargin_sdk::config::DeployConfig;

#[derive(Parser)]
#[command(
    name = "crossmargin",
    version,
    about = "Cross-margin perpetual futures on Solana"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// Where the chain is and who signs.
#[derive(Args, Clone)]
pub struct ChainArgs {
    /// JSON-RPC endpoint.
    #[arg(long, default_value = "http://127.0.0.1:8899")]
    pub url: String,
    /// Keypair file (default: ~/.config/solana/id.json).
    #[arg(long)]
    pub keypair: Option<PathBuf>,
}

#[derive(Subcommand)]
pub enum Command {
    /// The whole system on an in-process chain: trading, a stop-loss, funding, liquidation,
    /// bankruptcy.
    Demo,
    /// What-if risk report of a portfolio file, without any chain.
    Risk {
        /// The portfolio file (JSON): collateral, optional margin_mode, positions.
        #[arg(long)]
        portfolio: PathBuf,
        /// JSON output (numbers in USDC).
        #[arg(long)]
        json: bool,
    },
    /// Margin account commands.
    Account {
        #[command(flatten)]
        chain: ChainArgs,
        #[command(subcommand)]
        command: AccountCommand,
    },
    /// The keeper bot.
    Keeper {
        #[command(flatten)]
        chain: ChainArgs,
        #[command(subcommand)]
        command: KeeperCommand,
    },
    /// A local Solana JSON-RPC node running the program natively (HTTP and WebSocket on --port,
    /// WebSocket also on the next port, as a validator). Prints one JSON line (its URLs,
    /// addresses and key files), then serves until interrupted.
    Localnet {
        #[arg(long, default_value_t = 8899)]
        port: u16,
        /// Deploy config to bootstrap (default: migrations/config.localnet.json, built in).
        #[arg(long)]
        bootstrap: Option<PathBuf>,
        /// No exchange: ProgramData names this upgrade authority, for migrations/deploy.ts to
        /// deploy against (the config's mint and Pyth accounts exist).
        #[arg(long, value_name = "UPGRADE_AUTHORITY")]
        bare: Option<String>,
        /// Seed of the price walk.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Milliseconds between price moves and slots (0: only when localnet_setPrice is called).
        #[arg(long, default_value_t = 2_000)]
        tick_ms: u64,
        /// Where to write the admin, guardian and faucet keypairs (default: a temp directory).
        #[arg(long)]
        keys_dir: Option<PathBuf>,
    },
    /// USDC from a local node's faucet (and SOL for fees), to the keypair's wallet or --owner.
    Faucet {
        #[command(flatten)]
        chain: ChainArgs,
        /// USDC.
        #[arg(allow_hyphen_values = true)]
        amount: String,
        #[arg(long)]
        owner: Option<String>,
        /// SOL for fees.
        #[arg(long, default_value = "1")]
        sol: String,
    },
    /// The reference market maker: quotes over HTTP and co-signs the taker's fill.
    Maker {
        #[command(flatten)]
        chain: ChainArgs,
        #[command(subcommand)]
        command: MakerCommand,
    },
    /// Buys or sells through market makers: asks each for a quote, checks the transaction it
    /// returns (one fill of this market, size and maker, within --max-slippage of the oracle,
    /// nothing else), takes the best, signs and sends it.
    Trade {
        #[command(flatten)]
        chain: ChainArgs,
        /// The market (symbol or index).
        market: String,
        side: Side,
        /// Base size, whole units (e.g. 0.5).
        size: String,
        /// A maker's URL (repeat for several).
        #[arg(long = "maker", required = true)]
        makers: Vec<String>,
        /// The worst price accepted, basis points from the oracle.
        #[arg(long, default_value_t = 50)]
        max_slippage: u32,
        /// The largest compute-unit price a maker may make you pay, micro-lamports.
        #[arg(long, default_value_t = 100_000)]
        max_priority_fee: u64,
        #[arg(long, default_value_t = 0)]
        sub: u16,
    },
    /// Admin changes through the timelock, and the protective status.
    Admin {
        #[command(flatten)]
        chain: ChainArgs,
        #[command(subcommand)]
        command: AdminCommand,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Mode {
    Standard,
    Portfolio,
}

#[derive(Subcommand)]
pub enum AccountCommand {
    /// Creates margin account number --sub for the keypair.
    Create {
        #[arg(long, default_value_t = 0)]
        sub: u16,
    },
    /// Deposits AMOUNT USDC (from the associated token account unless --token-account).
    Deposit {
        #[arg(allow_hyphen_values = true)]
        amount: String,
        #[arg(long, default_value_t = 0)]
        sub: u16,
        #[arg(long)]
        token_account: Option<String>,
    },
    /// Withdraws AMOUNT USDC (to the associated token account unless --token-account).
    Withdraw {
        #[arg(allow_hyphen_values = true)]
        amount: String,
        #[arg(long, default_value_t = 0)]
        sub: u16,
        #[arg(long)]
        token_account: Option<String>,
    },
    /// The risk view of an account (the keypair's unless --owner; no keypair needed then).
    Show {
        #[arg(long, default_value_t = 0)]
        sub: u16,
        #[arg(long)]
        owner: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Names a delegate that may trade (never withdraw) within the limits given.
    Delegate {
        /// The delegate's address ("none" clears it).
        delegate: String,
        /// Most its fills may cost the account per period, at the oracle price (USDC).
        #[arg(long)]
        budget: String,
        /// The budget period, hours.
        #[arg(long, default_value_t = 24)]
        period_hours: u32,
        /// Largest distance from the oracle of a price it signs, basis points.
        #[arg(long, default_value_t = 50)]
        max_deviation_bps: u32,
        /// Only reduce positions.
        #[arg(long)]
        reduce_only: bool,
        #[arg(long, default_value_t = 0)]
        sub: u16,
    },
    /// Switches the account's margin mode (portfolio margin offsets hedged positions).
    MarginMode {
        mode: Mode,
        #[arg(long, default_value_t = 0)]
        sub: u16,
    },
    /// A stop-loss on a position: keepers close it once the oracle reaches TRIGGER.
    StopLoss(OrderArgs),
    /// A take-profit on a position.
    TakeProfit(OrderArgs),
    /// The account's trigger orders.
    Orders {
        #[arg(long, default_value_t = 0)]
        sub: u16,
        #[arg(long)]
        owner: Option<String>,
    },
    /// Cancels a trigger order.
    CancelOrder {
        id: u64,
        #[arg(long, default_value_t = 0)]
        sub: u16,
    },
}

#[derive(Args)]
pub struct OrderArgs {
    /// The market (symbol or index).
    pub market: String,
    /// Trigger price, USD.
    #[arg(long)]
    pub trigger: String,
    /// The worst price accepted, USD (default: the trigger less 1% for a long, more for a
    /// short).
    #[arg(long)]
    pub limit: Option<String>,
    /// Base to close (default: the whole position at execution).
    #[arg(long)]
    pub size: Option<String>,
    /// The executor's premium, basis points of notional (at most 100).
    #[arg(long, default_value_t = 20)]
    pub premium_bps: u32,
    /// Hours until it expires.
    #[arg(long, default_value_t = 24 * 30)]
    pub expiry_hours: u32,
    #[arg(long, default_value_t = 0)]
    pub sub: u16,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Side {
    Buy,
    Sell,
}

#[derive(Subcommand)]
pub enum MakerCommand {
    /// Serves GET /markets and POST /quote on --port, quoting from the keypair's margin account
    /// --sub as the config says, until interrupted.
    Run {
        /// The maker's config (JSON): markets with spread, sizes, inventory and skew.
        #[arg(long)]
        config: PathBuf,
        #[arg(long, default_value_t = 8080)]
        port: u16,
        /// The address to listen on.
        #[arg(long, default_value = "0.0.0.0")]
        listen: std::net::IpAddr,
        #[arg(long, default_value_t = 0)]
        sub: u16,
    },
}

#[derive(Subcommand)]
pub enum KeeperCommand {
    /// Cranks funding, settles, executes trigger orders and liquidates, every --interval
    /// seconds; the keypair's margin account --sub takes positions over. Exits non-zero when
    /// the chain is unreachable or a round failed.
    Run {
        #[arg(long, default_value_t = 10)]
        interval: u64,
        /// Stop after this many rounds.
        #[arg(long)]
        rounds: Option<u64>,
        /// Compute-unit price, micro-lamports.
        #[arg(long, default_value_t = 10_000)]
        priority_fee: u64,
        #[arg(long, default_value_t = 0)]
        sub: u16,
        /// Sell what the keeper takes over back through this market maker (repeat for several;
        /// off unless given).
        #[arg(long = "unwind-maker")]
        unwind_makers: Vec<String>,
        /// The worst unwind price accepted, basis points from the oracle.
        #[arg(long, default_value_t = 100)]
        unwind_slippage: u32,
    },
}

#[derive(Subcommand)]
pub enum AdminCommand {
    /// Queues a change; anyone may execute it once the timelock delay has passed.
    Queue {
        #[command(subcommand)]
        action: QueueCommand,
    },
    /// Executes a queued change whose delay has passed (anyone may).
    Execute { id: u64 },
    /// Cancels a queued change (the admin or the guardian).
    Cancel { id: u64 },
    /// Lists the queued changes.
    Pending,
    /// The immediate, protective power: pause or reduce-only for --hours (or active to lift).
    Status {
        market: u16,
        status: StatusArg,
        #[arg(long, default_value_t = 24)]
        hours: u32,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum StatusArg {
    Active,
    ReduceOnly,
    Paused,
}

#[derive(Subcommand)]
pub enum QueueCommand {
    /// Lists a market of a deploy config (by symbol).
    AddMarket {
        #[arg(long)]
        config: PathBuf,
        #[arg(long)]
        symbol: String,
    },
    /// New parameters for a market, from a deploy config's market of that symbol.
    UpdateMarket {
        market: u16,
        #[arg(long)]
        config: PathBuf,
        #[arg(long)]
        symbol: String,
    },
    /// The lookup tables clients compile v0 transactions against.
    SetLookupTables {
        tables: Vec<String>,
    },
    TransferAdmin {
        new_admin: String,
    },
    SetGuardian {
        guardian: String,
    },
    SetDelay {
        secs: u32,
    },
    SetLiquidationBuffer {
        ppm: u32,
    },
    /// Retires a market at the last valid price the program recorded.
    SettleMarket {
        market: u16,
    },
    SetPortfolioMargin {
        enabled: bool,
    },
}

fn keypair(path: &Option<PathBuf>) -> Result<Keypair, CliError> {
    let path = match path {
        Some(p) => p.clone(),
        None => {
            let home =
                std::env::var("HOME").map_err(|_| CliError::new("no --keypair and no HOME"))?;
            PathBuf::from(home).join(".config/solana/id.json")
        }
    };
    read_keypair_file(&path)
        .map_err(|e| CliError::new(format!("cannot read keypair {}: {e}", path.display())))
}

fn pubkey(s: &str, what: &str) -> Result<Pubkey, CliError> {
    s.parse()
        .map_err(|_| CliError::input(format!("{what} '{s}' is not a valid address")))
}

/// A chain that signs with the keypair.
fn signing_chain(args: &ChainArgs) -> Result<(RpcChain, Keypair), CliError> {
    let kp = keypair(&args.keypair)?;
    Ok((RpcChain::new(&args.url, kp.insecure_clone()), kp))
}

/// A chain for reading only (its fee payer is never used).
fn reading_chain(args: &ChainArgs) -> RpcChain {
    RpcChain::new(&args.url, Keypair::new())
}

/// Says which endpoint a failure came from.
fn at(url: &str) -> impl Fn(CliError) -> CliError + '_ {
    move |e| {
        if e.is_input() {
            return e;
        }
        let text = e.to_string();
        if text.starts_with("chain unavailable") {
            CliError::new(format!(
                "{url} is unreachable or not a Solana RPC endpoint ({text})"
            ))
        } else {
            CliError::new(format!("{url}: {text}"))
        }
    }
}

/// Runs a parsed command; returns what to print.
pub async fn run(cli: Cli) -> Result<String, CliError> {
    match cli.command {
        Command::Demo => demo::run().await,
        Command::Risk {
            portfolio: path,
            json,
        } => {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| CliError::new(format!("cannot read {}: {e}", path.display())))?;
            let p = portfolio::parse(&text)?;
            let report = portfolio::evaluate(&p)?;
            if json {
                serde_json::to_string_pretty(&portfolio::to_output(&report))
                    .map_err(|e| CliError::new(e.to_string()))
            } else {
                Ok(portfolio::render(
                    &report,
                    Some(&portfolio::stress_table(&p)?),
                ))
            }
        }
        Command::Account { chain, command } => {
            let url = chain.url.clone();
            account_command(&chain, command).await.map_err(at(&url))
        }
        Command::Keeper {
            chain,
            command:
                KeeperCommand::Run {
                    interval,
                    rounds,
                    priority_fee,
                    sub,
                    unwind_makers,
                    unwind_slippage,
                },
        } => {
            let url = chain.url.clone();
            let (mut rpc, kp) = signing_chain(&chain)?;
            let liquidator = pda::margin_account(&kp.pubkey(), sub);
            let config = KeeperConfig {
                send: SendOptions {
                    priority_fee,
                    ..SendOptions::default()
                },
                unwind: (!unwind_makers.is_empty()).then(|| crossmargin_keeper::keeper::Unwind {
                    makers: unwind_makers,
                    max_slippage_bps: unwind_slippage,
                    max_compute_unit_price: priority_fee.max(100_000),
                }),
                ..KeeperConfig::default()
            };
            let mut keeper = Keeper::new(kp, liquidator, config);
            let last = keeper
                .run(&mut rpc, Duration::from_secs(interval), rounds)
                .await
                .map_err(|e| at(&url)(e.into()))?;
            if !last.failures.is_empty() {
                return Err(CliError::new(format!(
                    "the last round had {} failure(s): {}",
                    last.failures.len(),
                    last.failures.join("; ")
                )));
            }
            Ok(format!(
                "keeper stopped after its rounds; last round: {} accounts, {} liquidations, {} trigger orders, {} positions settled, {} unwound",
                last.accounts_scanned, last.liquidations, last.trigger_executions, last.positions_settled, last.unwinds
            ))
        }
        Command::Localnet {
            port,
            bootstrap,
            bare,
            seed,
            tick_ms,
            keys_dir,
        } => {
            crate::localnet::run(crate::localnet::Args {
                port,
                bootstrap,
                bare,
                seed,
                tick_ms,
                keys_dir,
            })
            .await
        }
        Command::Faucet {
            chain,
            amount,
            owner,
            sol,
        } => {
            let amount = parse_usdc(&amount)?;
            let lamports = parse_fixed(&sol, 9, "sol")?;
            if lamports < 0 {
                return Err(CliError::input(format!("sol '{sol}' must not be negative")));
            }
            let who = match owner {
                Some(o) => pubkey(&o, "owner")?,
                None => keypair(&chain.keypair)?.pubkey(),
            };
            let url = chain.url.clone();
            crate::localnet::faucet(&chain.url, who, amount, lamports as u64)
                .await
                .map_err(at(&url))
        }
        Command::Maker {
            chain,
            command:
                MakerCommand::Run {
                    config,
                    port,
                    listen,
                    sub,
                },
        } => {
            let text = std::fs::read_to_string(&config)
                .map_err(|e| CliError::input(format!("cannot read {}: {e}", config.display())))?;
            let cfg = crossmargin_maker::MakerConfig::parse(&text).map_err(CliError::input)?;
            let (rpc, kp) = signing_chain(&chain)?;
            let handle = crossmargin_maker::spawn(rpc, kp, sub, cfg);
            let server =
                crossmargin_maker::serve(handle.clone(), std::net::SocketAddr::new(listen, port))
                    .await
                    .map_err(|e| CliError::new(format!("cannot listen on port {port}: {e}")))?;
            // one JSON line for whoever started it (a test, a supervisor), then a sentence
            let local = if listen.is_unspecified() {
                format!("http://127.0.0.1:{}", server.addr.port())
            } else {
                server.url()
            };
            println!(
                "{}",
                serde_json::json!({"url": local, "maker": handle.maker.to_string(), "makerAccount": handle.maker_account.to_string()})
            );
            eprintln!(
                "crossmargin maker: {local} quoting from {} (GET /markets, POST /quote); Ctrl-C stops it",
                handle.maker_account
            );
            tokio::signal::ctrl_c()
                .await
                .map_err(|e| CliError::new(format!("cannot wait for Ctrl-C: {e}")))?;
            server.stop().await;
            Ok("maker stopped".into())
        }
        Command::Trade {
            chain,
            market,
            side,
            size,
            makers,
            max_slippage,
            max_priority_fee,
            sub,
        } => {
            let base = parse_size(&size)?;
            let base = i64::try_from(base).map_err(|_| CliError::input("size is too large"))?;
            let url = chain.url.clone();
            let (mut rpc, kp) = signing_chain(&chain)?;
            let state = crossmargin_keeper::load_exchange(&mut rpc)
                .await
                .map_err(|e| at(&url)(e.into()))?;
            let market_index = account::market_by_name(&state, &market)?;
            let req = crossmargin_keeper::rfq::TakeRequest {
                sub_account: sub,
                market_index,
                size: match side {
                    Side::Buy => base,
                    Side::Sell => -base,
                },
                max_slippage_bps: max_slippage,
                max_compute_unit_price: max_priority_fee,
                makers,
                timeout: Duration::from_secs(10),
            };
            let report = crossmargin_keeper::rfq::take(&mut rpc, &kp, &req)
                .await
                .map_err(|e| match e {
                    crossmargin_keeper::rfq::TakeError::Chain(c) => at(&url)(c.into()),
                    other => CliError::new(other.to_string()),
                })?;
            let (maker, price, sig) = report.taken.expect("a taken quote");
            let mut out = format!(
                "{} {size} {} at {} (oracle {}, limit {}) from {maker}: {sig}",
                match side {
                    Side::Buy => "bought",
                    Side::Sell => "sold",
                },
                state.markets[&market_index].market.symbol_str(),
                crate::usd_price(price),
                crate::usd_price(report.oracle_price),
                crate::usd_price(report.limit_price),
            );
            for o in &report.offers {
                if let crossmargin_keeper::rfq::Offer::Rejected { url, why } = o {
                    out.push_str(&format!("\n  refused {url}: {why}"));
                }
            }
            Ok(out)
        }
        Command::Admin { chain, command } => {
            let url = chain.url.clone();
            admin_command(&chain, command).await.map_err(at(&url))
        }
    }
}

async fn account_command(args: &ChainArgs, cmd: AccountCommand) -> Result<String, CliError> {
    let token = |t: &Option<String>| t.as_deref().map(|s| pubkey(s, "token account")).transpose();
    match cmd {
        AccountCommand::Show { sub, owner, json } => {
            let (mut chain, who) = match owner {
                Some(s) => (reading_chain(args), pubkey(&s, "owner")?),
                None => {
                    let (c, kp) = signing_chain(args)?;
                    (c, kp.pubkey())
                }
            };
            let r = account::show(&mut chain, &who, sub).await?;
            if json {
                serde_json::to_string_pretty(&portfolio::to_output(&r))
                    .map_err(|e| CliError::new(e.to_string()))
            } else {
                Ok(portfolio::render(&r, None))
            }
        }
        AccountCommand::Orders { sub, owner } => {
            let (mut chain, who) = match owner {
                Some(s) => (reading_chain(args), pubkey(&s, "owner")?),
                None => {
                    let (c, kp) = signing_chain(args)?;
                    (c, kp.pubkey())
                }
            };
            let r = account::show(&mut chain, &who, sub).await?;
            let n: usize = r.positions.iter().map(|p| p.orders.len()).sum();
            if n == 0 {
                return Ok("no trigger orders".into());
            }
            Ok(portfolio::render(&r, None))
        }
        AccountCommand::Create { sub } => {
            let (mut chain, kp) = signing_chain(args)?;
            account::create(&mut chain, &kp, sub)
                .await
                .map(|k| format!("created margin account {k}"))
        }
        AccountCommand::Deposit {
            amount,
            sub,
            token_account,
        } => {
            let native = parse_usdc(&amount)?;
            let token = token(&token_account)?;
            let (mut chain, kp) = signing_chain(args)?;
            account::deposit(&mut chain, &kp, sub, native, token).await?;
            Ok(format!("deposited {amount} USDC"))
        }
        AccountCommand::Withdraw {
            amount,
            sub,
            token_account,
        } => {
            let native = parse_usdc(&amount)?;
            let token = token(&token_account)?;
            let (mut chain, kp) = signing_chain(args)?;
            account::withdraw(&mut chain, &kp, sub, native, token).await?;
            Ok(format!("withdrew {amount} USDC"))
        }
        AccountCommand::Delegate {
            delegate,
            budget,
            period_hours,
            max_deviation_bps,
            reduce_only,
            sub,
        } => {
            let key = if delegate == "none" {
                Pubkey::default()
            } else {
                pubkey(&delegate, "delegate")?
            };
            let limits = DelegateLimits {
                max_price_deviation: max_deviation_bps.saturating_mul(100),
                loss_budget: parse_usdc(&budget)?,
                period_secs: period_hours.saturating_mul(3_600),
                reduce_only,
            };
            limits
                .validate()
                .map_err(|e| CliError::new(format!("delegate limits: {e}")))?;
            let (mut chain, kp) = signing_chain(args)?;
            account::set_delegate(&mut chain, &kp, sub, key, limits).await?;
            Ok(if key == Pubkey::default() {
                "delegate cleared".into()
            } else {
                format!(
                    "{key} may trade for the account: at most {budget} USDC of cost per {period_hours} h, prices within {max_deviation_bps} bps of the oracle{}",
                    if reduce_only { ", reduce-only" } else { "" }
                )
            })
        }
        AccountCommand::MarginMode { mode, sub } => {
            let mode = match mode {
                Mode::Standard => MarginMode::Standard,
                Mode::Portfolio => MarginMode::Portfolio,
            };
            let (mut chain, kp) = signing_chain(args)?;
            account::set_margin_mode(&mut chain, &kp, sub, mode).await?;
            Ok(format!("margin mode: {mode:?}"))
        }
        AccountCommand::StopLoss(o) => place(args, TriggerKind::StopLoss, o).await,
        AccountCommand::TakeProfit(o) => place(args, TriggerKind::TakeProfit, o).await,
        AccountCommand::CancelOrder { id, sub } => {
            let (mut chain, kp) = signing_chain(args)?;
            account::cancel_order(&mut chain, &kp, sub, id).await?;
            Ok(format!("cancelled order #{id}"))
        }
    }
}

async fn place(args: &ChainArgs, kind: TriggerKind, o: OrderArgs) -> Result<String, CliError> {
    let trigger = parse_price(&o.trigger, "trigger")?;
    let size = o.size.as_deref().map(parse_size).transpose()?.unwrap_or(0);
    if o.premium_bps > 100 {
        return Err(CliError::new("premium_bps must be at most 100 (1%)"));
    }
    let (mut chain, kp) = signing_chain(args)?;
    let state = crossmargin_keeper::load_exchange(&mut chain).await?;
    let index = account::market_by_name(&state, &o.market)?;
    let acct = account::load_account(&mut chain, &pda::margin_account(&kp.pubkey(), o.sub)).await?;
    let long = acct.position(index).map(|p| p.base > 0).ok_or_else(|| {
        CliError::new(format!(
            "the account has no {} position to protect",
            o.market
        ))
    })?;
    let limit = match &o.limit {
        Some(l) => parse_price(l, "limit")?,
        // 1% worse than the trigger
        None if long => trigger - trigger / 100,
        None => trigger + trigger / 100,
    };
    let expiry = state.now + o.expiry_hours as i64 * 3_600;
    let params = account::order_params(kind, trigger, limit, size, o.premium_bps, expiry);
    let id = account::place_order(&mut chain, &kp, o.sub, &o.market, params).await?;
    Ok(format!(
        "{kind:?} #{id} on {}: fires at {} (limit {}), executor premium {} bps",
        o.market,
        crate::table::money(crate::usd_price(trigger)),
        crate::table::money(crate::usd_price(limit)),
        o.premium_bps
    ))
}

async fn admin_command(args: &ChainArgs, cmd: AdminCommand) -> Result<String, CliError> {
    match cmd {
        AdminCommand::Pending => {
            let mut chain = reading_chain(args);
            let now = chain.unix_timestamp().await?;
            let list = admin::pending(&mut chain).await?;
            if list.is_empty() {
                return Ok("no queued changes".into());
            }
            Ok(list
                .iter()
                .map(|q| admin::describe(q, now))
                .collect::<Vec<_>>()
                .join("\n"))
        }
        AdminCommand::Execute { id } => {
            let (mut chain, kp) = signing_chain(args)?;
            admin::execute(&mut chain, &kp, id).await?;
            Ok(format!("executed change #{id}"))
        }
        AdminCommand::Cancel { id } => {
            let (mut chain, kp) = signing_chain(args)?;
            admin::cancel(&mut chain, &kp, id).await?;
            Ok(format!("cancelled change #{id}"))
        }
        AdminCommand::Status {
            market,
            status,
            hours,
        } => {
            let status = match status {
                StatusArg::Active => MarketStatus::Active,
                StatusArg::ReduceOnly => MarketStatus::ReduceOnly,
                StatusArg::Paused => MarketStatus::Paused,
            };
            let (mut chain, kp) = signing_chain(args)?;
            admin::set_status(&mut chain, &kp, market, status, hours.saturating_mul(3_600)).await?;
            Ok(format!("market {market}: {status:?}"))
        }
        AdminCommand::Queue { action } => {
            let action = match action {
                QueueCommand::AddMarket { config, symbol } => {
                    let c = DeployConfig::read(&config)?;
                    let m = c
                        .markets
                        .iter()
                        .find(|m| m.symbol == symbol)
                        .ok_or_else(|| {
                            CliError::new(format!("{symbol} is not in {}", config.display()))
                        })?;
                    admin::add_market_action(m)?
                }
                QueueCommand::UpdateMarket {
                    market,
                    config,
                    symbol,
                } => {
                    let c = DeployConfig::read(&config)?;
                    let m = c
                        .markets
                        .iter()
                        .find(|m| m.symbol == symbol)
                        .ok_or_else(|| {
                            CliError::new(format!("{symbol} is not in {}", config.display()))
                        })?;
                    AdminAction::UpdateMarket {
                        market_index: market,
                        params: m.params.to_params(),
                    }
                }
                QueueCommand::SetLookupTables { tables } => AdminAction::SetLookupTables {
                    tables: tables
                        .iter()
                        .map(|t| pubkey(t, "table"))
                        .collect::<Result<_, _>>()?,
                },
                QueueCommand::TransferAdmin { new_admin } => AdminAction::TransferAdmin {
                    new_admin: pubkey(&new_admin, "new admin")?,
                },
                QueueCommand::SetGuardian { guardian } => AdminAction::SetGuardian {
                    guardian: pubkey(&guardian, "guardian")?,
                },
                QueueCommand::SetDelay { secs } => {
                    AdminAction::SetTimelockDelay { delay_secs: secs }
                }
                QueueCommand::SetLiquidationBuffer { ppm } => {
                    AdminAction::SetLiquidationBuffer { buffer: ppm }
                }
                QueueCommand::SettleMarket { market } => AdminAction::SettleMarket {
                    market_index: market,
                },
                QueueCommand::SetPortfolioMargin { enabled } => {
                    AdminAction::SetPortfolioMargin { enabled }
                }
            };
            let (mut chain, kp) = signing_chain(args)?;
            let (id, after) = admin::queue(&mut chain, &kp, action).await?;
            Ok(format!(
                "queued change #{id}; anyone may execute it from unix time {after}"
            ))
        }
    }
}
