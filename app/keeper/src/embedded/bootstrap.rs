//! Setting up an exchange on the embedded chain the way an operator would on a cluster (used by
//! the tests, the demo and the local node): the program's `ProgramData` with its upgrade
//! authority, the exchange, markets listed through the timelock (the chain's clock is moved past
//! the delay), Pyth accounts in their real layouts at the addresses the program accepts, and an
//! address lookup table holding every account the instructions name, registered on the exchange.

use anchor_lang::prelude::{Clock, Pubkey};
#[allow(deprecated)] // the program checks its ProgramData with these same types
use anchor_lang::solana_program::bpf_loader_upgradeable::{self, UpgradeableLoaderState};
use anchor_lang::solana_program::instruction::Instruction;
use anchor_spl::token::spl_token;
use cross_margin::state::{AdminAction, OracleSource};
use crossmargin_sdk::{accounts as decode, instructions as ix, pda, tx};
use pyth_sdk_solana::state::PriceStatus;
use pyth_solana_receiver_sdk::price_update::VerificationLevel;
use solana_address_lookup_table_interface::instruction as alt;
use solana_sdk::signature::{Keypair, Signer};

use super::{EmbeddedChain, Failure};
use crate::pyth::{legacy_data, pull_data, Quote};

/// Where a market's oracle lives: a pull market's is the sponsored feed PDA of its feed id, a
/// legacy one's any address (owned by the Pyth oracle program).
pub fn oracle_address(source: OracleSource, feed_id: &[u8; 32]) -> Pubkey {
    match source {
        OracleSource::PythPull => pda::sponsored_feed(feed_id),
        OracleSource::PythLegacy => Pubkey::new_unique(),
    }
}

impl EmbeddedChain {
    /// Writes the program's `ProgramData` account (the upgradeable loader's), with
    /// `upgrade_authority`: natively the program is a builtin, so the account a deployment would
    /// have is written directly.
    pub async fn write_program_data(&mut self, upgrade_authority: Option<Pubkey>) {
        let state = UpgradeableLoaderState::ProgramData {
            slot: 0,
            upgrade_authority_address: upgrade_authority,
        };
        let mut data = bincode_serialize(&state);
        data.resize(UpgradeableLoaderState::size_of_programdata_metadata(), 0);
        self.set_account(pda::program_data(), bpf_loader_upgradeable::ID, data)
            .await;
    }

    /// Writes an oracle account at `key` for a market of `source` and `feed_id`.
    pub async fn write_oracle(
        &mut self,
        key: Pubkey,
        source: OracleSource,
        feed_id: [u8; 32],
        q: Quote,
    ) {
        match source {
            OracleSource::PythPull => {
                let data = pull_data(key, feed_id, q, VerificationLevel::Full);
                self.set_account(key, cross_margin::oracle::PYTH_RECEIVER_PROGRAM_ID, data)
                    .await
            }
            OracleSource::PythLegacy => {
                self.set_account(
                    key,
                    cross_margin::oracle::PYTH_LEGACY_PROGRAM_ID,
                    legacy_data(q, PriceStatus::Trading),
                )
                .await
            }
        }
    }

    /// The cluster clock's unix time.
    pub async fn now(&mut self) -> i64 {
        let clock: Clock = self.ctx.banks_client.get_sysvar().await.expect("clock");
        clock.unix_timestamp
    }

    /// Queues `actions` (signed by `admin`), moves the clock past the exchange's delay, calls
    /// `before_execute` (to refresh oracles at the new time), and executes them in order.
    /// Returns their ids.
    pub async fn queue_and_execute(
        &mut self,
        admin: &Keypair,
        actions: Vec<AdminAction>,
        before_execute: impl AsyncFnOnce(&mut EmbeddedChain),
    ) -> Result<Vec<u64>, Failure> {
        let exchange = self.exchange().await;
        let mut ids = Vec::with_capacity(actions.len());
        for (k, a) in actions.iter().enumerate() {
            let id = exchange.next_action_id + k as u64;
            self.send_with_logs(
                &[ix::queue_admin_action(admin.pubkey(), id, a.clone())],
                &[admin],
                0,
            )
            .await?;
            ids.push(id);
        }
        let now = self.now().await;
        self.set_time(now + exchange.timelock_delay_secs as i64)
            .await;
        before_execute(self).await;
        let payer = self.payer_keypair();
        let mut market_count = exchange.market_count;
        for (id, a) in ids.iter().zip(&actions) {
            let (market, oracle) = ix::action_accounts(a, market_count);
            if matches!(a, AdminAction::AddMarket { .. }) {
                market_count += 1;
            }
            self.send_with_logs(
                &[ix::execute_admin_action(
                    payer.pubkey(),
                    *id,
                    market,
                    oracle,
                )],
                &[&payer],
                0,
            )
            .await?;
        }
        Ok(ids)
    }

