use anchor_lang::prelude::*;

use crate::constants::TRIGGER_ORDERS_SEED;
use crate::error::ErrorCode;
use crate::state::{MarginAccount, TriggerOrders};

/// Creates the margin account's trigger-order account (owner or delegate; the signer pays the
/// rent and gets it back on close).
#[derive(Accounts)]
pub struct CreateTriggerOrders<'info> {
    #[account(mut)]
    pub authority: Signer<'info>,
    #[account(constraint = margin_account.load()?.is_trader(&authority.key()) @ ErrorCode::NotOwnerOrDelegate)]
    pub margin_account: AccountLoader<'info, MarginAccount>,
    #[account(
        init,
        payer = authority,
        space = TriggerOrders::SPACE,
        seeds = [TRIGGER_ORDERS_SEED, margin_account.key().as_ref()],
        bump
    )]
    pub trigger_orders: AccountLoader<'info, TriggerOrders>,
    pub system_program: Program<'info, System>,
}

pub fn create_trigger_orders(ctx: Context<CreateTriggerOrders>) -> Result<()> {
    let mut t = ctx.accounts.trigger_orders.load_init()?;
    t.margin_account = ctx.accounts.margin_account.key();
    t.payer = ctx.accounts.authority.key();
    t.bump = ctx.bumps.trigger_orders;
    Ok(())
}
