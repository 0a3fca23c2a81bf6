use anchor_lang::prelude::*;

use crate::constants::MARGIN_ACCOUNT_SEED;
use crate::events::MarginAccountCreated;
use crate::state::MarginAccount;

/// Creates the owner's margin account number `sub_account_id`. Each sub-account has its own
/// collateral: isolated margin is one sub-account per isolated bet.
#[derive(Accounts)]
#[instruction(sub_account_id: u16)]
pub struct CreateMarginAccount<'info> {
    #[account(mut)]
    pub owner: Signer<'info>,
    #[account(
        init,
        payer = owner,
        space = MarginAccount::SPACE,
        seeds = [MARGIN_ACCOUNT_SEED, owner.key().as_ref(), &sub_account_id.to_le_bytes()],
        bump
    )]
    pub margin_account: AccountLoader<'info, MarginAccount>,
    pub system_program: Program<'info, System>,
}

pub fn create_margin_account(ctx: Context<CreateMarginAccount>, sub_account_id: u16) -> Result<()> {
    let mut account = ctx.accounts.margin_account.load_init()?;
    account.owner = ctx.accounts.owner.key();
    account.sub_account_id = sub_account_id;
    account.bump = ctx.bumps.margin_account;
    emit!(MarginAccountCreated {
        margin_account: ctx.accounts.margin_account.key(),
        owner: account.owner,
        sub_account_id,
    });
    Ok(())
}
