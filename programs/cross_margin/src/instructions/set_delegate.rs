use anchor_lang::prelude::*;

use crate::constants::MARGIN_ACCOUNT_SEED;
use crate::events::DelegateSet;
use crate::state::{DelegateLimits, MarginAccount};

/// Names a delegate that may trade for the account within `limits` but never withdraw (default
/// key clears it). The delegate's budget period starts now.
#[derive(Accounts)]
#[instruction(sub_account_id: u16)]
pub struct SetDelegate<'info> {
    pub owner: Signer<'info>,
    /// The owner's sub-account `sub_account_id` (derived from the signer: only the owner).
    #[account(
        mut,
        seeds = [MARGIN_ACCOUNT_SEED, owner.key().as_ref(), &sub_account_id.to_le_bytes()],
        bump = margin_account.load()?.bump
    )]
    pub margin_account: AccountLoader<'info, MarginAccount>,
}

pub fn set_delegate(
    ctx: Context<SetDelegate>,
    _sub_account_id: u16,
    delegate: Pubkey,
    limits: DelegateLimits,
) -> Result<()> {
    if delegate != Pubkey::default() {
        limits.validate()?;
    }
    let now = Clock::get()?.unix_timestamp;
    let mut account = ctx.accounts.margin_account.load_mut()?;
    let old_delegate = account.delegate;
    account.set_delegate(delegate, &limits, now);
    emit!(DelegateSet {
        margin_account: ctx.accounts.margin_account.key(),
        old_delegate,
        new_delegate: delegate,
        limits: account.delegate_limits(),
    });
    Ok(())
}
