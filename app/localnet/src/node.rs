//! The node's state: the bank (program-test's, with the program run natively, SPL Token and the
//! address lookup table program), the transactions it processed as a validator's ledger would
//! keep them, the USDC faucet, and the Pyth feeds it moves. The RPC layer (`rpc`) only reads and
//! calls this.

use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

use anchor_lang::prelude::Pubkey;
use anchor_spl::associated_token::{get_associated_token_address, spl_associated_token_account};
use anchor_spl::token::spl_token;
use cross_margin::state::OracleSource;
use crossmargin_keeper::embedded::EmbeddedChain;
use crossmargin_keeper::pyth::Quote;
use crossmargin_sdk::tx;
use solana_sdk::account::Account;
use solana_sdk::hash::Hash;
use solana_sdk::message::VersionedMessage;
use solana_sdk::signature::{Keypair, Signature, Signer};
use solana_sdk::transaction::{TransactionError, VersionedTransaction};
use tokio::sync::broadcast;

/// Lamports per signature (the fee the bank charges).
pub const LAMPORTS_PER_SIGNATURE: u64 = 5_000;
/// How many blocks a blockhash stays valid (as on a cluster).
pub const MAX_PROCESSING_AGE: u64 = 150;

/// A processed transaction, as a validator's ledger keeps it.
#[derive(Clone, Debug)]
pub struct TxRecord {
    pub slot: u64,
    pub block_time: i64,
    pub transaction: VersionedTransaction,
    pub logs: Vec<String>,
    pub err: Option<TransactionError>,
    /// Lamports of the message's accounts (static keys, then the loaded writable and readonly
    /// ones) before and after.
    pub pre_balances: Vec<u64>,
    pub post_balances: Vec<u64>,
    pub fee: u64,
    pub loaded_writable: Vec<Pubkey>,
    pub loaded_readonly: Vec<Pubkey>,
    /// SPL Token balances of the message's token accounts before and after.
    pub pre_token_balances: Vec<TokenBalance>,
    pub post_token_balances: Vec<TokenBalance>,
}

/// One token account's balance in a transaction's record (as a validator's meta keeps it).
#[derive(Clone, Debug)]
pub struct TokenBalance {
    pub account_index: u8,
    pub mint: Pubkey,
    pub owner: Pubkey,
    pub amount: u64,
    pub decimals: u8,
}

/// What a simulation found.
#[derive(Clone, Debug)]
pub struct Simulation {
    pub err: Option<TransactionError>,
    pub logs: Vec<String>,
    pub units_consumed: u64,
}

/// A price feed the node publishes: a seeded, mean-reverting random walk around `anchor`.
#[derive(Clone, Debug)]
pub struct Feed {
    pub symbol: String,
    pub oracle: Pubkey,
    pub source: OracleSource,
    pub feed_id: [u8; 32],
    pub price: i64,
    pub anchor: i64,
}

/// What subscribers hear about.
#[derive(Clone, Debug)]
pub enum Notice {
    /// A new slot (its parent is `slot - 1`).
    Slot(u64),
    /// A transaction was processed in `slot`.
    Signature(Signature, u64, Option<TransactionError>),
}

/// Why a transaction was not accepted for processing.
#[derive(Debug)]
pub enum SendError {
    /// Its signatures do not verify.
    Signature,
    /// The simulation before sending failed.
    Preflight(Simulation),
    /// The bank refused it before execution (blockhash, account locks, sanitization).
    Rejected(TransactionError),
}

pub struct Node {
    pub chain: EmbeddedChain,
    /// The USDC mint and its authority (the faucet).
    pub mint: Pubkey,
    pub faucet: Keypair,
    pub feeds: Vec<Feed>,
    txs: HashMap<Signature, TxRecord>,
    /// Block height at which each blockhash handed out was the latest.
    blockhashes: HashMap<Hash, u64>,
    rng: u64,
    /// The clock never goes back, even if the wall clock does.
    clock: i64,
    /// How far the clock runs ahead of the wall clock (`warp_clock`).
    offset: i64,
    pub notices: broadcast::Sender<Notice>,
}

/// Seconds since the epoch, from the wall clock.
pub fn wall_clock() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

