//! Transactions: v0 messages compiled against the exchange's address lookup tables (legacy only
//! where there is no table), checked against the packet and account-lock limits before anything
//! is sent.

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use solana_address_lookup_table_interface::state::AddressLookupTable;
use solana_sdk::compute_budget::ComputeBudgetInstruction;
use solana_sdk::hash::Hash;
use solana_sdk::message::{v0, AddressLookupTableAccount, Message, VersionedMessage};
use solana_sdk::signature::{Keypair, Signature, Signer};
use solana_sdk::transaction::VersionedTransaction;

/// Bytes a serialized transaction may have (one packet).
pub const PACKET_DATA_SIZE: usize = 1_232;
/// Accounts a transaction may lock (mainnet).
pub const MAX_TX_ACCOUNT_LOCKS: usize = 64;
/// Compute units a transaction may use.
pub const MAX_COMPUTE_UNITS: u32 = 1_400_000;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TxError {
    #[error("transaction is {size} bytes, over the {PACKET_DATA_SIZE}-byte packet limit")]
    TooLarge { size: usize },
    #[error("transaction locks {locks} accounts, over the limit of {MAX_TX_ACCOUNT_LOCKS}")]
    TooManyLocks { locks: usize },
    #[error("cannot compile the message: {0}")]
    Compile(String),
    #[error("cannot sign: {0}")]
    Sign(String),
    #[error("lookup table {0} is not a valid address lookup table")]
    BadLookupTable(Pubkey),
    #[error("the batch is budgeted at {0} compute units, over the 1,400,000 limit")]
    ComputeBudget(u64),
}

/// A lookup table account's addresses, from its raw data.
pub fn decode_lookup_table(key: Pubkey, data: &[u8]) -> Result<AddressLookupTableAccount, TxError> {
    let table = AddressLookupTable::deserialize(data).map_err(|_| TxError::BadLookupTable(key))?;
    Ok(AddressLookupTableAccount {
        key,
        addresses: table.addresses.to_vec(),
    })
}

/// The compute-budget instructions every transaction our clients send starts with.
pub fn compute_budget(unit_limit: u32, micro_lamports: u64) -> [Instruction; 2] {
    [
        ComputeBudgetInstruction::set_compute_unit_limit(unit_limit),
        ComputeBudgetInstruction::set_compute_unit_price(micro_lamports),
    ]
}

/// The message for `ixs` paid by `payer`: v0 against `tables` when there are any, else legacy.
pub fn compile_message(
    payer: &Pubkey,
    ixs: &[Instruction],
    tables: &[AddressLookupTableAccount],
    blockhash: Hash,
) -> Result<VersionedMessage, TxError> {
    if tables.is_empty() {
        return Ok(VersionedMessage::Legacy(Message::new_with_blockhash(
            ixs,
            Some(payer),
            &blockhash,
        )));
    }
    let m = v0::Message::try_compile(payer, ixs, tables, blockhash)
        .map_err(|e| TxError::Compile(e.to_string()))?;
    Ok(VersionedMessage::V0(m))
}

/// How many accounts a message locks (static keys and every address it loads from tables).
pub fn account_locks(message: &VersionedMessage) -> usize {
    let loaded = match message {
        VersionedMessage::Legacy(_) => 0,
        VersionedMessage::V0(m) => m
            .address_table_lookups
            .iter()
            .map(|l| l.writable_indexes.len() + l.readonly_indexes.len())
            .sum(),
    };
    message.static_account_keys().len() + loaded
}

/// Serialized size of a transaction.
pub fn serialized_size(tx: &VersionedTransaction) -> usize {
    bincode::serialized_size(tx).map_or(usize::MAX, |n| n as usize)
}

/// Refuses a transaction over the packet or lock limit.
pub fn check_limits(tx: &VersionedTransaction) -> Result<(), TxError> {
    let size = serialized_size(tx);
    if size > PACKET_DATA_SIZE {
        return Err(TxError::TooLarge { size });
    }
    let locks = account_locks(&tx.message);
    if locks > MAX_TX_ACCOUNT_LOCKS {
        return Err(TxError::TooManyLocks { locks });
    }
    Ok(())
}

/// A transaction for `message` with every signature slot empty.
pub fn unsigned(message: VersionedMessage) -> VersionedTransaction {
    let n = message.header().num_required_signatures as usize;
    VersionedTransaction {
        signatures: vec![Signature::default(); n],
        message,
    }
}

/// Signs `tx` with those of `keypairs` it requires (others are ignored); the rest of its
/// signature slots are left as they are (a co-signed fill is signed by its two parties apart).
pub fn sign_partial(tx: &mut VersionedTransaction, keypairs: &[&Keypair]) {
    let n = tx.message.header().num_required_signatures as usize;
    let data = tx.message.serialize();
    let keys = tx.message.static_account_keys()[..n].to_vec();
    for (i, key) in keys.iter().enumerate() {
        if let Some(k) = keypairs.iter().find(|k| k.pubkey() == *key) {
            tx.signatures[i] = k.sign_message(&data);
        }
    }
}

/// The keys that must sign `tx` and have not.
pub fn missing_signers(tx: &VersionedTransaction) -> Vec<Pubkey> {
    let n = tx.message.header().num_required_signatures as usize;
    tx.message.static_account_keys()[..n]
        .iter()
        .zip(&tx.signatures)
        .filter(|(_, s)| **s == Signature::default())
        .map(|(k, _)| *k)
        .collect()
}

/// Builds, signs and checks a transaction: `payer` pays and signs; those of `signers` the
/// instructions need sign too (a missing one is an error, not a panic).
pub fn build_transaction(
    payer: &Keypair,
    ixs: &[Instruction],
    signers: &[&Keypair],
    tables: &[AddressLookupTableAccount],
    blockhash: Hash,
) -> Result<VersionedTransaction, TxError> {
    let message = compile_message(&payer.pubkey(), ixs, tables, blockhash)?;
    let mut tx = unsigned(message);
    let mut all: Vec<&Keypair> = vec![payer];
    all.extend_from_slice(signers);
    sign_partial(&mut tx, &all);
    let missing = missing_signers(&tx);
    if !missing.is_empty() {
        return Err(TxError::Sign(format!("no keypair for {missing:?}")));
    }
    check_limits(&tx)?;
    Ok(tx)
}
