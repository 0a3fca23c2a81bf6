//! `crossmargin maker run`: a reference market maker. It quotes each configured market at the
//! oracle price plus or minus its spread, widened by the oracle's confidence and skewed by its own
//! inventory, and answers a quote with the fill transaction it has signed (the taker pays the fee
//! and signs last: the RFQ flow of Jupiter's and OKX's Solana RFQ). It refuses, with a JSON error
//! and a 4xx status, what it does not quote, sizes over its limits, stale or too uncertain
//! oracles, trades that would break its own inventory or margin limits, and takers whose fill
//! would fail (it simulates first).
//!
//! The chain (the keeper's `Chain` trait: RPC or embedded) lives on one worker thread that
//! answers the HTTP handlers over a channel, so quotes are computed one at a time against one
//! view of the accounts; the server is axum.
//!
//! A quote holds while its blockhash does: the maker picks the oldest recent blockhash that
//! still leaves `quote_blocks` blocks of validity, so a taker cannot keep a signed quote as a
//! free option for the ~150 blocks a fresh blockhash allows.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::Arc;

use anchor_lang::prelude::Pubkey;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use cross_margin::oracle::OracleUse;
use cross_margin::risk::trade_fee;
use cross_margin::state::MarginAccount;
use cross_margin::trading::apply_side;
use crossmargin_keeper::markets::ExchangeState;
use crossmargin_keeper::{load_exchange, Chain, ChainError};
use crossmargin_sdk::rfq::{
    MarketsResponse, QuoteError, QuoteRequest, QuoteResponse, QuotedMarket,
};
use crossmargin_sdk::{accounts as decode, health, instructions as ix, pda, tx};
use serde::Deserialize;
use solana_sdk::hash::Hash;
use solana_sdk::signature::{Keypair, Signer};
use tokio::sync::{mpsc, oneshot};
use tracing::{info, warn};

/// One market the maker quotes.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MarketConfig {
    pub market_index: u16,
    /// Half the quoted spread at zero inventory, basis points of the oracle price.
    pub spread_bps: u32,
    /// Largest |size| of one quote, whole units (decimal string, e.g. "10" or "0.5").
    pub max_size: String,
    /// Largest |position| the maker will hold, whole units.
    pub max_inventory: String,
    /// How far both prices move against the maker's position at full inventory, basis points.
    #[serde(default)]
    pub skew_bps: u32,
}

/// The maker's configuration (JSON, camelCase).
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MakerConfig {
    pub markets: Vec<MarketConfig>,
    /// Blocks of validity a quote's transaction keeps at least (~0.4 s each).
    #[serde(default = "default_quote_blocks")]
    pub quote_blocks: u64,
    /// The compute-unit limit and price the quoted transaction carries (the taker pays them).
    #[serde(default = "default_unit_limit")]
    pub compute_unit_limit: u32,
    #[serde(default = "default_unit_price")]
    pub compute_unit_price: u64,
    /// How much of the oracle's confidence interval widens the spread, percent.
    #[serde(default = "default_conf_widening")]
    pub conf_widening_pct: u32,
}

fn default_quote_blocks() -> u64 {
    25
}
fn default_unit_limit() -> u32 {
    400_000
}
fn default_unit_price() -> u64 {
    10_000
}
fn default_conf_widening() -> u32 {
    100
}

impl MakerConfig {
    pub fn parse(text: &str) -> Result<Self, String> {
        serde_json::from_str(text).map_err(|e| format!("maker config is not valid: {e}"))
    }
}

/// A whole-unit decimal string in base native units (9 decimals), exactly.
pub fn parse_units(text: &str) -> Result<u64, String> {
    let (int, frac) = text.trim().split_once('.').unwrap_or((text.trim(), ""));
    let ok = !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
        && frac.len() <= 9;
    if !ok {
        return Err(format!(
            "'{text}' is not a whole-unit amount with at most 9 decimals"
        ));
    }
    let frac_v: u64 = if frac.is_empty() {
        0
    } else {
        frac.parse::<u64>().map_err(|e| e.to_string())? * 10u64.pow(9 - frac.len() as u32)
    };
    int.parse::<u64>()
        .ok()
        .and_then(|i| i.checked_mul(1_000_000_000))
        .and_then(|v| v.checked_add(frac_v))
        .ok_or_else(|| format!("'{text}' is too large"))
}

