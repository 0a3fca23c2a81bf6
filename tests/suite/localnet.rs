//! `crossmargin localnet` over real JSON-RPC: each test starts a node on free localhost ports
//! (bootstrapped from the built-in config: SOL, ETH and BTC on Pyth pull feeds) and stops it.
//! Clients are the ordinary ones: Solana's `RpcClient` and `PubsubClient`, the keeper's
//! `RpcChain`, the `crossmargin` CLI's commands, and raw HTTP for malformed requests.

use std::time::Duration;

use anchor_lang::prelude::Pubkey;
use cross_margin::events::Deposited;
use cross_margin::state::{MarginAccount, Market};
use crossmargin_localnet::{Genesis, Localnet, Options};
use crossmargin_sdk::config::DeployConfig;
use crossmargin_sdk::{accounts as decode, instructions as ix, pda, tx};
use futures_util::StreamExt;
use serde_json::{json, Value};
use solana_pubsub_client::nonblocking::pubsub_client::PubsubClient;
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use solana_rpc_client_api::client_error::ErrorKind;
use solana_rpc_client_api::config::{
    RpcAccountInfoConfig, RpcProgramAccountsConfig, RpcTransactionConfig,
};
use solana_rpc_client_api::filter::{Memcmp, RpcFilterType};
use solana_rpc_client_api::request::{RpcError, RpcRequest, RpcResponseErrorData};
use solana_sdk::commitment_config::CommitmentConfig;
use solana_sdk::signature::{Keypair, Signer};
use solana_sdk::transaction::VersionedTransaction;
use solana_transaction_status_client_types::{EncodedTransaction, UiTransactionEncoding};

use crate::harness::events::events;

const USDC: u64 = 1_000_000;

async fn node() -> Localnet {
    let config = DeployConfig::parse(crossmargin_cli::localnet::DEFAULT_CONFIG).unwrap();
    crossmargin_localnet::start(Options {
        port: 0,
        genesis: Genesis::Bootstrap(config),
        seed: 7,
        tick: None,
    })
    .await
    .expect("the node starts")
}

fn client(node: &Localnet) -> RpcClient {
    RpcClient::new_with_timeout_and_commitment(
        node.url(),
        Duration::from_secs(10),
        CommitmentConfig::confirmed(),
    )
}

async fn custom(rpc: &RpcClient, method: &'static str, params: Value) -> Value {
    rpc.send(RpcRequest::Custom { method }, params)
        .await
        .unwrap()
}

/// A wallet with SOL and USDC from the node, its margin account created and funded.
async fn funded(rpc: &RpcClient, usdc: u64) -> Keypair {
    let k = Keypair::new();
    custom(
        rpc,
        "localnet_faucet",
        json!([k.pubkey().to_string(), usdc]),
    )
    .await;
    let sig = rpc
        .request_airdrop(&k.pubkey(), 10_000_000_000)
        .await
        .unwrap();
    rpc.poll_for_signature(&sig).await.unwrap();
    let token = anchor_spl::associated_token::get_associated_token_address(
        &k.pubkey(),
        &"EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v"
            .parse()
            .unwrap(),
    );
    let ixs = [
        ix::create_margin_account(k.pubkey(), 0),
        ix::deposit(k.pubkey(), pda::margin_account(&k.pubkey(), 0), token, usdc),
    ];
    send(rpc, &k, &ixs).await.unwrap();
    k
}

async fn tables(rpc: &RpcClient) -> Vec<solana_sdk::message::AddressLookupTableAccount> {
    let ex =
        decode::decode_exchange(&rpc.get_account(&pda::exchange()).await.unwrap().data).unwrap();
    let mut out = Vec::new();
    for t in ex.lookup_tables {
        let a = rpc.get_account(&t).await.unwrap();
        out.push(tx::decode_lookup_table(t, &a.data).unwrap());
    }
    out
}

/// Sends `ixs` paid and signed by `payer` as a v0 transaction against the exchange's tables.
async fn send(
    rpc: &RpcClient,
    payer: &Keypair,
    ixs: &[anchor_lang::solana_program::instruction::Instruction],
) -> Result<solana_sdk::signature::Signature, solana_rpc_client_api::client_error::Error> {
    let tables = tables(rpc).await;
    let hash = rpc.get_latest_blockhash().await?;
    let t = tx::build_transaction(payer, ixs, &[payer], &tables, hash).unwrap();
    rpc.send_and_confirm_transaction(&t).await
}

