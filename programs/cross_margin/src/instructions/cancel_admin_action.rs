use anchor_lang::prelude::*;

use crate::constants::{ADMIN_ACTION_SEED, EXCHANGE_SEED};
use crate::error::ErrorCode;
use crate::events::AdminActionCancelled;
use crate::state::{ActionStatus, AdminAction, Exchange, QueuedAction};

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

/// Who may cancel `queued`: the admin or the guardian, except a `TransferAdmin` (only its
/// proposer: a stolen admin key cannot veto the guardian's rotation of it, nor a hostile guardian
/// the admin's) and a `SetGuardian` (only the admin: a hostile guardian cannot veto its own
/// replacement).
pub fn may_cancel(queued: &QueuedAction, exchange: &Exchange, signer: &Pubkey) -> bool {
    match queued.action {
        AdminAction::TransferAdmin { .. } => queued.proposer == *signer,
        AdminAction::SetGuardian { .. } => exchange.admin == *signer,
        _ => exchange.is_admin_or_guardian(signer),
    }
}

pub fn cancel_admin_action(ctx: Context<CancelAdminAction>, _action_id: u64) -> Result<()> {
    let queued = &mut ctx.accounts.queued_action;
    require_queued(queued)?;
    require!(
        may_cancel(
            queued,
            &ctx.accounts.exchange,
            &ctx.accounts.authority.key()
        ),
        ErrorCode::NotCancelable
    );
    queued.status = ActionStatus::Cancelled;
    queued.resolved_at = Clock::get()?.unix_timestamp;
    emit!(AdminActionCancelled {
        id: queued.id,
        by: ctx.accounts.authority.key(),
    });
    Ok(())
}
