//! The reference market maker over HTTP on localhost, against the local node, and the taker's
//! checks: a full open and close from the CLI; every refusal of the maker as JSON with its
//! status; and every tampered quote refused by the taker with nothing signed.

use std::net::SocketAddr;
use std::time::Duration;

use anchor_lang::prelude::Pubkey;
use crossmargin_keeper::rfq::{take, Offer, TakeError, TakeRequest};
use crossmargin_keeper::rpc::RpcChain;
use crossmargin_localnet::{Genesis, Localnet, Options};
use crossmargin_maker::{MakerConfig, MakerServer};
use crossmargin_sdk::config::DeployConfig;
use crossmargin_sdk::rfq::{
    verify_quote_transaction, Expected, MarketsResponse, QuoteRejected, QuoteRequest, QuoteResponse,
};
use crossmargin_sdk::{accounts as decode, health, instructions as ix, pda, tx};
use serde_json::{json, Value};
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use solana_rpc_client_api::request::RpcRequest;
use solana_sdk::commitment_config::CommitmentConfig;
use solana_sdk::signature::{Keypair, Signer};
use solana_sdk::transaction::VersionedTransaction;

/// Which refusal a tampered quote must get.
type Refused = fn(&QuoteRejected) -> bool;

const USDC: u64 = 1_000_000;
const ONE: i64 = 1_000_000_000;
const MAKER_CONFIG: &str = r#"{"markets": [
    {"marketIndex": 0, "spreadBps": 10, "maxSize": "100", "maxInventory": "1000", "skewBps": 20},
    {"marketIndex": 1, "spreadBps": 5, "maxSize": "10", "maxInventory": "50"}
], "quoteBlocks": 25, "computeUnitPrice": 5000}"#;

struct World {
    node: Localnet,
    rpc: RpcClient,
    maker: Keypair,
    server: MakerServer,
}

async fn funded(rpc: &RpcClient, usdc: u64) -> Keypair {
    let k = Keypair::new();
    rpc.send::<Value>(
        RpcRequest::Custom {
            method: "localnet_faucet",
        },
        json!([k.pubkey().to_string(), usdc]),
    )
    .await
    .unwrap();
    let sig = rpc
        .request_airdrop(&k.pubkey(), 10_000_000_000)
        .await
        .unwrap();
    rpc.poll_for_signature(&sig).await.unwrap();
    let mint = decode::decode_exchange(&rpc.get_account(&pda::exchange()).await.unwrap().data)
        .unwrap()
        .collateral_mint;
    let token = anchor_spl::associated_token::get_associated_token_address(&k.pubkey(), &mint);
    let ixs = [
        ix::create_margin_account(k.pubkey(), 0),
        ix::deposit(k.pubkey(), pda::margin_account(&k.pubkey(), 0), token, usdc),
    ];
    let hash = rpc.get_latest_blockhash().await.unwrap();
    let t = tx::build_transaction(&k, &ixs, &[&k], &[], hash).unwrap();
    rpc.send_and_confirm_transaction(&t).await.unwrap();
    k
}

