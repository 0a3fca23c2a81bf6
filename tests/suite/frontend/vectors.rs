//! Rust -> TypeScript vectors: what the TS decoders, oracle parser, risk view and instruction
//! builders must reproduce exactly. Every value comes from the program's own types and functions
//! or the Rust SDK; the accounts set every field to a distinct value, so a decoder that reads
//! one field at a wrong offset cannot pass.

use anchor_lang::prelude::Pubkey;
use anchor_lang::{AccountSerialize, Discriminator};
use bytemuck::Zeroable;
use cross_margin::instructions::TriggerOrderParams;
use cross_margin::oracle::{
    check_price, parse_oracle_data, OracleLimits, OraclePrice, OracleSpec, PYTH_LEGACY_PROGRAM_ID,
    PYTH_RECEIVER_PROGRAM_ID,
};
use cross_margin::risk::{MarginMode, PositionRisk, RiskParams, TriggerKind};
use cross_margin::state::{
    ActionStatus, AdminAction, DelegateLimits, Exchange, MarginAccount, Market, MarketParams,
    MarketStatus, OracleSource, QueuedAction, TriggerOrder, TriggerOrders,
};
use crossmargin_sdk::risk::{OrderReport, PositionInput, PositionReport, RiskReport};
use crossmargin_sdk::{health, instructions as ixs, pda};
use pyth_sdk_solana::state::{
    AccountType, PriceStatus, PriceType, SolanaPriceAccount, MAGIC, VERSION_2,
};
use pyth_solana_receiver_sdk::price_update::{PriceFeedMessage, PriceUpdateV2, VerificationLevel};
use serde_json::{json, Map, Value};
use solana_sdk::instruction::Instruction;
use solana_sdk::signature::{keypair_from_seed, Signer};

use super::{b64, check_committed, hex};

/// A wallet address: the public key of the ed25519 key with seed `[n; 32]` (TypeScript:
/// `Keypair.fromSeed(new Uint8Array(32).fill(n))`).
pub fn wallet(n: u8) -> Pubkey {
    keypair_from_seed(&[n; 32]).unwrap().pubkey()
}

/// splitmix64: a fixed sequence, so the vectors are the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % ((hi - lo + 1) as u64)) as i64
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

fn s(v: impl ToString) -> Value {
    Value::String(v.to_string())
}

fn opt(v: Option<impl ToString>) -> Value {
    v.map(s).unwrap_or(Value::Null)
}

fn feed_id(n: u8) -> [u8; 32] {
    let mut f = [0u8; 32];
    for (i, b) in f.iter_mut().enumerate() {
        *b = n.wrapping_mul(31).wrapping_add(i as u8 * 7);
    }
    f
}

fn params(seed: u32) -> MarketParams {
    MarketParams {
        initial_margin_ratio: 100_000 + seed,
        maintenance_margin_ratio: 50_000 + seed,
        liquidation_fee: 10_000 + seed,
        insurance_fee: 5_000 + seed,
        upnl_initial_weight: 800_000 + seed,
        taker_fee: 500 + seed,
        maker_fee: -100 - seed as i32,
        price_band: 50_000 + seed,
        max_conf_ratio: 20_000 + seed,
        max_oracle_age_secs: 60 + seed,
        liquidation_max_oracle_age_secs: 300 + seed,
        max_funding_premium: 20_000 + seed,
        funding_period_secs: 3_600 + seed,
        base_lot_size: 1_000_000 + seed as u64,
        min_position_base: 10_000_000 + seed as u64,
        open_interest_cap: 10_000_000_000_000 + seed as u64,
        margin_group: (seed % 7) as u8,
        systematic_share: 100_000 + seed,
    }
}

fn params_json(p: &MarketParams) -> Value {
    json!({
        "initialMarginRatio": p.initial_margin_ratio,
        "maintenanceMarginRatio": p.maintenance_margin_ratio,
        "liquidationFee": p.liquidation_fee,
        "insuranceFee": p.insurance_fee,
        "upnlInitialWeight": p.upnl_initial_weight,
        "takerFee": p.taker_fee,
        "makerFee": p.maker_fee,
        "priceBand": p.price_band,
        "maxConfRatio": p.max_conf_ratio,
        "maxOracleAgeSecs": p.max_oracle_age_secs,
        "liquidationMaxOracleAgeSecs": p.liquidation_max_oracle_age_secs,
        "maxFundingPremium": p.max_funding_premium,
        "fundingPeriodSecs": p.funding_period_secs,
        "baseLotSize": s(p.base_lot_size),
        "minPositionBase": s(p.min_position_base),
        "openInterestCap": s(p.open_interest_cap),
        "marginGroup": p.margin_group,
        "systematicShare": p.systematic_share,
    })
}

// ---- accounts ----

fn exchange() -> Exchange {
    Exchange {
        admin: wallet(1),
        pending_admin: wallet(2),
        guardian: wallet(4),
        collateral_mint: wallet(3),
        vault: pda::vault(),
        insurance_balance: 123_456_789_012,
        bad_debt: 987_654,
        socialized_loss: 55_555_555,
        next_action_id: 77,
        liquidation_buffer: 200_000,
        timelock_delay_secs: 172_800,
        market_count: 3,
        portfolio_margin_enabled: true,
        bump: 254,
        vault_bump: 253,
        lookup_tables: vec![wallet(5), wallet(6)],
        reserved: [0; 64],
    }
}

fn exchange_json(e: &Exchange) -> Value {
    json!({
        "admin": e.admin.to_string(),
        "pendingAdmin": e.pending_admin.to_string(),
        "guardian": e.guardian.to_string(),
        "collateralMint": e.collateral_mint.to_string(),
        "vault": e.vault.to_string(),
        "insuranceBalance": s(e.insurance_balance),
        "badDebt": s(e.bad_debt),
        "socializedLoss": s(e.socialized_loss),
        "nextActionId": s(e.next_action_id),
        "liquidationBuffer": e.liquidation_buffer,
        "timelockDelaySecs": e.timelock_delay_secs,
        "marketCount": e.market_count,
        "portfolioMarginEnabled": e.portfolio_margin_enabled,
        "bump": e.bump,
        "vaultBump": e.vault_bump,
        "lookupTables": e.lookup_tables.iter().map(|t| t.to_string()).collect::<Vec<_>>(),
    })
}

/// Oracle accounts of the report markets: `(address, owner, data)`.
struct OracleAccount {
    address: Pubkey,
    owner: Pubkey,
    data: Vec<u8>,
}

