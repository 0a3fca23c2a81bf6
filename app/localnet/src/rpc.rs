//! Solana JSON-RPC over the node, on jsonrpsee (HTTP and WebSocket). Requests and responses use
//! the Agave validator's own types (`solana-rpc-client-types`, `solana-account-decoder-client-
//! types`, `solana-transaction-status-client-types`), so configs parse and results serialize as a
//! validator's do; errors carry the validator's codes and messages (`RpcCustomError` for the
//! server-defined ones).
//!
//! Not served (a validator's, unused by our clients): blocks, leader schedules, votes, supply,
//! token queries by owner, and `jsonParsed` decoding (accounts come back base64, as a validator
//! does for accounts it cannot parse).

use std::sync::Arc;

use anchor_lang::prelude::Pubkey;
use anchor_spl::token::spl_token;
use jsonrpsee::core::SubscriptionResult;
use jsonrpsee::types::{ErrorObject, ErrorObjectOwned, Params};
use jsonrpsee::{PendingSubscriptionSink, RpcModule, SubscriptionMessage};
use serde::Serialize;
use serde_json::{json, Value};
use solana_account_decoder_client_types::token::UiTokenAmount;
use solana_account_decoder_client_types::{
    UiAccount, UiAccountData, UiAccountEncoding, UiDataSliceConfig,
};
use solana_rpc_client_api::config::{
    RpcAccountInfoConfig, RpcProgramAccountsConfig, RpcSendTransactionConfig,
    RpcSignatureStatusConfig, RpcSignatureSubscribeConfig, RpcSimulateTransactionConfig,
    RpcTransactionConfig,
};
use solana_rpc_client_api::custom_error::RpcCustomError;
use solana_rpc_client_api::filter::RpcFilterType;
use solana_rpc_client_api::response::{
    ProcessedSignatureResult, Response, RpcBlockhash, RpcKeyedAccount, RpcResponseContext,
    RpcSignatureResult, RpcSimulateTransactionResult, RpcVersionInfo, SlotInfo,
};
use solana_sdk::account::Account;
use solana_sdk::hash::Hash;
use solana_sdk::message::VersionedMessage;
use solana_sdk::program_pack::Pack;
use solana_sdk::signature::{Signature, Signer};
use solana_sdk::transaction::VersionedTransaction;
use solana_transaction_status_client_types::option_serializer::OptionSerializer;
use solana_transaction_status_client_types::{
    EncodedConfirmedTransactionWithStatusMeta, EncodedTransaction,
    EncodedTransactionWithStatusMeta, TransactionBinaryEncoding, TransactionConfirmationStatus,
    TransactionStatus, UiAddressTableLookup, UiCompiledInstruction, UiLoadedAddresses, UiMessage,
    UiRawMessage, UiTransaction, UiTransactionEncoding, UiTransactionStatusMeta,
    UiTransactionTokenBalance,
};
use tokio::sync::Mutex;

use crate::node::{Node, Notice, SendError, Simulation};

/// What every method shares.
pub struct Shared {
    pub node: Mutex<Node>,
    pub notices: tokio::sync::broadcast::Sender<Notice>,
    /// What `localnet_info` answers (the bootstrap's addresses).
    pub info: Value,
}

/// The packet limit and the encoded lengths a validator accepts.
const PACKET_DATA_SIZE: usize = 1_232;
const MAX_BASE58_SIZE: usize = 1_683;
const MAX_BASE64_SIZE: usize = 1_644;
/// Agave's limits on list parameters.
const MAX_MULTIPLE_ACCOUNTS: usize = 100;
const MAX_SIGNATURE_STATUSES: usize = 256;
const MAX_BASE58_ACCOUNT_BYTES: usize = 128;

fn invalid_params(msg: impl Into<String>) -> ErrorObjectOwned {
    ErrorObject::owned(-32602, msg.into(), None::<()>)
}

fn invalid_request(msg: impl Into<String>) -> ErrorObjectOwned {
    ErrorObject::owned(-32600, msg.into(), None::<()>)
}

fn custom(e: RpcCustomError) -> ErrorObjectOwned {
    let e: jsonrpc_core::Error = e.into();
    ErrorObject::owned(e.code.code() as i32, e.message, e.data)
}

fn pubkey(s: &str) -> Result<Pubkey, ErrorObjectOwned> {
    s.parse()
        .map_err(|_| invalid_params("Invalid param: Invalid"))
}

fn signature(s: &str) -> Result<Signature, ErrorObjectOwned> {
    s.parse()
        .map_err(|_| invalid_params("Invalid param: Invalid"))
}

fn ctx(slot: u64) -> RpcResponseContext {
    RpcResponseContext::new(slot)
}

