//! Program-derived addresses.

use anchor_lang::prelude::Pubkey;
use cross_margin::constants::{
    ADMIN_ACTION_SEED, EXCHANGE_SEED, MARGIN_ACCOUNT_SEED, MARKET_SEED, TRIGGER_ORDERS_SEED,
    VAULT_SEED,
};

pub fn exchange() -> Pubkey {
    Pubkey::find_program_address(&[EXCHANGE_SEED], &cross_margin::ID).0
}

/// The collateral vault (token account; authority: the exchange PDA).
pub fn vault() -> Pubkey {
    Pubkey::find_program_address(&[VAULT_SEED, exchange().as_ref()], &cross_margin::ID).0
}

pub fn market(market_index: u16) -> Pubkey {
    Pubkey::find_program_address(
        &[MARKET_SEED, &market_index.to_le_bytes()],
        &cross_margin::ID,
    )
    .0
}

pub fn margin_account(owner: &Pubkey, sub_account_id: u16) -> Pubkey {
    Pubkey::find_program_address(
        &[
            MARGIN_ACCOUNT_SEED,
            owner.as_ref(),
            &sub_account_id.to_le_bytes(),
        ],
        &cross_margin::ID,
    )
    .0
}

/// A queued admin change.
pub fn admin_action(id: u64) -> Pubkey {
    Pubkey::find_program_address(&[ADMIN_ACTION_SEED, &id.to_le_bytes()], &cross_margin::ID).0
}

/// The trigger-order account of a margin account.
pub fn trigger_orders(margin_account: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(
        &[TRIGGER_ORDERS_SEED, margin_account.as_ref()],
        &cross_margin::ID,
    )
    .0
}

/// The program's `ProgramData` account (its upgrade authority initializes the exchange).
pub fn program_data() -> Pubkey {
    cross_margin::instructions::program_data_address()
}

/// The sponsored Pyth feed account of a feed id: the only pull oracle a market may list.
pub fn sponsored_feed(feed_id: &[u8; 32]) -> Pubkey {
    cross_margin::oracle::sponsored_feed_address(feed_id)
}