impl Node {
    pub fn new(chain: EmbeddedChain, mint: Pubkey, faucet: Keypair, seed: u64) -> Self {
        let (notices, _) = broadcast::channel(1_024);
        Node {
            chain,
            mint,
            faucet,
            feeds: Vec::new(),
            txs: HashMap::new(),
            blockhashes: HashMap::new(),
            rng: seed,
            clock: 0,
            offset: 0,
            notices,
        }
    }

    /// Moves the bank's clock to the wall clock (never back).
    pub async fn sync_clock(&mut self) {
        let now = (wall_clock() + self.offset).max(self.clock);
        if now != self.clock {
            self.chain.set_time(now).await;
            self.clock = now;
        }
    }

    /// Moves the clock `secs` ahead of where it is (it then runs on from there with the wall
    /// clock's pace never pulling it back): a timelock's day passes at once. Returns the time.
    pub async fn warp_clock(&mut self, secs: i64) -> i64 {
        self.sync_clock().await;
        self.offset += secs;
        self.sync_clock().await;
        self.clock
    }

    pub async fn slot(&mut self) -> u64 {
        self.chain
            .ctx
            .banks_client
            .get_root_slot()
            .await
            .unwrap_or(0)
    }

    /// One block per slot: the block height is the slot.
    pub async fn block_height(&mut self) -> u64 {
        self.slot().await
    }

    /// Advances one slot (every landed transaction and every price tick).
    pub async fn next_slot(&mut self) {
        self.chain.warp_slots(1).await;
        let slot = self.slot().await;
        let _ = self.notices.send(Notice::Slot(slot));
    }

    pub async fn latest_blockhash(&mut self) -> (Hash, u64) {
        let hash = self
            .chain
            .ctx
            .banks_client
            .get_latest_blockhash()
            .await
            .unwrap_or_default();
        let height = self.block_height().await;
        let first = *self.blockhashes.entry(hash).or_insert(height);
        (hash, first + MAX_PROCESSING_AGE)
    }

    /// Within its 150 blocks and still accepted by the bank (program-test's bank also registers
    /// a blockhash every 6.4 ms of wall time, so a blockhash goes about a second after it was new,
    /// whatever its block count: after 50 blocks sent back to back, or 16 blocks 50 ms apart).
    pub async fn is_blockhash_valid(&mut self, hash: &Hash) -> bool {
        let height = self.block_height().await;
        let (latest, _) = self.latest_blockhash().await;
        let counted = hash == &latest
            || self
                .blockhashes
                .get(hash)
                .is_some_and(|h| height <= h + MAX_PROCESSING_AGE);
        counted
            && crossmargin_keeper::Chain::is_blockhash_valid(&mut self.chain, hash)
                .await
                .unwrap_or(false)
    }

    pub async fn account(&mut self, key: &Pubkey) -> Option<Account> {
        self.chain
            .ctx
            .banks_client
            .get_account(*key)
            .await
            .ok()
            .flatten()
    }

    /// Every account the node knows (each account a processed transaction named, and those
    /// written directly) owned by `owner`, with its key.
    pub async fn program_accounts(&mut self, owner: &Pubkey) -> Vec<(Pubkey, Account)> {
        let keys: Vec<Pubkey> = self.chain.known_accounts().copied().collect();
        let mut out = Vec::new();
        for k in keys {
            if let Some(a) = self.account(&k).await {
                if a.owner == *owner {
                    out.push((k, a));
                }
            }
        }
        out
    }

    pub fn transaction(&self, signature: &Signature) -> Option<&TxRecord> {
        self.txs.get(signature)
    }

    /// Simulates `tx` at the current clock.
    pub async fn simulate(&mut self, tx: &VersionedTransaction) -> Simulation {
        self.sync_clock().await;
        match self
            .chain
            .ctx
            .banks_client
            .simulate_transaction(tx.clone())
            .await
        {
            Ok(r) => {
                let details = r.simulation_details;
                Simulation {
                    err: r.result.and_then(|r| r.err()),
                    logs: details
                        .as_ref()
                        .map(|d| crossmargin_keeper::embedded::validator_logs(d.logs.clone()))
                        .unwrap_or_default(),
                    units_consumed: details.map(|d| d.units_consumed).unwrap_or(0),
                }
            }
            Err(e) => Simulation {
                err: Some(TransactionError::ClusterMaintenance),
                logs: vec![e.to_string()],
                units_consumed: 0,
            },
        }
    }

