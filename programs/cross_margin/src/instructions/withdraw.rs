use anchor_lang::prelude::*;
use anchor_spl::token::{self, Token, TokenAccount, Transfer};

use crate::constants::{EXCHANGE_SEED, MARGIN_ACCOUNT_SEED, VAULT_SEED};
use crate::error::ErrorCode;
use crate::events::Withdrawn;
use crate::health_accounts::{account_health, load_health_markets, settle_funding};
use crate::oracle::OracleUse;
use crate::risk::math::to_i64;
use crate::state::{Exchange, MarginAccount};
use crate::trading::refresh_liquidation_flag;

/// Pays collateral out of the vault. Owner only (a delegate may not withdraw). Funding is settled
/// first; the amount must not exceed settled collateral; afterwards the account must meet its
/// initial margin over all its positions.
///
/// Remaining accounts: one `(Market, oracle)` pair per open position, in position order.
#[derive(Accounts)]
#[instruction(sub_account_id: u16)]
pub struct Withdraw<'info> {
    pub owner: Signer<'info>,
    #[account(seeds = [EXCHANGE_SEED], bump = exchange.bump)]
    pub exchange: Box<Account<'info, Exchange>>,
    /// The owner's sub-account `sub_account_id`. A delegate signing here fails the seeds (it is
    /// not the owner) or, for its own key's account, `DelegateCannotWithdraw` is never reached:
    /// the account is derived from the signer.
    #[account(
        mut,
        seeds = [MARGIN_ACCOUNT_SEED, owner.key().as_ref(), &sub_account_id.to_le_bytes()],
        bump = margin_account.load()?.bump
    )]
    pub margin_account: AccountLoader<'info, MarginAccount>,
    /// CHECK: the exchange's vault (its PDA); the token program checks the rest.
    #[account(mut, seeds = [VAULT_SEED, exchange.key().as_ref()], bump = exchange.vault_bump)]
    pub vault: UncheckedAccount<'info>,
    #[account(
        mut,
        constraint = destination.key() != exchange.vault @ ErrorCode::WithdrawToVault,
        constraint = destination.mint == exchange.collateral_mint @ ErrorCode::InvalidCollateralMint
    )]
    pub destination: Box<Account<'info, TokenAccount>>,
    pub token_program: Program<'info, Token>,
}

pub fn withdraw(ctx: Context<Withdraw>, _sub_account_id: u16, amount: u64) -> Result<()> {
    let required = {
        let account = ctx.accounts.margin_account.load()?;
        account.require_owner_for_withdraw(&ctx.accounts.owner.key())?;
        require!(amount > 0, ErrorCode::ZeroAmount);
        account.position_market_indices()
    };
    let now = Clock::get()?.unix_timestamp;
    let markets = load_health_markets(ctx.remaining_accounts, &required, now, OracleUse::Trading)?;

    let (funding_settled, collateral_after, free_after) = {
        let mut account = ctx.accounts.margin_account.load_mut()?;
        let funding_settled = settle_funding(&mut account, &markets)?;
        // No withdrawal while a liquidation is in progress: the flag is refreshed first, so an
        // account whose equity is back above the buffer (after a deposit, say) may withdraw.
        let before = account_health(&account, &markets)?;
        require!(
            !refresh_liquidation_flag(
                &mut account,
                &before,
                ctx.accounts.exchange.liquidation_buffer
            )?,
            ErrorCode::AccountBeingLiquidated
        );
        require!(
            amount as i128 <= account.collateral as i128,
            ErrorCode::InsufficientCollateral
        );
        account.add_collateral(-to_i64(amount as i128)?)?;
        account.total_withdrawals = account
            .total_withdrawals
            .checked_add(amount)
            .ok_or_else(|| error!(ErrorCode::MathOverflow))?;
        let health = account_health(&account, &markets)?;
        require!(health.meets_initial(), ErrorCode::InitialMarginViolated);
        (
            funding_settled,
            account.collateral,
            to_i64(health.free_collateral())?,
        )
    };

    let bump = [ctx.accounts.exchange.bump];
    let seeds: &[&[u8]] = &[EXCHANGE_SEED, &bump];
    token::transfer(
        CpiContext::new_with_signer(
            ctx.accounts.token_program.to_account_info(),
            Transfer {
                from: ctx.accounts.vault.to_account_info(),
                to: ctx.accounts.destination.to_account_info(),
                authority: ctx.accounts.exchange.to_account_info(),
            },
            &[seeds],
        ),
        amount,
    )?;
    emit!(Withdrawn {
        margin_account: ctx.accounts.margin_account.key(),
        owner: ctx.accounts.owner.key(),
        destination: ctx.accounts.destination.key(),
        amount,
        funding_settled,
        collateral_after,
        free_collateral_after: free_after,
    });
    Ok(())
}
