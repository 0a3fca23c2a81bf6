use anchor_lang::prelude::*;

use crate::constants::EXCHANGE_SEED;
use crate::error::ErrorCode;
use crate::events::AdminTransferProposed;
use crate::state::Exchange;

/// First step of an admin handover: names the pending admin (default key cancels).
#[derive(Accounts)]
pub struct TransferAdmin<'info> {
    pub admin: Signer<'info>,
    #[account(mut, seeds = [EXCHANGE_SEED], bump = exchange.bump, has_one = admin @ ErrorCode::NotAdmin)]
    pub exchange: Box<Account<'info, Exchange>>,
}

pub fn handler(ctx: Context<TransferAdmin>, new_admin: Pubkey) -> Result<()> {
    let exchange = &mut ctx.accounts.exchange;
    exchange.pending_admin = new_admin;
    emit!(AdminTransferProposed {
        admin: exchange.admin,
        pending_admin: new_admin,
    });
    Ok(())
}
