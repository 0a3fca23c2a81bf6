//! TypeScript -> Rust: replays the scenario the TS client built (`app/ts/test/scenario.ts`,
//! committed as `scenario.json`) in program-test, exactly as serialized: every instruction's
//! program, accounts, flags and data. Each step must succeed or fail with the named error (and
//! then change nothing); the end state must be the story's; and the resulting accounts go to
//! `replay.json` with the Rust SDK's risk report, for the TS client to decode and read back.

use std::collections::HashMap;

use anchor_lang::prelude::{AccountMeta, Pubkey};
use anchor_lang::solana_program::instruction::Instruction;
use anchor_spl::token::spl_token;
use cross_margin::error::ErrorCode;
use cross_margin::events::{Filled, Liquidated};
use cross_margin::oracle::PYTH_RECEIVER_PROGRAM_ID;
use crossmargin_sdk::{accounts as decode, pda};
use pyth_solana_receiver_sdk::price_update::VerificationLevel;
use serde_json::{json, Value};
use solana_sdk::program_option::COption;
use solana_sdk::program_pack::Pack;
use solana_sdk::signature::{keypair_from_seed, Keypair, Signer};

use super::{b64, check_committed, vectors_dir};
use crate::harness::events::events;
use crate::harness::{custom_code, invariants, pyth, Quote, TestEnv, USDC};

fn key(v: &Value) -> Pubkey {
    v.as_str().unwrap().parse().unwrap()
}

fn int(v: &Value) -> i64 {
    v.as_str().unwrap().parse().unwrap()
}

fn instruction(v: &Value) -> Instruction {
    use base64::Engine;
    Instruction {
        program_id: key(&v["programId"]),
        accounts: v["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| AccountMeta {
                pubkey: key(&a["pubkey"]),
                is_signer: a["isSigner"].as_bool().unwrap(),
                is_writable: a["isWritable"].as_bool().unwrap(),
            })
            .collect(),
        data: base64::engine::general_purpose::STANDARD
            .decode(v["data"].as_str().unwrap())
            .unwrap(),
    }
}

struct Replay {
    env: TestEnv,
    wallets: HashMap<String, Keypair>,
    feeds: HashMap<Pubkey, [u8; 32]>,
}

impl Replay {
    async fn write_price(&mut self, oracle: Pubkey, price: i64) {
        let q = Quote {
            price,
            conf: 0,
            ema: price,
            publish_time: self.env.now,
        };
        let data = pyth::pull_data(oracle, self.feeds[&oracle], q, VerificationLevel::Full);
        self.env
            .set_raw(oracle, PYTH_RECEIVER_PROGRAM_ID, data)
            .await;
    }
}

/// Sets up what exists outside the program (wallets, the USDC mint, token accounts, Pyth
/// accounts) at the scenario's addresses.
async fn setup(s: &Value) -> Replay {
    let mut env = TestEnv::bare().await;
    env.set_time(s["startTime"].as_i64().unwrap()).await;
    let mut wallets = HashMap::new();
    for w in s["wallets"].as_array().unwrap() {
        let seed = w["seed"].as_u64().unwrap() as u8;
        let kp = keypair_from_seed(&[seed; 32]).unwrap();
        assert_eq!(
            kp.pubkey(),
            key(&w["pubkey"]),
            "TS and Rust derive the same wallet from seed {seed}"
        );
        env.airdrop(&kp.pubkey(), 10_000_000_000).await;
        wallets.insert(w["name"].as_str().unwrap().to_string(), kp);
    }
    let mint = key(&s["mint"]["address"]);
    let mut supply = 0;
    for t in s["tokenAccounts"].as_array().unwrap() {
        let amount: u64 = t["amount"].as_str().unwrap().parse().unwrap();
        supply += amount;
        let account = spl_token::state::Account {
            mint,
            owner: key(&t["owner"]),
            amount,
            state: spl_token::state::AccountState::Initialized,
            ..Default::default()
        };
        let mut data = vec![0; spl_token::state::Account::LEN];
        account.pack_into_slice(&mut data);
        env.set_raw(key(&t["address"]), spl_token::ID, data).await;
    }
    let mint_state = spl_token::state::Mint {
        mint_authority: COption::Some(wallets["admin"].pubkey()),
        supply,
        decimals: s["mint"]["decimals"].as_u64().unwrap() as u8,
        is_initialized: true,
        freeze_authority: COption::None,
    };
    let mut data = vec![0; spl_token::state::Mint::LEN];
    mint_state.pack_into_slice(&mut data);
    env.set_raw(mint, spl_token::ID, data).await;

    // the program's ProgramData, naming the scenario's admin as upgrade authority
    let pd = &s["programData"];
    assert_eq!(key(&pd["address"]), pda::program_data());
    let authority = wallets[pd["upgradeAuthority"].as_str().unwrap()].pubkey();
    env.chain.write_program_data(Some(authority)).await;
    let mut replay = Replay {
        env,
        wallets,
        feeds: HashMap::new(),
    };
    for o in s["oracles"].as_array().unwrap() {
        let feed = hex_bytes(o["feedId"].as_str().unwrap());
        replay.feeds.insert(key(&o["address"]), feed);
        replay
            .write_price(key(&o["address"]), int(&o["price"]))
            .await;
    }
    replay
}

