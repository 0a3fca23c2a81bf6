//! The taker's side of request for quote: ask each maker, check every quoted transaction
//! (`crossmargin_sdk::rfq::verify_quote_transaction`) against what the taker reads on chain
//! itself, take the best, sign and send it. Used by `crossmargin trade` and by the keeper to
//! unwind what it took over.

use std::time::Duration;

use anchor_lang::prelude::Pubkey;
use crossmargin_sdk::rfq::{
    verify_quote_transaction, Expected, MarketsResponse, QuoteRequest, QuoteResponse,
};
use crossmargin_sdk::{accounts as decode, health, pda, tx};
use solana_sdk::signature::{Keypair, Signature, Signer};
use solana_sdk::transaction::VersionedTransaction;

use crate::chain::{Chain, ChainError};
use crate::markets::load_exchange;

/// What the taker wants.
#[derive(Clone, Debug)]
pub struct TakeRequest {
    pub sub_account: u16,
    pub market_index: u16,
    /// Signed base size (positive: buy).
    pub size: i64,
    /// The worst price accepted, basis points from the oracle price the taker reads.
    pub max_slippage_bps: u32,
    /// The largest compute-unit price (micro-lamports) a maker may make the taker pay.
    pub max_compute_unit_price: u64,
    pub makers: Vec<String>,
    /// Per-request timeout.
    pub timeout: Duration,
}

/// One maker's answer.
#[derive(Clone, Debug)]
pub enum Offer {
    /// A quote that passed every check, at this price.
    Valid {
        url: String,
        price: i64,
        quote: QuoteResponse,
    },
    /// Refused by the maker (its JSON error), unreachable, or refused by the taker's checks.
    Rejected { url: String, why: String },
}

/// What happened.
#[derive(Clone, Debug)]
pub struct TakeReport {
    pub oracle_price: i64,
    pub limit_price: i64,
    pub offers: Vec<Offer>,
    /// The quote taken, its price and the landed signature.
    pub taken: Option<(String, i64, Signature)>,
}

