//! crossmargin: perpetual futures on cross-margin accounts.
//!
//! This file only dispatches; each instruction lives in `instructions/`, the margin math in
//! `risk/` (pure, reused off-chain), the oracle reading in `oracle.rs`.

// The IDL instructions that `#[program]` generates (outside the module it annotates) call the
// deprecated `AccountInfo::realloc`; nothing else here is deprecated.
#![allow(deprecated)]

use anchor_lang::prelude::*;

pub mod constants;
pub mod error;
pub mod events;
pub mod health;
pub mod instructions;
pub mod oracle;
pub mod risk;
pub mod state;
pub mod trading;

use instructions::*;
use state::MarketParams;

declare_id!("CrsMgnXP6b4fYk3d1pVZ2Lhq7FzGwJxK9tNQeRsAoB1c");

#[program]
pub mod cross_margin {
    use super::*;

    // --- admin ---

    pub fn initialize_exchange(
        ctx: Context<InitializeExchange>,
        liquidation_buffer: u32,
    ) -> Result<()> {
        instructions::initialize_exchange::handler(ctx, liquidation_buffer)
    }

    pub fn add_market(
        ctx: Context<AddMarket>,
        symbol: [u8; 16],
        oracle_source: u8,
        pyth_feed_id: [u8; 32],
        params: MarketParams,
    ) -> Result<()> {
        instructions::add_market::handler(ctx, symbol, oracle_source, pyth_feed_id, params)
    }

    pub fn update_market(ctx: Context<UpdateMarket>, params: MarketParams) -> Result<()> {
        instructions::update_market::handler(ctx, params)
    }

    pub fn set_market_status(ctx: Context<SetMarketStatus>, status: u8) -> Result<()> {
        instructions::set_market_status::handler(ctx, status)
    }

    pub fn transfer_admin(ctx: Context<TransferAdmin>, new_admin: Pubkey) -> Result<()> {
        instructions::transfer_admin::handler(ctx, new_admin)
    }

    pub fn accept_admin(ctx: Context<AcceptAdmin>) -> Result<()> {
        instructions::accept_admin::handler(ctx)
    }

    // --- user ---

    pub fn create_margin_account(
        ctx: Context<CreateMarginAccount>,
        sub_account_id: u16,
    ) -> Result<()> {
        instructions::create_margin_account::handler(ctx, sub_account_id)
    }

    pub fn close_margin_account(ctx: Context<CloseMarginAccount>) -> Result<()> {
        instructions::close_margin_account::handler(ctx)
    }

    pub fn set_delegate(ctx: Context<SetDelegate>, delegate: Pubkey) -> Result<()> {
        instructions::set_delegate::handler(ctx, delegate)
    }

    pub fn deposit(ctx: Context<Deposit>, amount: u64) -> Result<()> {
        instructions::deposit::handler(ctx, amount)
    }

    pub fn withdraw(ctx: Context<Withdraw>, amount: u64) -> Result<()> {
        instructions::withdraw::handler(ctx, amount)
    }

    pub fn deposit_insurance(ctx: Context<DepositInsurance>, amount: u64) -> Result<()> {
        instructions::deposit_insurance::handler(ctx, amount)
    }

    // --- trading ---

    pub fn fill<'info>(
        ctx: Context<'_, '_, 'info, 'info, Fill<'info>>,
        market_index: u16,
        taker_base_delta: i64,
        price: i64,
    ) -> Result<()> {
        instructions::fill::handler(ctx, market_index, taker_base_delta, price)
    }

    // --- keepers (permissionless) ---

    pub fn update_funding(ctx: Context<UpdateFunding>, market_index: u16) -> Result<()> {
        instructions::update_funding::handler(ctx, market_index)
    }

    pub fn settle_funding(ctx: Context<SettleFunding>) -> Result<()> {
        instructions::settle_funding::handler(ctx)
    }

    pub fn liquidate<'info>(
        ctx: Context<'_, '_, 'info, 'info, Liquidate<'info>>,
        market_index: u16,
        max_base: u64,
        limit_price: i64,
    ) -> Result<()> {
        instructions::liquidate::handler(ctx, market_index, max_base, limit_price)
    }
}