    /// The addresses a v0 message loads from its lookup tables (writable, readonly), read from
    /// the tables as they are now.
    async fn loaded_addresses(&mut self, message: &VersionedMessage) -> (Vec<Pubkey>, Vec<Pubkey>) {
        let (mut w, mut r) = (Vec::new(), Vec::new());
        if let Some(lookups) = message.address_table_lookups() {
            for l in lookups {
                let Some(a) = self.account(&l.account_key).await else {
                    continue;
                };
                let Ok(table) = tx::decode_lookup_table(l.account_key, &a.data) else {
                    continue;
                };
                w.extend(
                    l.writable_indexes
                        .iter()
                        .filter_map(|i| table.addresses.get(*i as usize)),
                );
                r.extend(
                    l.readonly_indexes
                        .iter()
                        .filter_map(|i| table.addresses.get(*i as usize)),
                );
            }
        }
        (w, r)
    }

    /// The SPL Token accounts among `keys`, with their balances.
    async fn token_balances(&mut self, keys: &[Pubkey]) -> Vec<TokenBalance> {
        use solana_sdk::program_pack::Pack;
        let mut out = Vec::new();
        for (i, k) in keys.iter().enumerate() {
            let Some(a) = self.account(k).await else {
                continue;
            };
            if a.owner != spl_token::ID {
                continue;
            }
            let Ok(t) = spl_token::state::Account::unpack(&a.data) else {
                continue;
            };
            let decimals = match self.account(&t.mint).await {
                Some(m) => spl_token::state::Mint::unpack(&m.data).map_or(0, |m| m.decimals),
                None => 0,
            };
            out.push(TokenBalance {
                account_index: i as u8,
                mint: t.mint,
                owner: t.owner,
                amount: t.amount,
                decimals,
            });
        }
        out
    }

    /// Signatures of the processed transactions naming `address`, newest first.
    pub fn signatures_for(&self, address: &Pubkey) -> Vec<(Signature, &TxRecord)> {
        let mut out: Vec<(Signature, &TxRecord)> = self
            .txs
            .iter()
            .filter(|(_, r)| {
                r.transaction
                    .message
                    .static_account_keys()
                    .contains(address)
                    || r.loaded_writable.contains(address)
                    || r.loaded_readonly.contains(address)
            })
            .map(|(s, r)| (*s, r))
            .collect();
        out.sort_by_key(|b| std::cmp::Reverse(b.1.slot));
        out
    }

    /// The block time of `slot` (the time of a transaction processed in it, else now).
    pub fn block_time(&self, slot: u64) -> i64 {
        self.txs
            .values()
            .find(|r| r.slot == slot)
            .map_or(self.clock, |r| r.block_time)
    }

    pub fn transaction_count(&self) -> u64 {
        self.txs.len() as u64
    }

    async fn balances(&mut self, keys: &[Pubkey]) -> Vec<u64> {
        let mut out = Vec::with_capacity(keys.len());
        for k in keys {
            out.push(self.account(k).await.map_or(0, |a| a.lamports));
        }
        out
    }

    /// Processes `tx` (after a preflight simulation unless `skip_preflight`), records it and
    /// advances a slot. Returns its signature; a transaction that executed and failed is
    /// recorded with its error, as a validator lands it.
    pub async fn send(
        &mut self,
        tx: VersionedTransaction,
        skip_preflight: bool,
    ) -> Result<Signature, SendError> {
        if tx.verify_with_results().iter().any(|ok| !ok) {
            return Err(SendError::Signature);
        }
        if !skip_preflight {
            let sim = self.simulate(&tx).await;
            if sim.err.is_some() {
                return Err(SendError::Preflight(sim));
            }
        }
        self.sync_clock().await;
        let signature = tx.signatures[0];
        let (loaded_writable, loaded_readonly) = self.loaded_addresses(&tx.message).await;
        let mut keys = tx.message.static_account_keys().to_vec();
        keys.extend(&loaded_writable);
        keys.extend(&loaded_readonly);
        let pre_balances = self.balances(&keys).await;
        let pre_token_balances = self.token_balances(&keys).await;
        let slot = self.slot().await;
        let processed_before = self.chain.processed;
        let processed = self.chain.process(tx.clone()).await;
        let executed = self.chain.processed > processed_before
            && self.chain.journal.back().is_some_and(|p| p.executed);
        let (logs, err) = match processed {
            Ok(logs) => (logs, None),
            Err(f) => (f.logs, Some(f.error)),
        };
        // a transaction the bank refused before executing it charged nothing and is not kept
        if let (false, Some(e)) = (executed, &err) {
            return Err(SendError::Rejected(e.clone()));
        }
        let post_balances = self.balances(&keys).await;
        let post_token_balances = self.token_balances(&keys).await;
        let fee = LAMPORTS_PER_SIGNATURE * tx.message.header().num_required_signatures as u64;
        self.txs.insert(
            signature,
            TxRecord {
                slot,
                block_time: self.clock,
                transaction: tx,
                logs,
                err: err.clone(),
                pre_balances,
                post_balances,
                fee,
                loaded_writable,
                loaded_readonly,
                pre_token_balances,
                post_token_balances,
            },
        );
        let _ = self.notices.send(Notice::Signature(signature, slot, err));
        self.next_slot().await;
        Ok(signature)
    }

