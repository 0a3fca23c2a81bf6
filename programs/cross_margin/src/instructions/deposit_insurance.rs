use anchor_lang::prelude::*;
use anchor_spl::token::{self, Token, TokenAccount, Transfer};

use crate::constants::{EXCHANGE_SEED, VAULT_SEED};
use crate::error::ErrorCode;
use crate::events::InsuranceDeposited;
use crate::state::Exchange;

/// Anyone may top up the insurance fund; it pays bankrupt accounts' deficits first.
#[derive(Accounts)]
pub struct DepositInsurance<'info> {
    pub depositor: Signer<'info>,
    #[account(mut, seeds = [EXCHANGE_SEED], bump = exchange.bump)]
    pub exchange: Box<Account<'info, Exchange>>,
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

pub fn deposit_insurance(ctx: Context<DepositInsurance>, amount: u64) -> Result<()> {
    require!(amount > 0, ErrorCode::ZeroAmount);
    let exchange = &mut ctx.accounts.exchange;
    exchange.insurance_balance = exchange
        .insurance_balance
        .checked_add(amount)
        .ok_or_else(|| error!(ErrorCode::MathOverflow))?;
    let insurance_balance_after = exchange.insurance_balance;
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
    emit!(InsuranceDeposited {
        depositor: ctx.accounts.depositor.key(),
        amount,
        insurance_balance_after,
    });
    Ok(())
}