/// The account as a validator encodes it (`jsonParsed` falls back to base64, as a validator does
/// for an account it cannot parse).
fn encode_account(
    a: &Account,
    encoding: Option<UiAccountEncoding>,
    slice: Option<UiDataSliceConfig>,
) -> Result<UiAccount, ErrorObjectOwned> {
    let data: &[u8] = match slice {
        Some(s) => {
            let start = s.offset.min(a.data.len());
            let end = s.offset.saturating_add(s.length).min(a.data.len());
            &a.data[start..end]
        }
        None => &a.data,
    };
    use base64::Engine;
    let b64 = || base64::engine::general_purpose::STANDARD.encode(data);
    let data = match encoding.unwrap_or(UiAccountEncoding::Binary) {
        UiAccountEncoding::Binary | UiAccountEncoding::Base58 if data.len() > MAX_BASE58_ACCOUNT_BYTES => {
            return Err(invalid_request(
                "Encoded binary (base 58) data should be less than 128 bytes, please use Base64 encoding.",
            ))
        }
        UiAccountEncoding::Binary => UiAccountData::LegacyBinary(bs58::encode(data).into_string()),
        UiAccountEncoding::Base58 => {
            UiAccountData::Binary(bs58::encode(data).into_string(), UiAccountEncoding::Base58)
        }
        UiAccountEncoding::Base64 | UiAccountEncoding::JsonParsed => {
            UiAccountData::Binary(b64(), UiAccountEncoding::Base64)
        }
        UiAccountEncoding::Base64Zstd => {
            let packed = zstd::encode_all(data, 0)
                .map_err(|e| ErrorObject::owned(-32603, e.to_string(), None::<()>))?;
            UiAccountData::Binary(
                base64::engine::general_purpose::STANDARD.encode(packed),
                UiAccountEncoding::Base64Zstd,
            )
        }
    };
    Ok(UiAccount {
        lamports: a.lamports,
        data,
        owner: a.owner.to_string(),
        executable: a.executable,
        rent_epoch: a.rent_epoch,
        space: Some(a.data.len() as u64),
    })
}

/// Whether `account` passes a `getProgramAccounts` filter (as a validator's `filter_allows`).
fn filter_allows(f: &RpcFilterType, account: &Account) -> bool {
    match f {
        RpcFilterType::DataSize(size) => account.data.len() as u64 == *size,
        RpcFilterType::Memcmp(compare) => compare.bytes_match(&account.data),
        RpcFilterType::TokenAccountState => {
            account.owner == spl_token::ID
                && spl_token::state::Account::unpack(&account.data).is_ok()
        }
    }
}

/// A wire transaction in `encoding` (base58 unless given), within the packet limit.
fn decode_transaction(
    text: &str,
    encoding: Option<UiTransactionEncoding>,
) -> Result<VersionedTransaction, ErrorObjectOwned> {
    use base64::Engine;
    let encoding = encoding.unwrap_or(UiTransactionEncoding::Base58);
    let (bytes, max, name) = match encoding {
        UiTransactionEncoding::Base58 | UiTransactionEncoding::Binary => {
            if text.len() > MAX_BASE58_SIZE {
                return Err(invalid_params(format!(
                    "base58 encoded solana_transaction::versioned::VersionedTransaction too large: {} bytes (max: encoded/raw {}/{})",
                    text.len(), MAX_BASE58_SIZE, PACKET_DATA_SIZE
                )));
            }
            (
                bs58::decode(text)
                    .into_vec()
                    .map_err(|e| invalid_params(format!("invalid base58 encoding: {e:?}")))?,
                MAX_BASE58_SIZE,
                "base58",
            )
        }
        UiTransactionEncoding::Base64 => {
            if text.len() > MAX_BASE64_SIZE {
                return Err(invalid_params(format!(
                    "base64 encoded solana_transaction::versioned::VersionedTransaction too large: {} bytes (max: encoded/raw {}/{})",
                    text.len(), MAX_BASE64_SIZE, PACKET_DATA_SIZE
                )));
            }
            (
                base64::engine::general_purpose::STANDARD
                    .decode(text)
                    .map_err(|e| invalid_params(format!("invalid base64 encoding: {e:?}")))?,
                MAX_BASE64_SIZE,
                "base64",
            )
        }
        other => {
            return Err(invalid_params(format!(
                "unsupported encoding: {other}. Supported encodings: base58, base64"
            )))
        }
    };
    if bytes.len() > PACKET_DATA_SIZE {
        return Err(invalid_params(format!(
            "{name} encoded solana_transaction::versioned::VersionedTransaction too large: {} bytes (max: encoded/raw {}/{})",
            bytes.len(), max, PACKET_DATA_SIZE
        )));
    }
    let tx: VersionedTransaction = bincode::deserialize(&bytes).map_err(|e| {
        invalid_params(format!(
            "failed to deserialize solana_transaction::versioned::VersionedTransaction: {e}"
        ))
    })?;
    tx.sanitize()
        .map_err(|e| invalid_params(format!("invalid transaction: {e}")))?;
    Ok(tx)
}

fn simulation_result(sim: &Simulation) -> RpcSimulateTransactionResult {
    RpcSimulateTransactionResult {
        err: sim.err.clone(),
        logs: Some(sim.logs.clone()),
        accounts: None,
        units_consumed: Some(sim.units_consumed),
        loaded_accounts_data_size: None,
        return_data: None,
        inner_instructions: None,
        replacement_blockhash: None,
    }
}

