//! `crossmargin localnet` (a local JSON-RPC node, `crossmargin_localnet`) and `crossmargin
//! faucet` (its USDC faucet, through the node's `localnet_faucet` method).

use std::path::PathBuf;
use std::time::Duration;

use crossmargin_localnet::{Genesis, Options};
use crossmargin_sdk::config::DeployConfig;
use serde_json::json;
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use solana_rpc_client_api::request::RpcRequest;
use solana_sdk::pubkey::Pubkey;

use crate::CliError;

/// The config the node bootstraps without `--bootstrap`: SOL, ETH and BTC on their Pyth pull
/// feeds, mainnet parameters, a one-day timelock.
pub const DEFAULT_CONFIG: &str = include_str!("../../../migrations/config.localnet.json");

pub struct Args {
    pub port: u16,
    pub bootstrap: Option<PathBuf>,
    pub bare: Option<String>,
    pub seed: u64,
    pub tick_ms: u64,
    pub keys_dir: Option<PathBuf>,
}

/// Starts the node, prints its JSON line, and serves until interrupted.
pub async fn run(args: Args) -> Result<String, CliError> {
    let config = match &args.bootstrap {
        Some(path) => DeployConfig::read(path)?,
        None => DeployConfig::parse(DEFAULT_CONFIG)?,
    };
    let genesis = match &args.bare {
        Some(a) => Genesis::Bare {
            config,
            upgrade_authority: a
                .parse()
                .map_err(|_| CliError::input(format!("--bare '{a}' is not an address")))?,
        },
        None => Genesis::Bootstrap(config),
    };
    let node = crossmargin_localnet::start(Options {
        port: args.port,
        genesis,
        seed: args.seed,
        tick: (args.tick_ms > 0).then(|| Duration::from_millis(args.tick_ms)),
    })
    .await
    .map_err(|e| CliError::new(e.to_string()))?;
    let dir = args.keys_dir.unwrap_or_else(|| {
        std::env::temp_dir().join(format!("crossmargin-localnet-{}", node.http.port()))
    });
    let keys = node
        .write_keys(&dir)
        .map_err(|e| CliError::new(format!("cannot write keys to {}: {e}", dir.display())))?;
    let mut line = node.shared.info.clone();
    line["rpcUrl"] = json!(node.url());
    line["wsUrl"] = json!(node.ws_url());
    line["keys"] = json!({
        "admin": keys[0], "guardian": keys[1], "faucet": keys[2],
    });
    println!("{line}");
    eprintln!(
        "crossmargin localnet: {} (WebSocket also on {}); keys in {}; Ctrl-C stops it",
        node.url(),
        node.ws_url(),
        dir.display()
    );
    tokio::signal::ctrl_c()
        .await
        .map_err(|e| CliError::new(format!("cannot wait for Ctrl-C: {e}")))?;
    node.stop().await;
    Ok("localnet stopped".into())
}

/// USDC from the node's faucet to `owner`'s associated token account, and SOL for fees.
pub async fn faucet(
    url: &str,
    owner: Pubkey,
    usdc: u64,
    lamports: u64,
) -> Result<String, CliError> {
    let client = RpcClient::new(url.to_string());
    let unreachable = |e: solana_rpc_client_api::client_error::Error| {
        CliError::new(format!("chain unavailable: {e}"))
    };
    let out: serde_json::Value = client
        .send(
            RpcRequest::Custom {
                method: "localnet_faucet",
            },
            json!([owner.to_string(), usdc]),
        )
        .await
        .map_err(unreachable)?;
    if lamports > 0 {
        let sig = client
            .request_airdrop(&owner, lamports)
            .await
            .map_err(unreachable)?;
        client.poll_for_signature(&sig).await.map_err(unreachable)?;
    }
    Ok(format!(
        "{} USDC to {} (token account {}), {} SOL",
        crate::usdc(usdc as i64),
        owner,
        out["tokenAccount"].as_str().unwrap_or("?"),
        lamports as f64 / 1e9
    ))
}
