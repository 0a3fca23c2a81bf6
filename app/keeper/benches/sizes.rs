//! Transaction and account size figures: the accounts' sizes and rent, and the bytes and account
//! locks of `fill`, `withdraw`, `liquidate` and `settle_funding` for accounts holding 1, 8 and 16
//! positions, as legacy transactions and as v0 transactions against the exchange's lookup table
//! (every market, oracle and fixed account), built by the SDK's own compiler and checked against
//! the 1,232-byte packet and the 64-lock limit. `cargo bench -p crossmargin-keeper --bench sizes`.

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use cross_margin::state::{MarginAccount, Market, Position, QueuedAction, TriggerOrders};
use crossmargin_keeper::embedded::bootstrap::{fixed_table_accounts, market_table_accounts};
use crossmargin_sdk::{health, instructions as ix, pda, tx};
use solana_sdk::hash::Hash;
use solana_sdk::message::AddressLookupTableAccount;
use solana_sdk::rent::Rent;
use solana_sdk::signature::{Keypair, Signer};

fn account_with(owner: Pubkey, n: u16, offset: u16) -> MarginAccount {
    let mut a: MarginAccount = bytemuck::Zeroable::zeroed();
    a.owner = owner;
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

fn row(
    name: &str,
    n: u16,
    payer: &Keypair,
    ixs: &[Instruction],
    table: &AddressLookupTableAccount,
) {
    let mut all = tx::compute_budget(400_000, 10_000).to_vec();
    all.extend_from_slice(ixs);
    let measure = |tables: &[AddressLookupTableAccount]| {
        let m = tx::compile_message(&payer.pubkey(), &all, tables, Hash::default()).unwrap();
        let t = tx::unsigned(m);
        (
            tx::serialized_size(&t),
            tx::account_locks(&t.message),
            tx::check_limits(&t).is_ok(),
        )
    };
    let (lb, locks, lok) = measure(&[]);
    let (vb, _, vok) = measure(std::slice::from_ref(table));
    let mark = |ok: bool| if ok { "" } else { " (over the limit)" };
    println!(
        "| {name} | {n} | {locks} | {lb}{} | {vb}{} |",
        mark(lok),
        mark(vok)
    );
}

fn main() {
    let rent = Rent::default();
    println!("| account | bytes | rent-exempt lamports |");
    println!("| --- | ---: | ---: |");
    for (name, space) in [
        ("MarginAccount (16 positions)", MarginAccount::SPACE),
        ("Market", Market::SPACE),
        ("TriggerOrders (32 orders)", TriggerOrders::SPACE),
        (
            "QueuedAction",
            8 + <QueuedAction as anchor_lang::Space>::INIT_SPACE,
        ),
    ] {
        println!("| {name} | {space} | {} |", rent.minimum_balance(space));
    }
    println!();
    println!(
        "| instruction | positions | account locks (of 64) | legacy bytes | v0 bytes (of 1,232) |"
    );
    println!("| --- | ---: | ---: | ---: | ---: |");
    let (taker_key, maker_key, keeper) = (Keypair::new(), Keypair::new(), Keypair::new());
    let oracles: Vec<Pubkey> = (0..40).map(|_| Pubkey::new_unique()).collect();
    let lookup = |i: u16| oracles.get(i as usize).copied();
    let mint = Pubkey::new_unique();
    let mut addresses = fixed_table_accounts(&mint);
    for i in 0..24u16 {
        addresses.extend(market_table_accounts(i, oracles[i as usize]));
    }
    let table = AddressLookupTableAccount {
        key: Pubkey::new_unique(),
        addresses,
    };
    for n in [1u16, 8, 16] {
        // the counterparty / liquidator holds one position in a market the first account has not
        let a = account_with(taker_key.pubkey(), n, 0);
        let b = account_with(maker_key.pubkey(), 1, 20);
        let a_key = pda::margin_account(&taker_key.pubkey(), 0);
        let b_key = pda::margin_account(&maker_key.pubkey(), 0);
        let fill = ix::fill(
            taker_key.pubkey(),
            maker_key.pubkey(),
            a_key,
            b_key,
            0,
            oracles[0],
            1,
            1,
            health::fill_health_metas(&a, &b, 0, &lookup).unwrap(),
        );
        row("fill", n, &taker_key, &[fill], &table);
        let withdraw = ix::withdraw(
            taker_key.pubkey(),
            0,
            Pubkey::new_unique(),
            1,
            health::health_metas_for(&[&a], &lookup).unwrap(),
        );
        row("withdraw", n, &taker_key, &[withdraw], &table);
        let liquidate = ix::liquidate(
            keeper.pubkey(),
            b_key,
            a_key,
            0,
            oracles[0],
            u64::MAX,
            i64::MAX,
            health::may_close_account(&a),
            health::liquidate_health_metas(&a, &b, 0, &lookup).unwrap(),
        );
        row("liquidate", n, &keeper, &[liquidate], &table);
        let settle = ix::settle_funding(a_key, health::funding_metas(&a));
        row("settle_funding", n, &keeper, &[settle], &table);
        let slice = ix::liquidate_portfolio(
            keeper.pubkey(),
            b_key,
            a_key,
            1_000_000_000,
            true,
            health::portfolio_liquidation_metas(&a, &b, &lookup).unwrap(),
        );
        row("liquidate_portfolio", n, &keeper, &[slice], &table);
    }
}