fn preflight_failure(sim: Simulation) -> ErrorObjectOwned {
    let err = sim.err.clone().expect("a failed simulation");
    custom(RpcCustomError::SendTransactionPreflightFailure {
        message: format!("Transaction simulation failed: {err}"),
        result: simulation_result(&sim),
    })
}

fn token_amount(amount: u64, decimals: u8) -> UiTokenAmount {
    let scale = 10u64.pow(decimals as u32);
    let (int, frac) = (amount / scale, amount % scale);
    let ui_amount_string = if frac == 0 {
        int.to_string()
    } else {
        let f = format!("{frac:0width$}", width = decimals as usize);
        format!("{int}.{}", f.trim_end_matches('0'))
    };
    UiTokenAmount {
        ui_amount: Some(amount as f64 / 10f64.powi(decimals as i32)),
        decimals,
        amount: amount.to_string(),
        ui_amount_string,
    }
}

fn token_balances(list: &[crate::node::TokenBalance]) -> Vec<UiTransactionTokenBalance> {
    list.iter()
        .map(|b| UiTransactionTokenBalance {
            account_index: b.account_index,
            mint: b.mint.to_string(),
            ui_token_amount: token_amount(b.amount, b.decimals),
            owner: OptionSerializer::Some(b.owner.to_string()),
            program_id: OptionSerializer::Some(spl_token::ID.to_string()),
        })
        .collect()
}

/// A processed transaction as `getTransaction` returns it in `encoding`.
fn encode_transaction(
    r: &crate::node::TxRecord,
    encoding: UiTransactionEncoding,
) -> Result<EncodedConfirmedTransactionWithStatusMeta, ErrorObjectOwned> {
    use base64::Engine;
    let tx = &r.transaction;
    let transaction = match encoding {
        UiTransactionEncoding::Base64 => EncodedTransaction::Binary(
            base64::engine::general_purpose::STANDARD
                .encode(bincode::serialize(tx).unwrap_or_default()),
            TransactionBinaryEncoding::Base64,
        ),
        UiTransactionEncoding::Base58 => EncodedTransaction::Binary(
            bs58::encode(bincode::serialize(tx).unwrap_or_default()).into_string(),
            TransactionBinaryEncoding::Base58,
        ),
        UiTransactionEncoding::Binary => EncodedTransaction::LegacyBinary(
            bs58::encode(bincode::serialize(tx).unwrap_or_default()).into_string(),
        ),
        // json, and jsonParsed served as json (instructions undecoded)
        _ => {
            let m = &tx.message;
            let instructions = m
                .instructions()
                .iter()
                .map(|i| UiCompiledInstruction::from(i, Some(1)))
                .collect();
            let lookups = m.address_table_lookups().map(|ls| {
                ls.iter()
                    .map(|l| UiAddressTableLookup {
                        account_key: l.account_key.to_string(),
                        writable_indexes: l.writable_indexes.clone(),
                        readonly_indexes: l.readonly_indexes.clone(),
                    })
                    .collect()
            });
            EncodedTransaction::Json(UiTransaction {
                signatures: tx.signatures.iter().map(|s| s.to_string()).collect(),
                message: UiMessage::Raw(UiRawMessage {
                    header: *m.header(),
                    account_keys: m
                        .static_account_keys()
                        .iter()
                        .map(|k| k.to_string())
                        .collect(),
                    recent_blockhash: m.recent_blockhash().to_string(),
                    instructions,
                    address_table_lookups: lookups,
                }),
            })
        }
    };
    let version = match tx.message {
        VersionedMessage::Legacy(_) => solana_sdk::transaction::TransactionVersion::LEGACY,
        VersionedMessage::V0(_) => solana_sdk::transaction::TransactionVersion::Number(0),
    };
    let meta = UiTransactionStatusMeta {
        err: r.err.clone(),
        status: match &r.err {
            None => Ok(()),
            Some(e) => Err(e.clone()),
        },
        fee: r.fee,
        pre_balances: r.pre_balances.clone(),
        post_balances: r.post_balances.clone(),
        inner_instructions: Some(vec![]).into(),
        log_messages: Some(r.logs.clone()).into(),
        pre_token_balances: Some(token_balances(&r.pre_token_balances)).into(),
        post_token_balances: Some(token_balances(&r.post_token_balances)).into(),
        rewards: Some(vec![]).into(),
        loaded_addresses: Some(UiLoadedAddresses {
            writable: r.loaded_writable.iter().map(|k| k.to_string()).collect(),
            readonly: r.loaded_readonly.iter().map(|k| k.to_string()).collect(),
        })
        .into(),
        // not measured natively: left out, as a validator leaves out what it does not have
        return_data: OptionSerializer::Skip,
        compute_units_consumed: OptionSerializer::Skip,
        cost_units: OptionSerializer::Skip,
    };
    Ok(EncodedConfirmedTransactionWithStatusMeta {
        slot: r.slot,
        transaction: EncodedTransactionWithStatusMeta {
            transaction,
            meta: Some(meta),
            version: Some(version),
        },
        block_time: Some(r.block_time),
    })
}

