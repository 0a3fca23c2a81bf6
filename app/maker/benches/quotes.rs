//! The quote endpoint under concurrent requests: a local node (no price ticks), the reference
//! maker over RPC to it, and `CONCURRENCY` clients posting `REQUESTS` quotes in all (each quote
//! reads the exchange, both accounts and the oracle, signs, and simulates the fill). Prints
//! quotes per second and latency percentiles. `cargo bench -p crossmargin-maker --bench quotes`.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crossmargin_keeper::rpc::RpcChain;
use crossmargin_localnet::{Genesis, Options};
use crossmargin_sdk::config::DeployConfig;
use crossmargin_sdk::{accounts as decode, instructions as ix, pda, tx};
use serde_json::{json, Value};
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use solana_rpc_client_api::request::RpcRequest;
use solana_sdk::commitment_config::CommitmentConfig;
use solana_sdk::signature::{Keypair, Signer};

const REQUESTS: usize = 400;
const CONCURRENCY: usize = 8;

async fn funded(rpc: &RpcClient, usdc: u64) -> Keypair {
    let k = Keypair::new();
    let _: Value = rpc
        .send(
            RpcRequest::Custom {
                method: "localnet_faucet",
            },
            json!([k.pubkey().to_string(), usdc]),
        )
        .await
        .expect("faucet");
    let sig = rpc
        .request_airdrop(&k.pubkey(), 10_000_000_000)
        .await
        .expect("airdrop");
    rpc.poll_for_signature(&sig).await.expect("confirmed");
    let mint = decode::decode_exchange(
        &rpc.get_account(&pda::exchange())
            .await
            .expect("exchange")
            .data,
    )
    .expect("exchange")
    .collateral_mint;
    let token = anchor_spl_ata(&k.pubkey(), &mint);
    let ixs = [
        ix::create_margin_account(k.pubkey(), 0),
        ix::deposit(k.pubkey(), pda::margin_account(&k.pubkey(), 0), token, usdc),
    ];
    let hash = rpc.get_latest_blockhash().await.expect("blockhash");
    let t = tx::build_transaction(&k, &ixs, &[&k], &[], hash).expect("tx");
    rpc.send_and_confirm_transaction(&t).await.expect("funded");
    k
}

fn anchor_spl_ata(
    owner: &solana_sdk::pubkey::Pubkey,
    mint: &solana_sdk::pubkey::Pubkey,
) -> solana_sdk::pubkey::Pubkey {
    let (k, _) = solana_sdk::pubkey::Pubkey::find_program_address(
        &[owner.as_ref(), spl_token_id().as_ref(), mint.as_ref()],
        &"ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL"
            .parse()
            .expect("ata program"),
    );
    k
}

fn spl_token_id() -> solana_sdk::pubkey::Pubkey {
    "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA"
        .parse()
        .expect("token program")
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let config = DeployConfig::parse(include_str!("../../../migrations/config.localnet.json")).expect("config");
        let node = crossmargin_localnet::start(Options { port: 0, genesis: Genesis::Bootstrap(config), seed: 1, tick: None })
            .await
            .expect("node");
        let rpc = RpcClient::new_with_timeout_and_commitment(node.url(), Duration::from_secs(30), CommitmentConfig::confirmed());
        let maker = funded(&rpc, 1_000_000_000_000).await;
        let taker = funded(&rpc, 100_000_000_000).await;
        let handle = crossmargin_maker::spawn(
            RpcChain::new(&node.url(), maker.insecure_clone()),
            maker,
            0,
            crossmargin_maker::MakerConfig::parse(r#"{"markets": [{"marketIndex": 0, "spreadBps": 10, "maxSize": "100", "maxInventory": "1000"}]}"#).expect("maker config"),
        );
        let server = crossmargin_maker::serve(handle, SocketAddr::from(([127, 0, 0, 1], 0))).await.expect("maker");
        let url = format!("{}/quote", server.url());
        let http = reqwest::Client::new();
        let body = json!({"taker": taker.pubkey().to_string(), "marketIndex": 0, "size": "1000000000"});
        // warm up
        let r = http.post(&url).json(&body).send().await.expect("quote");
        assert!(r.status().is_success(), "{:?}", r.text().await);
        let started = Instant::now();
        let mut tasks = Vec::new();
        for c in 0..CONCURRENCY {
            let (http, url, body) = (http.clone(), url.clone(), body.clone());
            tasks.push(tokio::spawn(async move {
                let mut lat = Vec::new();
                for _ in (c..REQUESTS).step_by(CONCURRENCY) {
                    let t = Instant::now();
                    let r = http.post(&url).json(&body).send().await.expect("quote");
                    assert!(r.status().is_success());
                    let _ = r.bytes().await;
                    lat.push(t.elapsed());
                }
                lat
            }));
        }
        let mut all = Vec::new();
        for t in tasks {
            all.extend(t.await.expect("client"));
        }
        let total = started.elapsed();
        all.sort();
        let pct = |p: f64| all[((all.len() as f64 * p) as usize).min(all.len() - 1)];
        println!(
            "quotes: {} requests, {CONCURRENCY} concurrent clients, {:.1} s: {:.0} quotes/s; latency p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            all.len(),
            total.as_secs_f64(),
            all.len() as f64 / total.as_secs_f64(),
            pct(0.50).as_secs_f64() * 1e3,
            pct(0.90).as_secs_f64() * 1e3,
            pct(0.99).as_secs_f64() * 1e3,
            all[all.len() - 1].as_secs_f64() * 1e3,
        );
        server.stop().await;
        node.stop().await;
    });
}
