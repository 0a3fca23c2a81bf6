use anchor_lang::prelude::*;

use crate::constants::EXCHANGE_SEED;
use crate::error::ErrorCode;
use crate::events::MarketStatusChanged;
use crate::state::{Exchange, Market, MarketStatus};

/// Active, reduce-only or paused.
#[derive(Accounts)]
pub struct SetMarketStatus<'info> {
    pub admin: Signer<'info>,
    #[account(seeds = [EXCHANGE_SEED], bump = exchange.bump, has_one = admin @ ErrorCode::NotAdmin)]
    pub exchange: Box<Account<'info, Exchange>>,
    #[account(mut)]
    pub market: AccountLoader<'info, Market>,
}

pub fn handler(ctx: Context<SetMarketStatus>, status: u8) -> Result<()> {
    let new = MarketStatus::from_u8(status)?;
    let mut market = ctx.accounts.market.load_mut()?;
    let old_status = market.status;
    market.status = new as u8;
    emit!(MarketStatusChanged {
        market_index: market.market_index,
        old_status,
        new_status: new as u8,
    });
    Ok(())
}