/// A refusal: the HTTP status and what to say.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub status: u16,
    pub reason: &'static str,
    pub message: String,
}

impl Refusal {
    fn new(status: u16, reason: &'static str, message: impl Into<String>) -> Self {
        Refusal {
            status,
            reason,
            message: message.into(),
        }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST);
        let body = QuoteError {
            error: self.message,
            reason: self.reason.to_string(),
        };
        (status, Json(body)).into_response()
    }
}

fn unavailable(e: ChainError) -> Refusal {
    Refusal::new(
        503,
        "chain_unavailable",
        format!("the maker cannot read the chain: {e}"),
    )
}

/// The quoting state the worker owns.
struct Worker<C: Chain> {
    chain: C,
    authority: Keypair,
    account: Pubkey,
    config: MakerConfig,
    /// Recent blockhashes with the last block height each lands at.
    recent: VecDeque<(Hash, u64)>,
}

/// The price a taker trading `size` gets: the oracle moved by the half spread (widened by the
/// confidence) towards the maker, and by the skew against the maker's inventory. In ppm of the
/// oracle price; positive: above.
pub fn quote_offset_ppm(
    size: i64,
    spread_bps: u32,
    conf_ppm: u64,
    widening_pct: u32,
    inventory: i64,
    max_inventory: u64,
    skew_bps: u32,
) -> i64 {
    let half = spread_bps as i64 * 100 + (conf_ppm as i64 * widening_pct as i64 / 100);
    // long inventory: both prices lower (to sell); short: higher
    let skew = if max_inventory == 0 {
        0
    } else {
        (skew_bps as i128 * 100 * inventory as i128 / max_inventory as i128) as i64
    };
    if size > 0 {
        half - skew
    } else {
        -half - skew
    }
}

impl<C: Chain> Worker<C> {
    fn market(&self, index: u16) -> Option<&MarketConfig> {
        self.config.markets.iter().find(|m| m.market_index == index)
    }

    async fn account(&mut self, key: &Pubkey) -> Result<Option<MarginAccount>, Refusal> {
        match self.chain.get_account(key).await.map_err(unavailable)? {
            None => Ok(None),
            Some(a) => decode::decode_margin_account(&a.data)
                .map(Some)
                .map_err(|e| Refusal::new(503, "chain_unavailable", e.to_string())),
        }
    }

    /// The oracle price, its confidence (ppm) and the offset for `size` in market `m`.
    fn price_for(
        &self,
        state: &ExchangeState,
        m: &MarketConfig,
        size: i64,
        inventory: i64,
    ) -> Result<(i64, i64), Refusal> {
        let ms = state.markets.get(&m.market_index).ok_or_else(|| {
            Refusal::new(
                404,
                "unknown_market",
                format!("market {} is not listed", m.market_index),
            )
        })?;
        let oracle = ms.trading_price(state.now).ok_or_else(|| {
            Refusal::new(
                409,
                "stale_oracle",
                format!(
                    "market {}'s oracle is not valid for trading now",
                    m.market_index
                ),
            )
        })?;
        let conf_ppm = (oracle.conf as u128 * 1_000_000 / oracle.price.max(1) as u128) as u64;
        let max_inventory = parse_units(&m.max_inventory).unwrap_or(0);
        let off = quote_offset_ppm(
            size,
            m.spread_bps,
            conf_ppm,
            self.config.conf_widening_pct,
            inventory,
            max_inventory,
            m.skew_bps,
        );
        // stay inside the program's band around the oracle, or do not quote
        let band = ms.market.price_band as i64;
        if off.abs() >= band {
            return Err(Refusal::new(409, "too_uncertain", format!("the quote would be {} ppm from the oracle, outside the market's {band} ppm band", off.abs())));
        }
        let p = oracle.price as i128;
        let price = (p + p * off as i128 / 1_000_000).max(1) as i64;
        Ok((oracle.price, price))
    }

