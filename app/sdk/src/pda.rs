//! Program-derived addresses.

use anchor_lang::prelude::Pubkey;
use cross_margin::constants::{EXCHANGE_SEED, MARGIN_ACCOUNT_SEED, MARKET_SEED, VAULT_SEED};

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
