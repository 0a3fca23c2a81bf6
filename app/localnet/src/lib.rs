//! `crossmargin localnet`: a long-running local node that runs the crossmargin program natively
//! on program-test's bank (the same machinery as the tests: real SPL Token, the address lookup
//! table program, the account-lock limit of mainnet), and serves the Solana JSON-RPC methods our
//! clients and common tools call, over HTTP and WebSocket (`rpc`). It bootstraps an exchange from
//! the deploy script's config (`bootstrap`), gives USDC from a faucet (`localnet_faucet`), and
//! moves every market's Pyth price on a seeded random walk (or to a price set with
//! `localnet_setPrice`), so a newcomer can trade against it at once.
//!
//! What it is not: a validator. One bank, one block per slot, every transaction final when it
//! returns; no gossip, votes, forks or leader schedule; compute units are not enforced (the
//! program runs natively); accounts for `getProgramAccounts` come from an index of every account
//! a transaction named or the node wrote.

pub mod bootstrap;
pub mod node;
pub mod rpc;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use jsonrpsee::server::{RandomIntegerIdProvider, Server, ServerHandle};
use solana_sdk::signature::Signer;
use tokio::sync::Mutex;
use tower_http::cors::CorsLayer;

pub use bootstrap::{bootstrap, BootstrapError, Keys};
pub use node::Node;
pub use rpc::Shared;

/// What the node starts with.
pub enum Genesis {
    /// The config's exchange and markets, listed (the admin key is the node's).
    Bootstrap(crossmargin_sdk::config::DeployConfig),
    /// No exchange: ProgramData naming this upgrade authority, the config's mint and Pyth
    /// accounts, for a deployment (`migrations/deploy.ts`) to run against.
    Bare {
        config: crossmargin_sdk::config::DeployConfig,
        upgrade_authority: solana_sdk::pubkey::Pubkey,
    },
}

/// How to run the node.
pub struct Options {
    /// HTTP (and WebSocket) port; the WebSocket-only port is the next one, as a validator's
    /// (`0`: any free ports).
    pub port: u16,
    pub genesis: Genesis,
    /// Seed of the price walk.
    pub seed: u64,
    /// How often prices move and a slot passes (`None`: only when asked, for tests).
    pub tick: Option<Duration>,
}

/// A running node.
pub struct Localnet {
    pub http: SocketAddr,
    pub ws: SocketAddr,
    pub shared: Arc<Shared>,
    pub keys: Keys,
    handles: Vec<ServerHandle>,
    ticker: Option<tokio::task::JoinHandle<()>>,
}

impl Localnet {
    pub fn url(&self) -> String {
        format!("http://{}", self.http)
    }

    pub fn ws_url(&self) -> String {
        format!("ws://{}", self.ws)
    }

    /// Stops serving and waits for the servers to finish.
    pub async fn stop(self) {
        if let Some(t) = &self.ticker {
            t.abort();
        }
        for h in &self.handles {
            let _ = h.stop();
        }
        for h in self.handles {
            h.stopped().await;
        }
    }

    /// Writes the admin, guardian and faucet keypairs as Solana keypair files in `dir`.
    pub fn write_keys(&self, dir: &std::path::Path) -> std::io::Result<Vec<std::path::PathBuf>> {
        std::fs::create_dir_all(dir)?;
        let mut out = Vec::new();
        for (name, k) in [
            ("admin", &self.keys.admin),
            ("guardian", &self.keys.guardian),
            ("faucet", &self.keys.faucet),
        ] {
            let path = dir.join(format!("{name}.json"));
            solana_sdk::signature::write_keypair_file(k, &path)
                .map_err(|e| std::io::Error::other(e.to_string()))?;
            out.push(path);
        }
        Ok(out)
    }
}

async fn serve(
    addr: SocketAddr,
    methods: jsonrpsee::Methods,
) -> std::io::Result<(SocketAddr, ServerHandle)> {
    let server = Server::builder()
        .set_http_middleware(tower::ServiceBuilder::new().layer(CorsLayer::permissive()))
        .set_id_provider(RandomIntegerIdProvider)
        .max_request_body_size(64 * 1024)
        .build(addr)
        .await?;
    let local = server.local_addr()?;
    Ok((local, server.start(methods)))
}

/// Bootstraps the exchange and starts serving on localhost.
pub async fn start(opts: Options) -> Result<Localnet, StartError> {
    let (node, keys, mut info) = match &opts.genesis {
        Genesis::Bootstrap(config) => bootstrap(config, opts.seed).await?,
        Genesis::Bare {
            config,
            upgrade_authority,
        } => bootstrap::bare(config, *upgrade_authority, opts.seed).await?,
    };
    let notices = node.notices.clone();
    info["faucet"] = serde_json::Value::String(keys.faucet.pubkey().to_string());
    let shared = Arc::new(Shared {
        node: Mutex::new(node),
        notices,
        info,
    });
    let methods: jsonrpsee::Methods = rpc::module(shared.clone()).into();
    let (http, h1) = serve(
        SocketAddr::from(([127, 0, 0, 1], opts.port)),
        methods.clone(),
    )
    .await?;
    let ws_port = if opts.port == 0 { 0 } else { opts.port + 1 };
    let (ws, h2) = serve(SocketAddr::from(([127, 0, 0, 1], ws_port)), methods).await?;
    let ticker = opts.tick.map(|every| {
        let shared = shared.clone();
        tokio::spawn(async move {
            let mut interval = tokio::time::interval(every);
            interval.tick().await;
            loop {
                interval.tick().await;
                shared.node.lock().await.tick().await;
            }
        })
    });
    Ok(Localnet {
        http,
        ws,
        shared,
        keys,
        handles: vec![h1, h2],
        ticker,
    })
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Bootstrap(#[from] BootstrapError),
    #[error("cannot listen: {0}")]
    Listen(#[from] std::io::Error),
}