/// Reads positional parameters: `next` for required ones, `opt` for trailing optional ones.
struct Args<'a>(jsonrpsee::types::params::ParamsSequence<'a>);

impl<'a> Args<'a> {
    fn of(p: &'a Params<'a>) -> Self {
        Args(p.sequence())
    }
    fn next<T: serde::de::DeserializeOwned>(&mut self) -> Result<T, ErrorObjectOwned> {
        self.0.next::<T>().map_err(params_error)
    }
    fn opt<T: serde::de::DeserializeOwned>(&mut self) -> Result<Option<T>, ErrorObjectOwned> {
        self.0.optional_next::<T>().map_err(params_error)
    }
}

/// jsonrpsee's parameter error as a validator words it (`Invalid params: <serde's reason>`).
fn params_error(e: ErrorObjectOwned) -> ErrorObjectOwned {
    let why = e
        .data()
        .and_then(|d| serde_json::from_str::<String>(d.get()).ok())
        .unwrap_or_else(|| e.message().to_string());
    invalid_params(format!("Invalid params: {why}"))
}

type RpcResult = Result<Value, ErrorObjectOwned>;

fn to_value<T: Serialize>(v: T) -> RpcResult {
    serde_json::to_value(v).map_err(|e| ErrorObject::owned(-32603, e.to_string(), None::<()>))
}

/// Registers an async method whose body gets the parameters and the shared state.
macro_rules! method {
    ($module:ident, $name:literal, |$params:ident, $shared:ident| -> RpcResult $body:block) => {
        $module
            .register_async_method($name, |$params, $shared, _| async move {
                let r: RpcResult = (async move { $body }).await;
                r
            })
            .expect("one registration per method");
    };
}