    async fn markets(&mut self) -> Result<MarketsResponse, Refusal> {
        let state = load_exchange(&mut self.chain).await.map_err(unavailable)?;
        let me = self
            .account(&self.account.clone())
            .await?
            .unwrap_or_else(bytemuck_zeroed);
        let mut out = Vec::new();
        for m in self.config.markets.clone() {
            let inventory = me.position(m.market_index).map_or(0, |p| p.base);
            let side = |size: i64| {
                self.price_for(&state, &m, size, inventory)
                    .ok()
                    .map(|(_, p)| p.to_string())
            };
            out.push(QuotedMarket {
                market_index: m.market_index,
                symbol: state
                    .markets
                    .get(&m.market_index)
                    .map(|s| s.market.symbol_str().to_string())
                    .unwrap_or_default(),
                max_size: parse_units(&m.max_size).unwrap_or(0).to_string(),
                spread_bps: m.spread_bps,
                bid: side(-1),
                ask: side(1),
                inventory: inventory.to_string(),
            });
        }
        Ok(MarketsResponse {
            maker: self.authority.pubkey().to_string(),
            maker_account: self.account.to_string(),
            markets: out,
        })
    }

    /// The blockhash whose validity is the shortest that still covers `quote_blocks`.
    async fn blockhash(&mut self) -> Result<(Hash, u64, u64), Refusal> {
        let (hash, last_valid, height) =
            self.chain.blockhash_validity().await.map_err(unavailable)?;
        if self.recent.back().map(|(h, _)| *h) != Some(hash) {
            self.recent.push_back((hash, last_valid));
            if self.recent.len() > 512 {
                self.recent.pop_front();
            }
        }
        let want = height + self.config.quote_blocks;
        let pick = self
            .recent
            .iter()
            .filter(|(_, lv)| *lv >= want)
            .min_by_key(|(_, lv)| *lv)
            .copied()
            .unwrap_or((hash, last_valid));
        // an older blockhash can be gone before its block count says (the local node's bank ages
        // them by wall time too): ask the runtime, and sign on the newest when it is
        if pick.0 != hash
            && !self
                .chain
                .is_blockhash_valid(&pick.0)
                .await
                .map_err(unavailable)?
        {
            self.recent.retain(|(h, _)| *h == hash);
            return Ok((hash, last_valid, height));
        }
        Ok((pick.0, pick.1, height))
    }

