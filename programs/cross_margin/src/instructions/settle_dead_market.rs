use anchor_lang::prelude::*;

use crate::constants::MARKET_SEED;
use crate::error::ErrorCode;
use crate::events::MarketSettled;
use crate::oracle::oracle_is_dead;
use crate::risk::compute_funding;
use crate::state::{Market, MarketStatus};

/// Permissionless: retires a market whose oracle is dead (nothing valid recorded and nothing
/// published for `ORACLE_DEAD_AFTER_SECS`, or the account gone) at the last valid price the
/// program recorded. The same settlement runs through the timelock (`SettleMarket`).
#[derive(Accounts)]
#[instruction(market_index: u16)]
pub struct SettleDeadMarket<'info> {
    #[account(mut, seeds = [MARKET_SEED, &market_index.to_le_bytes()], bump = market.load()?.bump)]
    pub market: AccountLoader<'info, Market>,
    /// CHECK: must be the market's oracle (by key); read to see whether it is dead.
    pub oracle: UncheckedAccount<'info>,
}

pub fn settle_dead_market(ctx: Context<SettleDeadMarket>, _market_index: u16) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let mut market = ctx.accounts.market.load_mut()?;
    require!(!market.is_settled(), ErrorCode::MarketSettled);
    require!(
        oracle_is_dead(&ctx.accounts.oracle, &market, now)?,
        ErrorCode::OracleStillAlive
    );
    settle_market(&mut market, now, false)
}

/// Moves `market` to settlement at its last recorded valid oracle price: funding is settled up to
/// `now` (the period's last premium applied), then the indices stop.
pub fn settle_market(market: &mut Market, now: i64, by_timelock: bool) -> Result<()> {
    require!(!market.is_settled(), ErrorCode::MarketSettled);
    market.funding.accumulate(now)?;
    let f = compute_funding(&market.funding_inputs(now)?)?;
    market.cumulative_funding_long = market
        .cumulative_funding_long
        .checked_add(f.index_delta)
        .ok_or_else(|| error!(ErrorCode::MathOverflow))?;
    market.cumulative_funding_short = market
        .cumulative_funding_short
        .checked_add(f.index_delta)
        .ok_or_else(|| error!(ErrorCode::MathOverflow))?;
    market.last_funding_rate = f.premium;
    market.last_funding_ts = now;
    market.funding.reset(now);
    market.settlement_price = market.last_oracle_price();
    market.settled_at = now;
    market.status = MarketStatus::Settled as u8;
    market.status_expires_at = 0;
    emit!(MarketSettled {
        market_index: market.market_index,
        settlement_price: market.settlement_price,
        settled_at: now,
        by_timelock,
        final_index_delta: f.index_delta,
        open_interest: market.open_interest_long,
    });
    Ok(())
}