/// Three markets: ETH (pull, exponent -8), BTC (pull, exponent -5), SOL (legacy, exponent -9).
fn markets() -> Vec<(Market, OracleAccount)> {
    let specs: [(&str, u8, OracleSource, i64, u64, i64, i32); 3] = [
        (
            "ETH-PERP",
            0,
            OracleSource::PythPull,
            301_234_567_891,
            1_234_567,
            301_000_000_000,
            -8,
        ),
        (
            "BTC-PERP",
            1,
            OracleSource::PythPull,
            6_543_210_987,
            3_456,
            6_550_000_000,
            -5,
        ),
        (
            "SOL-PERP",
            2,
            OracleSource::PythLegacy,
            141_234_567_891,
            98_765_432,
            140_987_654_321,
            -9,
        ),
    ];
    specs
        .iter()
        .map(|&(sym, idx, source, price, conf, ema, expo)| {
            let n = idx as i64 + 1;
            let feed = feed_id(idx);
            let address = match source {
                OracleSource::PythPull => pda::sponsored_feed(&feed),
                OracleSource::PythLegacy => wallet(100 + idx),
            };
            let mut m = Market::zeroed();
            m.oracle = address;
            m.pyth_feed_id = feed;
            m.symbol = crate::harness::symbol(sym);
            let p = params(idx as u32 * 1_000 + 7);
            m.base_lot_size = p.base_lot_size;
            m.min_position_base = p.min_position_base;
            m.open_interest_cap = p.open_interest_cap;
            m.open_interest_long = 1_000_000_001 * n as u64;
            m.open_interest_short = 1_000_000_002 * n as u64;
            m.cumulative_funding_long = 123_456_789 * n;
            m.cumulative_funding_short = -98_765_431 * n;
            m.mark_twap = 3_000_100_000 * n;
            m.oracle_twap = 3_000_200_000 * n;
            m.last_funding_ts = 1_750_000_000 + n;
            m.last_funding_rate = if idx == 1 { -166 } else { 250 * n };
            m.last_oracle_publish_time = 1_750_000_100 + n;
            m.funding
                .oracle_sum
                .set(11 * n as i128 * 1_000_000_000_000_000_000_000);
            m.funding.last_update_ts = 13 * n;
            m.funding.last_oracle_price = 16 * n;
            m.funding.fill_notional = 14 * n as u64;
            m.funding.fill_premium = -15 * n;
            m.insurance_fees_pending = 17 * n as u64;
            m.settlement_price = 18 * n;
            m.settled_at = 19 * n;
            m.status_expires_at = 1_750_000_500 + n;
            m.margin_group = p.margin_group;
            m.systematic_share = p.systematic_share;
            m.unit_exponent = idx * 3;
            m.initial_margin_ratio = p.initial_margin_ratio;
            m.maintenance_margin_ratio = p.maintenance_margin_ratio;
            m.liquidation_fee = p.liquidation_fee;
            m.insurance_fee = p.insurance_fee;
            m.upnl_initial_weight = p.upnl_initial_weight;
            m.taker_fee = p.taker_fee;
            m.maker_fee = p.maker_fee;
            m.price_band = p.price_band;
            m.max_conf_ratio = p.max_conf_ratio;
            m.max_oracle_age_secs = p.max_oracle_age_secs;
            m.liquidation_max_oracle_age_secs = p.liquidation_max_oracle_age_secs;
            m.max_funding_premium = p.max_funding_premium;
            m.funding_period_secs = p.funding_period_secs;
            m.market_index = idx as u16;
            m.oracle_source = source as u8;
            m.status = idx;
            m.bump = 250 + idx;
            let oracle = match source {
                OracleSource::PythPull => OracleAccount {
                    address,
                    owner: PYTH_RECEIVER_PROGRAM_ID,
                    data: pull(
                        address,
                        feed,
                        price,
                        conf,
                        ema,
                        expo,
                        1_750_000_200,
                        VerificationLevel::Full,
                    ),
                },
                OracleSource::PythLegacy => OracleAccount {
                    address,
                    owner: PYTH_LEGACY_PROGRAM_ID,
                    data: legacy(
                        price,
                        conf,
                        ema,
                        expo,
                        1_750_000_200,
                        PriceStatus::Trading,
                        MAGIC,
                    ),
                },
            };
            (m, oracle)
        })
        .collect()
}

fn market_json(m: &Market) -> Value {
    let p = m.params();
    let mut v = params_json(&p);
    let o = v.as_object_mut().unwrap();
    for (k, val) in [
        ("oracle", json!(m.oracle.to_string())),
        ("pythFeedId", json!(hex(&m.pyth_feed_id))),
        ("symbol", json!(m.symbol_str())),
        ("openInterestLong", s(m.open_interest_long)),
        ("openInterestShort", s(m.open_interest_short)),
        ("cumulativeFundingLong", s(m.cumulative_funding_long)),
        ("cumulativeFundingShort", s(m.cumulative_funding_short)),
        ("markTwap", s(m.mark_twap)),
        ("oracleTwap", s(m.oracle_twap)),
        ("lastFundingTs", s(m.last_funding_ts)),
        ("lastFundingRate", s(m.last_funding_rate)),
        ("lastOraclePublishTime", s(m.last_oracle_publish_time)),
        (
            "funding",
            json!({
                "oracleSum": s(m.funding.oracle_sum.get()),
                "lastUpdateTs": s(m.funding.last_update_ts),
                "lastOraclePrice": s(m.funding.last_oracle_price),
                "fillNotional": s(m.funding.fill_notional),
                "fillPremium": s(m.funding.fill_premium),
            }),
        ),
        ("insuranceFeesPending", s(m.insurance_fees_pending)),
        ("settlementPrice", s(m.settlement_price)),
        ("settledAt", s(m.settled_at)),
        ("statusExpiresAt", s(m.status_expires_at)),
        ("unitExponent", json!(m.unit_exponent)),
        ("marketIndex", json!(m.market_index)),
        ("oracleSource", json!(m.oracle_source)),
        ("status", json!(m.status)),
        ("bump", json!(m.bump)),
    ] {
        o.insert(k.into(), val);
    }
    v
}

/// `(market, base, quote, funding_snapshot)` in slot order; slots not listed stay free.
fn margin_account(
    owner: u8,
    sub: u16,
    collateral: i64,
    slots: &[(usize, u16, i64, i64, i64)],
) -> MarginAccount {
    let mut a = MarginAccount::zeroed();
    a.owner = wallet(owner);
    a.delegate = if owner.is_multiple_of(2) {
        wallet(owner + 1)
    } else {
        Pubkey::default()
    };
    a.collateral = collateral;
    a.total_deposits = 1_000_000_000 + owner as u64;
    a.total_withdrawals = 2_000_000 + owner as u64;
    a.total_fees_paid = 3_000 + owner as u64;
    a.total_funding_paid = -4_000 - owner as i64;
    a.total_realized_pnl = -5_000_000 + owner as i64;
    a.sub_account_id = sub;
    a.being_liquidated = owner.is_multiple_of(3) as u8;
    a.bump = 240 + owner % 10;
    a.total_rebates = 6_000 + owner as u64;
    a.total_deficit_covered = 7 * owner as u64;
    a.margin_mode = owner % 2;
    a.delegate_reduce_only = (owner % 3 == 1) as u8;
    a.delegate_max_deviation = 10_000 + owner as u32;
    a.delegate_period_secs = 86_400 + owner as u32;
    a.delegate_loss_budget = 100_000_000 + owner as u64;
    a.delegate_period_start = 1_750_000_000 + owner as i64;
    a.delegate_period_spent = 3_000_000 + owner as u64;
    a.total_delegate_cost = 9_000_000 + owner as u64;
    for &(slot, market, base, quote, snapshot) in slots {
        a.positions[slot].market_index = market;
        a.positions[slot].base = base;
        a.positions[slot].quote = quote;
        a.positions[slot].funding_snapshot = snapshot;
    }
    // a free slot that once held a position: its market index must not count
    if slots.iter().all(|s| s.0 != 1) {
        a.positions[1].market_index = 9;
    }
    a
}

fn margin_accounts() -> Vec<MarginAccount> {
    const ONE: i64 = 1_000_000_000;
    vec![
        // three positions in slots 3, 7, 15, unsettled funding on each side
        margin_account(
            10,
            0,
            25_000_000_000,
            &[
                (3, 0, 2_500_000_000, -7_400_000_000, 100_000_000),
                (7, 1, -3 * ONE, 198_000_000_000, -290_000_000),
                (15, 2, 40 * ONE, -5_500_000_000, 150_000_000),
            ],
        ),
        // one short, thin collateral: liquidatable
        margin_account(
            12,
            3,
            150_000_000,
            &[(0, 0, -ONE, 2_900_000_000, -98_765_431)],
        ),
        // no positions
        margin_account(13, 1, 42_000_000, &[]),
        // negative collateral (bankrupt mid-liquidation), long and short
        margin_account(
            15,
            2,
            -1_000_000,
            &[
                (0, 2, 10 * ONE, -1_500_000_000, 246_913_578),
                (2, 1, -ONE, 60_000_000_000, -197_530_862),
            ],
        ),
    ]
}

