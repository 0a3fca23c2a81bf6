use anchor_lang::prelude::*;

use crate::constants::{EXCHANGE_SEED, MARKET_SEED, MAX_PROTECTIVE_STATUS_SECS};
use crate::error::ErrorCode;
use crate::events::MarketStatusChanged;
use crate::state::{Exchange, Market, MarketStatus};

/// The immediate, protective power: the admin or the guardian pauses a market or makes it
/// reduce-only for `duration_secs` (at most `MAX_PROTECTIVE_STATUS_SECS`; renewable), or lifts
/// the status early (`Active`). Settlement goes through the timelock or `settle_dead_market`.
#[derive(Accounts)]
#[instruction(market_index: u16)]
pub struct SetMarketStatus<'info> {
    pub authority: Signer<'info>,
    #[account(
        seeds = [EXCHANGE_SEED],
        bump = exchange.bump,
        constraint = exchange.is_admin_or_guardian(&authority.key()) @ ErrorCode::NotAdminOrGuardian
    )]
    pub exchange: Box<Account<'info, Exchange>>,
    #[account(mut, seeds = [MARKET_SEED, &market_index.to_le_bytes()], bump = market.load()?.bump)]
    pub market: AccountLoader<'info, Market>,
}

pub fn set_market_status(
    ctx: Context<SetMarketStatus>,
    market_index: u16,
    status: MarketStatus,
    duration_secs: u32,
) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let mut market = ctx.accounts.market.load_mut()?;
    require!(!market.is_settled(), ErrorCode::MarketSettled);
    let old_status = market.effective_status(now)?;
    let expires_at = match status {
        MarketStatus::Active => 0,
        MarketStatus::Paused | MarketStatus::ReduceOnly => {
            require!(
                duration_secs > 0 && duration_secs <= MAX_PROTECTIVE_STATUS_SECS,
                ErrorCode::ProtectiveDurationOutOfBounds
            );
            now + duration_secs as i64
        }
        MarketStatus::Settled => return err!(ErrorCode::InvalidMarketStatus),
    };
    market.status = status as u8;
    market.status_expires_at = expires_at;
    emit!(MarketStatusChanged {
        market_index,
        old_status,
        new_status: status,
        expires_at,
        by: ctx.accounts.authority.key(),
    });
    Ok(())
}
