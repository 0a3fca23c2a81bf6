//! The real chain: a Solana JSON-RPC endpoint.

use anchor_lang::prelude::{Clock, Pubkey};
use anchor_lang::solana_program::instruction::InstructionError;
use solana_account_decoder_client_types::UiAccountEncoding;
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use solana_rpc_client_api::config::{
    RpcAccountInfoConfig, RpcProgramAccountsConfig, RpcSimulateTransactionConfig,
};
use solana_rpc_client_api::filter::{Memcmp, RpcFilterType};
use solana_sdk::account::Account;
use solana_sdk::commitment_config::CommitmentConfig;
use solana_sdk::hash::Hash;
use solana_sdk::signature::{Keypair, Signature};
use solana_sdk::transaction::{TransactionError, VersionedTransaction};

use crate::chain::{Chain, ChainError, Simulation};

/// getMultipleAccounts takes at most 100 keys.
pub const MULTIPLE_ACCOUNTS_CHUNK: usize = 100;

pub struct RpcChain {
    client: RpcClient,
    payer: Keypair,
    url: String,
}

impl RpcChain {
    /// `url`: the JSON-RPC endpoint; `payer` pays fees and signs every transaction.
    pub fn new(url: &str, payer: Keypair) -> Self {
        RpcChain {
            client: RpcClient::new_with_commitment(url.to_string(), CommitmentConfig::confirmed()),
            payer,
            url: url.to_string(),
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn client(&self) -> &RpcClient {
        &self.client
    }
}

fn program_error(tx: &TransactionError) -> Option<u32> {
    match tx {
        TransactionError::InstructionError(_, InstructionError::Custom(n)) => Some(*n),
        _ => None,
    }
}

fn classify(e: solana_rpc_client_api::client_error::Error) -> ChainError {
    match e.get_transaction_error() {
        Some(tx) => ChainError::Failed {
            program_error: program_error(&tx),
            message: e.to_string(),
        },
        None => ChainError::Unavailable(e.to_string()),
    }
}

impl Chain for RpcChain {
    async fn get_account(&mut self, key: &Pubkey) -> Result<Option<Account>, ChainError> {
        self.client
            .get_account_with_commitment(key, CommitmentConfig::confirmed())
            .await
            .map(|r| r.value)
            .map_err(classify)
    }

    async fn get_multiple_accounts(
        &mut self,
        keys: &[Pubkey],
    ) -> Result<Vec<Option<Account>>, ChainError> {
        let mut out = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(MULTIPLE_ACCOUNTS_CHUNK) {
            out.extend(
                self.client
                    .get_multiple_accounts(chunk)
                    .await
                    .map_err(classify)?,
            );
        }
        Ok(out)
    }

    async fn get_program_accounts(
        &mut self,
        program: &Pubkey,
        data_size: usize,
        prefix: &[u8],
    ) -> Result<Vec<(Pubkey, Account)>, ChainError> {
        let config = RpcProgramAccountsConfig {
            filters: Some(vec![
                RpcFilterType::DataSize(data_size as u64),
                RpcFilterType::Memcmp(Memcmp::new_raw_bytes(0, prefix.to_vec())),
            ]),
            account_config: RpcAccountInfoConfig {
                encoding: Some(UiAccountEncoding::Base64),
                commitment: Some(CommitmentConfig::confirmed()),
                ..RpcAccountInfoConfig::default()
            },
            ..RpcProgramAccountsConfig::default()
        };
        self.client
            .get_program_accounts_with_config(program, config)
            .await
            .map_err(classify)
    }

    async fn latest_blockhash(&mut self) -> Result<Hash, ChainError> {
        self.client.get_latest_blockhash().await.map_err(classify)
    }

    async fn blockhash_validity(&mut self) -> Result<(Hash, u64, u64), ChainError> {
        let (hash, last_valid) = self
            .client
            .get_latest_blockhash_with_commitment(CommitmentConfig::confirmed())
            .await
            .map_err(classify)?;
        let height = self.client.get_block_height().await.map_err(classify)?;
        Ok((hash, last_valid, height))
    }

    async fn is_blockhash_valid(&mut self, hash: &Hash) -> Result<bool, ChainError> {
        self.client
            .is_blockhash_valid(hash, CommitmentConfig::confirmed())
            .await
            .map_err(classify)
    }

    async fn simulate(&mut self, tx: &VersionedTransaction) -> Result<Simulation, ChainError> {
        let config = RpcSimulateTransactionConfig {
            sig_verify: false,
            replace_recent_blockhash: true,
            commitment: Some(CommitmentConfig::confirmed()),
            ..RpcSimulateTransactionConfig::default()
        };
        let r = self
            .client
            .simulate_transaction_with_config(tx, config)
            .await
            .map_err(classify)?
            .value;
        let logs = r.logs.unwrap_or_default();
        let error = r.err.map(|e| ChainError::Failed {
            program_error: program_error(&e),
            message: crate::chain::anchor_error_from_logs(&logs)
                .unwrap_or_else(|| format!("{e:?}")),
        });
        Ok(Simulation {
            units_consumed: r.units_consumed.unwrap_or(0),
            logs,
            error,
        })
    }

    async fn send_transaction(
        &mut self,
        tx: &VersionedTransaction,
    ) -> Result<Signature, ChainError> {
        self.client
            .send_and_confirm_transaction(tx)
            .await
            .map_err(classify)
    }

    fn payer(&self) -> &Keypair {
        &self.payer
    }

    async fn unix_timestamp(&mut self) -> Result<i64, ChainError> {
        let account = self
            .get_account(&anchor_lang::solana_program::sysvar::clock::ID)
            .await?
            .ok_or_else(|| ChainError::Unavailable("no clock sysvar".into()))?;
        let clock: Clock = solana_sdk::account::from_account(&account)
            .ok_or_else(|| ChainError::Unavailable("clock sysvar unreadable".into()))?;
        Ok(clock.unix_timestamp)
    }
}
