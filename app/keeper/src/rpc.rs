//! The real chain: a Solana JSON-RPC endpoint.

use anchor_lang::prelude::{Clock, Pubkey};
use anchor_lang::solana_program::instruction::{Instruction, InstructionError};
use solana_account_decoder_client_types::UiAccountEncoding;
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use solana_rpc_client_api::config::{RpcAccountInfoConfig, RpcProgramAccountsConfig};
use solana_rpc_client_api::filter::{Memcmp, RpcFilterType};
use solana_sdk::account::Account;
use solana_sdk::commitment_config::CommitmentConfig;
use solana_sdk::compute_budget::ComputeBudgetInstruction;
use solana_sdk::signature::Keypair;
use solana_sdk::transaction::TransactionError;

use crate::chain::{build_transaction, Chain, ChainError};

/// getMultipleAccounts takes at most 100 keys.
pub const MULTIPLE_ACCOUNTS_CHUNK: usize = 100;

pub struct RpcChain {
    client: RpcClient,
    payer: Keypair,
}

impl RpcChain {
    /// `url`: the JSON-RPC endpoint; `payer` pays fees and signs every transaction.
    pub fn new(url: &str, payer: Keypair) -> Self {
        RpcChain {
            client: RpcClient::new_with_commitment(url.to_string(), CommitmentConfig::confirmed()),
            payer,
        }
    }

    pub fn payer(&self) -> &Keypair {
        &self.payer
    }
}

fn classify(e: solana_rpc_client_api::client_error::Error) -> ChainError {
    match e.get_transaction_error() {
        Some(tx) => ChainError::Failed {
            program_error: match tx {
                TransactionError::InstructionError(_, InstructionError::Custom(n)) => Some(n),
                _ => None,
            },
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

    async fn send(
        &mut self,
        ixs: &[Instruction],
        signers: &[&Keypair],
        priority_fee: u64,
    ) -> Result<(), ChainError> {
        let mut all = vec![ComputeBudgetInstruction::set_compute_unit_price(
            priority_fee,
        )];
        all.extend_from_slice(ixs);
        let blockhash = self.client.get_latest_blockhash().await.map_err(classify)?;
        let tx = build_transaction(&all, &self.payer, signers, blockhash)?;
        self.client
            .send_and_confirm_transaction(&tx)
            .await
            .map(|_| ())
            .map_err(classify)
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