fn margin_account_json(a: &MarginAccount) -> Value {
    json!({
        "owner": a.owner.to_string(),
        "delegate": a.delegate.to_string(),
        "collateral": s(a.collateral),
        "totalDeposits": s(a.total_deposits),
        "totalWithdrawals": s(a.total_withdrawals),
        "totalFeesPaid": s(a.total_fees_paid),
        "totalFundingPaid": s(a.total_funding_paid),
        "totalRealizedPnl": s(a.total_realized_pnl),
        "subAccountId": a.sub_account_id,
        "beingLiquidated": a.being_liquidated != 0,
        "bump": a.bump,
        "positions": a.positions.iter().map(|p| json!({
            "marketIndex": p.market_index,
            "base": s(p.base),
            "quote": s(p.quote),
            "fundingSnapshot": s(p.funding_snapshot),
        })).collect::<Vec<_>>(),
        "totalRebates": s(a.total_rebates),
        "totalDeficitCovered": s(a.total_deficit_covered),
        "marginMode": a.margin_mode,
        "delegateReduceOnly": a.delegate_reduce_only != 0,
        "delegateMaxDeviation": a.delegate_max_deviation,
        "delegatePeriodSecs": a.delegate_period_secs,
        "delegateLossBudget": s(a.delegate_loss_budget),
        "delegatePeriodStart": s(a.delegate_period_start),
        "delegatePeriodSpent": s(a.delegate_period_spent),
        "totalDelegateCost": s(a.total_delegate_cost),
    })
}

fn trigger_orders() -> (Pubkey, TriggerOrders) {
    let owner = pda::margin_account(&wallet(10), 0);
    let mut t = TriggerOrders::zeroed();
    t.margin_account = owner;
    t.payer = wallet(10);
    t.next_order_id = 9;
    t.bump = 251;
    for (slot, id) in [(0usize, 3u64), (5, 7), (31, 8)] {
        t.orders[slot] = TriggerOrder {
            id,
            trigger_price: 2_850_000_000 + id as i64,
            limit_price: 2_800_000_000 - id as i64,
            size: 1_000_000 * id,
            expiry: 1_760_000_000 + id as i64,
            placed_at: 1_750_000_000 + id as i64,
            premium: 2_000 + id as u32,
            market_index: (id % 3) as u16,
            kind: (id % 2) as u8,
            flags: TriggerOrder::IN_USE
                | if id % 2 == 1 { TriggerOrder::LONG } else { 0 }
                | if id == 8 {
                    TriggerOrder::BY_DELEGATE
                } else {
                    0
                },
        };
    }
    (pda::trigger_orders(&owner), t)
}

fn trigger_orders_json(t: &TriggerOrders) -> Value {
    json!({
        "marginAccount": t.margin_account.to_string(),
        "payer": t.payer.to_string(),
        "nextOrderId": s(t.next_order_id),
        "bump": t.bump,
        "orders": t.orders.iter().map(|o| json!({
            "id": s(o.id),
            "triggerPrice": s(o.trigger_price),
            "limitPrice": s(o.limit_price),
            "size": s(o.size),
            "expiry": s(o.expiry),
            "placedAt": s(o.placed_at),
            "premium": o.premium,
            "marketIndex": o.market_index,
            "kind": o.kind,
            "flags": o.flags,
        })).collect::<Vec<_>>(),
    })
}

fn queued_actions() -> Vec<(QueuedAction, Value)> {
    let p = params(31);
    let actions: Vec<(AdminAction, Value)> = vec![
        (
            AdminAction::AddMarket {
                symbol: crate::harness::symbol("1000BONK-PERP"),
                oracle: pda::sponsored_feed(&feed_id(8)),
                oracle_source: OracleSource::PythPull,
                pyth_feed_id: feed_id(8),
                tokens_per_contract: 1_000,
                params: p,
            },
            json!({"addMarket": {"symbol": "1000BONK-PERP", "oracle": pda::sponsored_feed(&feed_id(8)).to_string(),
                   "oracleSource": 0, "pythFeedId": hex(&feed_id(8)), "tokensPerContract": "1000", "params": params_json(&p)}}),
        ),
        (
            AdminAction::SetLookupTables {
                tables: vec![wallet(5), wallet(6), wallet(7)],
            },
            json!({"setLookupTables": {"tables": [wallet(5).to_string(), wallet(6).to_string(), wallet(7).to_string()]}}),
        ),
        (
            AdminAction::SettleMarket { market_index: 2 },
            json!({"settleMarket": {"marketIndex": 2}}),
        ),
    ];
    actions
        .into_iter()
        .enumerate()
        .map(|(i, (action, v))| {
            let q = QueuedAction {
                id: 40 + i as u64,
                proposer: wallet(1),
                queued_at: 1_750_000_000 + i as i64,
                execute_after: 1_750_086_400 + i as i64,
                status: [
                    ActionStatus::Queued,
                    ActionStatus::Executed,
                    ActionStatus::Cancelled,
                ][i],
                resolved_at: 1_750_090_000 * (i as i64),
                action,
                bump: 200 + i as u8,
            };
            let json = json!({
                "id": s(q.id),
                "proposer": q.proposer.to_string(),
                "queuedAt": s(q.queued_at),
                "executeAfter": s(q.execute_after),
                "status": i,
                "resolvedAt": s(q.resolved_at),
                "action": v,
                "bump": q.bump,
            });
            (q, json)
        })
        .collect()
}

fn zero_copy_bytes<T: bytemuck::Pod + Discriminator>(v: &T) -> Vec<u8> {
    let mut data = T::DISCRIMINATOR.to_vec();
    data.extend_from_slice(bytemuck::bytes_of(v));
    data
}

// ---- oracles ----

#[allow(clippy::too_many_arguments)]
fn pull(
    write_authority: Pubkey,
    feed: [u8; 32],
    price: i64,
    conf: u64,
    ema: i64,
    expo: i32,
    publish_time: i64,
    level: VerificationLevel,
) -> Vec<u8> {
    let update = PriceUpdateV2 {
        write_authority,
        verification_level: level,
        price_message: PriceFeedMessage {
            feed_id: feed,
            price,
            conf,
            exponent: expo,
            publish_time,
            prev_publish_time: publish_time - 2,
            ema_price: ema,
            ema_conf: conf * 2,
        },
        posted_slot: 42,
    };
    let mut data = Vec::new();
    update.try_serialize(&mut data).unwrap();
    data.resize(PriceUpdateV2::LEN, 0);
    data
}

fn legacy(
    price: i64,
    conf: u64,
    ema: i64,
    expo: i32,
    ts: i64,
    status: PriceStatus,
    magic: u32,
) -> Vec<u8> {
    let mut acc: SolanaPriceAccount = Zeroable::zeroed();
    acc.magic = magic;
    acc.ver = VERSION_2;
    acc.atype = AccountType::Price as u32;
    acc.size = std::mem::size_of::<SolanaPriceAccount>() as u32;
    acc.ptype = PriceType::Price;
    acc.expo = expo;
    acc.num = 1;
    acc.num_qt = 1;
    acc.ema_price.val = ema;
    acc.ema_conf.val = conf as i64;
    acc.timestamp = ts;
    acc.prev_price = price - 1;
    acc.agg.price = price;
    acc.agg.conf = conf;
    acc.agg.status = status;
    acc.agg.pub_slot = 99;
    bytemuck::bytes_of(&acc).to_vec()
}

/// Parses as the program does (account data is 8-byte aligned on chain).
fn parse(
    key: &Pubkey,
    owner: &Pubkey,
    data: &[u8],
    spec: &OracleSpec,
) -> Result<OraclePrice, String> {
    let mut aligned = vec![0u64; data.len().div_ceil(8)];
    let bytes = &mut bytemuck::cast_slice_mut::<u64, u8>(&mut aligned)[..data.len()];
    bytes.copy_from_slice(data);
    parse_oracle_data(key, owner, bytes, spec).map_err(error_name)
}

fn error_name(e: anchor_lang::error::Error) -> String {
    match e {
        anchor_lang::error::Error::AnchorError(a) => a.error_name,
        other => format!("{other:?}"),
    }
}

