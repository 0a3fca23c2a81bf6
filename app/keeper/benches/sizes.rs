//! Transaction and account size figures: the margin account's size and rent, and what a
//! `liquidate` transaction needs for a liquidatee with 1, 8 and 16 positions (accounts against
//! the 64-account limit, bytes against the 1,232-byte packet, with and without an address
//! lookup table). `cargo bench -p crossmargin-keeper --bench sizes`.

use anchor_lang::prelude::Pubkey;
use cross_margin::state::{MarginAccount, Market, Position};
use crossmargin_sdk::{health, instructions as ix};
use solana_sdk::address_lookup_table::AddressLookupTableAccount;
use solana_sdk::compute_budget::ComputeBudgetInstruction;
use solana_sdk::hash::Hash;
use solana_sdk::message::{v0, Message, VersionedMessage};
use solana_sdk::rent::Rent;
use solana_sdk::signature::{Keypair, Signer};
use solana_sdk::transaction::{Transaction, VersionedTransaction};

fn account_with(n: u16, offset: u16) -> MarginAccount {
    let mut a: MarginAccount = bytemuck::Zeroable::zeroed();
    for i in 0..n {
        a.positions[i as usize] = Position {
            base: 1,
            quote: 0,
            funding_snapshot: 0,
            market_index: i + offset,
            padding: [0; 6],
        };
    }
    a
}

fn main() {
    let rent = Rent::default();
    println!("| account | bytes | rent-exempt lamports |");
    println!("| --- | ---: | ---: |");
    println!(
        "| MarginAccount (16 positions) | {} | {} |",
        MarginAccount::SPACE,
        rent.minimum_balance(MarginAccount::SPACE)
    );
    println!(
        "| Market | {} | {} |",
        Market::SPACE,
        rent.minimum_balance(Market::SPACE)
    );
    println!();
    println!("| liquidatee positions | accounts | legacy tx bytes | v0 + lookup table bytes |");
    println!("| ---: | ---: | ---: | ---: |");
    let keeper = Keypair::new();
    let oracles: Vec<Pubkey> = (0..40).map(|_| Pubkey::new_unique()).collect();
    let lookup = |i: u16| oracles.get(i as usize).copied();
    for n in [1u16, 8, 16] {
        // the liquidator holds one position in a market the liquidatee does not have
        let liquidatee = account_with(n, 0);
        let liquidator = account_with(1, 20);
        let metas = health::liquidate_health_metas(&liquidatee, &liquidator, 0, &lookup).unwrap();
        let i = ix::liquidate(
            keeper.pubkey(),
            Pubkey::new_unique(),
            Pubkey::new_unique(),
            0,
            oracles[0],
            u64::MAX,
            i64::MAX,
            metas,
        );
        let ixs = [ComputeBudgetInstruction::set_compute_unit_price(10_000), i];
        let legacy = Transaction::new(
            &[&keeper],
            Message::new(&ixs, Some(&keeper.pubkey())),
            Hash::default(),
        );
        let keys = legacy.message.account_keys.len();
        let legacy_bytes = bincode::serialize(&legacy).unwrap().len();
        // every non-signer account in one lookup table
        let table = AddressLookupTableAccount {
            key: Pubkey::new_unique(),
            addresses: legacy
                .message
                .account_keys
                .iter()
                .copied()
                .filter(|k| *k != keeper.pubkey())
                .collect(),
        };
        let v0 =
            v0::Message::try_compile(&keeper.pubkey(), &ixs, &[table], Hash::default()).unwrap();
        let vtx = VersionedTransaction::try_new(VersionedMessage::V0(v0), &[&keeper]).unwrap();
        let v0_bytes = bincode::serialize(&vtx).unwrap().len();
        println!(
            "| {n} | {keys} | {legacy_bytes}{} | {v0_bytes} |",
            if legacy_bytes > 1_232 {
                " (over 1,232)"
            } else {
                ""
            }
        );
    }
}
