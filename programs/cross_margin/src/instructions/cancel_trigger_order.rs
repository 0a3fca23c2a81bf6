use anchor_lang::prelude::*;

use crate::constants::TRIGGER_ORDERS_SEED;
use crate::error::ErrorCode;
use crate::events::TriggerOrderCancelled;
use crate::state::{MarginAccount, TriggerOrders};

/// Cancels one of the account's trigger orders (owner or delegate).
#[derive(Accounts)]
pub struct CancelTriggerOrder<'info> {
    pub authority: Signer<'info>,
    #[account(constraint = margin_account.load()?.is_trader(&authority.key()) @ ErrorCode::NotOwnerOrDelegate)]
    pub margin_account: AccountLoader<'info, MarginAccount>,
    #[account(
        mut,
        seeds = [TRIGGER_ORDERS_SEED, margin_account.key().as_ref()],
        bump = trigger_orders.load()?.bump
    )]
    pub trigger_orders: AccountLoader<'info, TriggerOrders>,
}

pub fn cancel_trigger_order(ctx: Context<CancelTriggerOrder>, order_id: u64) -> Result<()> {
    ctx.accounts.trigger_orders.load_mut()?.remove(order_id)?;
    emit!(TriggerOrderCancelled {
        margin_account: ctx.accounts.margin_account.key(),
        order_id,
        reason: 0,
    });
    Ok(())
}