fn price_json(p: &OraclePrice) -> Value {
    json!({"price": s(p.price), "conf": s(p.conf), "emaPrice": s(p.ema_price), "publishTime": s(p.publish_time)})
}

/// `(name, address, owner, data, source, feed id, unit exponent)`
type OracleCase = (
    &'static str,
    Pubkey,
    Pubkey,
    Vec<u8>,
    OracleSource,
    [u8; 32],
    u8,
);

fn oracle_vectors() -> Vec<Value> {
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/pyth");
    let sol_feed: [u8; 32] = {
        let h = "ef0d8b6fda2ceba41da15d4095d1da392a0d2f8ed0c6c7bc0f4cfac8c280b56d";
        std::array::from_fn(|i| u8::from_str_radix(&h[2 * i..2 * i + 2], 16).unwrap())
    };
    let read = |name: &str| std::fs::read(fixtures.join(name)).unwrap();
    let f = feed_id(5);
    let here = pda::sponsored_feed(&f);
    let legacy_at = wallet(99);
    let sol_at: Pubkey = "7UVimffxr9ow1uXYxsr4LHAcV58mLzhmwaeKvJ1pjLiE"
        .parse()
        .unwrap();
    let usdc_at: Pubkey = "Gnt27xtC473ZT2Mw5u8wZ68Z3gULkSTb5DuxJy7eJotD"
        .parse()
        .unwrap();
    let old_at: Pubkey = "J83w4HKfqxwcq3BEMMkPFSppX3gqekLyLJBexebFVkix"
        .parse()
        .unwrap();
    let pull_ok = |price, conf, ema, expo| {
        pull(
            here,
            f,
            price,
            conf,
            ema,
            expo,
            1_700_000_000,
            VerificationLevel::Full,
        )
    };
    let mut truncated = pull_ok(100, 1, 100, -6);
    truncated.truncate(100);
    let cases: Vec<OracleCase> = vec![
        (
            "real SOL/USD pull update",
            sol_at,
            PYTH_RECEIVER_PROGRAM_ID,
            read("7UVimffxr9ow1uXYxsr4LHAcV58mLzhmwaeKvJ1pjLiE.bin"),
            OracleSource::PythPull,
            sol_feed,
            0,
        ),
        (
            "real USDC/USD legacy account",
            usdc_at,
            PYTH_LEGACY_PROGRAM_ID,
            read("Gnt27xtC473ZT2Mw5u8wZ68Z3gULkSTb5DuxJy7eJotD.bin"),
            OracleSource::PythLegacy,
            [0; 32],
            0,
        ),
        (
            "real old legacy account",
            old_at,
            PYTH_LEGACY_PROGRAM_ID,
            read("J83w4HKfqxwcq3BEMMkPFSppX3gqekLyLJBexebFVkix.bin"),
            OracleSource::PythLegacy,
            [0; 32],
            0,
        ),
        (
            "pull, exponent -8, rounding",
            here,
            PYTH_RECEIVER_PROGRAM_ID,
            pull_ok(314_159_265_358, 123_456_789, 314_000_000_001, -8),
            OracleSource::PythPull,
            f,
            0,
        ),
        (
            "pull, negative price rounds down",
            here,
            PYTH_RECEIVER_PROGRAM_ID,
            pull_ok(-1_234_567_891, 99, -5, -9),
            OracleSource::PythPull,
            f,
            0,
        ),
        (
            "pull, exponent -6",
            here,
            PYTH_RECEIVER_PROGRAM_ID,
            pull_ok(42_000_000, 7, 41_999_999, -6),
            OracleSource::PythPull,
            f,
            0,
        ),
        (
            "pull, exponent 2",
            here,
            PYTH_RECEIVER_PROGRAM_ID,
            pull_ok(12_345, 3, 12_300, 2),
            OracleSource::PythPull,
            f,
            0,
        ),
        (
            "pull, exponent -18",
            here,
            PYTH_RECEIVER_PROGRAM_ID,
            pull_ok(5_000_000_000_000_000_001, 1, 4_999_999_999_999_999_999, -18),
            OracleSource::PythPull,
            f,
            0,
        ),
        (
            "pull, exponent 12 overflows",
            here,
            PYTH_RECEIVER_PROGRAM_ID,
            pull_ok(10_000_000, 1, 10_000_000, 12),
            OracleSource::PythPull,
            f,
            0,
        ),
        (
            "pull, exponent -19",
            here,
            PYTH_RECEIVER_PROGRAM_ID,
            pull_ok(1, 1, 1, -19),
            OracleSource::PythPull,
            f,
            0,
        ),
        (
            "pull, exponent 13",
            here,
            PYTH_RECEIVER_PROGRAM_ID,
            pull_ok(1, 1, 1, 13),
            OracleSource::PythPull,
            f,
            0,
        ),
        (
            "pull, partial verification",
            here,
            PYTH_RECEIVER_PROGRAM_ID,
            pull(
                here,
                f,
                100,
                1,
                100,
                -6,
                1_700_000_000,
                VerificationLevel::Partial { num_signatures: 5 },
            ),
            OracleSource::PythPull,
            f,
            0,
        ),
        (
            "pull, other feed",
            here,
            PYTH_RECEIVER_PROGRAM_ID,
            pull_ok(100, 1, 100, -6),
            OracleSource::PythPull,
            feed_id(6),
            0,
        ),
        (
            "pull, wrong owner",
            here,
            PYTH_LEGACY_PROGRAM_ID,
            pull_ok(100, 1, 100, -6),
            OracleSource::PythPull,
            f,
            0,
        ),
        (
            "pull, truncated",
            here,
            PYTH_RECEIVER_PROGRAM_ID,
            truncated,
            OracleSource::PythPull,
            f,
            0,
        ),
        (
            "legacy bytes as pull",
            legacy_at,
            PYTH_RECEIVER_PROGRAM_ID,
            legacy(100, 1, 100, -6, 5, PriceStatus::Trading, MAGIC),
            OracleSource::PythPull,
            f,
            0,
        ),
        (
            "legacy, exponent -5",
            legacy_at,
            PYTH_LEGACY_PROGRAM_ID,
            legacy(
                987_654_321,
                55,
                987_000_000,
                -5,
                1_700_000_001,
                PriceStatus::Trading,
                MAGIC,
            ),
            OracleSource::PythLegacy,
            f,
            0,
        ),
        (
            "legacy, exponent -10, rounding",
            legacy_at,
            PYTH_LEGACY_PROGRAM_ID,
            legacy(
                1_000_000_000_019,
                10_001,
                999_999_999_999,
                -10,
                1_700_000_002,
                PriceStatus::Trading,
                MAGIC,
            ),
            OracleSource::PythLegacy,
            f,
            0,
        ),
        (
            "legacy, halted",
            legacy_at,
            PYTH_LEGACY_PROGRAM_ID,
            legacy(100, 1, 100, -6, 5, PriceStatus::Halted, MAGIC),
            OracleSource::PythLegacy,
            f,
            0,
        ),
        (
            "legacy, unknown status",
            legacy_at,
            PYTH_LEGACY_PROGRAM_ID,
            legacy(100, 1, 100, -6, 5, PriceStatus::Unknown, MAGIC),
            OracleSource::PythLegacy,
            f,
            0,
        ),
        (
            "legacy, bad magic",
            legacy_at,
            PYTH_LEGACY_PROGRAM_ID,
            legacy(100, 1, 100, -6, 5, PriceStatus::Trading, 0xdead_beef),
            OracleSource::PythLegacy,
            f,
            0,
        ),
        (
            "legacy, wrong owner",
            legacy_at,
            PYTH_RECEIVER_PROGRAM_ID,
            legacy(100, 1, 100, -6, 5, PriceStatus::Trading, MAGIC),
            OracleSource::PythLegacy,
            f,
            0,
        ),
        (
            "pull bytes as legacy",
            legacy_at,
            PYTH_LEGACY_PROGRAM_ID,
            pull_ok(100, 1, 100, -6),
            OracleSource::PythLegacy,
            f,
            0,
        ),
    ];
    cases
        .into_iter()
        .chain(extra_oracle_cases(here, f))
        .map(
            |(name, address, owner, data, source, feed, unit_exponent)| {
                let spec = OracleSpec {
                    source,
                    feed_id: feed,
                    unit_exponent,
                };
                let result = match parse(&address, &owner, &data, &spec) {
                    Ok(p) => json!({"ok": price_json(&p)}),
                    Err(e) => json!({"error": e}),
                };
                json!({
                    "name": name,
                    "address": address.to_string(),
                    "owner": owner.to_string(),
                    "source": source as u8,
                    "feedId": hex(&feed),
                    "unitExponent": unit_exponent,
                    "data": b64(&data),
                    "result": result,
                })
            },
        )
        .collect()
}

