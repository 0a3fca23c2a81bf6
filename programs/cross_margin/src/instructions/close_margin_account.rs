use anchor_lang::prelude::*;

use crate::constants::MARGIN_ACCOUNT_SEED;
use crate::error::ErrorCode;
use crate::events::MarginAccountClosed;
use crate::state::MarginAccount;

/// Closes an empty margin account (no collateral, no positions) and returns its rent.
#[derive(Accounts)]
#[instruction(sub_account_id: u16)]
pub struct CloseMarginAccount<'info> {
    #[account(mut)]
    pub owner: Signer<'info>,
    /// The owner's sub-account `sub_account_id` (derived from the signer: only the owner).
    #[account(
        mut,
        close = owner,
        seeds = [MARGIN_ACCOUNT_SEED, owner.key().as_ref(), &sub_account_id.to_le_bytes()],
        bump = margin_account.load()?.bump
    )]
    pub margin_account: AccountLoader<'info, MarginAccount>,
}

pub fn close_margin_account(ctx: Context<CloseMarginAccount>, _sub_account_id: u16) -> Result<()> {
    let account = ctx.accounts.margin_account.load()?;
    require!(account.is_empty(), ErrorCode::AccountNotEmpty);
    emit!(MarginAccountClosed {
        margin_account: ctx.accounts.margin_account.key(),
        owner: account.owner,
        sub_account_id: account.sub_account_id,
    });
    Ok(())
}
