use anchor_lang::prelude::*;

use crate::constants::{ADMIN_ACTION_SEED, EXCHANGE_SEED};
use crate::error::ErrorCode;
use crate::events::AdminActionQueued;
use crate::state::{
    unit_exponent, validate_symbol, ActionStatus, AdminAction, Exchange, QueuedAction,
};

/// Queues an admin change; anyone may execute it once `exchange.timelock_delay_secs` have
/// passed, and the admin or the guardian may cancel it before. Its arguments are checked now
/// (and again at execution, with the accounts it names).
#[derive(Accounts)]
pub struct QueueAdminAction<'info> {
    /// The admin; or the guardian, for a `TransferAdmin` only (so a stolen admin key can be
    /// rotated away).
    #[account(mut)]
    pub admin: Signer<'info>,
    #[account(
        mut,
        seeds = [EXCHANGE_SEED],
        bump = exchange.bump,
        constraint = exchange.is_admin_or_guardian(&admin.key()) @ ErrorCode::NotAdmin
    )]
    pub exchange: Box<Account<'info, Exchange>>,
    #[account(
        init,
        payer = admin,
        space = 8 + QueuedAction::INIT_SPACE,
        seeds = [ADMIN_ACTION_SEED, &exchange.next_action_id.to_le_bytes()],
        bump
    )]
    pub queued_action: Box<Account<'info, QueuedAction>>,
    pub system_program: Program<'info, System>,
}

/// The checks an action's arguments must pass, at queueing and at execution.
pub fn validate_action(action: &AdminAction) -> Result<()> {
    match action {
        AdminAction::AddMarket {
            symbol,
            tokens_per_contract,
            params,
            ..
        } => {
            validate_symbol(symbol)?;
            unit_exponent(*tokens_per_contract)?;
            params.validate()
        }
        AdminAction::UpdateMarket { params, .. } => params.validate(),
        AdminAction::SetLookupTables { tables } => Exchange::validate_lookup_tables(tables),
        AdminAction::SetTimelockDelay { delay_secs } => {
            Exchange::validate_timelock_delay(*delay_secs)
        }
        AdminAction::SetLiquidationBuffer { buffer } => {
            Exchange::validate_liquidation_buffer(*buffer)
        }
        AdminAction::SetOracle { .. }
        | AdminAction::TransferAdmin { .. }
        | AdminAction::SetGuardian { .. }
        | AdminAction::SettleMarket { .. }
        | AdminAction::SetPortfolioMargin { .. } => Ok(()),
    }
}

pub fn queue_admin_action(ctx: Context<QueueAdminAction>, action: AdminAction) -> Result<()> {
    require!(
        ctx.accounts.exchange.admin == ctx.accounts.admin.key()
            || matches!(action, AdminAction::TransferAdmin { .. }),
        ErrorCode::NotAdmin
    );
    validate_action(&action)?;
    let now = Clock::get()?.unix_timestamp;
    let exchange = &mut ctx.accounts.exchange;
    let id = exchange.next_action_id;
    exchange.next_action_id = id
        .checked_add(1)
        .ok_or_else(|| error!(ErrorCode::MathOverflow))?;
    let execute_after = now
        .checked_add(exchange.timelock_delay_secs as i64)
        .ok_or_else(|| error!(ErrorCode::MathOverflow))?;
    let queued = &mut ctx.accounts.queued_action;
    queued.id = id;
    queued.proposer = ctx.accounts.admin.key();
    queued.queued_at = now;
    queued.execute_after = execute_after;
    queued.status = ActionStatus::Queued;
    queued.resolved_at = 0;
    queued.action = action.clone();
    queued.bump = ctx.bumps.queued_action;
    emit!(AdminActionQueued {
        id,
        proposer: queued.proposer,
        execute_after,
        action,
    });
    Ok(())
}
