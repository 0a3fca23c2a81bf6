//! crossmargin: perpetual futures on cross-margin accounts.
//!
//! This file only dispatches; each instruction lives in `instructions/`, the margin math in
//! `risk/` (pure, reused off-chain), the oracle reading in `oracle.rs`.

// The IDL instructions that `#[program]` generates (outside the module it annotates) call the
// deprecated `AccountInfo::realloc`; nothing else here is deprecated.
#![allow(deprecated)]

use anchor_lang::prelude::*;

pub mod bankruptcy;
pub mod constants;
pub mod error;
pub mod events;
pub mod health_accounts;
pub mod instructions;
pub mod oracle;
pub mod portfolio_liquidation;
pub mod risk;
pub mod state;
pub mod trading;

use instructions::*;
use risk::MarginMode;
use state::{AdminAction, DelegateLimits, MarketStatus};

declare_id!("CrsMgnXP6b4fYk3d1pVZ2Lhq7FzGwJxK9tNQeRsAoB1c");

#[program]
pub mod cross_margin {
    use super::*;

    // --- admin: one immediate power (protective status), everything else through the timelock

    pub fn initialize_exchange(
        ctx: Context<InitializeExchange>,
        liquidation_buffer: u32,
        guardian: Pubkey,
        timelock_delay_secs: u32,
    ) -> Result<()> {
        instructions::initialize_exchange::initialize_exchange(
            ctx,
            liquidation_buffer,
            guardian,
            timelock_delay_secs,
        )
    }

    pub fn queue_admin_action(ctx: Context<QueueAdminAction>, action: AdminAction) -> Result<()> {
        instructions::queue_admin_action::queue_admin_action(ctx, action)
    }

    pub fn execute_admin_action(ctx: Context<ExecuteAdminAction>, action_id: u64) -> Result<()> {
        instructions::execute_admin_action::execute_admin_action(ctx, action_id)
    }

    pub fn cancel_admin_action(ctx: Context<CancelAdminAction>, action_id: u64) -> Result<()> {
        instructions::cancel_admin_action::cancel_admin_action(ctx, action_id)
    }

    pub fn accept_admin(ctx: Context<AcceptAdmin>) -> Result<()> {
        instructions::accept_admin::accept_admin(ctx)
    }

    pub fn set_market_status(
        ctx: Context<SetMarketStatus>,
        market_index: u16,
        status: MarketStatus,
        duration_secs: u32,
    ) -> Result<()> {
        instructions::set_market_status::set_market_status(ctx, market_index, status, duration_secs)
    }

    // --- user ---

    pub fn create_margin_account(
        ctx: Context<CreateMarginAccount>,
        sub_account_id: u16,
    ) -> Result<()> {
        instructions::create_margin_account::create_margin_account(ctx, sub_account_id)
    }

    pub fn close_margin_account(
        ctx: Context<CloseMarginAccount>,
        sub_account_id: u16,
    ) -> Result<()> {
        instructions::close_margin_account::close_margin_account(ctx, sub_account_id)
    }

    pub fn set_delegate(
        ctx: Context<SetDelegate>,
        sub_account_id: u16,
        delegate: Pubkey,
        limits: DelegateLimits,
    ) -> Result<()> {
        instructions::set_delegate::set_delegate(ctx, sub_account_id, delegate, limits)
    }

    pub fn set_margin_mode(
        ctx: Context<SetMarginMode>,
        sub_account_id: u16,
        mode: MarginMode,
    ) -> Result<()> {
        instructions::set_margin_mode::set_margin_mode(ctx, sub_account_id, mode)
    }

    pub fn deposit(ctx: Context<Deposit>, amount: u64) -> Result<()> {
        instructions::deposit::deposit(ctx, amount)
    }

    pub fn withdraw(ctx: Context<Withdraw>, sub_account_id: u16, amount: u64) -> Result<()> {
        instructions::withdraw::withdraw(ctx, sub_account_id, amount)
    }

    pub fn deposit_insurance(ctx: Context<DepositInsurance>, amount: u64) -> Result<()> {
        instructions::deposit_insurance::deposit_insurance(ctx, amount)
    }

    // --- trading ---

    pub fn fill<'info>(
        ctx: Context<'_, '_, 'info, 'info, Fill<'info>>,
        market_index: u16,
        taker_base_delta: i64,
        price: i64,
    ) -> Result<()> {
        instructions::fill::fill(ctx, market_index, taker_base_delta, price)
    }

    pub fn create_trigger_orders(ctx: Context<CreateTriggerOrders>) -> Result<()> {
        instructions::create_trigger_orders::create_trigger_orders(ctx)
    }

    pub fn close_trigger_orders(ctx: Context<CloseTriggerOrders>) -> Result<()> {
        instructions::close_trigger_orders::close_trigger_orders(ctx)
    }

    pub fn place_trigger_order(
        ctx: Context<PlaceTriggerOrder>,
        market_index: u16,
        params: TriggerOrderParams,
    ) -> Result<()> {
        instructions::place_trigger_order::place_trigger_order(ctx, market_index, params)
    }

    pub fn cancel_trigger_order(ctx: Context<CancelTriggerOrder>, order_id: u64) -> Result<()> {
        instructions::cancel_trigger_order::cancel_trigger_order(ctx, order_id)
    }

    // --- keepers (permissionless) ---

    pub fn update_funding(ctx: Context<UpdateFunding>, market_index: u16) -> Result<()> {
        instructions::update_funding::update_funding(ctx, market_index)
    }

    pub fn settle_funding(ctx: Context<SettleFunding>) -> Result<()> {
        instructions::settle_funding::settle_funding(ctx)
    }

    pub fn liquidate<'info>(
        ctx: Context<'_, '_, 'info, 'info, Liquidate<'info>>,
        market_index: u16,
        max_base: u64,
        limit_price: i64,
    ) -> Result<()> {
        instructions::liquidate::liquidate(ctx, market_index, max_base, limit_price)
    }

    pub fn liquidate_portfolio<'info>(
        ctx: Context<'_, '_, 'info, 'info, LiquidatePortfolio<'info>>,
        max_fraction: u64,
    ) -> Result<()> {
        instructions::liquidate_portfolio::liquidate_portfolio(ctx, max_fraction)
    }

    pub fn execute_trigger_order<'info>(
        ctx: Context<'_, '_, 'info, 'info, ExecuteTriggerOrder<'info>>,
        market_index: u16,
        order_id: u64,
    ) -> Result<()> {
        instructions::execute_trigger_order::execute_trigger_order(ctx, market_index, order_id)
    }

    pub fn settle_dead_market(ctx: Context<SettleDeadMarket>, market_index: u16) -> Result<()> {
        instructions::settle_dead_market::settle_dead_market(ctx, market_index)
    }

    pub fn settle_position(ctx: Context<SettlePosition>, market_index: u16) -> Result<()> {
        instructions::settle_position::settle_position(ctx, market_index)
    }
}