fn rpc_code(e: &solana_rpc_client_api::client_error::Error) -> Option<i64> {
    match e.kind() {
        ErrorKind::RpcError(RpcError::RpcResponseError { code, .. }) => Some(*code),
        _ => None,
    }
}

/// The methods our clients call, answered in the validator's shapes; each refusal with the
/// validator's code; the node keeps serving after malformed requests.
#[tokio::test]
async fn the_local_node_answers_json_rpc_as_a_validator() {
    let node = node().await;
    let rpc = client(&node);
    rpc.get_health().await.unwrap();
    assert!(rpc
        .get_version()
        .await
        .unwrap()
        .solana_core
        .starts_with("2.3"));
    assert_ne!(rpc.get_genesis_hash().await.unwrap(), Default::default());
    let info = custom(&rpc, "localnet_info", json!([])).await;
    assert_eq!(info["markets"].as_array().unwrap().len(), 3);

    // accounts: the exchange, its markets by getProgramAccounts filters
    let ex =
        decode::decode_exchange(&rpc.get_account(&pda::exchange()).await.unwrap().data).unwrap();
    assert_eq!((ex.market_count, ex.lookup_tables.len()), (3, 1));
    let config = |filters| RpcProgramAccountsConfig {
        filters: Some(filters),
        account_config: RpcAccountInfoConfig {
            encoding: Some(solana_account_decoder_client_types::UiAccountEncoding::Base64),
            ..Default::default()
        },
        ..Default::default()
    };
    let markets = rpc
        .get_program_accounts_with_config(
            &cross_margin::ID,
            config(vec![
                RpcFilterType::DataSize(Market::SPACE as u64),
                RpcFilterType::Memcmp(Memcmp::new_raw_bytes(
                    0,
                    <Market as anchor_lang::Discriminator>::DISCRIMINATOR.to_vec(),
                )),
            ]),
        )
        .await
        .unwrap();
    assert_eq!(markets.len(), 3);

    // a wallet from the faucet: SOL and USDC, confirmed
    let alice = funded(&rpc, 1_000 * USDC).await;
    assert_eq!(
        rpc.get_balance(&alice.pubkey()).await.unwrap() / 1_000_000_000,
        9
    );
    let a = decode::decode_margin_account(
        &rpc.get_account(&pda::margin_account(&alice.pubkey(), 0))
            .await
            .unwrap()
            .data,
    )
    .unwrap();
    assert_eq!(a.collateral, 1_000 * USDC as i64);
    let accounts = rpc
        .get_program_accounts_with_config(
            &cross_margin::ID,
            config(vec![
                RpcFilterType::DataSize(MarginAccount::SPACE as u64),
                RpcFilterType::Memcmp(Memcmp::new_raw_bytes(8, alice.pubkey().to_bytes().to_vec())),
            ]),
        )
        .await
        .unwrap();
    assert_eq!(accounts.len(), 1);

    // the deposit's transaction, with its logs and events, in json and base64
    let bob = Keypair::new();
    custom(
        &rpc,
        "localnet_faucet",
        json!([bob.pubkey().to_string(), 50 * USDC]),
    )
    .await;
    let token = anchor_spl::associated_token::get_associated_token_address(
        &bob.pubkey(),
        &ex.collateral_mint,
    );
    let balance = rpc.get_token_account_balance(&token).await.unwrap();
    assert_eq!(
        (
            balance.amount.as_str(),
            balance.ui_amount_string.as_str(),
            balance.decimals
        ),
        ("50000000", "50", 6)
    );
    let sig = rpc
        .request_airdrop(&bob.pubkey(), 1_000_000_000)
        .await
        .unwrap();
    rpc.poll_for_signature(&sig).await.unwrap();
    let ixs = [
        ix::create_margin_account(bob.pubkey(), 0),
        ix::deposit(
            bob.pubkey(),
            pda::margin_account(&bob.pubkey(), 0),
            token,
            20 * USDC,
        ),
    ];
    let sig = send(&rpc, &bob, &ixs).await.unwrap();
    let status = rpc.get_signature_statuses(&[sig]).await.unwrap().value[0]
        .clone()
        .unwrap();
    assert!(status.err.is_none() && status.confirmations.is_none());
    // a v0 transaction needs maxSupportedTransactionVersion, as on a validator
    let plain = rpc
        .get_transaction(&sig, UiTransactionEncoding::Json)
        .await
        .unwrap_err();
    assert_eq!(rpc_code(&plain), Some(-32015), "{plain}");
    let got = rpc
        .get_transaction_with_config(
            &sig,
            RpcTransactionConfig {
                encoding: Some(UiTransactionEncoding::Json),
                commitment: Some(CommitmentConfig::confirmed()),
                max_supported_transaction_version: Some(0),
            },
        )
        .await
        .unwrap();
    let meta = got.transaction.meta.clone().unwrap();
    let logs: Vec<String> = Option::from(meta.log_messages).unwrap();
    let deposited: Vec<Deposited> = events(&logs);
    assert_eq!((deposited.len(), deposited[0].amount), (1, 20 * USDC));
    assert!(matches!(
        got.transaction.transaction,
        EncodedTransaction::Json(_)
    ));
    assert_eq!(meta.fee, 5_000);
    let b64 = rpc
        .get_transaction_with_config(
            &sig,
            RpcTransactionConfig {
                encoding: Some(UiTransactionEncoding::Base64),
                commitment: None,
                max_supported_transaction_version: Some(0),
            },
        )
        .await
        .unwrap();
    let decoded: VersionedTransaction = b64.transaction.transaction.decode().unwrap();
    assert_eq!(decoded.signatures[0], sig);

    // the deposit's token balances, as a validator's meta keeps them; fields the node does not
    // measure are left out (web3.js refuses a null there)
    let pre: Vec<_> =
        Option::from(got.transaction.meta.clone().unwrap().pre_token_balances).unwrap();
    let post: Vec<_> =
        Option::from(got.transaction.meta.clone().unwrap().post_token_balances).unwrap();
    let amounts = |v: &Vec<solana_transaction_status_client_types::UiTransactionTokenBalance>| {
        v.iter()
            .map(|b| b.ui_token_amount.amount.clone())
            .collect::<Vec<_>>()
    };
    assert!(
        amounts(&pre).contains(&"50000000".to_string())
            && amounts(&post).contains(&"30000000".to_string()),
        "{pre:?} {post:?}"
    );
    let raw: Value = rpc
        .send(
            RpcRequest::GetTransaction,
            json!([sig.to_string(), {"encoding": "json", "maxSupportedTransactionVersion": 0}]),
        )
        .await
        .unwrap();
    assert!(
        raw["meta"].get("computeUnitsConsumed").is_none() && raw["meta"].get("costUnits").is_none(),
        "{raw}"
    );
    // an airdrop is a legacy transaction, readable without maxSupportedTransactionVersion
    let drop = rpc.request_airdrop(&bob.pubkey(), 1).await.unwrap();
    rpc.poll_for_signature(&drop).await.unwrap();
    rpc.get_transaction(&drop, UiTransactionEncoding::Json)
        .await
        .unwrap();
    // what frontends also ask
    let mine = rpc.get_signatures_for_address(&bob.pubkey()).await.unwrap();
    assert!(
        mine.iter().any(|s| s.signature == sig.to_string()) && mine.len() >= 3,
        "{mine:?}"
    );
    let by_owner = rpc
        .get_token_accounts_by_owner(
            &bob.pubkey(),
            solana_rpc_client_api::request::TokenAccountsFilter::Mint(ex.collateral_mint),
        )
        .await
        .unwrap();
    assert_eq!(by_owner.len(), 1);
    assert_eq!(by_owner[0].pubkey, token.to_string());
    let supply = rpc.get_token_supply(&ex.collateral_mint).await.unwrap();
    assert_eq!(supply.decimals, 6);
    assert!(rpc.get_block_time(status.slot).await.unwrap() > 1_700_000_000);
    assert!(rpc.get_epoch_schedule().await.unwrap().slots_per_epoch > 0);
    assert!(!rpc
        .get_recent_prioritization_fees(&[])
        .await
        .unwrap()
        .is_empty());
    assert!(rpc.get_transaction_count().await.unwrap() >= 3);

    // refusals: the program's error in a preflight failure, with its logs
    let withdraw = ix::withdraw(bob.pubkey(), 0, token, 1_000 * USDC, vec![]);
    let e = send(&rpc, &bob, &[withdraw]).await.unwrap_err();
    assert_eq!(rpc_code(&e), Some(-32002), "{e}");
    let ErrorKind::RpcError(RpcError::RpcResponseError {
        data: RpcResponseErrorData::SendTransactionPreflightFailure(sim),
        message,
        ..
    }) = e.kind()
    else {
        panic!("{e}")
    };
    assert!(
        message.starts_with("Transaction simulation failed: Error processing Instruction"),
        "{message}"
    );
    // (natively the program's own `msg!` lines go to stdout, so the logs carry the invocation
    // and its failure, not Anchor's error text)
    assert_eq!(
        sim.err,
        Some(solana_sdk::transaction::TransactionError::InstructionError(
            0,
            solana_sdk::instruction::InstructionError::Custom(
                cross_margin::error::ErrorCode::InsufficientCollateral.into()
            )
        ))
    );
    assert!(
        sim.logs
            .as_ref()
            .unwrap()
            .last()
            .unwrap()
            .ends_with("failed: custom program error: 0x177a"),
        "{sim:?}"
    );
    // a signature that does not verify
    let hash = rpc.get_latest_blockhash().await.unwrap();
    let mut forged = tx::build_transaction(
        &bob,
        &[ix::create_margin_account(bob.pubkey(), 1)],
        &[&bob],
        &[],
        hash,
    )
    .unwrap();
    forged.signatures[0] = Keypair::new().sign_message(b"not this");
    let e = rpc.send_transaction(&forged).await.unwrap_err();
    assert_eq!(rpc_code(&e), Some(-32003), "{e}");
    // simulated without sigVerify it runs; with sigVerify it is refused the same way
    let sim = rpc.simulate_transaction(&forged).await.unwrap().value;
    assert!(sim.err.is_none(), "{sim:?}");
    let e = rpc
        .simulate_transaction_with_config(
            &forged,
            solana_rpc_client_api::config::RpcSimulateTransactionConfig {
                sig_verify: true,
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(rpc_code(&e), Some(-32003), "{e}");

    // blockhashes, fees, rent, epochs
    let (hash, last_valid) = rpc
        .get_latest_blockhash_with_commitment(CommitmentConfig::confirmed())
        .await
        .unwrap();
    let height = rpc.get_block_height().await.unwrap();
    assert_eq!(last_valid, height + 150);
    assert!(rpc
        .is_blockhash_valid(&hash, CommitmentConfig::confirmed())
        .await
        .unwrap());
    assert!(!rpc
        .is_blockhash_valid(
            &solana_sdk::hash::Hash::new_unique(),
            CommitmentConfig::confirmed()
        )
        .await
        .unwrap());
    let solana_sdk::message::VersionedMessage::Legacy(message) = forged.message.clone() else {
        panic!("a legacy message without tables")
    };
    assert_eq!(rpc.get_fee_for_message(&message).await.unwrap(), 5_000);
    assert_eq!(
        rpc.get_minimum_balance_for_rent_exemption(MarginAccount::SPACE)
            .await
            .unwrap(),
        solana_sdk::rent::Rent::default().minimum_balance(MarginAccount::SPACE)
    );
    let epoch = rpc.get_epoch_info().await.unwrap();
    assert_eq!(epoch.absolute_slot, rpc.get_slot().await.unwrap());

    // malformed requests, unknown methods, wrong params, oversize: JSON-RPC errors, and the
    // node keeps serving
    let http = reqwest::Client::new();
    let post = |body: String| {
        let http = http.clone();
        let url = node.url();
        async move {
            let r = http
                .post(url)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap();
            r.json::<Value>().await.unwrap()
        }
    };
    assert_eq!(post("{not json".into()).await["error"]["code"], -32700);
    assert_eq!(
        post(r#"{"jsonrpc":"2.0","id":1,"method":"getNothing"}"#.into()).await["error"]["code"],
        -32601
    );
    let wrong =
        post(r#"{"jsonrpc":"2.0","id":1,"method":"getBalance","params":[42]}"#.into()).await;
    assert_eq!(wrong["error"]["code"], -32602, "{wrong}");
    assert!(
        wrong["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("Invalid params: invalid type"),
        "{wrong}"
    );
    let big = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, vec![1u8; 1_300]);
    let too_large = post(json!({"jsonrpc":"2.0","id":1,"method":"sendTransaction","params":[big, {"encoding":"base64"}]}).to_string()).await;
    assert_eq!(too_large["error"]["code"], -32602);
    assert!(
        too_large["error"]["message"]
            .as_str()
            .unwrap()
            .contains("too large"),
        "{too_large}"
    );
    let garbage = post(json!({"jsonrpc":"2.0","id":1,"method":"sendTransaction","params":["AAAA", {"encoding":"base64"}]}).to_string()).await;
    assert_eq!(garbage["error"]["code"], -32602, "{garbage}");
    let big_account = post(json!({"jsonrpc":"2.0","id":1,"method":"getAccountInfo","params":[pda::exchange().to_string()]}).to_string()).await;
    assert_eq!(
        big_account["error"]["code"], -32600,
        "base58 is refused above 128 bytes: {big_account}"
    );
    rpc.get_health().await.unwrap();
    node.stop().await;
}

/// What `@solana/web3.js` confirms with: signatureSubscribe (one notification, also for a
/// transaction already processed) and slotSubscribe.
#[tokio::test]
async fn signatures_and_slots_are_pushed_over_websocket() {
    let node = node().await;
    let rpc = client(&node);
    let ws = PubsubClient::new(&node.ws_url()).await.unwrap();
    let (mut slots, unsub_slots) = ws.slot_subscribe().await.unwrap();
    let who = Keypair::new();
    let sig = rpc.request_airdrop(&who.pubkey(), 1_000_000).await.unwrap();
    let (mut done, _unsub) = ws.signature_subscribe(&sig, None).await.unwrap();
    let note = tokio::time::timeout(Duration::from_secs(10), done.next())
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(
        note.value,
        solana_rpc_client_api::response::RpcSignatureResult::ProcessedSignature(ref p) if p.err.is_none()
    ));
    let slot = tokio::time::timeout(Duration::from_secs(10), slots.next())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(slot.parent + 1, slot.slot);
    unsub_slots().await;
    // the same port also serves WebSocket
    let same = PubsubClient::new(&node.url().replace("http", "ws"))
        .await
        .unwrap();
    let sig2 = rpc.request_airdrop(&who.pubkey(), 1_000_000).await.unwrap();
    let (mut done, _u) = same.signature_subscribe(&sig2, None).await.unwrap();
    tokio::time::timeout(Duration::from_secs(10), done.next())
        .await
        .unwrap()
        .unwrap();
    node.stop().await;
}

/// The CLI's chain commands and the keeper, through their ordinary RPC code paths: a user
/// funded by the faucet creates an account, deposits, reads it, withdraws; a trade (co-signed by
/// a maker) and a price move later, `keeper run --rounds 1` liquidates it.
#[tokio::test]
async fn the_cli_and_the_keeper_run_against_the_local_node() {
    use clap::Parser;
    use crossmargin_cli::app::{run, Cli};
    let node = node().await;
    let rpc = client(&node);
    let dir = std::env::temp_dir().join(format!("crossmargin-localnet-cli-{}", node.http.port()));
    std::fs::create_dir_all(&dir).unwrap();
    let user = Keypair::new();
    let path = dir.join("user.json");
    solana_sdk::signature::write_keypair_file(&user, &path).unwrap();
    let url = node.url();
    let cli = |args: &[&str]| {
        let mut all = vec!["crossmargin"];
        all.extend_from_slice(args);
        Cli::try_parse_from(all).unwrap()
    };
    let k = path.to_str().unwrap();
    let out = run(cli(&["faucet", "--url", &url, "--keypair", k, "5000"]))
        .await
        .unwrap();
    assert!(out.starts_with("5000 USDC to"), "{out}");
    let out = run(cli(&["account", "--url", &url, "--keypair", k, "create"]))
        .await
        .unwrap();
    assert!(
        out.contains(&pda::margin_account(&user.pubkey(), 0).to_string()),
        "{out}"
    );
    run(cli(&[
        "account",
        "--url",
        &url,
        "--keypair",
        k,
        "deposit",
        "1200",
    ]))
    .await
    .unwrap();
    run(cli(&[
        "account",
        "--url",
        &url,
        "--keypair",
        k,
        "withdraw",
        "200.5",
    ]))
    .await
    .unwrap();
    let shown = run(cli(&[
        "account",
        "--url",
        &url,
        "--keypair",
        k,
        "show",
        "--json",
    ]))
    .await
    .unwrap();
    let v: Value = serde_json::from_str(&shown).unwrap();
    assert_eq!(v["equity"].as_f64(), Some(999.5), "{shown}");
    // reading another owner's account needs no keypair
    let shown = run(cli(&[
        "account",
        "--url",
        &url,
        "--keypair",
        "/nonexistent",
        "show",
        "--owner",
        &user.pubkey().to_string(),
        "--json",
    ]))
    .await
    .unwrap();
    assert!(shown.contains("999.5"), "{shown}");

    // long 60 SOL from a maker at 150: 9,000 of notional on 999.5 of collateral (IM 900)
    let maker = funded(&rpc, 100_000 * USDC).await;
    let me = decode::decode_margin_account(
        &rpc.get_account(&pda::margin_account(&user.pubkey(), 0))
            .await
            .unwrap()
            .data,
    )
    .unwrap();
    let mk = decode::decode_margin_account(
        &rpc.get_account(&pda::margin_account(&maker.pubkey(), 0))
            .await
            .unwrap()
            .data,
    )
    .unwrap();
    let sol_oracle: Pubkey = node.shared.info["markets"][0]["oracle"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let health = crossmargin_sdk::health::fill_health_metas(&me, &mk, 0, &|i: u16| {
        (i == 0).then_some(sol_oracle)
    })
    .unwrap();
    let fill = ix::fill(
        user.pubkey(),
        maker.pubkey(),
        pda::margin_account(&user.pubkey(), 0),
        pda::margin_account(&maker.pubkey(), 0),
        0,
        sol_oracle,
        60_000_000_000,
        150_000_000,
        health,
    );
    let tables = tables(&rpc).await;
    let hash = rpc.get_latest_blockhash().await.unwrap();
    let t = tx::build_transaction(&user, &[fill], &[&user, &maker], &tables, hash).unwrap();
    rpc.send_and_confirm_transaction(&t).await.unwrap();
    // SOL falls to 140: E = 999.5 - 4.5 (fee) - 600 = 395 < MM = 60 * 140 * 5% = 420
    custom(&rpc, "localnet_setPrice", json!(["SOL-PERP", 140_000_000])).await;
    let keeper = funded(&rpc, 50_000 * USDC).await;
    let kpath = dir.join("keeper.json");
    solana_sdk::signature::write_keypair_file(&keeper, &kpath).unwrap();
    let out = run(cli(&[
        "keeper",
        "--url",
        &url,
        "--keypair",
        kpath.to_str().unwrap(),
        "run",
        "--rounds",
        "1",
        "--interval",
        "0",
    ]))
    .await;
    let out = out.unwrap();
    assert!(out.starts_with("keeper stopped after its rounds"), "{out}");
    let after = decode::decode_margin_account(
        &rpc.get_account(&pda::margin_account(&user.pubkey(), 0))
            .await
            .unwrap()
            .data,
    )
    .unwrap();
    let left = after.position(0).map_or(0, |p| p.base);
    assert!(
        left < 60_000_000_000,
        "the keeper took part of the position over: {left}"
    );
    let taken = decode::decode_margin_account(
        &rpc.get_account(&pda::margin_account(&keeper.pubkey(), 0))
            .await
            .unwrap()
            .data,
    )
    .unwrap();
    assert_eq!(taken.position(0).unwrap().base, 60_000_000_000 - left);
    node.stop().await;
}

/// The admin lists a market from the CLI through the timelock: queueing puts the new market and
/// its oracle in the exchange's lookup table; after the delay anyone executes it; the market then
/// trades in a v0 transaction against the table.
#[tokio::test]
async fn a_market_listed_from_the_cli_joins_the_lookup_table() {
    use clap::Parser;
    use crossmargin_cli::app::{run, Cli};
    let node = node().await;
    let rpc = client(&node);
    let dir = std::env::temp_dir().join(format!("crossmargin-localnet-list-{}", node.http.port()));
    let keys = node.write_keys(&dir).unwrap();
    let admin = keys[0].to_str().unwrap().to_string();
    let url = node.url();
    let feed = "ab".repeat(32);
    let oracle: String = rpc
        .send(
            RpcRequest::Custom {
                method: "localnet_addFeed",
            },
            json!(["DOGE-PERP", feed, 150_000]),
        )
        .await
        .unwrap();
    let mut config: Value =
        serde_json::from_str(crossmargin_cli::localnet::DEFAULT_CONFIG).unwrap();
    let mut doge = config["markets"][0].clone();
    doge["symbol"] = json!("DOGE-PERP");
    doge["pythFeedId"] = json!(feed);
    doge["oracle"] = json!(oracle);
    doge["params"]["baseLotSize"] = json!("1000000000");
    doge["params"]["minPositionBase"] = json!("10000000000");
    doge["params"]["openInterestCap"] = json!("100000000000000000");
    config["markets"] = json!([doge]);
    let path = dir.join("doge.json");
    std::fs::write(&path, config.to_string()).unwrap();
    let cli = |args: Vec<&str>| {
        let mut all = vec!["crossmargin"];
        all.extend(args);
        Cli::try_parse_from(all).unwrap()
    };
    let out = run(cli(vec![
        "admin",
        "--url",
        &url,
        "--keypair",
        &admin,
        "queue",
        "add-market",
        "--config",
        path.to_str().unwrap(),
        "--symbol",
        "DOGE-PERP",
    ]))
    .await
    .unwrap();
    assert!(out.contains("queued"), "{out}");
    let t = tables(&rpc).await;
    let (market, oracle_key) = (pda::market(3), oracle.parse::<Pubkey>().unwrap());
    assert!(
        t[0].addresses.contains(&market) && t[0].addresses.contains(&oracle_key),
        "queued listing extended the table"
    );
    // too early, then after the delay
    let early = run(cli(vec![
        "admin",
        "--url",
        &url,
        "--keypair",
        &admin,
        "execute",
        "0",
    ]))
    .await;
    assert!(
        early.is_err(),
        "executing change 0 again or early is refused"
    );
    let id = decode::decode_exchange(&rpc.get_account(&pda::exchange()).await.unwrap().data)
        .unwrap()
        .next_action_id
        - 1;
    let e = run(cli(vec![
        "admin",
        "--url",
        &url,
        "--keypair",
        &admin,
        "execute",
        &id.to_string(),
    ]))
    .await
    .unwrap_err();
    assert!(e.to_string().contains("may execute in"), "{e}");
    custom(&rpc, "localnet_warpClock", json!([86_401])).await;
    run(cli(vec![
        "admin",
        "--url",
        &url,
        "--keypair",
        &admin,
        "execute",
        &id.to_string(),
    ]))
    .await
    .unwrap();
    let ex =
        decode::decode_exchange(&rpc.get_account(&pda::exchange()).await.unwrap().data).unwrap();
    assert_eq!(ex.market_count, 4);
    // a fill in the new market between two funded accounts, as a v0 transaction
    let (a, b) = (
        funded(&rpc, 1_000 * USDC).await,
        funded(&rpc, 1_000 * USDC).await,
    );
    let acct = |k: &Keypair| pda::margin_account(&k.pubkey(), 0);
    let (ma, mb) = (
        decode::decode_margin_account(&rpc.get_account(&acct(&a)).await.unwrap().data).unwrap(),
        decode::decode_margin_account(&rpc.get_account(&acct(&b)).await.unwrap().data).unwrap(),
    );
    let health = crossmargin_sdk::health::fill_health_metas(&ma, &mb, 3, &|_| None).unwrap();
    let fill = ix::fill(
        a.pubkey(),
        b.pubkey(),
        acct(&a),
        acct(&b),
        3,
        oracle_key,
        100 * 1_000_000_000,
        150_000,
        health,
    );
    let hash = rpc.get_latest_blockhash().await.unwrap();
    let t = tx::build_transaction(&a, &[fill], &[&a, &b], &tables(&rpc).await, hash).unwrap();
    assert!(matches!(
        t.message,
        solana_sdk::message::VersionedMessage::V0(_)
    ));
    rpc.send_and_confirm_transaction(&t).await.unwrap();
    node.stop().await;
}