    /// The exchange (it must exist).
    pub async fn exchange(&mut self) -> cross_margin::state::Exchange {
        let a = self
            .ctx
            .banks_client
            .get_account(pda::exchange())
            .await
            .expect("banks")
            .expect("exchange");
        decode::decode_exchange(&a.data).expect("exchange")
    }

    /// Creates an address lookup table with `authority` holding `addresses` (extended in
    /// packet-sized chunks), warps a slot so its entries resolve, and returns its address.
    pub async fn create_lookup_table(
        &mut self,
        authority: &Keypair,
        addresses: &[Pubkey],
    ) -> Result<Pubkey, Failure> {
        self.warp_slots(1).await;
        let slot = self.ctx.banks_client.get_root_slot().await.expect("slot");
        let payer = self.payer_keypair();
        let (create, table) =
            alt::create_lookup_table(authority.pubkey(), payer.pubkey(), slot.saturating_sub(1));
        self.send_with_logs(&[create], &[authority], 0).await?;
        self.extend_lookup_table(authority, table, addresses)
            .await?;
        Ok(table)
    }

    /// Adds `addresses` to `table` (those it holds already are skipped), then warps a slot.
    pub async fn extend_lookup_table(
        &mut self,
        authority: &Keypair,
        table: Pubkey,
        addresses: &[Pubkey],
    ) -> Result<(), Failure> {
        let held = self
            .lookup_table(table)
            .await
            .map(|t| t.addresses)
            .unwrap_or_default();
        let new: Vec<Pubkey> = addresses
            .iter()
            .filter(|a| !held.contains(a))
            .copied()
            .collect();
        let payer = self.payer_keypair();
        for chunk in new.chunks(20) {
            let i: Instruction = alt::extend_lookup_table(
                table,
                authority.pubkey(),
                Some(payer.pubkey()),
                chunk.to_vec(),
            );
            self.send_with_logs(&[i], &[authority], 0).await?;
        }
        self.warp_slots(1).await;
        Ok(())
    }

    /// A lookup table's addresses.
    pub async fn lookup_table(
        &mut self,
        table: Pubkey,
    ) -> Option<solana_sdk::message::AddressLookupTableAccount> {
        let a = self.ctx.banks_client.get_account(table).await.ok()??;
        tx::decode_lookup_table(table, &a.data).ok()
    }

    /// Compiles every later transaction against the exchange's registered tables.
    pub async fn use_exchange_tables(&mut self) {
        let keys = self.exchange().await.lookup_tables;
        let mut tables = Vec::new();
        for k in keys {
            if let Some(t) = self.lookup_table(k).await {
                tables.push(t);
            }
        }
        self.tables = tables;
    }
}

/// The fixed accounts every table starts with: the exchange, its vault, the collateral mint, the
/// token, system and compute-budget programs, and the clock and rent sysvars.
pub fn fixed_table_accounts(mint: &Pubkey) -> Vec<Pubkey> {
    vec![
        pda::exchange(),
        pda::vault(),
        *mint,
        spl_token::ID,
        anchor_lang::system_program::ID,
        solana_sdk::compute_budget::ID,
        anchor_lang::solana_program::sysvar::clock::ID,
        anchor_lang::solana_program::sysvar::rent::ID,
        cross_margin::ID,
    ]
}

/// What a table needs for market `index`: its PDA and its oracle.
pub fn market_table_accounts(index: u16, oracle: Pubkey) -> [Pubkey; 2] {
    [pda::market(index), oracle]
}

fn bincode_serialize(state: &UpgradeableLoaderState) -> Vec<u8> {
    // The loader's state is bincode (u32 tag, u64 slot, Option<Pubkey> as 1 + 32 bytes).
    let mut out = Vec::with_capacity(45);
    match state {
        UpgradeableLoaderState::ProgramData {
            slot,
            upgrade_authority_address,
        } => {
            out.extend_from_slice(&3u32.to_le_bytes());
            out.extend_from_slice(&slot.to_le_bytes());
            match upgrade_authority_address {
                Some(k) => {
                    out.push(1);
                    out.extend_from_slice(k.as_ref());
                }
                None => out.push(0),
            }
        }
        _ => unreachable!("only ProgramData is written"),
    }
    out
}