/// The sponsored-feed rule and market units.
fn extra_oracle_cases(here: Pubkey, f: [u8; 32]) -> Vec<OracleCase> {
    let stranger = pull(
        wallet(7),
        f,
        100,
        1,
        100,
        -6,
        1_700_000_000,
        VerificationLevel::Full,
    );
    let tiny = pull(
        here,
        f,
        2_345,
        12,
        2_300,
        -10,
        1_700_000_000,
        VerificationLevel::Full,
    );
    vec![
        (
            "pull, written by a stranger",
            here,
            PYTH_RECEIVER_PROGRAM_ID,
            stranger,
            OracleSource::PythPull,
            f,
            0,
        ),
        (
            "pull, $0.0000002345 per token",
            here,
            PYTH_RECEIVER_PROGRAM_ID,
            tiny.clone(),
            OracleSource::PythPull,
            f,
            0,
        ),
        (
            "pull, per 1,000,000 tokens",
            here,
            PYTH_RECEIVER_PROGRAM_ID,
            tiny,
            OracleSource::PythPull,
            f,
            6,
        ),
        (
            "legacy, per 1,000 tokens",
            wallet(99),
            PYTH_LEGACY_PROGRAM_ID,
            legacy(
                1_234_567,
                89,
                1_234_000,
                -8,
                1_700_000_003,
                PriceStatus::Trading,
                MAGIC,
            ),
            OracleSource::PythLegacy,
            f,
            3,
        ),
    ]
}

fn check_price_vectors() -> Vec<Value> {
    let p = |price: i64, conf: u64, publish_time: i64| OraclePrice {
        price,
        conf,
        ema_price: price,
        publish_time,
    };
    let limits = |max_age_secs: u32, max_conf_ratio: u32, last_publish_time: i64| OracleLimits {
        max_age_secs,
        max_conf_ratio,
        last_publish_time,
    };
    let cases = [
        (
            p(100_000_000, 2_000_000, 1_000),
            limits(60, 20_000, 900),
            1_060,
        ),
        (
            p(100_000_000, 2_000_001, 1_000),
            limits(60, 20_000, 900),
            1_000,
        ),
        (p(100_000_000, 1, 1_000), limits(60, 20_000, 900), 1_061),
        (p(100_000_000, 1, 1_011), limits(60, 20_000, 900), 1_000),
        (p(100_000_000, 1, 1_010), limits(60, 20_000, 900), 1_000),
        (p(100_000_000, 1, 899), limits(60, 20_000, 900), 900),
        (p(0, 0, 1_000), limits(60, 20_000, 0), 1_000),
        (p(-5, 0, 1_000), limits(60, 20_000, 0), 1_000),
    ];
    cases
        .iter()
        .map(|(price, l, now)| {
            let result = match check_price(price, l, *now) {
                Ok(()) => Value::Null,
                Err(e) => json!(error_name(e)),
            };
            json!({
                "price": price_json(price),
                "limits": {"maxAgeSecs": l.max_age_secs, "maxConfRatio": l.max_conf_ratio, "lastPublishTime": s(l.last_publish_time)},
                "now": s(now),
                "error": result,
            })
        })
        .collect()
}

// ---- risk ----

pub fn report_json(r: &RiskReport) -> Value {
    json!({
        "marginMode": r.margin_mode as u8,
        "collateral": s(r.collateral),
        "equity": s(r.equity),
        "initialEquity": s(r.initial_equity),
        "initialRequirement": s(r.initial_requirement),
        "maintenanceRequirement": s(r.maintenance_requirement),
        "standardInitialRequirement": s(r.standard_initial_requirement),
        "standardMaintenanceRequirement": s(r.standard_maintenance_requirement),
        "freeCollateral": s(r.free_collateral),
        "withdrawable": s(r.withdrawable),
        "effectiveLeverage": opt(r.effective_leverage),
        "marginRatio": opt(r.margin_ratio),
        "liquidatable": r.liquidatable,
        "positions": r.positions.iter().map(position_report_json).collect::<Vec<_>>(),
    })
}

fn position_report_json(p: &PositionReport) -> Value {
    json!({
        "marketIndex": p.market_index,
        "symbol": p.symbol,
        "base": s(p.base),
        "entryPrice": s(p.entry_price),
        "oraclePrice": s(p.oracle_price),
        "notional": s(p.notional),
        "unrealizedPnl": s(p.unrealized_pnl),
        "fundingOwed": s(p.funding_owed),
        "liquidationPrice": opt(p.liquidation_price),
        "fundingPerDay": s(p.funding_per_day),
        "marginGroup": p.margin_group,
        "systematicShare": p.systematic_share,
        "orders": p.orders.iter().map(order_report_json).collect::<Vec<_>>(),
    })
}

fn order_report_json(o: &OrderReport) -> Value {
    json!({
        "orderId": s(o.order_id),
        "kind": o.kind as u8,
        "triggerPrice": s(o.trigger_price),
        "limitPrice": s(o.limit_price),
        "size": s(o.size),
        "expiry": s(o.expiry),
        "premium": o.premium,
        "distancePpm": s(o.distance_ppm),
    })
}

