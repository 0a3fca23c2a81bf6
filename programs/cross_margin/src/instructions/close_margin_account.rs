use anchor_lang::prelude::*;

use crate::error::ErrorCode;
use crate::events::MarginAccountClosed;
use crate::state::MarginAccount;

/// Closes an empty margin account (no collateral, no positions) and returns its rent.
#[derive(Accounts)]
pub struct CloseMarginAccount<'info> {
    #[account(mut)]
    pub owner: Signer<'info>,
    #[account(
        mut,
        close = owner,
        constraint = margin_account.load()?.is_owner(&owner.key()) @ ErrorCode::NotOwner
    )]
    pub margin_account: AccountLoader<'info, MarginAccount>,
}

pub fn handler(ctx: Context<CloseMarginAccount>) -> Result<()> {
    let account = ctx.accounts.margin_account.load()?;
    require!(account.is_empty(), ErrorCode::AccountNotEmpty);
    emit!(MarginAccountClosed {
        margin_account: ctx.accounts.margin_account.key(),
        owner: account.owner,
        sub_account_id: account.sub_account_id,
    });
    Ok(())
}
