use anchor_lang::prelude::*;

use crate::constants::{EXCHANGE_SEED, MARKET_SEED};
use crate::error::ErrorCode;
use crate::events::MarketAdded;
use crate::oracle::parse_oracle_account;
use crate::state::{validate_symbol, Exchange, Market, MarketParams, MarketStatus, OracleSource};

/// Lists a perpetual at index `exchange.market_count`.
#[derive(Accounts)]
pub struct AddMarket<'info> {
    #[account(mut)]
    pub admin: Signer<'info>,
    #[account(
        mut,
        seeds = [EXCHANGE_SEED],
        bump = exchange.bump,
        has_one = admin @ ErrorCode::NotAdmin
    )]
    pub exchange: Box<Account<'info, Exchange>>,
    #[account(
        init,
        payer = admin,
        space = Market::SPACE,
        seeds = [MARKET_SEED, &exchange.market_count.to_le_bytes()],
        bump
    )]
    pub market: AccountLoader<'info, Market>,
    /// CHECK: owner and format are checked by `parse_oracle_account` for the given source.
    pub oracle: UncheckedAccount<'info>,
    pub system_program: Program<'info, System>,
}

pub fn handler(
    ctx: Context<AddMarket>,
    symbol: [u8; 16],
    oracle_source: u8,
    pyth_feed_id: [u8; 32],
    params: MarketParams,
) -> Result<()> {
    validate_symbol(&symbol)?;
    params.validate()?;
    let source = OracleSource::from_u8(oracle_source)?;
    // The oracle must be a readable Pyth account of the declared kind (freshness is checked
    // at every use, not here).
    let price = parse_oracle_account(&ctx.accounts.oracle, source, &pyth_feed_id)?;
    let now = Clock::get()?.unix_timestamp;

    let exchange = &mut ctx.accounts.exchange;
    let market_index = exchange.market_count;
    let mut market = ctx.accounts.market.load_init()?;
    market.oracle = ctx.accounts.oracle.key();
    market.pyth_feed_id = pyth_feed_id;
    market.symbol = symbol;
    market.set_params(&params);
    market.market_index = market_index;
    market.oracle_source = source as u8;
    market.status = MarketStatus::Active as u8;
    market.bump = ctx.bumps.market;
    market.last_oracle_publish_time = price.publish_time;
    market.mark_twap = price.price;
    market.oracle_twap = price.price;
    market.twap.reset(now);
    market.twap.last_oracle_price = price.price;
    market.last_funding_ts = now;

    exchange.market_count = market_index
        .checked_add(1)
        .ok_or_else(|| error!(ErrorCode::MathOverflow))?;
    emit!(MarketAdded {
        market_index,
        symbol,
        oracle: market.oracle,
        oracle_source,
        pyth_feed_id,
        params,
    });
    Ok(())
}
