use anchor_lang::prelude::*;

use crate::error::ErrorCode;
use crate::events::DelegateSet;
use crate::state::MarginAccount;

/// Names a delegate that may trade for the account but never withdraw (default key clears it).
#[derive(Accounts)]
pub struct SetDelegate<'info> {
    pub owner: Signer<'info>,
    #[account(
        mut,
        constraint = margin_account.load()?.is_owner(&owner.key()) @ ErrorCode::NotOwner
    )]
    pub margin_account: AccountLoader<'info, MarginAccount>,
}

pub fn handler(ctx: Context<SetDelegate>, delegate: Pubkey) -> Result<()> {
    let mut account = ctx.accounts.margin_account.load_mut()?;
    let old_delegate = account.delegate;
    account.delegate = delegate;
    emit!(DelegateSet {
        margin_account: ctx.accounts.margin_account.key(),
        old_delegate,
        new_delegate: delegate,
    });
    Ok(())
}
