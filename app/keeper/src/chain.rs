//! What the keeper (and the CLI) need from a chain.

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use solana_sdk::account::Account;
use solana_sdk::signature::Keypair;

/// A chain access failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainError {
    /// The endpoint could not be reached or answered with an error (transient: retried).
    Unavailable(String),
    /// The transaction was processed and failed; `program_error` is the custom error number.
    Failed {
        message: String,
        program_error: Option<u32>,
    },
}

impl ChainError {
    /// Worth retrying after a pause.
    pub fn is_transient(&self) -> bool {
        matches!(self, ChainError::Unavailable(_))
    }
}

impl std::fmt::Display for ChainError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ChainError::Unavailable(m) => write!(f, "chain unavailable: {m}"),
            ChainError::Failed {
                message,
                program_error: Some(code),
            } => {
                write!(f, "transaction failed (error {code}): {message}")
            }
            ChainError::Failed {
                message,
                program_error: None,
            } => write!(f, "transaction failed: {message}"),
        }
    }
}

impl std::error::Error for ChainError {}

/// The message Anchor logs for a failed instruction (`Error Code: X. ... Error Message: ...`),
/// if the logs have one.
pub fn anchor_error_from_logs(logs: &[String]) -> Option<String> {
    logs.iter().find_map(|l| {
        let at = l.find("Error Code: ")?;
        Some(l[at..].trim_end_matches('.').to_string())
    })
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
    /// Signs with the chain's fee payer and `signers`, sets the compute-unit price
    /// (micro-lamports), sends, and waits for the result.
    async fn send(
        &mut self,
        ixs: &[Instruction],
        signers: &[&Keypair],
        priority_fee: u64,
    ) -> Result<(), ChainError>;
    /// The cluster's clock.
    async fn unix_timestamp(&mut self) -> Result<i64, ChainError>;
}

/// Builds and signs a transaction paid by `payer`, signed by those of `signers` the instructions
/// need (extra keypairs are ignored; a missing signature is an error, not a panic).
pub fn build_transaction(
    ixs: &[Instruction],
    payer: &Keypair,
    signers: &[&Keypair],
    blockhash: solana_sdk::hash::Hash,
) -> Result<solana_sdk::transaction::Transaction, ChainError> {
    use solana_sdk::signature::Signer;
    let message = solana_sdk::message::Message::new(ixs, Some(&payer.pubkey()));
    let required = &message.account_keys[..message.header.num_required_signatures as usize];
    let mut keys: Vec<&Keypair> = vec![payer];
    for s in signers {
        if required.contains(&s.pubkey()) && !keys.iter().any(|k| k.pubkey() == s.pubkey()) {
            keys.push(s);
        }
    }
    let mut tx = solana_sdk::transaction::Transaction::new_unsigned(message);
    tx.try_sign(&keys, blockhash)
        .map_err(|e| ChainError::Failed {
            message: format!("signing: {e}"),
            program_error: None,
        })?;
    Ok(tx)
}
