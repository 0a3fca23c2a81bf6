use anchor_lang::prelude::*;

use crate::constants::TRIGGER_ORDERS_SEED;
use crate::error::ErrorCode;
use crate::state::{MarginAccount, TriggerOrders};

/// Closes an empty trigger-order account (owner or delegate); the rent goes back to its payer.
#[derive(Accounts)]
pub struct CloseTriggerOrders<'info> {
    pub authority: Signer<'info>,
    #[account(constraint = margin_account.load()?.is_trader(&authority.key()) @ ErrorCode::NotOwnerOrDelegate)]
    pub margin_account: AccountLoader<'info, MarginAccount>,
    #[account(
        mut,
        close = payer,
        seeds = [TRIGGER_ORDERS_SEED, margin_account.key().as_ref()],
        bump = trigger_orders.load()?.bump,
        constraint = trigger_orders.load()?.payer == payer.key() @ ErrorCode::TriggerOrdersWrongAccount
    )]
    pub trigger_orders: AccountLoader<'info, TriggerOrders>,
    /// CHECK: receives the rent; must be the payer recorded in the account.
    #[account(mut)]
    pub payer: UncheckedAccount<'info>,
}

pub fn close_trigger_orders(ctx: Context<CloseTriggerOrders>) -> Result<()> {
    require!(
        ctx.accounts.trigger_orders.load()?.is_empty(),
        ErrorCode::TriggerOrdersNotEmpty
    );
    Ok(())
}