    async fn quote(&mut self, req: QuoteRequest) -> Result<QuoteResponse, Refusal> {
        let bad = |m: String| Refusal::new(400, "bad_request", m);
        let taker: Pubkey = req
            .taker
            .parse()
            .map_err(|_| bad(format!("taker '{}' is not an address", req.taker)))?;
        let size: i64 = req.size.parse().map_err(|_| {
            bad(format!(
                "size '{}' is not an integer of base units",
                req.size
            ))
        })?;
        if size == 0 || size == i64::MIN {
            return Err(bad("size must be a non-zero number of base units".into()));
        }
        let m = self.market(req.market_index).cloned().ok_or_else(|| {
            Refusal::new(
                404,
                "unknown_market",
                format!("this maker does not quote market {}", req.market_index),
            )
        })?;
        let max_size = parse_units(&m.max_size).unwrap_or(0);
        if size.unsigned_abs() > max_size {
            return Err(Refusal::new(
                422,
                "size_over_limit",
                format!(
                    "|size| {} is over this maker's {max_size} for market {}",
                    size.unsigned_abs(),
                    m.market_index
                ),
            ));
        }
        let state = load_exchange(&mut self.chain).await.map_err(unavailable)?;
        let me = self.account(&self.account.clone()).await?.ok_or_else(|| {
            Refusal::new(
                503,
                "maker_unfunded",
                "the maker's margin account does not exist",
            )
        })?;
        let inventory = me.position(m.market_index).map_or(0, |p| p.base);
        let after = inventory as i128 - size as i128;
        let max_inventory = parse_units(&m.max_inventory).unwrap_or(0) as i128;
        if after.abs() > max_inventory && after.abs() > (inventory as i128).abs() {
            return Err(Refusal::new(
                409,
                "inventory_limit",
                format!("the maker would hold {after} base units, over its {max_inventory}"),
            ));
        }
        let (oracle, price) = self.price_for(&state, &m, size, inventory)?;
        // the maker's own margin after the trade, as the program computes it
        let views: Vec<_> = state
            .views(OracleUse::Trading)
            .into_iter()
            .flatten()
            .collect();
        let maker_fee = state.markets[&m.market_index].market.maker_fee as i64;
        let mut mine = me;
        let side = apply_side(
            &mut mine,
            &views,
            m.market_index,
            0,
            -size,
            price,
            trade_fee(-size, price, maker_fee).unwrap_or(0),
        )
        .map_err(|e| {
            Refusal::new(
                409,
                "maker_margin",
                format!("the maker's side does not compute: {e}"),
            )
        })?;
        if side.grows() && !side.after.meets_initial() {
            return Err(Refusal::new(
                409,
                "maker_margin",
                "the maker's margin cannot carry this trade",
            ));
        }
        let taker_account_key = pda::margin_account(&taker, req.sub_account);
        let taker_account = self.account(&taker_account_key).await?.ok_or_else(|| {
            Refusal::new(
                422,
                "taker_account_missing",
                format!("{taker_account_key} is not a margin account"),
            )
        })?;
        let oracles = |i: u16| state.oracle(i);
        let health = health::fill_health_metas(&taker_account, &me, m.market_index, &oracles)
            .map_err(|e| {
                Refusal::new(409, "stale_oracle", format!("no price for market {}", e.0))
            })?;
        let oracle_key = state.oracle(m.market_index).expect("listed");
        let fill = ix::fill(
            taker,
            self.authority.pubkey(),
            taker_account_key,
            self.account,
            m.market_index,
            oracle_key,
            size,
            price,
            health,
        );
        let mut ixs = tx::compute_budget(
            self.config.compute_unit_limit,
            self.config.compute_unit_price,
        )
        .to_vec();
        ixs.push(fill);
        let (hash, last_valid, height) = self.blockhash().await?;
        let message = tx::compile_message(&taker, &ixs, &state.tables, hash)
            .map_err(|e| Refusal::new(422, "too_large", e.to_string()))?;
        let mut t = tx::unsigned(message);
        tx::sign_partial(&mut t, &[&self.authority]);
        tx::check_limits(&t).map_err(|e| Refusal::new(422, "too_large", e.to_string()))?;
        let sim = self.chain.simulate(&t).await.map_err(unavailable)?;
        if let Some(e) = sim.error {
            warn!(%taker, market = m.market_index, size, error = %e, "quote refused: the fill would fail");
            // name the program's error when there is one
            let why = match &e {
                ChainError::Failed {
                    program_error: Some(c),
                    ..
                } => cross_margin::error::ErrorCode::from_code(*c)
                    .map(|x| format!("{x:?} ({c})"))
                    .unwrap_or_else(|| e.to_string()),
                _ => e.to_string(),
            };
            return Err(Refusal::new(
                422,
                "taker_refused",
                format!("the fill would fail: {why}"),
            ));
        }
        use base64::Engine;
        let bytes =
            bincode::serialize(&t).map_err(|e| Refusal::new(500, "internal", e.to_string()))?;
        info!(%taker, market = m.market_index, size, price, oracle, last_valid, "quoted");
        Ok(QuoteResponse {
            market_index: m.market_index,
            size: size.to_string(),
            price: price.to_string(),
            oracle_price: oracle.to_string(),
            maker: self.authority.pubkey().to_string(),
            maker_account: self.account.to_string(),
            last_valid_block_height: last_valid,
            expires_at: state.now + (last_valid.saturating_sub(height) as i64 * 2) / 5,
            transaction: base64::engine::general_purpose::STANDARD.encode(bytes),
        })
    }
}

fn bytemuck_zeroed() -> MarginAccount {
    <MarginAccount as bytemuck::Zeroable>::zeroed()
}

