//! A local exchange from the deploy script's config (`migrations/*.json`): the program's
//! ProgramData, a USDC mint the node's faucet controls (at the config's collateral address when
//! it names one), the exchange, and every market listed through the timelock (the clock runs the
//! delay in the past so the listings land now), its Pyth accounts at the addresses the program
//! accepts, and the lookup table holding every account the instructions name.

use anchor_lang::prelude::Pubkey;
use anchor_spl::token::spl_token;
use cross_margin::state::{AdminAction, OracleSource};
use crossmargin_keeper::embedded::bootstrap::{fixed_table_accounts, market_table_accounts};
use crossmargin_keeper::embedded::EmbeddedChain;
use crossmargin_keeper::pyth::Quote;
use crossmargin_sdk::config::DeployConfig;
use crossmargin_sdk::instructions as ix;
use serde_json::{json, Value};
use solana_sdk::program_option::COption;
use solana_sdk::program_pack::Pack;
use solana_sdk::signature::{Keypair, Signer};

use crate::node::{wall_clock, Feed, Node};

/// Why the node could not start.
#[derive(Debug, thiserror::Error)]
pub enum BootstrapError {
    #[error("{0}")]
    Config(#[from] crossmargin_sdk::config::ConfigError),
    #[error("bootstrap step failed: {0}")]
    Step(String),
}

/// The keys the bootstrap made (the exchange admin, its guardian, the faucet).
pub struct Keys {
    pub admin: Keypair,
    pub guardian: Keypair,
    pub faucet: Keypair,
}

fn step<T>(
    what: &str,
    r: Result<T, crossmargin_keeper::embedded::Failure>,
) -> Result<T, BootstrapError> {
    r.map_err(|f| BootstrapError::Step(format!("{what}: {:?} {:?}", f.error, f.logs.last())))
}

/// The starting price of a market: the config's `localPrice`, else one dollar.
fn start_price(local_price: Option<f64>) -> i64 {
    ((local_price.unwrap_or(1.0) * 1e6).round() as i64).max(1)
}

/// What exists before any exchange: the program's ProgramData naming `upgrade_authority`, the
/// USDC mint (the faucet's), and a Pyth account for every market of `config` at its price.
async fn base(
    config: &DeployConfig,
    upgrade_authority: Pubkey,
    faucet: &Keypair,
    start: i64,
) -> Result<(EmbeddedChain, Pubkey, Vec<Feed>), BootstrapError> {
    let mut chain = EmbeddedChain::start().await;
    chain.set_time(start).await;
    chain.write_program_data(Some(upgrade_authority)).await;
    let mint = match &config.collateral_mint {
        Some(text) => {
            let mint: Pubkey = text.parse().map_err(|_| {
                BootstrapError::Step(format!("collateralMint '{text}' is not an address"))
            })?;
            let state = spl_token::state::Mint {
                mint_authority: COption::Some(faucet.pubkey()),
                supply: 0,
                decimals: 6,
                is_initialized: true,
                freeze_authority: COption::None,
            };
            let mut data = vec![0; spl_token::state::Mint::LEN];
            state.pack_into_slice(&mut data);
            chain.set_account(mint, spl_token::ID, data).await;
            mint
        }
        None => step("create mint", chain.create_mint(&faucet.pubkey(), 6).await)?,
    };
    let mut feeds = Vec::new();
    for m in &config.markets {
        let AdminAction::AddMarket {
            oracle,
            oracle_source,
            pyth_feed_id,
            ..
        } = m.add_market_action()?
        else {
            unreachable!("add_market_action returns an AddMarket");
        };
        let price = start_price(m.local_price);
        let q = Quote {
            price,
            conf: 0,
            ema: price,
            publish_time: start,
        };
        chain
            .write_oracle(oracle, oracle_source, pyth_feed_id, q)
            .await;
        feeds.push(Feed {
            symbol: m.symbol.clone(),
            oracle,
            source: oracle_source,
            feed_id: pyth_feed_id,
            price,
            anchor: price,
        });
    }
    Ok((chain, mint, feeds))
}

fn feed_info(feeds: &[Feed]) -> Vec<Value> {
    feeds
        .iter()
        .map(|f| {
            json!({
                "symbol": f.symbol,
                "oracle": f.oracle.to_string(),
                "oracleSource": if f.source == OracleSource::PythPull { "pyth-pull" } else { "pyth-legacy" },
                "price": f.price,
            })
        })
        .collect()
}

/// A node with no exchange yet: ProgramData naming `upgrade_authority`, the mint at the
/// config's collateral address, and the config's Pyth accounts, for a deployment to run against
/// (`migrations/deploy.ts`).
pub async fn bare(
    config: &DeployConfig,
    upgrade_authority: Pubkey,
    seed: u64,
) -> Result<(Node, Keys, Value), BootstrapError> {
    let keys = Keys {
        admin: Keypair::new(),
        guardian: Keypair::new(),
        faucet: Keypair::new(),
    };
    let (chain, mint, feeds) = base(config, upgrade_authority, &keys.faucet, wall_clock()).await?;
    let info = json!({
        "programId": cross_margin::ID.to_string(),
        "exchange": crossmargin_sdk::pda::exchange().to_string(),
        "collateralMint": mint.to_string(),
        "upgradeAuthority": upgrade_authority.to_string(),
        "feeds": feed_info(&feeds),
    });
    let faucet = keys.faucet.insecure_clone();
    let mut node = Node::new(chain, mint, faucet, seed);
    node.feeds = feeds;
    node.sync_clock().await;
    Ok((node, keys, info))
}

/// Builds the node's chain from `config`: `bare` plus the exchange and every market listed
/// through the timelock. Returns the node (feeds registered), the keys, and the addresses
/// `localnet_info` reports.
pub async fn bootstrap(
    config: &DeployConfig,
    seed: u64,
) -> Result<(Node, Keys, Value), BootstrapError> {
    let keys = Keys {
        admin: Keypair::new(),
        guardian: Keypair::new(),
        faucet: Keypair::new(),
    };
    let delay = config
        .timelock_delay_secs
        .unwrap_or(cross_margin::constants::MIN_TIMELOCK_DELAY_SECS);
    // the listings wait out the delay in the past and land a minute ago
    let start = wall_clock() - delay as i64 - 60;
    let (mut chain, mint, feeds) = base(config, keys.admin.pubkey(), &keys.faucet, start).await?;
    step(
        "fund admin",
        chain.airdrop(&keys.admin.pubkey(), 100_000_000_000).await,
    )?;
    let guardian = match &config.guardian {
        Some(g) => g
            .parse()
            .map_err(|_| BootstrapError::Step(format!("guardian '{g}' is not an address")))?,
        None => keys.guardian.pubkey(),
    };
    step(
        "initialize_exchange",
        chain
            .send_with_logs(
                &[ix::initialize_exchange(
                    keys.admin.pubkey(),
                    mint,
                    config.liquidation_buffer,
                    guardian,
                    delay,
                )],
                &[&keys.admin],
                0,
            )
            .await,
    )?;
    let mut actions = Vec::new();
    let mut table = fixed_table_accounts(&mint);
    let mut grouped = false;
    for (i, m) in config.markets.iter().enumerate() {
        actions.push(m.add_market_action()?);
        table.extend(market_table_accounts(i as u16, feeds[i].oracle));
        grouped |= m.params.margin_group != 0;
    }
    let lookup = step(
        "lookup table",
        chain.create_lookup_table(&keys.admin, &table).await,
    )?;
    actions.push(AdminAction::SetLookupTables {
        tables: vec![lookup],
    });
    if grouped {
        actions.push(AdminAction::SetPortfolioMargin { enabled: true });
    }
    let oracle_list: Vec<Feed> = feeds.clone();
    step(
        "queue and execute the listings",
        chain
            .queue_and_execute(&keys.admin, actions, async |c: &mut EmbeddedChain| {
                let now = c.now().await;
                for f in &oracle_list {
                    let q = Quote {
                        price: f.price,
                        conf: 0,
                        ema: f.price,
                        publish_time: now,
                    };
                    c.write_oracle(f.oracle, f.source, f.feed_id, q).await;
                }
            })
            .await,
    )?;
    chain.use_exchange_tables().await;
    let markets: Vec<Value> = feed_info(&feeds)
        .into_iter()
        .enumerate()
        .map(|(i, mut v)| {
            v["index"] = json!(i);
            v["market"] = json!(crossmargin_sdk::pda::market(i as u16).to_string());
            v
        })
        .collect();
    let info = json!({
        "programId": cross_margin::ID.to_string(),
        "exchange": crossmargin_sdk::pda::exchange().to_string(),
        "vault": crossmargin_sdk::pda::vault().to_string(),
        "collateralMint": mint.to_string(),
        "admin": keys.admin.pubkey().to_string(),
        "guardian": guardian.to_string(),
        "timelockDelaySecs": delay,
        "lookupTables": [lookup.to_string()],
        "markets": markets,
    });
    let faucet = keys.faucet.insecure_clone();
    let mut node = Node::new(chain, mint, faucet, seed);
    node.feeds = feeds;
    node.sync_clock().await;
    for i in 0..node.feeds.len() {
        let p = node.feeds[i].price;
        node.publish(i, p).await;
    }
    Ok((node, keys, info))
}