/// What-if portfolios over a wide range of sizes, prices, confidence, ema, parameters, funding
/// and collateral (negative included).
fn portfolios() -> Vec<Value> {
    let mut rng = Rng(0x00c0_ffee);
    (0..80)
        .map(|n| {
            let count = 1 + (rng.next() % 4) as usize;
            let inputs: Vec<PositionInput> = (0..count)
                .map(|i| {
                    let price = match rng.next() % 3 {
                        0 => rng.range(1_000, 2_000_000),               // $0.001 - $2
                        1 => rng.range(1_000_000, 5_000_000_000),       // $1 - $5,000
                        _ => rng.range(5_000_000_000, 150_000_000_000), // $5,000 - $150,000
                    };
                    let notional_usd = rng.range(10, 2_000_000); // whole dollars
                    let mut base =
                        (notional_usd as i128 * 1_000_000 * 1_000_000_000 / price as i128) as i64;
                    base = base.max(1);
                    if rng.chance(50) {
                        base = -base;
                    }
                    let entry = price + price * rng.range(-300, 300) / 1_000;
                    let quote = (-(base as i128) * entry.max(1) as i128 / 1_000_000_000) as i64;
                    let conf = if rng.chance(20) {
                        0
                    } else {
                        (price * rng.range(0, 30) / 1_000) as u64
                    };
                    let ema = if rng.chance(15) {
                        0
                    } else {
                        price + price * rng.range(-50, 50) / 1_000
                    };
                    let mm = rng.range(5_000, 200_000) as u32;
                    let im = mm + rng.range(0, 300_000) as u32;
                    let group = rng.range(0, 3) as u8;
                    let share = rng.range(0, 750_000) as u32;
                    PositionInput {
                        symbol: format!("M{n}-{i}"),
                        risk: PositionRisk {
                            market_index: i as u16 * 3 + (n % 3) as u16,
                            base,
                            quote,
                            funding_owed: rng.range(-50_000_000, 50_000_000),
                            price: OraclePrice {
                                price,
                                conf,
                                ema_price: ema,
                                publish_time: 1_700_000_000 + n as i64,
                            },
                            params: RiskParams {
                                initial_margin_ratio: im,
                                maintenance_margin_ratio: mm,
                                upnl_initial_weight: rng.range(0, 1_000_000) as u32,
                                margin_group: group,
                                systematic_share: share,
                            },
                        },
                        funding_rate_per_day: rng.range(-50_000_000, 50_000_000),
                    }
                })
                .collect();
            let total_notional: i64 = inputs
                .iter()
                .map(|p| {
                    (p.risk.base.unsigned_abs() as i128 * p.risk.price.price as i128
                        / 1_000_000_000) as i64
                })
                .sum();
            // collateral between -5% and 60% of the notional: healthy, liquidatable, bankrupt
            let collateral = total_notional * rng.range(-50, 600) / 1_000;
            // half of them in portfolio margin
            let mode = if n % 2 == 1 {
                MarginMode::Portfolio
            } else {
                MarginMode::Standard
            };
            let report = crossmargin_sdk::risk::report(collateral, &inputs, mode).unwrap();
            json!({
                "collateral": s(collateral),
                "marginMode": mode as u8,
                "positions": inputs.iter().map(|p| json!({
                    "symbol": p.symbol,
                    "fundingRatePerDay": s(p.funding_rate_per_day),
                    "risk": {
                        "marketIndex": p.risk.market_index,
                        "base": s(p.risk.base),
                        "quote": s(p.risk.quote),
                        "fundingOwed": s(p.risk.funding_owed),
                        "price": price_json(&p.risk.price),
                        "params": {
                            "initialMarginRatio": p.risk.params.initial_margin_ratio,
                            "maintenanceMarginRatio": p.risk.params.maintenance_margin_ratio,
                            "upnlInitialWeight": p.risk.params.upnl_initial_weight,
                            "marginGroup": p.risk.params.margin_group,
                            "systematicShare": p.risk.params.systematic_share,
                        },
                    },
                })).collect::<Vec<_>>(),
                "report": report_json(&report),
            })
        })
        .collect()
}

// ---- instructions ----

fn ix_json(name: &str, inputs: Value, ix: &Instruction) -> Value {
    json!({
        "name": name,
        "inputs": inputs,
        "programId": ix.program_id.to_string(),
        "accounts": ix.accounts.iter().map(|m| json!({
            "pubkey": m.pubkey.to_string(),
            "isSigner": m.is_signer,
            "isWritable": m.is_writable,
        })).collect::<Vec<_>>(),
        "data": hex(&ix.data),
    })
}

/// An account for the health builders: its owner, sub-account and slots `(market, base)`.
fn account_with(owner: Pubkey, sub: u16, slots: &[(u16, i64)]) -> (MarginAccount, Value) {
    let mut a = MarginAccount::zeroed();
    a.owner = owner;
    a.sub_account_id = sub;
    for (i, &(m, b)) in slots.iter().enumerate() {
        a.positions[i].market_index = m;
        a.positions[i].base = b;
    }
    let v = json!({
        "owner": owner.to_string(),
        "subAccountId": sub,
        "positions": slots.iter().map(|&(m, b)| json!({"marketIndex": m, "base": s(b)})).collect::<Vec<_>>(),
    });
    (a, v)
}

fn limits_json(l: &DelegateLimits) -> Value {
    json!({"maxPriceDeviation": l.max_price_deviation, "lossBudget": s(l.loss_budget), "periodSecs": l.period_secs, "reduceOnly": l.reduce_only})
}

