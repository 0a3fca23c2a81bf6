//! The command line's arguments and what each command does (`main.rs` only prints).

use std::path::PathBuf;
use std::time::Duration;

use anchor_lang::prelude::Pubkey;
use clap::{Parser, Subcommand};
use crossmargin_keeper::rpc::RpcChain;
use crossmargin_keeper::{Keeper, KeeperConfig};
use crossmargin_sdk::pda;
use solana_sdk::signature::{read_keypair_file, Keypair, Signer};

use crate::{account, demo, portfolio, CliError};

#[derive(Parser)]
#[command(
    name = "crossmargin",
    version,
    about = "Cross-margin perpetual futures on Solana"
)]
pub struct Cli {
    /// JSON-RPC endpoint for account and keeper commands.
    #[arg(long, global = true, default_value = "http://127.0.0.1:8899")]
    pub url: String,
    /// Keypair file (default: ~/.config/solana/id.json).
    #[arg(long, global = true)]
    pub keypair: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// The whole system on an in-process chain: trading, funding, liquidation, bankruptcy.
    Demo,
    /// What-if risk report of a portfolio file, without any chain.
    Risk {
        #[arg(long)]
        portfolio: PathBuf,
        /// JSON output (numbers in USDC).
        #[arg(long)]
        json: bool,
    },
    /// Margin account commands against --url.
    #[command(subcommand)]
    Account(AccountCommand),
    /// The keeper bot against --url.
    #[command(subcommand)]
    Keeper(KeeperCommand),
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
        amount: f64,
        #[arg(long, default_value_t = 0)]
        sub: u16,
        #[arg(long)]
        token_account: Option<String>,
    },
    /// Withdraws AMOUNT USDC (to the associated token account unless --token-account).
    Withdraw {
        amount: f64,
        #[arg(long, default_value_t = 0)]
        sub: u16,
        #[arg(long)]
        token_account: Option<String>,
    },
    /// The risk view of an account (the keypair's unless --owner).
    Show {
        #[arg(long, default_value_t = 0)]
        sub: u16,
        #[arg(long)]
        owner: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum KeeperCommand {
    /// Cranks funding and liquidates, every --interval seconds; the keypair's margin account
    /// --sub takes positions over.
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
        .map_err(|_| CliError::new(format!("{what} '{s}' is not a valid address")))
}

/// Runs a parsed command; returns what to print.
pub async fn run(cli: Cli) -> Result<String, CliError> {
    let rpc = |cli: &Cli, kp: Keypair| RpcChain::new(&cli.url, kp);
    let at_url = |url: &str, e: CliError| CliError::new(format!("{url}: {e}"));
    match &cli.command {
        Command::Demo => demo::run().await,
        Command::Risk {
            portfolio: path,
            json,
        } => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| CliError::new(format!("cannot read {}: {e}", path.display())))?;
            let report = portfolio::evaluate(&portfolio::parse(&text)?)?;
            if *json {
                serde_json::to_string_pretty(&portfolio::to_output(&report))
                    .map_err(|e| CliError::new(e.to_string()))
            } else {
                Ok(portfolio::render(&report))
            }
        }
        Command::Account(cmd) => {
            let kp = keypair(&cli.keypair)?;
            let owner = kp.insecure_clone();
            let mut chain = rpc(&cli, kp);
            let out = match cmd {
                AccountCommand::Create { sub } => account::create(&mut chain, &owner, *sub)
                    .await
                    .map(|k| format!("created margin account {k}")),
                AccountCommand::Deposit {
                    amount,
                    sub,
                    token_account,
                } => {
                    let token = token_account
                        .as_deref()
                        .map(|s| pubkey(s, "token account"))
                        .transpose()?;
                    account::deposit(&mut chain, &owner, *sub, *amount, token)
                        .await
                        .map(|_| format!("deposited {amount} USDC"))
                }
                AccountCommand::Withdraw {
                    amount,
                    sub,
                    token_account,
                } => {
                    let token = token_account
                        .as_deref()
                        .map(|s| pubkey(s, "token account"))
                        .transpose()?;
                    account::withdraw(&mut chain, &owner, *sub, *amount, token)
                        .await
                        .map(|_| format!("withdrew {amount} USDC"))
                }
                AccountCommand::Show {
                    sub,
                    owner: who,
                    json,
                } => {
                    let who = match who {
                        Some(s) => pubkey(s, "owner")?,
                        None => owner.pubkey(),
                    };
                    account::show(&mut chain, &who, *sub).await.and_then(|r| {
                        if *json {
                            serde_json::to_string_pretty(&portfolio::to_output(&r))
                                .map_err(|e| CliError::new(e.to_string()))
                        } else {
                            Ok(portfolio::render(&r))
                        }
                    })
                }
            };
            out.map_err(|e| at_url(&cli.url, e))
        }
        Command::Keeper(KeeperCommand::Run {
            interval,
            rounds,
            priority_fee,
            sub,
        }) => {
            let kp = keypair(&cli.keypair)?;
            let liquidator = pda::margin_account(&kp.pubkey(), *sub);
            let mut chain = rpc(&cli, kp.insecure_clone());
            let config = KeeperConfig {
                priority_fee: *priority_fee,
                ..KeeperConfig::default()
            };
            let mut keeper = Keeper::new(kp, liquidator, config);
            keeper
                .run(&mut chain, Duration::from_secs(*interval), *rounds)
                .await
                .map_err(|e| at_url(&cli.url, e.into()))?;
            Ok("keeper stopped".to_string())
        }
    }
}