fn hex_bytes(h: &str) -> [u8; 32] {
    std::array::from_fn(|i| u8::from_str_radix(&h[2 * i..2 * i + 2], 16).unwrap())
}

/// The events in `logs` as the Rust side decodes them: every `Program data:` line named by its
/// IDL discriminator, with the fields of the trading events spelled out.
fn events_json(logs: &[String]) -> Vec<Value> {
    use anchor_lang::{AnchorDeserialize, Discriminator};
    use base64::Engine;
    use cross_margin::events::{Deposited, FundingUpdated, Withdrawn};
    let idl: Value = serde_json::from_str(
        &std::fs::read_to_string(vectors_dir().join("../../idl/cross_margin.json")).unwrap(),
    )
    .unwrap();
    let s = |v: i64| Value::String(v.to_string());
    let u = |v: u64| Value::String(v.to_string());
    let mut out = Vec::new();
    for line in logs {
        let Some(data) = line.strip_prefix("Program data: ") else {
            continue;
        };
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(data)
            .unwrap();
        let (disc, mut body) = bytes.split_at(8);
        let name = idl["events"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| {
                e["discriminator"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|b| b.as_u64().unwrap() as u8)
                    .eq(disc.iter().copied())
            })
            .map(|e| e["name"].as_str().unwrap().to_string())
            .expect("an event of the IDL");
        let fields = if disc == Filled::DISCRIMINATOR {
            let e = Filled::deserialize(&mut body).unwrap();
            json!({"marketIndex": e.market_index, "taker": e.taker.to_string(), "maker": e.maker.to_string(),
                   "takerBaseDelta": s(e.taker_base_delta), "price": s(e.price), "oraclePrice": s(e.oracle_price),
                   "takerFee": s(e.taker_fee), "makerFee": s(e.maker_fee), "takerRealizedPnl": s(e.taker_realized_pnl),
                   "makerRealizedPnl": s(e.maker_realized_pnl), "takerBaseAfter": s(e.taker_base_after),
                   "makerBaseAfter": s(e.maker_base_after), "openInterestAfter": u(e.open_interest_after),
                   "takerByDelegate": e.taker_by_delegate, "makerByDelegate": e.maker_by_delegate})
        } else if disc == Liquidated::DISCRIMINATOR {
            let e = Liquidated::deserialize(&mut body).unwrap();
            json!({"marketIndex": e.market_index, "liquidatee": e.liquidatee.to_string(), "liquidator": e.liquidator.to_string(),
                   "liquidateeBaseDelta": s(e.liquidatee_base_delta), "price": s(e.price), "oraclePrice": s(e.oracle_price),
                   "liquidationFee": s(e.liquidation_fee), "insuranceFee": s(e.insurance_fee),
                   "equityBefore": s(e.equity_before), "maintenanceBefore": s(e.maintenance_before),
                   "equityAfter": s(e.equity_after), "maintenanceAfter": s(e.maintenance_after),
                   "beingLiquidated": e.being_liquidated})
        } else if disc == FundingUpdated::DISCRIMINATOR {
            let e = FundingUpdated::deserialize(&mut body).unwrap();
            json!({"marketIndex": e.market_index, "markTwap": s(e.mark_twap), "oracleTwap": s(e.oracle_twap),
                   "premium": s(e.premium), "elapsed": s(e.elapsed), "indexDelta": s(e.index_delta),
                   "cumulativeFundingLong": s(e.cumulative_funding_long), "cumulativeFundingShort": s(e.cumulative_funding_short),
                   "feesToInsurance": u(e.fees_to_insurance), "fillNotional": u(e.fill_notional),
                   "premiumWeight": s(e.premium_weight), "openInterest": u(e.open_interest)})
        } else if disc == Deposited::DISCRIMINATOR {
            let e = Deposited::deserialize(&mut body).unwrap();
            json!({"marginAccount": e.margin_account.to_string(), "depositor": e.depositor.to_string(),
                   "amount": u(e.amount), "collateralAfter": s(e.collateral_after)})
        } else if disc == Withdrawn::DISCRIMINATOR {
            let e = Withdrawn::deserialize(&mut body).unwrap();
            json!({"marginAccount": e.margin_account.to_string(), "owner": e.owner.to_string(),
                   "destination": e.destination.to_string(), "amount": u(e.amount), "fundingSettled": s(e.funding_settled),
                   "collateralAfter": s(e.collateral_after), "freeCollateralAfter": s(e.free_collateral_after)})
        } else {
            Value::Null
        };
        out.push(json!({"name": name, "data": fields}));
    }
    out
}

