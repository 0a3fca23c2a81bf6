use anchor_lang::prelude::*;
use anchor_spl::token::{self, Token, TokenAccount, Transfer};

use crate::constants::{EXCHANGE_SEED, VAULT_SEED};
use crate::error::ErrorCode;
use crate::events::Deposited;
use crate::state::{Exchange, MarginAccount};

/// Moves collateral from the signer's token account into the vault, credited to a margin
/// account. Anyone may fund any account (a deposit can only make it healthier).
#[derive(Accounts)]
pub struct Deposit<'info> {
    pub depositor: Signer<'info>,
    #[account(seeds = [EXCHANGE_SEED], bump = exchange.bump)]
    pub exchange: Box<Account<'info, Exchange>>,
    #[account(mut)]
    pub margin_account: AccountLoader<'info, MarginAccount>,
    /// CHECK: the exchange's vault (its PDA); the token program checks the rest.
    #[account(mut, seeds = [VAULT_SEED, exchange.key().as_ref()], bump = exchange.vault_bump)]
    pub vault: UncheckedAccount<'info>,
    #[account(
        mut,
        constraint = depositor_token.mint == exchange.collateral_mint @ ErrorCode::InvalidCollateralMint,
        constraint = depositor_token.owner == depositor.key() @ ErrorCode::TokenOwnerMismatch
    )]
    pub depositor_token: Box<Account<'info, TokenAccount>>,
    pub token_program: Program<'info, Token>,
}

pub fn deposit(ctx: Context<Deposit>, amount: u64) -> Result<()> {
    require!(amount > 0, ErrorCode::ZeroAmount);
    let credit = i64::try_from(amount).map_err(|_| error!(ErrorCode::MathOverflow))?;
    {
        let mut account = ctx.accounts.margin_account.load_mut()?;
        account.add_collateral(credit)?;
        account.total_deposits = account
            .total_deposits
            .checked_add(amount)
            .ok_or_else(|| error!(ErrorCode::MathOverflow))?;
    }
    token::transfer(
        CpiContext::new(
            ctx.accounts.token_program.to_account_info(),
            Transfer {
                from: ctx.accounts.depositor_token.to_account_info(),
                to: ctx.accounts.vault.to_account_info(),
                authority: ctx.accounts.depositor.to_account_info(),
            },
        ),
        amount,
    )?;
    emit!(Deposited {
        margin_account: ctx.accounts.margin_account.key(),
        depositor: ctx.accounts.depositor.key(),
        amount,
        collateral_after: ctx.accounts.margin_account.load()?.collateral,
    });
    Ok(())
}
