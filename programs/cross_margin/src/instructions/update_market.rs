use anchor_lang::prelude::*;

use crate::constants::EXCHANGE_SEED;
use crate::error::ErrorCode;
use crate::events::MarketParamsUpdated;
use crate::state::{Exchange, Market, MarketParams};

/// Changes a market's risk parameters, within the same hard bounds as listing.
#[derive(Accounts)]
pub struct UpdateMarket<'info> {
    pub admin: Signer<'info>,
    #[account(seeds = [EXCHANGE_SEED], bump = exchange.bump, has_one = admin @ ErrorCode::NotAdmin)]
    pub exchange: Box<Account<'info, Exchange>>,
    #[account(mut)]
    pub market: AccountLoader<'info, Market>,
}

pub fn handler(ctx: Context<UpdateMarket>, params: MarketParams) -> Result<()> {
    params.validate()?;
    let mut market = ctx.accounts.market.load_mut()?;
    let old = market.params();
    market.set_params(&params);
    emit!(MarketParamsUpdated {
        market_index: market.market_index,
        old,
        new: params,
    });
    Ok(())
}
