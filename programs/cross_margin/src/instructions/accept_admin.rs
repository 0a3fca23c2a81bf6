use anchor_lang::prelude::*;

use crate::constants::EXCHANGE_SEED;
use crate::error::ErrorCode;
use crate::events::AdminTransferred;
use crate::state::Exchange;

/// Second step of an admin handover (the first is an executed `TransferAdmin`): the pending
/// admin signs and becomes admin.
#[derive(Accounts)]
pub struct AcceptAdmin<'info> {
    pub new_admin: Signer<'info>,
    #[account(
        mut,
        seeds = [EXCHANGE_SEED],
        bump = exchange.bump,
        constraint = exchange.has_pending_admin()
            && exchange.pending_admin == new_admin.key() @ ErrorCode::NotPendingAdmin
    )]
    pub exchange: Box<Account<'info, Exchange>>,
}

pub fn accept_admin(ctx: Context<AcceptAdmin>) -> Result<()> {
    let exchange = &mut ctx.accounts.exchange;
    let old_admin = exchange.admin;
    exchange.admin = exchange.pending_admin;
    exchange.pending_admin = Pubkey::default();
    emit!(AdminTransferred {
        old_admin,
        new_admin: exchange.admin,
    });
    Ok(())
}