#[derive(Debug, thiserror::Error)]
pub enum TakeError {
    #[error(transparent)]
    Chain(#[from] ChainError),
    #[error("{0}")]
    Input(String),
    #[error("no maker gave a quote that passed the checks: {0}")]
    NoValidQuote(String),
}

async fn ask(
    http: &reqwest::Client,
    url: &str,
    req: &QuoteRequest,
) -> Result<(MarketsResponse, QuoteResponse), String> {
    let base = url.trim_end_matches('/');
    let markets: MarketsResponse = http
        .get(format!("{base}/markets"))
        .send()
        .await
        .map_err(|e| format!("unreachable: {e}"))?
        .json()
        .await
        .map_err(|e| format!("GET /markets: {e}"))?;
    let r = http
        .post(format!("{base}/quote"))
        .json(req)
        .send()
        .await
        .map_err(|e| format!("unreachable: {e}"))?;
    if !r.status().is_success() {
        let status = r.status();
        let body: serde_json::Value = r.json().await.unwrap_or_default();
        return Err(format!(
            "refused ({status}): {}",
            body["error"].as_str().unwrap_or("no reason given")
        ));
    }
    let quote: QuoteResponse = r.json().await.map_err(|e| format!("POST /quote: {e}"))?;
    Ok((markets, quote))
}

/// Asks every maker, verifies every quote, takes the best one: signs it with `taker` (fee payer)
/// and sends it. Nothing is signed that did not pass the checks.
pub async fn take<C: Chain>(
    chain: &mut C,
    taker: &Keypair,
    req: &TakeRequest,
) -> Result<TakeReport, TakeError> {
    if req.size == 0 || req.size == i64::MIN {
        return Err(TakeError::Input("size must not be zero".into()));
    }
    let state = load_exchange(chain).await?;
    let m = state
        .markets
        .get(&req.market_index)
        .ok_or_else(|| TakeError::Input(format!("market {} is not listed", req.market_index)))?;
    let oracle = m.trading_price(state.now).ok_or_else(|| {
        TakeError::Input(format!(
            "market {}'s oracle is not valid for trading now",
            req.market_index
        ))
    })?;
    let p = oracle.price as i128;
    let slip = p * req.max_slippage_bps as i128 / 10_000;
    let limit_price = if req.size > 0 {
        p + slip
    } else {
        (p - slip).max(1)
    } as i64;
    let taker_account_key = pda::margin_account(&taker.pubkey(), req.sub_account);
    let taker_account = chain
        .get_account(&taker_account_key)
        .await?
        .and_then(|a| decode::decode_margin_account(&a.data).ok())
        .ok_or_else(|| {
            TakeError::Input(format!(
                "{taker_account_key} is not a margin account (create it first)"
            ))
        })?;
    let quote_request = QuoteRequest {
        taker: taker.pubkey().to_string(),
        sub_account: req.sub_account,
        market_index: req.market_index,
        size: req.size.to_string(),
    };
    let http = reqwest::Client::builder()
        .timeout(req.timeout)
        .build()
        .map_err(|e| TakeError::Input(e.to_string()))?;
    let mut offers = Vec::new();
    let mut best: Option<(String, i64, VersionedTransaction)> = None;
    for url in &req.makers {
        let checked = async {
            let (markets, quote) = ask(&http, url, &quote_request).await?;
            let maker: Pubkey = markets
                .maker
                .parse()
                .map_err(|_| "the maker's key is not an address".to_string())?;
            let maker_account_key: Pubkey = markets
                .maker_account
                .parse()
                .map_err(|_| "the maker's account is not an address".to_string())?;
            let maker_account = chain
                .get_account(&maker_account_key)
                .await
                .map_err(|e| e.to_string())?
                .and_then(|a| decode::decode_margin_account(&a.data).ok())
                .ok_or("the maker's account is not a margin account")?;
            let oracles = |i: u16| state.oracle(i);
            let health = health::fill_health_metas(
                &taker_account,
                &maker_account,
                req.market_index,
                &oracles,
            )
            .map_err(|e| format!("no price for market {}", e.0))?;
            use base64::Engine;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(&quote.transaction)
                .map_err(|e| format!("the transaction is not base64: {e}"))?;
            let t: VersionedTransaction = bincode::deserialize(&bytes)
                .map_err(|e| format!("the transaction does not decode: {e}"))?;
            let expected = Expected {
                taker: taker.pubkey(),
                taker_account: taker_account_key,
                maker,
                maker_account: maker_account_key,
                market_index: req.market_index,
                oracle: m.market.oracle,
                size: req.size,
                limit_price,
                health,
                tables: &state.tables,
                max_compute_units: tx::MAX_COMPUTE_UNITS,
                max_compute_unit_price: req.max_compute_unit_price,
            };
            let price = verify_quote_transaction(&t, &expected).map_err(|e| e.to_string())?;
            Ok::<_, String>((quote, price, t))
        }
        .await;
        match checked {
            Ok((quote, price, t)) => {
                let better =
                    best.as_ref().is_none_or(
                        |(_, b, _)| {
                            if req.size > 0 {
                                price < *b
                            } else {
                                price > *b
                            }
                        },
                    );
                if better {
                    best = Some((url.clone(), price, t));
                }
                offers.push(Offer::Valid {
                    url: url.clone(),
                    price,
                    quote,
                });
            }
            Err(why) => offers.push(Offer::Rejected {
                url: url.clone(),
                why,
            }),
        }
    }
    let Some((url, price, mut t)) = best else {
        let why: Vec<String> = offers
            .iter()
            .map(|o| match o {
                Offer::Rejected { url, why } => format!("{url}: {why}"),
                Offer::Valid { url, .. } => format!("{url}: valid"),
            })
            .collect();
        return Err(TakeError::NoValidQuote(why.join("; ")));
    };
    tx::sign_partial(&mut t, &[taker]);
    let sig = chain.send_transaction(&t).await?;
    Ok(TakeReport {
        oracle_price: oracle.price,
        limit_price,
        offers,
        taken: Some((url, price, sig)),
    })
}