/// Every method of the node.
pub fn module(shared: Arc<Shared>) -> RpcModule<Shared> {
    let mut m = RpcModule::from_arc(shared);

    method!(m, "getHealth", |_p, _s| -> RpcResult { Ok(json!("ok")) });
    method!(m, "getVersion", |_p, _s| -> RpcResult {
        to_value(RpcVersionInfo {
            solana_core: "2.3.13".into(),
            feature_set: Some(0),
        })
    });
    method!(m, "getGenesisHash", |_p, s| -> RpcResult {
        let node = s.node.lock().await;
        Ok(json!(node.chain.ctx.genesis_config().hash().to_string()))
    });
    method!(m, "getSlot", |_p, s| -> RpcResult {
        Ok(json!(s.node.lock().await.slot().await))
    });
    method!(m, "getBlockHeight", |_p, s| -> RpcResult {
        Ok(json!(s.node.lock().await.block_height().await))
    });
    method!(m, "getEpochInfo", |_p, s| -> RpcResult {
        let mut node = s.node.lock().await;
        let slot = node.slot().await;
        let schedule = node.chain.ctx.genesis_config().epoch_schedule.clone();
        let (epoch, slot_index) = schedule.get_epoch_and_slot_index(slot);
        let transactions = node.chain.processed;
        to_value(solana_sdk::epoch_info::EpochInfo {
            epoch,
            slot_index,
            slots_in_epoch: schedule.get_slots_in_epoch(epoch),
            absolute_slot: slot,
            block_height: slot,
            transaction_count: Some(transactions),
        })
    });
    method!(m, "getLatestBlockhash", |_p, s| -> RpcResult {
        let mut node = s.node.lock().await;
        let (hash, last_valid_block_height) = node.latest_blockhash().await;
        let slot = node.slot().await;
        to_value(Response {
            context: ctx(slot),
            value: RpcBlockhash {
                blockhash: hash.to_string(),
                last_valid_block_height,
            },
        })
    });
    method!(m, "isBlockhashValid", |p, s| -> RpcResult {
        let mut a = Args::of(&p);
        let hash: String = a.next()?;
        let hash: Hash = hash
            .parse()
            .map_err(|_| invalid_params("Invalid param: Invalid"))?;
        let mut node = s.node.lock().await;
        let valid = node.is_blockhash_valid(&hash).await;
        let slot = node.slot().await;
        to_value(Response {
            context: ctx(slot),
            value: valid,
        })
    });
    method!(m, "getMinimumBalanceForRentExemption", |p,
                                                     s|
     -> RpcResult {
        let mut a = Args::of(&p);
        let size: usize = a.next()?;
        let node = s.node.lock().await;
        let rent = node.chain.ctx.genesis_config().rent.clone();
        Ok(json!(rent.minimum_balance(size)))
    });
    method!(m, "getFeeForMessage", |p, s| -> RpcResult {
        use base64::Engine;
        let mut a = Args::of(&p);
        let text: String = a.next()?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(&text)
            .map_err(|e| invalid_params(format!("invalid base64 encoding: {e:?}")))?;
        let message: VersionedMessage = bincode::deserialize(&bytes)
            .map_err(|_| invalid_params("invalid message: failed to deserialize"))?;
        let mut node = s.node.lock().await;
        let fee = node
            .is_blockhash_valid(message.recent_blockhash())
            .await
            .then(|| {
                crate::node::LAMPORTS_PER_SIGNATURE
                    * message.header().num_required_signatures as u64
            });
        let slot = node.slot().await;
        to_value(Response {
            context: ctx(slot),
            value: fee,
        })
    });
    method!(m, "getAccountInfo", |p, s| -> RpcResult {
        let mut a = Args::of(&p);
        let key = pubkey(&a.next::<String>()?)?;
        let config: RpcAccountInfoConfig = a.opt()?.unwrap_or_default();
        let mut node = s.node.lock().await;
        let account = node.account(&key).await;
        let slot = node.slot().await;
        let value = account
            .map(|acc| encode_account(&acc, config.encoding, config.data_slice))
            .transpose()?;
        to_value(Response {
            context: ctx(slot),
            value,
        })
    });
    method!(m, "getMultipleAccounts", |p, s| -> RpcResult {
        let mut a = Args::of(&p);
        let keys: Vec<String> = a.next()?;
        if keys.len() > MAX_MULTIPLE_ACCOUNTS {
            return Err(invalid_params(format!(
                "Too many inputs provided; max {MAX_MULTIPLE_ACCOUNTS}"
            )));
        }
        let keys = keys
            .iter()
            .map(|k| pubkey(k))
            .collect::<Result<Vec<_>, _>>()?;
        let config: RpcAccountInfoConfig = a.opt()?.unwrap_or_default();
        let mut node = s.node.lock().await;
        let mut value = Vec::with_capacity(keys.len());
        for k in &keys {
            value.push(
                node.account(k)
                    .await
                    .map(|acc| encode_account(&acc, config.encoding, config.data_slice))
                    .transpose()?,
            );
        }
        let slot = node.slot().await;
        to_value(Response {
            context: ctx(slot),
            value,
        })
    });
    method!(m, "getProgramAccounts", |p, s| -> RpcResult {
        let mut a = Args::of(&p);
        let program = pubkey(&a.next::<String>()?)?;
        let config: RpcProgramAccountsConfig = a.opt()?.unwrap_or_default();
        let filters = config.filters.unwrap_or_default();
        for f in &filters {
            f.verify()
                .map_err(|e| invalid_params(format!("Invalid param: {e:?}")))?;
        }
        let mut node = s.node.lock().await;
        let accounts = node.program_accounts(&program).await;
        let mut out = Vec::new();
        for (key, acc) in accounts {
            if filters.iter().all(|f| filter_allows(f, &acc)) {
                out.push(RpcKeyedAccount {
                    pubkey: key.to_string(),
                    account: encode_account(
                        &acc,
                        config.account_config.encoding,
                        config.account_config.data_slice,
                    )?,
                });
            }
        }
        if config.sort_results.unwrap_or(true) {
            out.sort_by(|x, y| x.pubkey.cmp(&y.pubkey));
        }
        if config.with_context.unwrap_or(false) {
            let slot = node.slot().await;
            to_value(Response {
                context: ctx(slot),
                value: out,
            })
        } else {
            to_value(out)
        }
    });
    method!(m, "getBalance", |p, s| -> RpcResult {
        let mut a = Args::of(&p);
        let key = pubkey(&a.next::<String>()?)?;
        let mut node = s.node.lock().await;
        let lamports = node.account(&key).await.map_or(0, |a| a.lamports);
        let slot = node.slot().await;
        to_value(Response {
            context: ctx(slot),
            value: lamports,
        })
    });
    method!(m, "getTokenAccountBalance", |p, s| -> RpcResult {
        let mut a = Args::of(&p);
        let key = pubkey(&a.next::<String>()?)?;
        let mut node = s.node.lock().await;
        let not_token = || invalid_params("Invalid param: not a Token account");
        let acc = node
            .account(&key)
            .await
            .ok_or_else(|| invalid_params("Invalid param: could not find account"))?;
        if acc.owner != spl_token::ID {
            return Err(not_token());
        }
        let token = spl_token::state::Account::unpack(&acc.data).map_err(|_| not_token())?;
        let mint = node.account(&token.mint).await.ok_or_else(not_token)?;
        let decimals = spl_token::state::Mint::unpack(&mint.data)
            .map_err(|_| not_token())?
            .decimals;
        let slot = node.slot().await;
        to_value(Response {
            context: ctx(slot),
            value: token_amount(token.amount, decimals),
        })
    });
    method!(m, "simulateTransaction", |p, s| -> RpcResult {
        let mut a = Args::of(&p);
        let text: String = a.next()?;
        let config: RpcSimulateTransactionConfig = a.opt()?.unwrap_or_default();
        let mut tx = decode_transaction(&text, config.encoding)?;
        let mut node = s.node.lock().await;
        let mut replacement = None;
        if config.replace_recent_blockhash {
            if config.sig_verify {
                return Err(invalid_params(
                    "sigVerify may not be used with replaceRecentBlockhash",
                ));
            }
            let (hash, last_valid_block_height) = node.latest_blockhash().await;
            tx.message.set_recent_blockhash(hash);
            replacement = Some(RpcBlockhash {
                blockhash: hash.to_string(),
                last_valid_block_height,
            });
        }
        if config.sig_verify && tx.verify_with_results().iter().any(|ok| !ok) {
            return Err(custom(
                RpcCustomError::TransactionSignatureVerificationFailure,
            ));
        }
        let sim = node.simulate(&tx).await;
        let slot = node.slot().await;
        let mut value = simulation_result(&sim);
        value.replacement_blockhash = replacement;
        to_value(Response {
            context: ctx(slot),
            value,
        })
    });
    method!(m, "sendTransaction", |p, s| -> RpcResult {
        let mut a = Args::of(&p);
        let text: String = a.next()?;
        let config: RpcSendTransactionConfig = a.opt()?.unwrap_or_default();
        let tx = decode_transaction(&text, config.encoding)?;
        let mut node = s.node.lock().await;
        match node.send(tx, config.skip_preflight).await {
            Ok(sig) => Ok(json!(sig.to_string())),
            Err(SendError::Signature) => Err(custom(
                RpcCustomError::TransactionSignatureVerificationFailure,
            )),
            Err(SendError::Preflight(sim)) => Err(preflight_failure(sim)),
            Err(SendError::Rejected(err)) => Err(preflight_failure(Simulation {
                err: Some(err),
                logs: vec![],
                units_consumed: 0,
            })),
        }
    });
    method!(m, "getSignatureStatuses", |p, s| -> RpcResult {
        let mut a = Args::of(&p);
        let sigs: Vec<String> = a.next()?;
        if sigs.len() > MAX_SIGNATURE_STATUSES {
            return Err(invalid_params(format!(
                "Too many inputs provided; max {MAX_SIGNATURE_STATUSES}"
            )));
        }
        let _config: Option<RpcSignatureStatusConfig> = a.opt()?;
        let sigs = sigs
            .iter()
            .map(|x| signature(x))
            .collect::<Result<Vec<_>, _>>()?;
        let mut node = s.node.lock().await;
        let value: Vec<Option<TransactionStatus>> = sigs
            .iter()
            .map(|sig| {
                node.transaction(sig).map(|r| TransactionStatus {
                    slot: r.slot,
                    confirmations: None,
                    status: match &r.err {
                        None => Ok(()),
                        Some(e) => Err(e.clone()),
                    },
                    err: r.err.clone(),
                    confirmation_status: Some(TransactionConfirmationStatus::Finalized),
                })
            })
            .collect();
        let slot = node.slot().await;
        to_value(Response {
            context: ctx(slot),
            value,
        })
    });
    method!(m, "getTransaction", |p, s| -> RpcResult {
        let mut a = Args::of(&p);
        let sig = signature(&a.next::<String>()?)?;
        // the config, or (legacy) an encoding alone
        let config: RpcTransactionConfig = match a.opt::<Value>()? {
            None => RpcTransactionConfig::default(),
            Some(Value::String(e)) => RpcTransactionConfig {
                encoding: Some(
                    serde_json::from_value(Value::String(e))
                        .map_err(|e| invalid_params(format!("Invalid params: {e}")))?,
                ),
                ..Default::default()
            },
            Some(v) => serde_json::from_value(v)
                .map_err(|e| invalid_params(format!("Invalid params: {e}")))?,
        };
        let node = s.node.lock().await;
        let Some(r) = node.transaction(&sig) else {
            return Ok(Value::Null);
        };
        if let VersionedMessage::V0(_) = r.transaction.message {
            if config.max_supported_transaction_version.is_none() {
                return Err(custom(RpcCustomError::UnsupportedTransactionVersion(0)));
            }
        }
        to_value(encode_transaction(
            r,
            config.encoding.unwrap_or(UiTransactionEncoding::Json),
        )?)
    });
    method!(m, "requestAirdrop", |p, s| -> RpcResult {
        let mut a = Args::of(&p);
        let to = pubkey(&a.next::<String>()?)?;
        let lamports: u64 = a.next()?;
        let mut node = s.node.lock().await;
        match node.airdrop(&to, lamports).await {
            Ok(sig) => Ok(json!(sig.to_string())),
            Err(_) => Err(ErrorObject::owned(-32603, "airdrop failed", None::<()>)),
        }
    });

    method!(m, "getBlockTime", |p, s| -> RpcResult {
        let mut a = Args::of(&p);
        let slot: u64 = a.next()?;
        Ok(json!(s.node.lock().await.block_time(slot)))
    });
    method!(m, "getTransactionCount", |_p, s| -> RpcResult {
        Ok(json!(s.node.lock().await.transaction_count()))
    });
    method!(m, "getFirstAvailableBlock", |_p, _s| -> RpcResult {
        Ok(json!(0))
    });
    method!(m, "minimumLedgerSlot", |_p, _s| -> RpcResult {
        Ok(json!(0))
    });
    method!(m, "getIdentity", |_p, s| -> RpcResult {
        let node = s.node.lock().await;
        Ok(json!({"identity": node.chain.payer_keypair().pubkey().to_string()}))
    });
    method!(m, "getEpochSchedule", |_p, s| -> RpcResult {
        let node = s.node.lock().await;
        to_value(node.chain.ctx.genesis_config().epoch_schedule.clone())
    });
    method!(m, "getRecentPrioritizationFees", |_p, s| -> RpcResult {
        // one bank, no contention: the fee a transaction needs to land here is zero
        let slot = s.node.lock().await.slot().await;
        Ok(json!([{"slot": slot, "prioritizationFee": 0}]))
    });
    method!(m, "getSignaturesForAddress", |p, s| -> RpcResult {
        let mut a = Args::of(&p);
        let address = pubkey(&a.next::<String>()?)?;
        let config: Value = a.opt()?.unwrap_or(Value::Null);
        let limit = config["limit"].as_u64().unwrap_or(1_000).min(1_000) as usize;
        let before = config["before"].as_str().map(signature).transpose()?;
        let until = config["until"].as_str().map(signature).transpose()?;
        let node = s.node.lock().await;
        let mut out = Vec::new();
        let mut started = before.is_none();
        for (sig, r) in node.signatures_for(&address) {
            if Some(sig) == until {
                break;
            }
            if !started {
                started = Some(sig) == before;
                continue;
            }
            out.push(json!({
                "signature": sig.to_string(),
                "slot": r.slot,
                "err": r.err,
                "memo": null,
                "blockTime": r.block_time,
                "confirmationStatus": "finalized",
            }));
            if out.len() == limit {
                break;
            }
        }
        Ok(Value::Array(out))
    });
    method!(m, "getTokenAccountsByOwner", |p, s| -> RpcResult {
        let mut a = Args::of(&p);
        let owner = pubkey(&a.next::<String>()?)?;
        let filter: Value = a.next()?;
        let config: RpcAccountInfoConfig = a.opt()?.unwrap_or_default();
        let mint = filter["mint"].as_str().map(pubkey).transpose()?;
        match filter["programId"].as_str().map(pubkey).transpose()? {
            Some(p) if p != spl_token::ID => {
                return Err(invalid_params(
                    "Invalid param: unrecognized Token program id",
                ))
            }
            None if mint.is_none() => {
                return Err(invalid_params(
                    "Invalid param: expected a mint or a programId",
                ))
            }
            _ => {}
        }
        let mut node = s.node.lock().await;
        let mut value = Vec::new();
        for (key, acc) in node.program_accounts(&spl_token::ID).await {
            let Ok(t) = spl_token::state::Account::unpack(&acc.data) else {
                continue;
            };
            if t.owner == owner && mint.is_none_or(|m| m == t.mint) {
                value.push(RpcKeyedAccount {
                    pubkey: key.to_string(),
                    account: encode_account(&acc, config.encoding, config.data_slice)?,
                });
            }
        }
        let slot = node.slot().await;
        to_value(Response {
            context: ctx(slot),
            value,
        })
    });
    method!(m, "getTokenSupply", |p, s| -> RpcResult {
        let mut a = Args::of(&p);
        let key = pubkey(&a.next::<String>()?)?;
        let mut node = s.node.lock().await;
        let mint = node
            .account(&key)
            .await
            .filter(|a| a.owner == spl_token::ID)
            .and_then(|a| spl_token::state::Mint::unpack(&a.data).ok())
            .ok_or_else(|| invalid_params("Invalid param: not a Token mint"))?;
        let slot = node.slot().await;
        to_value(Response {
            context: ctx(slot),
            value: token_amount(mint.supply, mint.decimals),
        })
    });

    // ---- localnet-only methods (a validator has none of these)
    method!(m, "localnet_info", |_p, s| -> RpcResult {
        Ok(s.info.clone())
    });
    method!(m, "localnet_faucet", |p, s| -> RpcResult {
        let mut a = Args::of(&p);
        let owner = pubkey(&a.next::<String>()?)?;
        let amount: u64 = a.next()?;
        if amount == 0 || amount > 1_000_000_000 * 1_000_000 {
            return Err(invalid_params(
                "amount must be 1 to 1e15 native USDC units (1e9 USDC)",
            ));
        }
        let mut node = s.node.lock().await;
        match node.faucet(&owner, amount).await {
            Ok((sig, account)) => {
                Ok(json!({"signature": sig.to_string(), "tokenAccount": account.to_string()}))
            }
            Err(_) => Err(ErrorObject::owned(-32603, "faucet failed", None::<()>)),
        }
    });
    method!(m, "localnet_setPrice", |p, s| -> RpcResult {
        let mut a = Args::of(&p);
        let symbol: String = a.next()?;
        let price: i64 = a.next()?;
        if price <= 0 {
            return Err(invalid_params("price must be positive (1e-6 USD units)"));
        }
        let mut node = s.node.lock().await;
        let i = node
            .feed_index(&symbol)
            .ok_or_else(|| invalid_params(format!("no feed {symbol}")))?;
        node.feeds[i].anchor = price;
        node.publish(i, price).await;
        node.next_slot().await;
        Ok(json!(node.slot().await))
    });

    method!(m, "localnet_addFeed", |p, s| -> RpcResult {
        // a Pyth pull feed the node publishes (at its sponsored account), for listing a market
        let mut a = Args::of(&p);
        let symbol: String = a.next()?;
        let hex: String = a.next()?;
        let price: i64 = a.next()?;
        let hex = hex.trim_start_matches("0x");
        if hex.len() != 64 || price <= 0 {
            return Err(invalid_params(
                "feed id must be 64 hex digits and the price positive",
            ));
        }
        let mut feed_id = [0u8; 32];
        for (i, b) in feed_id.iter_mut().enumerate() {
            *b = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16)
                .map_err(|_| invalid_params("feed id must be 64 hex digits"))?;
        }
        let mut node = s.node.lock().await;
        if node.feed_index(&symbol).is_some() {
            return Err(invalid_params(format!("a feed {symbol} exists")));
        }
        let oracle = crossmargin_sdk::pda::sponsored_feed(&feed_id);
        node.feeds.push(crate::node::Feed {
            symbol,
            oracle,
            source: cross_margin::state::OracleSource::PythPull,
            feed_id,
            price,
            anchor: price,
        });
        let i = node.feeds.len() - 1;
        node.publish(i, price).await;
        node.chain.track(oracle);
        Ok(json!(oracle.to_string()))
    });
    method!(m, "localnet_warpClock", |p, s| -> RpcResult {
        let mut a = Args::of(&p);
        let secs: i64 = a.next()?;
        if !(1..=366 * 86_400).contains(&secs) {
            return Err(invalid_params("seconds must be 1 to 31,622,400"));
        }
        let mut node = s.node.lock().await;
        let now = node.warp_clock(secs).await;
        // every feed publishes at the new time
        for i in 0..node.feeds.len() {
            let p = node.feeds[i].price;
            node.publish(i, p).await;
        }
        node.next_slot().await;
        Ok(json!(now))
    });

    m.register_subscription(
        "signatureSubscribe",
        "signatureNotification",
        "signatureUnsubscribe",
        |p, pending, s, _| async move { signature_subscription(p, pending, s).await },
    )
    .expect("one registration");
    m.register_subscription(
        "slotSubscribe",
        "slotNotification",
        "slotUnsubscribe",
        |_p, pending, s, _| async move { slot_subscription(pending, s).await },
    )
    .expect("one registration");
    m
}