fn instruction_vectors() -> Vec<Value> {
    let (admin, new_admin, mint, guardian) = (wallet(1), wallet(2), wallet(3), wallet(4));
    let (alice, bob, carol, dave) = (wallet(10), wallet(11), wallet(12), wallet(14));
    let token = wallet(20);
    let oracle = |i: u16| Some(wallet(100 + i as u8));
    let oracles_json: Map<String, Value> = (0u16..8)
        .map(|i| (i.to_string(), json!(wallet(100 + i as u8).to_string())))
        .collect();
    let oracles_json = Value::Object(oracles_json);
    let p = params(4_242);
    let feed = feed_id(9);
    let (taker, taker_v) =
        account_with(alice, 0, &[(2, 5_000_000), (4, 0), (0, -3_000_000), (5, 1)]);
    let (maker, maker_v) = account_with(bob, 2, &[(5, -9), (1, 77), (3, 0), (0, 3_000_000)]);
    let (flat, flat_v) = account_with(carol, 1, &[]);
    let (liquidator, liquidator_v) = account_with(dave, 0, &[(6, 1_000_000_000), (0, 10)]);
    let (single, single_v) = account_with(carol, 4, &[(5, -70_000_000)]);
    let limits = DelegateLimits {
        max_price_deviation: 7_500,
        loss_budget: 250_000_000,
        period_secs: 86_400,
        reduce_only: true,
    };
    let order = TriggerOrderParams {
        kind: TriggerKind::TakeProfit,
        trigger_price: 3_300_000_000,
        limit_price: 3_250_000_000,
        size: 0,
        expiry: 1_760_000_000,
        premium: 2_000,
    };
    let add = AdminAction::AddMarket {
        symbol: crate::harness::symbol("ETH-PERP"),
        oracle: pda::sponsored_feed(&feed),
        oracle_source: OracleSource::PythPull,
        pyth_feed_id: feed,
        tokens_per_contract: 1,
        params: p,
    };
    let add_json = json!({"addMarket": {"symbol": "ETH-PERP", "oracle": pda::sponsored_feed(&feed).to_string(), "oracleSource": 0,
                          "pythFeedId": hex(&feed), "tokensPerContract": "1", "params": params_json(&p)}});
    let (add_market, add_oracle) = ixs::action_accounts(&add, 3);

    let mut out = vec![
        ix_json(
            "initialize_exchange",
            json!({"admin": admin.to_string(), "collateralMint": mint.to_string(), "liquidationBuffer": 200_000,
                   "guardian": guardian.to_string(), "timelockDelaySecs": 86_400}),
            &ixs::initialize_exchange(admin, mint, 200_000, guardian, 86_400),
        ),
        ix_json(
            "queue_admin_action",
            json!({"admin": admin.to_string(), "actionId": "12", "action": add_json}),
            &ixs::queue_admin_action(admin, 12, add.clone()),
        ),
        ix_json(
            "queue_admin_action",
            json!({"admin": admin.to_string(), "actionId": "13", "action": {"updateMarket": {"marketIndex": 1, "params": params_json(&p)}}}),
            &ixs::queue_admin_action(
                admin,
                13,
                AdminAction::UpdateMarket {
                    market_index: 1,
                    params: p,
                },
            ),
        ),
        ix_json(
            "queue_admin_action",
            json!({"admin": admin.to_string(), "actionId": "14", "action": {"transferAdmin": {"newAdmin": new_admin.to_string()}}}),
            &ixs::queue_admin_action(admin, 14, AdminAction::TransferAdmin { new_admin }),
        ),
        ix_json(
            "execute_admin_action",
            json!({"executor": bob.to_string(), "actionId": "12", "market": add_market.map(|k| k.to_string()), "oracle": add_oracle.map(|k| k.to_string())}),
            &ixs::execute_admin_action(bob, 12, add_market, add_oracle),
        ),
        ix_json(
            "execute_admin_action",
            json!({"executor": bob.to_string(), "actionId": "14", "market": null, "oracle": null}),
            &ixs::execute_admin_action(bob, 14, None, None),
        ),
        ix_json(
            "cancel_admin_action",
            json!({"authority": guardian.to_string(), "actionId": "13"}),
            &ixs::cancel_admin_action(guardian, 13),
        ),
        ix_json(
            "set_market_status",
            json!({"authority": guardian.to_string(), "marketIndex": 2, "status": 2, "durationSecs": 3_600}),
            &ixs::set_market_status(guardian, 2, MarketStatus::Paused, 3_600),
        ),
        ix_json(
            "accept_admin",
            json!({"newAdmin": new_admin.to_string()}),
            &ixs::accept_admin(new_admin),
        ),
        ix_json(
            "settle_dead_market",
            json!({"marketIndex": 2, "oracles": oracles_json}),
            &ixs::settle_dead_market(2, wallet(102)),
        ),
        ix_json(
            "settle_position",
            json!({"marketIndex": 5, "account": single_v}),
            &ixs::settle_position(
                5,
                pda::margin_account(&carol, 4),
                health::may_close_account(&single),
            ),
        ),
        ix_json(
            "create_margin_account",
            json!({"owner": alice.to_string(), "subAccountId": 7}),
            &ixs::create_margin_account(alice, 7),
        ),
        ix_json(
            "close_margin_account",
            json!({"owner": alice.to_string(), "subAccountId": 7}),
            &ixs::close_margin_account(alice, 7),
        ),
        ix_json(
            "set_delegate",
            json!({"owner": alice.to_string(), "subAccountId": 0, "delegate": carol.to_string(), "limits": limits_json(&limits)}),
            &ixs::set_delegate(alice, 0, carol, limits),
        ),
        ix_json(
            "set_margin_mode",
            json!({"account": taker_v, "mode": 1, "oracles": oracles_json}),
            &ixs::set_margin_mode(
                alice,
                0,
                MarginMode::Portfolio,
                health::health_metas_for(&[&taker], &oracle).unwrap(),
            ),
        ),
        ix_json(
            "deposit",
            json!({"depositor": bob.to_string(), "marginAccount": {"owner": alice.to_string(), "subAccountId": 3},
                   "depositorToken": token.to_string(), "amount": "18446744073709551615"}),
            &ixs::deposit(bob, pda::margin_account(&alice, 3), token, u64::MAX),
        ),
        ix_json(
            "deposit_insurance",
            json!({"depositor": bob.to_string(), "depositorToken": token.to_string(), "amount": "5000000"}),
            &ixs::deposit_insurance(bob, token, 5_000_000),
        ),
        ix_json(
            "withdraw",
            json!({"account": taker_v, "destination": token.to_string(), "amount": "1234567", "oracles": oracles_json}),
            &ixs::withdraw(
                alice,
                0,
                token,
                1_234_567,
                health::health_metas_for(&[&taker], &oracle).unwrap(),
            ),
        ),
        ix_json(
            "withdraw",
            json!({"account": flat_v, "destination": token.to_string(), "amount": "1", "oracles": oracles_json}),
            &ixs::withdraw(
                carol,
                1,
                token,
                1,
                health::health_metas_for(&[&flat], &oracle).unwrap(),
            ),
        ),
        ix_json(
            "fill",
            json!({"taker": taker_v, "maker": maker_v, "takerAuthority": carol.to_string(), "marketIndex": 0,
                   "takerBaseDelta": "-250000000", "price": "3012500000", "oracles": oracles_json}),
            &ixs::fill(
                carol,
                bob,
                pda::margin_account(&alice, 0),
                pda::margin_account(&bob, 2),
                0,
                wallet(100),
                -250_000_000,
                3_012_500_000,
                health::fill_health_metas(&taker, &maker, 0, &oracle).unwrap(),
            ),
        ),
        ix_json(
            "create_trigger_orders",
            json!({"authority": alice.to_string(), "marginAccount": {"owner": alice.to_string(), "subAccountId": 0}}),
            &ixs::create_trigger_orders(alice, pda::margin_account(&alice, 0)),
        ),
        ix_json(
            "close_trigger_orders",
            json!({"authority": alice.to_string(), "marginAccount": {"owner": alice.to_string(), "subAccountId": 0}, "payer": carol.to_string()}),
            &ixs::close_trigger_orders(alice, pda::margin_account(&alice, 0), carol),
        ),
        ix_json(
            "place_trigger_order",
            json!({"authority": carol.to_string(), "marginAccount": {"owner": alice.to_string(), "subAccountId": 0}, "marketIndex": 2,
                   "params": {"kind": 1, "triggerPrice": "3300000000", "limitPrice": "3250000000", "size": "0", "expiry": "1760000000", "premium": 2_000},
                   "oracles": oracles_json}),
            &ixs::place_trigger_order(carol, pda::margin_account(&alice, 0), 2, wallet(102), order),
        ),
        ix_json(
            "cancel_trigger_order",
            json!({"authority": alice.to_string(), "marginAccount": {"owner": alice.to_string(), "subAccountId": 0}, "orderId": "18446744073709551615"}),
            &ixs::cancel_trigger_order(alice, pda::margin_account(&alice, 0), u64::MAX),
        ),
        ix_json(
            "execute_trigger_order",
            json!({"executor": maker_v, "executorAuthority": bob.to_string(), "trader": taker_v, "marketIndex": 2, "orderId": "5", "oracles": oracles_json}),
            &ixs::execute_trigger_order(
                bob,
                pda::margin_account(&bob, 2),
                pda::margin_account(&alice, 0),
                2,
                wallet(102),
                5,
                health::fill_health_metas(&taker, &maker, 2, &oracle).unwrap(),
            ),
        ),
        ix_json(
            "update_funding",
            json!({"marketIndex": 5, "oracles": oracles_json}),
            &ixs::update_funding(5, wallet(105)),
        ),
        ix_json(
            "settle_funding",
            json!({"account": maker_v}),
            &ixs::settle_funding(pda::margin_account(&bob, 2), health::funding_metas(&maker)),
        ),
        ix_json(
            "liquidate",
            json!({"liquidator": liquidator_v, "liquidatee": maker_v, "marketIndex": 5, "maxBase": "9",
                   "limitPrice": "-1", "oracles": oracles_json}),
            &ixs::liquidate(
                dave,
                pda::margin_account(&dave, 0),
                pda::margin_account(&bob, 2),
                5,
                wallet(105),
                9,
                -1,
                health::may_close_account(&maker),
                health::liquidate_health_metas(&maker, &liquidator, 5, &oracle).unwrap(),
            ),
        ),
        ix_json(
            "liquidate",
            json!({"liquidator": liquidator_v, "liquidatee": single_v, "marketIndex": 5, "maxBase": "18446744073709551615",
                   "limitPrice": "0", "oracles": oracles_json}),
            &ixs::liquidate(
                dave,
                pda::margin_account(&dave, 0),
                pda::margin_account(&carol, 4),
                5,
                wallet(105),
                u64::MAX,
                0,
                health::may_close_account(&single),
                health::liquidate_health_metas(&single, &liquidator, 5, &oracle).unwrap(),
            ),
        ),
        ix_json(
            "liquidate_portfolio",
            json!({"liquidator": liquidator_v, "liquidatee": taker_v, "maxFraction": "1000000000", "mayCloseAccount": true, "oracles": oracles_json}),
            &ixs::liquidate_portfolio(
                dave,
                pda::margin_account(&dave, 0),
                pda::margin_account(&alice, 0),
                1_000_000_000,
                true,
                health::portfolio_liquidation_metas(&taker, &liquidator, &oracle).unwrap(),
            ),
        ),
    ];
    out.sort_by_key(|v| v["name"].as_str().unwrap().to_string());
    out
}