fn scenario() -> Value {
    let text = std::fs::read_to_string(vectors_dir().join("scenario.json"))
        .expect("scenario.json (written by the TS tests)");
    serde_json::from_str(&text).unwrap()
}

#[tokio::test]
async fn the_typescript_scenario_replays_in_program_test() {
    let s = scenario();
    let mut r = setup(&s).await;
    let mut last_logs = Vec::new();
    let mut filled = Vec::new();
    let mut step_logs = Vec::new();
    for step in s["steps"].as_array().unwrap() {
        let name = step["name"].as_str().unwrap();
        r.env.advance(step["advanceSecs"].as_i64().unwrap()).await;
        for p in step["prices"].as_array().unwrap() {
            r.write_price(key(&p["oracle"]), int(&p["price"])).await;
        }
        let ixs: Vec<Instruction> = step["instructions"]
            .as_array()
            .unwrap()
            .iter()
            .map(instruction)
            .collect();
        let signers: Vec<Keypair> = step["signers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| r.wallets[n.as_str().unwrap()].insecure_clone())
            .collect();
        let signer_refs: Vec<&Keypair> = signers.iter().collect();
        let mut touched: Vec<Pubkey> = ixs
            .iter()
            .flat_map(|i| i.accounts.iter().map(|m| m.pubkey))
            .collect();
        touched.sort();
        touched.dedup();
        let before = r.env.snapshot(&touched).await;
        let result = r.env.send(&ixs, &signer_refs).await;
        match (&step["expect"], result) {
            (Value::String(ok), Ok(logs)) if ok == "ok" => {
                filled.extend(events::<Filled>(&logs));
                step_logs.push(json!({"step": name, "logs": logs, "events": events_json(&logs)}));
                last_logs = logs;
            }
            (Value::Object(e), Err(err)) => {
                let code = custom_code(&err)
                    .unwrap_or_else(|| panic!("{name}: {err:?} is not a program error"));
                let got = format!("{:?}", ErrorCode::from_code(code).unwrap());
                assert_eq!(got, e["error"].as_str().unwrap(), "{name}");
                assert_eq!(
                    r.env.snapshot(&touched).await,
                    before,
                    "{name}: a refused step changed state"
                );
            }
            (expect, result) => panic!("{name}: expected {expect}, got {result:?}"),
        }
    }

    // The story's end state.
    let w = |n: &str| r.wallets[n].pubkey();
    let (alice, bob, liz) = (
        pda::margin_account(&w("alice"), 0),
        pda::margin_account(&w("bob"), 0),
        pda::margin_account(&w("liz"), 0),
    );
    let exchange = r.env.exchange().await;
    assert_eq!(exchange.admin, w("admin"));
    assert_eq!(exchange.guardian, w("guardian"));
    assert_eq!(exchange.timelock_delay_secs, 86_400);
    assert!(exchange.portfolio_margin_enabled);
    // two listings and the portfolio-margin switch went through the timelock, all executed
    assert_eq!(exchange.next_action_id, 3);
    for a in s["adminActions"].as_array().unwrap() {
        let q =
            decode::decode_queued_action(&r.env.account(key(&a["address"])).await.unwrap().data)
                .unwrap();
        assert_eq!(q.status, cross_margin::state::ActionStatus::Executed);
    }
    assert_eq!(exchange.market_count, 2);
    assert_eq!(exchange.collateral_mint, key(&s["mint"]["address"]));
    assert_eq!(r.env.market(0).await.symbol_str(), "ETH-PERP");
    assert_eq!(r.env.market(1).await.symbol_str(), "BTC-PERP");
    assert_eq!(filled.len(), 2);
    assert_eq!(
        (filled[0].taker_base_after, filled[0].maker_base_after),
        (10 * 1_000_000_000, -10 * 1_000_000_000)
    );
    assert_eq!(filled[1].taker_base_after, -500_000_000);
    // bob's bot signed the second fill, within the limits bob set
    assert!(filled[1].maker_by_delegate && !filled[0].maker_by_delegate);

    let token = |n: &str| {
        key(&s["tokenAccounts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == n)
            .unwrap()["address"])
    };
    // 11,000 minted, 10,000 deposited, 2,000 withdrawn (the 6,000 refused)
    assert_eq!(r.env.token_balance(token("alice")).await, 3_000 * USDC);
    assert_eq!(r.env.token_balance(token("bob")).await, 1_000 * USDC);

    let (a, b, l) = (
        r.env.margin_account(alice).await,
        r.env.margin_account(bob).await,
        r.env.margin_account(liz).await,
    );
    assert_eq!(b.delegate, w("bobBot"));
    assert_eq!(
        (b.delegate_max_deviation, b.delegate_loss_budget),
        (10_000, 1_000 * USDC)
    );
    // at the oracle price with a maker rebate, the bot's fill cost bob nothing of its budget
    assert_eq!(b.total_delegate_cost, 0);
    // alice's stop-loss on her BTC short waits for $66,000
    let orders_key = key(&s["triggerOrders"][0]["address"]);
    assert_eq!(orders_key, pda::trigger_orders(&alice));
    let orders =
        decode::decode_trigger_orders(&r.env.account(orders_key).await.unwrap().data).unwrap();
    let stop: Vec<_> = orders.active().collect();
    assert_eq!(stop.len(), 1);
    assert_eq!(
        (
            stop[0].market_index,
            stop[0].trigger_price,
            stop[0].limit_price,
            stop[0].premium
        ),
        (1, 66_000_000_000, 67_000_000_000, 2_000)
    );
    assert_eq!(a.total_withdrawals, 2_000 * USDC);
    assert!(a.total_fees_paid > 0 && b.total_rebates > 0);
    assert_ne!(a.total_funding_paid, 0, "the hour of funding reached alice");
    assert_ne!(r.env.market(0).await.cumulative_funding_long, 0);
    let liquidated = events::<Liquidated>(&last_logs);
    assert_eq!(liquidated.len(), 1);
    let e = &liquidated[0];
    assert_eq!((e.liquidatee, e.liquidator), (alice, liz));
    assert!(
        e.equity_before < e.maintenance_before,
        "alice was under maintenance"
    );
    assert!(
        e.equity_after >= e.maintenance_after,
        "the step restored her: {e:?}"
    );
    let base = |acc: &cross_margin::state::MarginAccount, m: u16| {
        acc.position(m).map(|p| p.base).unwrap_or(0)
    };
    assert!(base(&a, 0) < 10 * 1_000_000_000 && base(&a, 0) >= 0);
    assert_eq!(
        base(&l, 0),
        10 * 1_000_000_000 - base(&a, 0),
        "liz took over exactly what alice gave up"
    );
    assert_eq!(
        (base(&a, 1), base(&b, 1), base(&b, 0)),
        (-500_000_000, 500_000_000, -10 * 1_000_000_000)
    );
    invariants::check(&mut r.env, &[alice, bob, liz], 16)
        .await
        .unwrap();

    // The accounts as they are now, and the SDK's report of each, for the TS client.
    let mut markets = Vec::new();
    let mut oracles = Vec::new();
    let mut priced = Vec::new();
    for i in 0..exchange.market_count {
        let m = r.env.market(i).await;
        let acc = r.env.account(pda::market(i)).await.unwrap();
        let oracle = r.env.account(m.oracle).await.unwrap();
        markets.push(json!({"address": pda::market(i).to_string(), "owner": acc.owner.to_string(), "data": b64(&acc.data)}));
        oracles.push(json!({"address": m.oracle.to_string(), "owner": oracle.owner.to_string(), "data": b64(&oracle.data)}));
        priced.push((
            m,
            crossmargin_sdk::oracle::read_price(&m, &oracle.owner, &oracle.data).unwrap(),
        ));
    }
    let mut accounts = Vec::new();
    for (name, k) in [("alice", alice), ("bob", bob), ("liz", liz)] {
        let acc = r.env.account(k).await.unwrap();
        let decoded = decode::decode_margin_account(&acc.data).unwrap();
        let orders = r
            .env
            .account(pda::trigger_orders(&k))
            .await
            .map(|a| decode::decode_trigger_orders(&a.data).unwrap());
        let report =
            crossmargin_sdk::risk::account_report(&decoded, &priced, orders.as_ref()).unwrap();
        assert!(!report.liquidatable, "{name} is healthy at the end");
        accounts.push(json!({
            "name": name,
            "address": k.to_string(),
            "owner": acc.owner.to_string(),
            "data": b64(&acc.data),
            "report": super::vectors::report_json(&report),
        }));
    }
    let ex = r.env.account(pda::exchange()).await.unwrap();
    let dump = |list: &Value| {
        let keys: Vec<Pubkey> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|a| key(&a["address"]))
            .collect();
        keys
    };
    let (action_keys, order_keys) = (dump(&s["adminActions"]), dump(&s["triggerOrders"]));
    let mut queued = Vec::new();
    for k in action_keys {
        let a = r.env.account(k).await.unwrap();
        queued.push(
            json!({"address": k.to_string(), "owner": a.owner.to_string(), "data": b64(&a.data)}),
        );
    }
    let mut trigger_orders = Vec::new();
    for k in order_keys {
        let a = r.env.account(k).await.unwrap();
        trigger_orders.push(
            json!({"address": k.to_string(), "owner": a.owner.to_string(), "data": b64(&a.data)}),
        );
    }
    check_committed(
        "replay.json",
        &json!({
            "description": "The accounts after tests/suite/frontend/scenario.rs replayed scenario.json, with the Rust SDK's risk report of each margin account.",
            "time": r.env.now,
            "exchange": {"address": pda::exchange().to_string(), "owner": ex.owner.to_string(), "data": b64(&ex.data)},
            "markets": markets,
            "oracles": oracles,
            "marginAccounts": accounts,
            "queuedActions": queued,
            "triggerOrders": trigger_orders,
            "steps": step_logs,
        }),
    );
}