/// One notification when the signature is processed (at once if it already was), then the
/// subscription ends, as a validator's does.
async fn signature_subscription(
    p: Params<'static>,
    pending: PendingSubscriptionSink,
    s: Arc<Shared>,
) -> SubscriptionResult {
    let mut a = Args::of(&p);
    let parsed = a
        .next::<String>()
        .and_then(|t| signature(&t))
        .and_then(|sig| a.opt::<RpcSignatureSubscribeConfig>().map(|_| sig));
    let sig = match parsed {
        Ok(sig) => sig,
        Err(e) => {
            pending.reject(e).await;
            return Ok(());
        }
    };
    // subscribe before looking, so nothing lands in between unseen
    let mut rx = s.notices.subscribe();
    let sink = pending.accept().await?;
    let done = {
        let node = s.node.lock().await;
        node.transaction(&sig).map(|r| (r.slot, r.err.clone()))
    };
    let (slot, err) = match done {
        Some(d) => d,
        None => loop {
            match rx.recv().await {
                Ok(Notice::Signature(x, slot, err)) if x == sig => break (slot, err),
                Ok(_) => continue,
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                    let node = s.node.lock().await;
                    if let Some(r) = node.transaction(&sig) {
                        break (r.slot, r.err.clone());
                    }
                }
                Err(_) => return Ok(()),
            }
        },
    };
    let value = Response {
        context: ctx(slot),
        value: RpcSignatureResult::ProcessedSignature(ProcessedSignatureResult { err }),
    };
    sink.send(SubscriptionMessage::from_json(&value)?).await?;
    Ok(())
}

async fn slot_subscription(pending: PendingSubscriptionSink, s: Arc<Shared>) -> SubscriptionResult {
    let mut rx = s.notices.subscribe();
    let sink = pending.accept().await?;
    loop {
        match rx.recv().await {
            Ok(Notice::Slot(slot)) => {
                let info = SlotInfo {
                    slot,
                    parent: slot.saturating_sub(1),
                    root: slot,
                };
                sink.send(SubscriptionMessage::from_json(&info)?).await?;
            }
            Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
            Err(_) => return Ok(()),
        }
    }
}
