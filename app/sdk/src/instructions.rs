//! One builder per instruction. Every PDA is derived here; health accounts are passed in as the
//! metas `health::health_metas_for` derives.

use anchor_lang::prelude::{AccountMeta, Pubkey};
use anchor_lang::solana_program::instruction::Instruction;
use anchor_lang::{system_program, InstructionData, ToAccountMetas};
use anchor_spl::token::spl_token;
use cross_margin::state::MarketParams;
use cross_margin::{accounts as acc, instruction as data};

use crate::pda;

fn build(
    accounts: impl ToAccountMetas,
    args: impl InstructionData,
    extra: Vec<AccountMeta>,
) -> Instruction {
    let mut metas = accounts.to_account_metas(None);
    metas.extend(extra);
    Instruction {
        program_id: cross_margin::ID,
        accounts: metas,
        data: args.data(),
    }
}

pub fn initialize_exchange(
    admin: Pubkey,
    collateral_mint: Pubkey,
    liquidation_buffer: u32,
) -> Instruction {
    build(
        acc::InitializeExchange {
            admin,
            exchange: pda::exchange(),
            collateral_mint,
            vault: pda::vault(),
            token_program: spl_token::ID,
            system_program: system_program::ID,
        },
        data::InitializeExchange { liquidation_buffer },
        vec![],
    )
}

pub fn add_market(
    admin: Pubkey,
    market_index: u16,
    oracle: Pubkey,
    symbol: [u8; 16],
    oracle_source: u8,
    pyth_feed_id: [u8; 32],
    params: MarketParams,
) -> Instruction {
    build(
        acc::AddMarket {
            admin,
            exchange: pda::exchange(),
            market: pda::market(market_index),
            oracle,
            system_program: system_program::ID,
        },
        data::AddMarket {
            symbol,
            oracle_source,
            pyth_feed_id,
            params,
        },
        vec![],
    )
}

pub fn update_market(admin: Pubkey, market_index: u16, params: MarketParams) -> Instruction {
    build(
        acc::UpdateMarket {
            admin,
            exchange: pda::exchange(),
            market: pda::market(market_index),
        },
        data::UpdateMarket { params },
        vec![],
    )
}

pub fn set_market_status(admin: Pubkey, market_index: u16, status: u8) -> Instruction {
    build(
        acc::SetMarketStatus {
            admin,
            exchange: pda::exchange(),
            market: pda::market(market_index),
        },
        data::SetMarketStatus { status },
        vec![],
    )
}

pub fn transfer_admin(admin: Pubkey, new_admin: Pubkey) -> Instruction {
    build(
        acc::TransferAdmin {
            admin,
            exchange: pda::exchange(),
        },
        data::TransferAdmin { new_admin },
        vec![],
    )
}

pub fn accept_admin(new_admin: Pubkey) -> Instruction {
    build(
        acc::AcceptAdmin {
            new_admin,
            exchange: pda::exchange(),
        },
        data::AcceptAdmin {},
        vec![],
    )
}

pub fn create_margin_account(owner: Pubkey, sub_account_id: u16) -> Instruction {
    build(
        acc::CreateMarginAccount {
            owner,
            margin_account: pda::margin_account(&owner, sub_account_id),
            system_program: system_program::ID,
        },
        data::CreateMarginAccount { sub_account_id },
        vec![],
    )
}

pub fn close_margin_account(owner: Pubkey, margin_account: Pubkey) -> Instruction {
    build(
        acc::CloseMarginAccount {
            owner,
            margin_account,
        },
        data::CloseMarginAccount {},
        vec![],
    )
}

pub fn set_delegate(owner: Pubkey, margin_account: Pubkey, delegate: Pubkey) -> Instruction {
    build(
        acc::SetDelegate {
            owner,
            margin_account,
        },
        data::SetDelegate { delegate },
        vec![],
    )
}

pub fn deposit(
    depositor: Pubkey,
    margin_account: Pubkey,
    depositor_token: Pubkey,
    amount: u64,
) -> Instruction {
    build(
        acc::Deposit {
            depositor,
            exchange: pda::exchange(),
            margin_account,
            vault: pda::vault(),
            depositor_token,
            token_program: spl_token::ID,
        },
        data::Deposit { amount },
        vec![],
    )
}

pub fn deposit_insurance(depositor: Pubkey, depositor_token: Pubkey, amount: u64) -> Instruction {
    build(
        acc::DepositInsurance {
            depositor,
            exchange: pda::exchange(),
            vault: pda::vault(),
            depositor_token,
            token_program: spl_token::ID,
        },
        data::DepositInsurance { amount },
        vec![],
    )
}

/// `health`: the metas of `health::health_metas_for(&[&account], ..)`.
pub fn withdraw(
    owner: Pubkey,
    margin_account: Pubkey,
    destination: Pubkey,
    amount: u64,
    health: Vec<AccountMeta>,
) -> Instruction {
    build(
        acc::Withdraw {
            owner,
            exchange: pda::exchange(),
            margin_account,
            vault: pda::vault(),
            destination,
            token_program: spl_token::ID,
        },
        data::Withdraw { amount },
        health,
    )
}

/// A fill: `health` from `health::fill_health_metas`.
#[allow(clippy::too_many_arguments)]
pub fn fill(
    taker_authority: Pubkey,
    maker_authority: Pubkey,
    taker: Pubkey,
    maker: Pubkey,
    market_index: u16,
    oracle: Pubkey,
    taker_base_delta: i64,
    price: i64,
    health: Vec<AccountMeta>,
) -> Instruction {
    build(
        acc::Fill {
            taker_authority,
            maker_authority,
            exchange: pda::exchange(),
            market: pda::market(market_index),
            oracle,
            taker,
            maker,
        },
        data::Fill {
            market_index,
            taker_base_delta,
            price,
        },
        health,
    )
}

pub fn update_funding(market_index: u16, oracle: Pubkey) -> Instruction {
    build(
        acc::UpdateFunding {
            exchange: pda::exchange(),
            market: pda::market(market_index),
            oracle,
        },
        data::UpdateFunding { market_index },
        vec![],
    )
}

/// `markets`: from `health::funding_metas`.
pub fn settle_funding(margin_account: Pubkey, markets: Vec<AccountMeta>) -> Instruction {
    build(
        acc::SettleFunding { margin_account },
        data::SettleFunding {},
        markets,
    )
}

/// A liquidation step: `health` from `health::liquidate_health_metas`.
#[allow(clippy::too_many_arguments)]
pub fn liquidate(
    liquidator_authority: Pubkey,
    liquidator: Pubkey,
    liquidatee: Pubkey,
    market_index: u16,
    oracle: Pubkey,
    max_base: u64,
    limit_price: i64,
    health: Vec<AccountMeta>,
) -> Instruction {
    build(
        acc::Liquidate {
            liquidator_authority,
            exchange: pda::exchange(),
            market: pda::market(market_index),
            oracle,
            liquidator,
            liquidatee,
        },
        data::Liquidate {
            market_index,
            max_base,
            limit_price,
        },
        health,
    )
}
