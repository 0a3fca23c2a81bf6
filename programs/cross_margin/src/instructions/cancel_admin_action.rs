use anchor_lang::prelude::*;

use crate::constants::{ADMIN_ACTION_SEED, EXCHANGE_SEED};
use crate::error::ErrorCode;
use crate::events::AdminActionCancelled;
use crate::state::{ActionStatus, Exchange, QueuedAction};

/// Cancels a queued change before it is executed: the admin or the guardian.
#[derive(Accounts)]
#[instruction(action_id: u64)]
pub struct CancelAdminAction<'info> {
    pub authority: Signer<'info>,
    #[account(
        seeds = [EXCHANGE_SEED],
        bump = exchange.bump,
        constraint = exchange.is_admin_or_guardian(&authority.key()) @ ErrorCode::NotAdminOrGuardian
    )]
    pub exchange: Box<Account<'info, Exchange>>,
    #[account(
        mut,
        seeds = [ADMIN_ACTION_SEED, &action_id.to_le_bytes()],
        bump = queued_action.bump
    )]
    pub queued_action: Box<Account<'info, QueuedAction>>,
}

/// A queued change must still be queued to be executed or cancelled.
pub fn require_queued(action: &QueuedAction) -> Result<()> {
    match action.status {
        ActionStatus::Queued => Ok(()),
        ActionStatus::Executed => err!(ErrorCode::ActionAlreadyExecuted),
        ActionStatus::Cancelled => err!(ErrorCode::ActionCancelled),
    }
}

pub fn cancel_admin_action(ctx: Context<CancelAdminAction>, _action_id: u64) -> Result<()> {
    let queued = &mut ctx.accounts.queued_action;
    require_queued(queued)?;
    queued.status = ActionStatus::Cancelled;
    queued.resolved_at = Clock::get()?.unix_timestamp;
    emit!(AdminActionCancelled {
        id: queued.id,
        by: ctx.accounts.authority.key(),
    });
    Ok(())
}