async fn world() -> World {
    let config = DeployConfig::parse(crossmargin_cli::localnet::DEFAULT_CONFIG).unwrap();
    let node = crossmargin_localnet::start(Options {
        port: 0,
        genesis: Genesis::Bootstrap(config),
        seed: 3,
        tick: None,
    })
    .await
    .unwrap();
    let rpc = RpcClient::new_with_timeout_and_commitment(
        node.url(),
        Duration::from_secs(10),
        CommitmentConfig::confirmed(),
    );
    let maker = funded(&rpc, 1_000_000 * USDC).await;
    let handle = crossmargin_maker::spawn(
        RpcChain::new(&node.url(), maker.insecure_clone()),
        maker.insecure_clone(),
        0,
        MakerConfig::parse(MAKER_CONFIG).unwrap(),
    );
    let server = crossmargin_maker::serve(handle, SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    World {
        node,
        rpc,
        maker,
        server,
    }
}

async fn post(url: &str, body: Value) -> (u16, Value) {
    let r = reqwest::Client::new()
        .post(format!("{url}/quote"))
        .json(&body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

/// `owner`'s margin account 0, as the node holds it.
async fn account_of(rpc: &RpcClient, owner: &Pubkey) -> cross_margin::state::MarginAccount {
    let data = rpc
        .get_account(&pda::margin_account(owner, 0))
        .await
        .unwrap()
        .data;
    decode::decode_margin_account(&data).unwrap()
}

/// A quote of 1 SOL bought by `taker` (it must be answered), and its transaction.
async fn quote_of(url: &str, taker: &Keypair) -> (QuoteResponse, VersionedTransaction) {
    use base64::Engine;
    let (status, body) = post(
        url,
        json!({"taker": taker.pubkey().to_string(), "marketIndex": 0, "size": ONE.to_string()}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let q: QuoteResponse = serde_json::from_value(body).unwrap();
    let t = bincode::deserialize(
        &base64::engine::general_purpose::STANDARD
            .decode(&q.transaction)
            .unwrap(),
    )
    .unwrap();
    (q, t)
}

/// A trader buys 2 SOL and sells them back through the maker, from the CLI; the maker's
/// refusals are JSON with their status.
#[tokio::test]
async fn a_trader_opens_and_closes_through_the_reference_maker() {
    use clap::Parser;
    use crossmargin_cli::app::{run, Cli};
    let w = world().await;
    let url = w.node.url();
    let dir = std::env::temp_dir().join(format!("crossmargin-maker-{}", w.server.addr.port()));
    std::fs::create_dir_all(&dir).unwrap();
    let trader = funded(&w.rpc, 2_000 * USDC).await;
    let path = dir.join("trader.json");
    solana_sdk::signature::write_keypair_file(&trader, &path).unwrap();
    let k = path.to_str().unwrap();
    let cli = |args: &[&str]| {
        let mut all = vec!["crossmargin"];
        all.extend_from_slice(args);
        Cli::try_parse_from(all).unwrap()
    };
    let maker_url = w.server.url();
    // what the maker quotes
    let m: MarketsResponse = reqwest::get(format!("{maker_url}/markets"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (m.maker.as_str(), m.markets.len()),
        (w.maker.pubkey().to_string().as_str(), 2)
    );
    let (bid, ask): (i64, i64) = (
        m.markets[0].bid.as_ref().unwrap().parse().unwrap(),
        m.markets[0].ask.as_ref().unwrap().parse().unwrap(),
    );
    assert!(bid < 150_000_000 && ask > 150_000_000, "{bid} {ask}");

    let out = run(cli(&[
        "trade",
        "--url",
        &url,
        "--keypair",
        k,
        "SOL-PERP",
        "buy",
        "2",
        "--maker",
        &maker_url,
    ]))
    .await
    .unwrap();
    assert!(out.starts_with("bought 2 SOL-PERP at"), "{out}");
    let a = account_of(&w.rpc, &trader.pubkey()).await;
    assert_eq!(a.position(0).unwrap().base, 2 * ONE);
    // the buy paid the ask: above the oracle by the half spread plus the confidence widening
    let entry = -a.position(0).unwrap().quote as i128 * 1_000_000_000 / (2 * ONE) as i128;
    assert!(entry > 150_000_000 && entry < 150_300_000, "{entry}");
    let mk = account_of(&w.rpc, &w.maker.pubkey()).await;
    assert_eq!(mk.position(0).unwrap().base, -2 * ONE);
    let out = run(cli(&[
        "trade",
        "--url",
        &url,
        "--keypair",
        k,
        "SOL-PERP",
        "sell",
        "2",
        "--maker",
        &maker_url,
    ]))
    .await
    .unwrap();
    assert!(out.starts_with("sold 2 SOL-PERP at"), "{out}");
    let a = account_of(&w.rpc, &trader.pubkey()).await;
    assert!(a.position(0).is_none(), "flat again");
    assert!(
        a.collateral < 2_000 * USDC as i64,
        "the round trip paid the spread and fees"
    );

    // refusals: JSON errors with their status, nothing signed
    let t = trader.pubkey().to_string();
    let (s, b) = post(
        &maker_url,
        json!({"taker": t, "marketIndex": 0, "size": (101 * ONE).to_string()}),
    )
    .await;
    assert_eq!(
        (s, b["reason"].as_str()),
        (422, Some("size_over_limit")),
        "{b}"
    );
    let (s, b) = post(
        &maker_url,
        json!({"taker": t, "marketIndex": 2, "size": "1000000"}),
    )
    .await;
    assert_eq!(
        (s, b["reason"].as_str()),
        (404, Some("unknown_market")),
        "{b}"
    );
    let (s, b) = post(&maker_url, json!({"taker": t, "marketIndex": 0})).await;
    assert_eq!((s, b["reason"].as_str()), (400, Some("bad_request")), "{b}");
    let (s, b) = post(&maker_url, json!({"taker": Pubkey::new_unique().to_string(), "marketIndex": 0, "size": ONE.to_string()})).await;
    assert_eq!(
        (s, b["reason"].as_str()),
        (422, Some("taker_account_missing")),
        "{b}"
    );
    // 10 ETH (30,000 of notional, 3,000 of initial margin) on ~2,000 of collateral: the
    // simulation fails the taker
    let (s, b) = post(
        &maker_url,
        json!({"taker": t, "marketIndex": 1, "size": (10 * ONE).to_string()}),
    )
    .await;
    assert_eq!(
        (s, b["reason"].as_str()),
        (422, Some("taker_refused")),
        "{b}"
    );
    assert!(
        b["error"]
            .as_str()
            .unwrap()
            .contains("InitialMarginViolated"),
        "{b}"
    );
    // a page on another origin may ask (CORS preflight)
    let pre = reqwest::Client::new()
        .request(reqwest::Method::OPTIONS, format!("{maker_url}/quote"))
        .header("origin", "http://localhost:5173")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .send()
        .await
        .unwrap();
    assert!(pre.status().is_success(), "{}", pre.status());
    assert_eq!(pre.headers()["access-control-allow-origin"], "*");
    // a stale oracle: the clock jumps a minute and the prices are not republished
    w.rpc
        .send::<Value>(
            RpcRequest::Custom {
                method: "localnet_warpClock",
            },
            json!([120]),
        )
        .await
        .unwrap();
    w.node.shared.node.lock().await.feeds.clear();
    w.rpc
        .send::<Value>(
            RpcRequest::Custom {
                method: "localnet_warpClock",
            },
            json!([120]),
        )
        .await
        .unwrap();
    let (s, b) = post(
        &maker_url,
        json!({"taker": t, "marketIndex": 0, "size": ONE.to_string()}),
    )
    .await;
    assert_eq!(
        (s, b["reason"].as_str()),
        (409, Some("stale_oracle")),
        "{b}"
    );
    w.server.stop().await;
    w.node.stop().await;
}

/// A quote holds for about `quoteBlocks` blocks, not for the blockhash's whole life: the maker
/// signs against the oldest blockhash it has seen that still covers them (a later quote reuses
/// the earlier one's), and a quote the taker keeps past its `lastValidBlockHeight` is refused by
/// the runtime (`Blockhash not found`), so it is not a free option.
#[tokio::test]
async fn a_quote_expires_with_its_blockhash() {
    let w = world().await;
    let trader = funded(&w.rpc, 2_000 * USDC).await;
    let url = w.server.url();
    let quote = || quote_of(&url, &trader);
    // one landed transaction is one block on the node (no ticker here)
    let rpc = &w.rpc;
    let blocks = |n: usize| async move {
        for _ in 0..n {
            rpc.request_airdrop(&Pubkey::new_unique(), 1_000_000)
                .await
                .unwrap();
        }
    };
    let height = || async { rpc.get_block_height().await.unwrap() };
    let (q1, t1) = quote().await;
    let h1 = height().await;
    assert!(q1.last_valid_block_height >= h1 + 25, "{q1:?} at {h1}");
    blocks(10).await;
    let (q2, t2) = quote().await;
    let h2 = height().await;
    assert!(h2 >= h1 + 10);
    // the older blockhash still covers 25 blocks: reused, unless the node's bank has let it go
    // already (it ages blockhashes by wall time too: after_a_quiet_spell_...); once gone, gone
    if t2.message.recent_blockhash() == t1.message.recent_blockhash() {
        assert_eq!(q2.last_valid_block_height, q1.last_valid_block_height);
    } else {
        let alive = rpc
            .is_blockhash_valid(t1.message.recent_blockhash(), CommitmentConfig::confirmed())
            .await
            .unwrap();
        assert!(!alive, "the maker left a live older blockhash");
    }
    // the taker signs the first quote but keeps it past its validity
    let mut kept = t1.clone();
    kept.signatures[0] = trader.sign_message(&kept.message.serialize());
    let mut n = 0;
    while height().await <= q1.last_valid_block_height {
        blocks(10).await;
        n += 1;
        assert!(n < 40, "the node did not advance");
    }
    let err = w.rpc.send_transaction(&kept).await.unwrap_err().to_string();
    assert!(err.contains("Blockhash not found"), "{err}");
    // a new quote is on a newer blockhash, again covering 25 blocks
    let (q3, t3) = quote().await;
    assert_ne!(t3.message.recent_blockhash(), t1.message.recent_blockhash());
    assert!(q3.last_valid_block_height >= height().await + 25);
}

/// The local node's bank ages blockhashes by wall time as well as by blocks (program-test
/// registers one every 6.4 ms), so after two quiet seconds and a block the blockhash the maker
/// remembers as covering its 25 blocks by the block count is gone: the maker asks the runtime and
/// signs on the newest instead, a quote the taker can send (before, it signed on the dead one).
#[tokio::test]
async fn after_a_quiet_spell_the_maker_quotes_on_a_live_blockhash() {
    let w = world().await;
    let trader = funded(&w.rpc, 2_000 * USDC).await;
    let url = w.server.url();
    let quote = || async { quote_of(&url, &trader).await.1 };
    let first = quote().await;
    let h = w.rpc.get_block_height().await.unwrap();
    // two quiet seconds (a blockhash lives about one there), then a block
    tokio::time::sleep(Duration::from_secs(2)).await;
    w.rpc
        .request_airdrop(&Pubkey::new_unique(), 1_000_000)
        .await
        .unwrap();
    assert_eq!(w.rpc.get_block_height().await.unwrap(), h + 1);
    let mut t = quote().await;
    assert_ne!(
        t.message.recent_blockhash(),
        first.message.recent_blockhash()
    );
    t.signatures[0] = trader.sign_message(&t.message.serialize());
    w.rpc.send_and_confirm_transaction(&t).await.unwrap();
    let a = account_of(&w.rpc, &trader.pubkey()).await;
    assert_eq!(a.position(0).map(|p| p.base), Some(ONE));
}

/// A genuine quote, then each thing a cheating maker could change in it: the taker's check
/// refuses every one, and a maker serving a tampered quote gets nothing signed.
#[tokio::test]
async fn the_taker_refuses_every_tampered_quote() {
    let w = world().await;
    let trader = funded(&w.rpc, 2_000 * USDC).await;
    let (q, genuine) = quote_of(&w.server.url(), &trader).await;
    use base64::Engine;

    // what the taker reads itself
    let mut chain = RpcChain::new(&w.node.url(), trader.insecure_clone());
    let state = crossmargin_keeper::load_exchange(&mut chain).await.unwrap();
    let acct = |k: Pubkey| {
        let rpc = &w.rpc;
        async move { decode::decode_margin_account(&rpc.get_account(&k).await.unwrap().data).unwrap() }
    };
    let (taker_account, maker_account) = (
        pda::margin_account(&trader.pubkey(), 0),
        pda::margin_account(&w.maker.pubkey(), 0),
    );
    let (ta, ma) = (acct(taker_account).await, acct(maker_account).await);
    let oracles = |i: u16| state.oracle(i);
    let health = health::fill_health_metas(&ta, &ma, 0, &oracles).unwrap();
    let oracle = state.oracle(0).unwrap();
    let price: i64 = q.price.parse().unwrap();
    let expected = Expected {
        taker: trader.pubkey(),
        taker_account,
        maker: w.maker.pubkey(),
        maker_account,
        market_index: 0,
        oracle,
        size: ONE,
        limit_price: price + 100_000,
        health: health.clone(),
        tables: &state.tables,
        max_compute_units: tx::MAX_COMPUTE_UNITS,
        max_compute_unit_price: 100_000,
    };
    assert_eq!(verify_quote_transaction(&genuine, &expected), Ok(price));

    // the maker re-signs whatever it changes
    let hash = *genuine.message.recent_blockhash();
    let signed =
        |payer: Pubkey, ixs: Vec<anchor_lang::solana_program::instruction::Instruction>| {
            let m = tx::compile_message(&payer, &ixs, &state.tables, hash).unwrap();
            let mut t = tx::unsigned(m);
            tx::sign_partial(&mut t, &[&w.maker]);
            t
        };
    let fill = |market: u16, taker: Pubkey, maker_acct: Pubkey, size: i64, p: i64, h: Vec<_>| {
        ix::fill(
            taker,
            w.maker.pubkey(),
            pda::margin_account(&taker, 0),
            maker_acct,
            market,
            state.oracle(market).unwrap(),
            size,
            p,
            h,
        )
    };
    let budget = |price: u64| tx::compute_budget(400_000, price).to_vec();
    let with = |mut b: Vec<_>, i| {
        b.push(i);
        b
    };
    let cases: Vec<(&str, VersionedTransaction, Refused)> = vec![
        (
            "a worse price",
            signed(
                trader.pubkey(),
                with(
                    budget(5_000),
                    fill(
                        0,
                        trader.pubkey(),
                        maker_account,
                        ONE,
                        price + 1_500_000,
                        health.clone(),
                    ),
                ),
            ),
            |e| matches!(e, QuoteRejected::Price { .. }),
        ),
        (
            "another market",
            signed(
                trader.pubkey(),
                with(
                    budget(5_000),
                    fill(
                        1,
                        trader.pubkey(),
                        maker_account,
                        ONE,
                        price,
                        health::fill_health_metas(&ta, &ma, 1, &oracles).unwrap(),
                    ),
                ),
            ),
            |e| matches!(e, QuoteRejected::Market(1)),
        ),
        (
            "another size",
            signed(
                trader.pubkey(),
                with(
                    budget(5_000),
                    fill(
                        0,
                        trader.pubkey(),
                        maker_account,
                        2 * ONE,
                        price,
                        health.clone(),
                    ),
                ),
            ),
            |e| matches!(e, QuoteRejected::Size(_)),
        ),
        (
            "an extra instruction: the taker pays the maker 1 SOL",
            signed(trader.pubkey(), {
                let mut b = with(
                    budget(5_000),
                    fill(
                        0,
                        trader.pubkey(),
                        maker_account,
                        ONE,
                        price,
                        health.clone(),
                    ),
                );
                b.push(anchor_lang::solana_program::system_instruction::transfer(
                    &trader.pubkey(),
                    &w.maker.pubkey(),
                    1_000_000_000,
                ));
                b
            }),
            |e| matches!(e, QuoteRejected::ExtraInstruction(_)),
        ),
        (
            "another counterparty account",
            signed(
                trader.pubkey(),
                with(
                    budget(5_000),
                    fill(
                        0,
                        trader.pubkey(),
                        pda::margin_account(&w.maker.pubkey(), 1),
                        ONE,
                        price,
                        health.clone(),
                    ),
                ),
            ),
            |e| matches!(e, QuoteRejected::Accounts(_)),
        ),
        (
            "a priority fee of 10 SOL",
            signed(
                trader.pubkey(),
                with(
                    budget(25_000_000_000),
                    fill(
                        0,
                        trader.pubkey(),
                        maker_account,
                        ONE,
                        price,
                        health.clone(),
                    ),
                ),
            ),
            |e| matches!(e, QuoteRejected::ComputeUnitPrice(..)),
        ),
        (
            "two fills",
            signed(trader.pubkey(), {
                let mut b = with(
                    budget(5_000),
                    fill(
                        0,
                        trader.pubkey(),
                        maker_account,
                        ONE,
                        price,
                        health.clone(),
                    ),
                );
                b.push(fill(
                    0,
                    trader.pubkey(),
                    maker_account,
                    ONE,
                    price,
                    health.clone(),
                ));
                b
            }),
            |e| matches!(e, QuoteRejected::FillCount(2)),
        ),
    ];
    for (what, t, is) in &cases {
        let got = verify_quote_transaction(t, &expected);
        assert!(got.as_ref().is_err_and(is), "{what}: {got:?}");
    }
    // a fee payer that is not the taker, and a maker signature that does not verify
    let mut other_payer = signed(
        w.maker.pubkey(),
        with(
            budget(5_000),
            fill(
                0,
                trader.pubkey(),
                maker_account,
                ONE,
                price,
                health.clone(),
            ),
        ),
    );
    tx::sign_partial(&mut other_payer, &[&w.maker]);
    assert!(matches!(
        verify_quote_transaction(&other_payer, &expected),
        Err(QuoteRejected::FeePayer(_))
    ));
    let mut forged = genuine.clone();
    forged.signatures[1] = Keypair::new().sign_message(b"x");
    assert_eq!(
        verify_quote_transaction(&forged, &expected),
        Err(QuoteRejected::MakerSignature)
    );

    // over HTTP: a maker that serves the worse-priced quote; the taker signs nothing
    let tampered = cases[0].1.clone();
    let maker_pk = w.maker.pubkey().to_string();
    let app = axum::Router::new()
        .route(
            "/markets",
            axum::routing::get({
                let m = MarketsResponse {
                    maker: maker_pk.clone(),
                    maker_account: maker_account.to_string(),
                    markets: vec![],
                };
                move || async move { axum::Json(m) }
            }),
        )
        .route(
            "/quote",
            axum::routing::post({
                let q = QuoteResponse {
                    price: (price + 1_500_000).to_string(),
                    transaction: base64::engine::general_purpose::STANDARD
                        .encode(bincode::serialize(&tampered).unwrap()),
                    ..q.clone()
                };
                move |_: axum::Json<QuoteRequest>| async move { axum::Json(q) }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let cheat = format!("http://{}", listener.local_addr().unwrap());
    let serving = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let sol_before = w.rpc.get_balance(&trader.pubkey()).await.unwrap();
    let req = TakeRequest {
        sub_account: 0,
        market_index: 0,
        size: ONE,
        max_slippage_bps: 50,
        max_compute_unit_price: 100_000,
        makers: vec![cheat.clone()],
        timeout: Duration::from_secs(5),
    };
    let e = take(&mut chain, &trader, &req).await.unwrap_err();
    assert!(
        matches!(&e, TakeError::NoValidQuote(why) if why.contains("worse than the limit")),
        "{e}"
    );
    assert_eq!(
        w.rpc.get_balance(&trader.pubkey()).await.unwrap(),
        sol_before,
        "nothing was sent"
    );
    assert!(acct(taker_account).await.position(0).is_none());
    // with the honest maker beside it, the honest quote is taken
    let req = TakeRequest {
        makers: vec![cheat, w.server.url()],
        ..req
    };
    let r = take(&mut chain, &trader, &req).await.unwrap();
    assert!(
        matches!(&r.offers[0], Offer::Rejected { .. })
            && matches!(&r.offers[1], Offer::Valid { .. })
    );
    assert_eq!(acct(taker_account).await.position(0).unwrap().base, ONE);
    serving.abort();
    w.server.stop().await;
    w.node.stop().await;
}

/// The keeper, configured to unwind through the maker, liquidates an account and sells what it
/// took over back to the maker in the same round, within its slippage bound.
#[tokio::test]
async fn the_keeper_unwinds_what_it_took_over_through_the_maker() {
    let w = world().await;
    let trader = funded(&w.rpc, 1_000 * USDC).await;
    let mut chain = RpcChain::new(&w.node.url(), trader.insecure_clone());
    let buy = TakeRequest {
        sub_account: 0,
        market_index: 0,
        size: 60 * ONE,
        max_slippage_bps: 50,
        max_compute_unit_price: 100_000,
        makers: vec![w.server.url()],
        timeout: Duration::from_secs(5),
    };
    take(&mut chain, &trader, &buy).await.unwrap();
    // SOL at 140: E = 1,000 - 9.0 of spread - 4.5 of fee - 600 < MM = 420
    w.rpc
        .send::<Value>(
            RpcRequest::Custom {
                method: "localnet_setPrice",
            },
            json!(["SOL-PERP", 140_000_000]),
        )
        .await
        .unwrap();
    let keeper = funded(&w.rpc, 50_000 * USDC).await;
    let mut kchain = RpcChain::new(&w.node.url(), keeper.insecure_clone());
    let mut bot = crossmargin_keeper::Keeper::new(
        keeper.insecure_clone(),
        pda::margin_account(&keeper.pubkey(), 0),
        crossmargin_keeper::KeeperConfig {
            unwind: Some(crossmargin_keeper::keeper::Unwind {
                makers: vec![w.server.url()],
                max_slippage_bps: 100,
                max_compute_unit_price: 100_000,
            }),
            ..Default::default()
        },
    );
    let r = bot.run_once(&mut kchain).await.unwrap();
    assert!(
        r.failures.is_empty() && r.unwind_failures.is_empty(),
        "{r:?}"
    );
    assert!(r.liquidations >= 1 && r.unwinds >= 1, "{r:?}");
    let k = account_of(&w.rpc, &keeper.pubkey()).await;
    assert!(
        k.position(0).is_none(),
        "the keeper holds nothing after unwinding"
    );
    let t = account_of(&w.rpc, &trader.pubkey()).await;
    assert!(t.position(0).map_or(0, |p| p.base) < 60 * ONE);
    w.server.stop().await;
    w.node.stop().await;
}
