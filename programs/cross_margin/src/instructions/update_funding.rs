use anchor_lang::prelude::*;

use crate::constants::{EXCHANGE_SEED, MARKET_SEED};
use crate::error::ErrorCode;
use crate::events::FundingUpdated;
use crate::oracle::{read_oracle, OracleUse};
use crate::risk::compute_funding;
use crate::state::{Exchange, Market};

/// Permissionless funding crank, at most once per funding period. The period's fills set the
/// premium (`risk::funding`: notional-weighted, diluted by open interest, clamped), which moves
/// both indices by `premium * oracle_twap * elapsed / 1 day`; the period's insurance fees move to
/// the exchange. A settled market only sweeps its fees (no oracle needed, no index change).
#[derive(Accounts)]
#[instruction(market_index: u16)]
pub struct UpdateFunding<'info> {
    #[account(mut, seeds = [EXCHANGE_SEED], bump = exchange.bump)]
    pub exchange: Box<Account<'info, Exchange>>,
    #[account(
        mut,
        seeds = [MARKET_SEED, &market_index.to_le_bytes()],
        bump = market.load()?.bump
    )]
    pub market: AccountLoader<'info, Market>,
    /// CHECK: `read_oracle` checks it is the market's oracle, its owner and its data.
    pub oracle: UncheckedAccount<'info>,
}

pub fn update_funding(ctx: Context<UpdateFunding>, market_index: u16) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let mut market = ctx.accounts.market.load_mut()?;
    let elapsed = now.saturating_sub(market.last_funding_ts);
    require!(
        elapsed >= market.funding_period_secs as i64,
        ErrorCode::FundingNotDue
    );
    let f = if market.is_settled() {
        Default::default()
    } else {
        let oracle = read_oracle(&ctx.accounts.oracle, &market, now, OracleUse::Trading)?;
        market.record_oracle(&oracle, now)?;
        compute_funding(&market.funding_inputs(now)?)?
    };
    let fill_notional = market.funding.fill_notional;
    market.cumulative_funding_long = market
        .cumulative_funding_long
        .checked_add(f.index_delta)
        .ok_or_else(|| error!(ErrorCode::MathOverflow))?;
    market.cumulative_funding_short = market
        .cumulative_funding_short
        .checked_add(f.index_delta)
        .ok_or_else(|| error!(ErrorCode::MathOverflow))?;
    if !market.is_settled() {
        market.mark_twap = f.mark_twap;
        market.oracle_twap = f.oracle_twap;
        market.last_funding_rate = f.premium;
    }
    market.last_funding_ts = now;
    market.funding.reset(now);

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
        fill_notional,
        premium_weight: f.premium_weight,
        open_interest: market.open_interest_long,
    });
    Ok(())
}
