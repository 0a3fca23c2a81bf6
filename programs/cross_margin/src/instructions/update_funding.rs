use anchor_lang::prelude::*;

use crate::constants::EXCHANGE_SEED;
use crate::error::ErrorCode;
use crate::events::FundingUpdated;
use crate::oracle::{read_oracle, OracleUse};
use crate::risk::compute_funding;
use crate::state::{Exchange, Market};

/// Permissionless funding crank, at most once per funding period. The premium of the period's
/// mark TWAP over its oracle TWAP (clamped) moves both indices by
/// `premium * oracle_twap * elapsed / 1 day`; the period's trading fees move to insurance.
#[derive(Accounts)]
#[instruction(market_index: u16)]
pub struct UpdateFunding<'info> {
    #[account(mut, seeds = [EXCHANGE_SEED], bump = exchange.bump)]
    pub exchange: Box<Account<'info, Exchange>>,
    #[account(
        mut,
        constraint = market.load()?.market_index == market_index @ ErrorCode::MarketIndexMismatch
    )]
    pub market: AccountLoader<'info, Market>,
    /// CHECK: `read_oracle` checks it is the market's oracle, its owner and its data.
    pub oracle: UncheckedAccount<'info>,
}

pub fn handler(ctx: Context<UpdateFunding>, market_index: u16) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let mut market = ctx.accounts.market.load_mut()?;
    let elapsed = now.saturating_sub(market.last_funding_ts);
    require!(
        elapsed >= market.funding_period_secs as i64,
        ErrorCode::FundingNotDue
    );
    let oracle = read_oracle(&ctx.accounts.oracle, &market, now, OracleUse::Trading)?;
    market.record_oracle(&oracle, now)?;

    let f = compute_funding(
        market.twap.mark_sum,
        market.twap.oracle_sum,
        elapsed,
        market.max_funding_premium,
    )?;
    market.cumulative_funding_long = market
        .cumulative_funding_long
        .checked_add(f.index_delta)
        .ok_or_else(|| error!(ErrorCode::MathOverflow))?;
    market.cumulative_funding_short = market
        .cumulative_funding_short
        .checked_add(f.index_delta)
        .ok_or_else(|| error!(ErrorCode::MathOverflow))?;
    market.mark_twap = f.mark_twap;
    market.oracle_twap = f.oracle_twap;
    market.last_funding_rate = f.premium;
    market.last_funding_ts = now;
    market.twap.reset(now);

    let fees = market.insurance_fees_pending;
    market.insurance_fees_pending = 0;
    let exchange = &mut ctx.accounts.exchange;
    exchange.insurance_balance = exchange
        .insurance_balance
        .checked_add(fees)
        .ok_or_else(|| error!(ErrorCode::MathOverflow))?;

    emit!(FundingUpdated {
        market_index,
        mark_twap: f.mark_twap,
        oracle_twap: f.oracle_twap,
        premium: f.premium,
        elapsed,
        index_delta: f.index_delta,
        cumulative_funding_long: market.cumulative_funding_long,
        cumulative_funding_short: market.cumulative_funding_short,
        fees_to_insurance: fees,
    });
    Ok(())
}