enum Job {
    Markets(oneshot::Sender<Result<MarketsResponse, Refusal>>),
    Quote(
        QuoteRequest,
        oneshot::Sender<Result<QuoteResponse, Refusal>>,
    ),
}

/// The handlers' side of the worker.
#[derive(Clone)]
pub struct MakerHandle {
    jobs: mpsc::Sender<Job>,
    pub maker: Pubkey,
    pub maker_account: Pubkey,
}

impl MakerHandle {
    pub async fn markets(&self) -> Result<MarketsResponse, Refusal> {
        let (tx, rx) = oneshot::channel();
        self.jobs
            .send(Job::Markets(tx))
            .await
            .map_err(|_| Refusal::new(503, "stopped", "the maker stopped"))?;
        rx.await
            .map_err(|_| Refusal::new(503, "stopped", "the maker stopped"))?
    }

    pub async fn quote(&self, req: QuoteRequest) -> Result<QuoteResponse, Refusal> {
        let (tx, rx) = oneshot::channel();
        self.jobs
            .send(Job::Quote(req, tx))
            .await
            .map_err(|_| Refusal::new(503, "stopped", "the maker stopped"))?;
        rx.await
            .map_err(|_| Refusal::new(503, "stopped", "the maker stopped"))?
    }
}

/// Starts the worker thread that owns `chain` and quotes from the margin account `sub` of
/// `authority`.
pub fn spawn<C: Chain + Send + 'static>(
    chain: C,
    authority: Keypair,
    sub: u16,
    config: MakerConfig,
) -> MakerHandle {
    let (jobs, mut rx) = mpsc::channel::<Job>(256);
    let maker = authority.pubkey();
    let account = pda::margin_account(&maker, sub);
    std::thread::Builder::new()
        .name("maker-chain".into())
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            runtime.block_on(async move {
                let mut w = Worker {
                    chain,
                    authority,
                    account,
                    config,
                    recent: VecDeque::new(),
                };
                // a blockhash every slot or so, so a quote can be given one that is old enough
                let mut tick = tokio::time::interval(std::time::Duration::from_millis(400));
                loop {
                    tokio::select! {
                        job = rx.recv() => match job {
                            Some(Job::Markets(reply)) => {
                                let _ = reply.send(w.markets().await);
                            }
                            Some(Job::Quote(req, reply)) => {
                                let _ = reply.send(w.quote(req).await);
                            }
                            None => break,
                        },
                        _ = tick.tick() => {
                            let _ = w.blockhash().await;
                        }
                    }
                }
            })
        })
        .expect("a worker thread");
    MakerHandle {
        jobs,
        maker,
        maker_account: account,
    }
}

/// The HTTP API: `GET /markets`, `POST /quote`.
pub fn router(handle: MakerHandle) -> Router {
    // a frontend on another origin asks for quotes from the browser
    Router::new()
        .route("/markets", get(markets))
        .route("/quote", post(quote))
        .layer(tower_http::cors::CorsLayer::permissive())
        .with_state(Arc::new(handle))
}

async fn markets(State(h): State<Arc<MakerHandle>>) -> Result<Json<MarketsResponse>, Refusal> {
    h.markets().await.map(Json)
}

async fn quote(
    State(h): State<Arc<MakerHandle>>,
    body: Result<Json<QuoteRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<QuoteResponse>, Refusal> {
    let Json(req) = body.map_err(|e| Refusal::new(400, "bad_request", e.body_text()))?;
    h.quote(req).await.map(Json)
}

/// A running maker server.
pub struct MakerServer {
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl MakerServer {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting, finishes the requests in flight, and returns.
    pub async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        let _ = self.task.await;
    }
}

/// Serves the maker on `addr` (port 0: any free port) until `stop`.
pub async fn serve(handle: MakerHandle, addr: SocketAddr) -> std::io::Result<MakerServer> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = oneshot::channel::<()>();
    let app = router(handle);
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await;
    });
    Ok(MakerServer {
        addr,
        stop: Some(stop),
        task,
    })
}
