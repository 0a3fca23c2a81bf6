//! What the keeper (and the CLI, the market maker) need from a chain, and the one way every
//! client sends instructions: a v0 transaction against the exchange's lookup tables, with a
//! compute-unit limit from a simulation plus a margin and a compute-unit price, checked against
//! the packet and lock limits before it is sent.

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use crossmargin_sdk::tx::{self, TxError};
use solana_sdk::account::Account;
use solana_sdk::hash::Hash;
use solana_sdk::message::AddressLookupTableAccount;
use solana_sdk::signature::{Keypair, Signature};
use solana_sdk::transaction::VersionedTransaction;

/// A chain access failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    /// The endpoint could not be reached or answered with an error (transient: retried).
    #[error("chain unavailable: {0}")]
    Unavailable(String),
    /// The transaction was processed (or simulated) and failed; `program_error` is the custom
    /// error number.
    #[error("transaction failed{}: {message}", program_error.map(|c| format!(" (error {c})")).unwrap_or_default())]
    Failed {
        message: String,
        program_error: Option<u32>,
    },
    /// The transaction could not be built (too large, too many locks, a missing signer).
    #[error("{0}")]
    Build(#[from] TxError),
}

impl ChainError {
    /// Worth retrying after a pause.
    pub fn is_transient(&self) -> bool {
        matches!(self, ChainError::Unavailable(_))
    }

    pub fn program_error(&self) -> Option<u32> {
        match self {
            ChainError::Failed { program_error, .. } => *program_error,
            _ => None,
        }
    }
}

/// The message Anchor logs for a failed instruction (`Error Code: X. ... Error Message: ...`),
/// if the logs have one.
pub fn anchor_error_from_logs(logs: &[String]) -> Option<String> {
    logs.iter().find_map(|l| {
        let at = l.find("Error Code: ")?;
        Some(l[at..].trim_end_matches('.').to_string())
    })
}

/// What a simulation says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Simulation {
    pub units_consumed: u64,
    pub logs: Vec<String>,
    /// `None` when it would succeed.
    pub error: Option<ChainError>,
}

/// Chain access. `&mut self` everywhere: implementations may keep caches and indexes.
#[allow(async_fn_in_trait)] // used with concrete types, not as `dyn`
pub trait Chain {
    async fn get_account(&mut self, key: &Pubkey) -> Result<Option<Account>, ChainError>;
    /// In one call per chunk of at most 100 keys.
    async fn get_multiple_accounts(
        &mut self,
        keys: &[Pubkey],
    ) -> Result<Vec<Option<Account>>, ChainError>;
    /// Accounts of `program` with exactly `data_size` bytes whose data starts with `prefix`.
    async fn get_program_accounts(
        &mut self,
        program: &Pubkey,
        data_size: usize,
        prefix: &[u8],
    ) -> Result<Vec<(Pubkey, Account)>, ChainError>;
    async fn latest_blockhash(&mut self) -> Result<Hash, ChainError>;
    /// The latest blockhash, the last block height at which a transaction using it lands, and
    /// the current block height (a quote's validity).
    async fn blockhash_validity(&mut self) -> Result<(Hash, u64, u64), ChainError>;
    /// Whether a transaction using `hash` would still land (the runtime's answer, not a count).
    async fn is_blockhash_valid(&mut self, hash: &Hash) -> Result<bool, ChainError>;
    /// Simulates a signed transaction (signatures are not checked).
    async fn simulate(&mut self, tx: &VersionedTransaction) -> Result<Simulation, ChainError>;
    /// Sends a signed transaction and waits until it is confirmed or failed.
    async fn send_transaction(
        &mut self,
        tx: &VersionedTransaction,
    ) -> Result<Signature, ChainError>;
    /// Pays the fees of what the keeper and the CLI send.
    fn payer(&self) -> &Keypair;
    /// The cluster's clock.
    async fn unix_timestamp(&mut self) -> Result<i64, ChainError>;
}

/// The exchange's address lookup tables, as clients compile v0 messages against them (tables
/// that are missing or unreadable are skipped: a table only saves bytes).
pub async fn load_lookup_tables<C: Chain>(
    chain: &mut C,
    keys: &[Pubkey],
) -> Result<Vec<AddressLookupTableAccount>, ChainError> {
    let accounts = chain.get_multiple_accounts(keys).await?;
    Ok(keys
        .iter()
        .zip(accounts)
        .filter_map(|(k, a)| tx::decode_lookup_table(*k, &a?.data).ok())
        .collect())
}

/// How a client sends: compute-unit price, the margin on the simulated units.
#[derive(Clone, Copy, Debug)]
pub struct SendOptions {
    /// Micro-lamports per compute unit.
    pub priority_fee: u64,
    /// Limit = units consumed in simulation * (1 + margin) + `compute_unit_floor`.
    pub compute_margin_ppm: u64,
    pub compute_unit_floor: u32,
}

impl Default for SendOptions {
    fn default() -> Self {
        SendOptions {
            priority_fee: 10_000,
            compute_margin_ppm: 150_000,
            compute_unit_floor: 20_000,
        }
    }
}

/// The compute-unit limit for what a simulation consumed.
pub fn compute_limit(units_consumed: u64, opts: &SendOptions) -> u32 {
    let with_margin = units_consumed as u128 * (1_000_000 + opts.compute_margin_ppm as u128)
        / 1_000_000
        + opts.compute_unit_floor as u128;
    with_margin.min(tx::MAX_COMPUTE_UNITS as u128) as u32
}

/// Builds the transaction a client sends for `ixs`: compute-budget instructions first (a limit
/// of `unit_limit`), v0 against `tables` (legacy when there are none), signed by the chain's
/// payer and those of `signers` the instructions need, within the packet and lock limits.
pub fn build<C: Chain>(
    chain: &C,
    ixs: &[Instruction],
    signers: &[&Keypair],
    tables: &[AddressLookupTableAccount],
    blockhash: Hash,
    unit_limit: u32,
    opts: &SendOptions,
) -> Result<VersionedTransaction, ChainError> {
    let mut all = tx::compute_budget(unit_limit, opts.priority_fee).to_vec();
    all.extend_from_slice(ixs);
    Ok(tx::build_transaction(
        chain.payer(),
        &all,
        signers,
        tables,
        blockhash,
    )?)
}

/// Simulates `ixs` at the maximum compute limit, then sends them with the simulated units plus
/// the margin. A simulation failure is returned as the transaction's failure, unsent.
pub async fn send_instructions<C: Chain>(
    chain: &mut C,
    ixs: &[Instruction],
    signers: &[&Keypair],
    tables: &[AddressLookupTableAccount],
    opts: &SendOptions,
) -> Result<Signature, ChainError> {
    let blockhash = chain.latest_blockhash().await?;
    let probe = build(
        chain,
        ixs,
        signers,
        tables,
        blockhash,
        tx::MAX_COMPUTE_UNITS,
        opts,
    )?;
    let sim = chain.simulate(&probe).await?;
    if let Some(e) = sim.error {
        return Err(e);
    }
    let limit = compute_limit(sim.units_consumed, opts);
    let tx = build(chain, ixs, signers, tables, blockhash, limit, opts)?;
    chain.send_transaction(&tx).await
}
