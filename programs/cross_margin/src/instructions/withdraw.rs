use anchor_lang::prelude::*;
use anchor_spl::token::{self, Token, TokenAccount, Transfer};

use crate::constants::EXCHANGE_SEED;
use crate::error::ErrorCode;
use crate::events::Withdrawn;
use crate::health::{account_health, load_health_markets, settle_funding};
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
pub struct Withdraw<'info> {
    pub owner: Signer<'info>,
    #[account(seeds = [EXCHANGE_SEED], bump = exchange.bump)]
    pub exchange: Box<Account<'info, Exchange>>,
    #[account(mut)]
    pub margin_account: AccountLoader<'info, MarginAccount>,
    /// CHECK: must be the exchange's vault; the token program checks the rest.
    #[account(mut, address = exchange.vault @ ErrorCode::InvalidVault)]
    pub vault: UncheckedAccount<'info>,
    #[account(
        mut,
        constraint = destination.mint == exchange.collateral_mint @ ErrorCode::InvalidCollateralMint
    )]
    pub destination: Box<Account<'info, TokenAccount>>,
    pub token_program: Program<'info, Token>,
}

pub fn handler(ctx: Context<Withdraw>, amount: u64) -> Result<()> {
    let required = {
        let account = ctx.accounts.margin_account.load()?;
        account.require_owner_for_withdraw(&ctx.accounts.owner.key())?;
        require!(amount > 0, ErrorCode::ZeroAmount);
        require!(
            account.being_liquidated == 0,
            ErrorCode::AccountBeingLiquidated
        );
        account.position_market_indices()
    };
    let now = Clock::get()?.unix_timestamp;
    let markets = load_health_markets(ctx.remaining_accounts, &required, now, OracleUse::Trading)?;

    let (funding_settled, collateral_after, free_after) = {
        let mut account = ctx.accounts.margin_account.load_mut()?;
        let funding_settled = settle_funding(&mut account, &markets)?;
        // No withdrawal while a liquidation is in progress, unless equity is back above the buffer.
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