/// v0 messages compiled by the SDK against a lookup table (and legacy ones without): the TS
/// builder must produce the same bytes from the same instructions.
fn transaction_vectors() -> Vec<Value> {
    use crossmargin_sdk::tx;
    use solana_sdk::hash::Hash;
    use solana_sdk::message::AddressLookupTableAccount;
    let oracle = |i: u16| Some(wallet(100 + i as u8));
    let mut addresses = crossmargin_keeper::embedded::bootstrap::fixed_table_accounts(&wallet(3));
    for i in 0..16u16 {
        addresses.extend([pda::market(i), wallet(100 + i as u8)]);
    }
    let table = AddressLookupTableAccount {
        key: wallet(5),
        addresses,
    };
    let sixteen: Vec<(u16, i64)> = (0..16u16)
        .map(|i| {
            (
                i,
                if i % 2 == 0 {
                    1_000_000_000
                } else {
                    -2_000_000
                },
            )
        })
        .collect();
    let (full, _) = account_with(wallet(10), 0, &sixteen);
    let (maker, _) = account_with(wallet(11), 2, &[(3, 5), (17, -5)]);
    let (liquidator, _) = account_with(wallet(14), 0, &[(20, 1)]);
    let blockhash = Hash::new_from_array([7; 32]);
    let cases: Vec<(&str, Pubkey, Vec<Instruction>)> = vec![
        (
            "fill, taker with 16 positions",
            wallet(10),
            vec![ixs::fill(
                wallet(10),
                wallet(11),
                pda::margin_account(&wallet(10), 0),
                pda::margin_account(&wallet(11), 2),
                3,
                wallet(103),
                -1_000_000,
                3_000_000_000,
                health::fill_health_metas(&full, &maker, 3, &oracle).unwrap(),
            )],
        ),
        (
            "liquidate, liquidatee with 16 positions",
            wallet(14),
            vec![ixs::liquidate(
                wallet(14),
                pda::margin_account(&wallet(14), 0),
                pda::margin_account(&wallet(10), 0),
                7,
                wallet(107),
                u64::MAX,
                0,
                false,
                health::liquidate_health_metas(&full, &liquidator, 7, &oracle).unwrap(),
            )],
        ),
        (
            "withdraw, 16 positions",
            wallet(10),
            vec![ixs::withdraw(
                wallet(10),
                0,
                wallet(20),
                1,
                health::health_metas_for(&[&full], &oracle).unwrap(),
            )],
        ),
        (
            "deposit",
            wallet(11),
            vec![ixs::deposit(
                wallet(11),
                pda::margin_account(&wallet(10), 0),
                wallet(21),
                5,
            )],
        ),
    ];
    let mut out = Vec::new();
    for (name, payer, ixs_) in cases {
        let mut all = tx::compute_budget(350_000, 12_345).to_vec();
        all.extend(ixs_);
        for (kind, tables) in [("v0", vec![table.clone()]), ("legacy", vec![])] {
            let message = tx::compile_message(&payer, &all, &tables, blockhash).unwrap();
            let unsigned = tx::unsigned(message.clone());
            out.push(json!({
                "name": format!("{name} ({kind})"),
                "payer": payer.to_string(),
                "blockhash": blockhash.to_string(),
                "lookupTables": tables.iter().map(|t| json!({"key": t.key.to_string(), "addresses": t.addresses.iter().map(|a| a.to_string()).collect::<Vec<_>>()})).collect::<Vec<_>>(),
                "instructions": all.iter().map(|i| ix_json("", json!(null), i)).collect::<Vec<_>>(),
                "message": b64(&message.serialize()),
                "size": tx::serialized_size(&unsigned),
                "locks": tx::account_locks(&message),
                "withinLimits": tx::check_limits(&unsigned).is_ok(),
            }));
        }
    }
    out
}

#[test]
fn vectors_for_the_typescript_client() {
    let ex = exchange();
    let mut ex_bytes = Vec::new();
    ex.try_serialize(&mut ex_bytes).unwrap();
    let markets = markets();
    let accounts = margin_accounts();

    // each account's report, from the oracle bytes through the SDK's parser and risk view
    let priced: Vec<(Market, OraclePrice)> = markets
        .iter()
        .map(|(m, o)| {
            (
                *m,
                crossmargin_sdk::oracle::read_price(m, &o.owner, &o.data).unwrap(),
            )
        })
        .collect();
    let reports: Vec<Value> = accounts
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let orders = (i == 0).then(|| trigger_orders().1);
            let r = crossmargin_sdk::risk::account_report(a, &priced, orders.as_ref()).unwrap();
            json!({"account": i, "report": report_json(&r)})
        })
        .collect();
    // the figures cover what they should: a liquidatable account, a bankrupt one, funding owed
    assert!(reports
        .iter()
        .any(|r| r["report"]["liquidatable"] == json!(true)));
    assert!(reports
        .iter()
        .any(|r| r["report"]["liquidatable"] == json!(false)
            && !r["report"]["positions"].as_array().unwrap().is_empty()));

    let market_pdas = [0u16, 1, 2, 255, 256, 65535];
    let account_pdas = [(10u8, 0u16), (10, 1), (11, 513), (12, 65535)];
    let admin_action_pdas: Vec<Value> = [0u64, 1, 255, 1 << 40]
        .iter()
        .map(|&i| json!({"id": s(i), "address": pda::admin_action(i).to_string()}))
        .collect();
    let trigger_order_pdas: Vec<Value> = account_pdas
        .iter()
        .map(|&(o, sub)| {
            let a = pda::margin_account(&wallet(o), sub);
            json!({"marginAccount": a.to_string(), "address": pda::trigger_orders(&a).to_string()})
        })
        .collect();
    let sponsored_feeds: Vec<Value> = [0u8, 5, 9]
        .iter()
        .map(|&n| json!({"feedId": hex(&feed_id(n)), "address": pda::sponsored_feed(&feed_id(n)).to_string()}))
        .collect();
    let trigger_orders_vector = {
        let (address, t) = trigger_orders();
        json!({"address": address.to_string(), "data": b64(&zero_copy_bytes(&t)), "decoded": trigger_orders_json(&t)})
    };
    let queued_vectors: Vec<Value> = queued_actions()
        .iter()
        .map(|(q, v)| {
            let mut data = Vec::new();
            q.try_serialize(&mut data).unwrap();
            json!({"address": pda::admin_action(q.id).to_string(), "data": b64(&data), "decoded": v})
        })
        .collect();
    let vectors = json!({
        "programId": cross_margin::ID.to_string(),
        "pythReceiverProgramId": PYTH_RECEIVER_PROGRAM_ID.to_string(),
        "pythLegacyProgramId": PYTH_LEGACY_PROGRAM_ID.to_string(),
        "pdas": {
            "exchange": pda::exchange().to_string(),
            "vault": pda::vault().to_string(),
            "programData": pda::program_data().to_string(),
            "adminActions": admin_action_pdas,
            "triggerOrders": trigger_order_pdas,
            "sponsoredFeeds": sponsored_feeds,
            "markets": market_pdas.iter().map(|&i| json!({"index": i, "address": pda::market(i).to_string()})).collect::<Vec<_>>(),
            "marginAccounts": account_pdas.iter().map(|&(o, sub)| json!({
                "owner": wallet(o).to_string(), "seed": o, "subAccountId": sub,
                "address": pda::margin_account(&wallet(o), sub).to_string(),
            })).collect::<Vec<_>>(),
        },
        "exchange": {"data": b64(&ex_bytes), "decoded": exchange_json(&ex)},
        "markets": markets.iter().map(|(m, _)| json!({"data": b64(&zero_copy_bytes(m)), "decoded": market_json(m)})).collect::<Vec<_>>(),
        "oracleAccounts": markets.iter().map(|(_, o)| json!({"address": o.address.to_string(), "owner": o.owner.to_string(), "data": b64(&o.data)})).collect::<Vec<_>>(),
        "marginAccounts": accounts.iter().map(|a| json!({
            "address": pda::margin_account(&a.owner, a.sub_account_id).to_string(),
            "data": b64(&zero_copy_bytes(a)),
            "decoded": margin_account_json(a),
        })).collect::<Vec<_>>(),
        "triggerOrders": trigger_orders_vector,
        "queuedActions": queued_vectors,
        "reports": reports,
        "oracles": oracle_vectors(),
        "checkPrice": check_price_vectors(),
        "portfolios": portfolios(),
        "instructions": instruction_vectors(),
        "transactions": transaction_vectors(),
    });
    check_committed("vectors.json", &vectors);
}