    /// Signs and sends `ixs` paid by the node's payer (airdrops, the faucet), as a legacy
    /// transaction (a validator's airdrop is one).
    async fn send_own(
        &mut self,
        ixs: &[anchor_lang::solana_program::instruction::Instruction],
        signers: &[&Keypair],
    ) -> Result<Signature, SendError> {
        let payer = self.chain.payer_keypair();
        let (blockhash, _) = self.latest_blockhash().await;
        let mut all: Vec<&Keypair> = vec![&payer];
        all.extend_from_slice(signers);
        let tx = tx::build_transaction(&payer, ixs, &all, &[], blockhash)
            .map_err(|_| SendError::Rejected(TransactionError::SanitizeFailure))?;
        self.send(tx, false).await
    }

    /// SOL from the node's payer.
    pub async fn airdrop(&mut self, to: &Pubkey, lamports: u64) -> Result<Signature, SendError> {
        let payer = self.chain.payer_keypair().pubkey();
        let ix = solana_system_interface_transfer(&payer, to, lamports);
        self.send_own(&[ix], &[]).await
    }

    /// USDC from the faucet to `owner`'s associated token account (created when missing).
    pub async fn faucet(
        &mut self,
        owner: &Pubkey,
        amount: u64,
    ) -> Result<(Signature, Pubkey), SendError> {
        let payer = self.chain.payer_keypair().pubkey();
        let ata = get_associated_token_address(owner, &self.mint);
        let create =
            spl_associated_token_account::instruction::create_associated_token_account_idempotent(
                &payer,
                owner,
                &self.mint,
                &spl_token::ID,
            );
        let mint = spl_token::instruction::mint_to(
            &spl_token::ID,
            &self.mint,
            &ata,
            &self.faucet.pubkey(),
            &[],
            amount,
        )
        .map_err(|_| SendError::Rejected(TransactionError::InvalidAccountForFee))?;
        let faucet = self.faucet.insecure_clone();
        let sig = self.send_own(&[create, mint], &[&faucet]).await?;
        Ok((sig, ata))
    }

    /// Publishes feed `i` at `price` now.
    pub async fn publish(&mut self, i: usize, price: i64) {
        self.sync_clock().await;
        let f = &mut self.feeds[i];
        f.price = price;
        let q = Quote {
            price,
            conf: (price / 2_000).max(0) as u64, // 0.05%
            ema: price,
            publish_time: self.clock,
        };
        let (oracle, source, feed_id) = (f.oracle, f.source, f.feed_id);
        self.chain.write_oracle(oracle, source, feed_id, q).await;
    }

    /// One step of every feed's walk (at most 0.3% a tick, pulled back towards its anchor), a
    /// publication, and a new slot.
    pub async fn tick(&mut self) {
        for i in 0..self.feeds.len() {
            self.rng = self.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.rng;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            let shock = (z % 6_001) as i128 - 3_000; // ppm
            let (p, a) = (self.feeds[i].price as i128, self.feeds[i].anchor as i128);
            let next = (p + p * shock / 1_000_000 + (a - p) / 100).max(1) as i64;
            self.publish(i, next).await;
        }
        self.next_slot().await;
    }

    /// The feed of `symbol`.
    pub fn feed_index(&self, symbol: &str) -> Option<usize> {
        self.feeds.iter().position(|f| f.symbol == symbol)
    }
}

fn solana_system_interface_transfer(
    from: &Pubkey,
    to: &Pubkey,
    lamports: u64,
) -> anchor_lang::solana_program::instruction::Instruction {
    anchor_lang::solana_program::system_instruction::transfer(from, to, lamports)
}
