use anchor_lang::prelude::*;

use crate::constants::{EXCHANGE_SEED, MARKET_SEED, RATIO_PRECISION};
use crate::error::ErrorCode;
use crate::events::Filled;
use crate::health_accounts::{load_trade_markets, union_market_order};
use crate::oracle::OracleUse;
use crate::risk::trade_fee;
use crate::state::{Exchange, MarginAccount, Market, MarketStatus, SignerRole};
use crate::trading::TwoPartyTrade;

/// A two-party fill (request for quote): the taker trades `taker_base_delta` (positive = buys)
/// with the maker at `price`; both sign (each the owner or the delegate of its account; a
/// delegate within the limits its owner set).
///
/// Remaining accounts: `(Market, oracle)` pairs for the union of both accounts' markets (the
/// taker's in position order, then the maker's new ones) *without* the traded market, which is
/// named.
#[derive(Accounts)]
#[instruction(market_index: u16)]
pub struct Fill<'info> {
    pub taker_authority: Signer<'info>,
    pub maker_authority: Signer<'info>,
    /// Read only (for the liquidation buffer): fills never write-lock the exchange.
    #[account(seeds = [EXCHANGE_SEED], bump = exchange.bump)]
    pub exchange: Box<Account<'info, Exchange>>,
    #[account(
        mut,
        seeds = [MARKET_SEED, &market_index.to_le_bytes()],
        bump = market.load()?.bump
    )]
    pub market: AccountLoader<'info, Market>,
    /// CHECK: `read_oracle` checks it is the market's oracle, its owner and its data.
    pub oracle: UncheckedAccount<'info>,
    #[account(mut, constraint = taker.key() != maker.key() @ ErrorCode::SelfTrade)]
    pub taker: AccountLoader<'info, MarginAccount>,
    #[account(mut)]
    pub maker: AccountLoader<'info, MarginAccount>,
}

pub fn fill<'info>(
    ctx: Context<'_, '_, 'info, 'info, Fill<'info>>,
    market_index: u16,
    taker_base_delta: i64,
    price: i64,
) -> Result<()> {
    let (order, taker_role, maker_role) = {
        let taker = ctx.accounts.taker.load()?;
        let maker = ctx.accounts.maker.load()?;
        let taker_role = taker.require_trader(&ctx.accounts.taker_authority.key())?;
        let maker_role = maker.require_trader(&ctx.accounts.maker_authority.key())?;
        let order = union_market_order(
            &taker.position_market_indices(),
            &maker.position_market_indices(),
            Some(market_index),
        );
        (order, taker_role, maker_role)
    };
    // i64::MIN has no opposite: the maker's side could not be written.
    require!(
        taker_base_delta != 0 && taker_base_delta != i64::MIN,
        ErrorCode::InvalidFillSize
    );
    let now = Clock::get()?.unix_timestamp;

    let mut market = ctx.accounts.market.load_mut()?;
    let status = market.effective_status(now)?;
    require!(status != MarketStatus::Settled, ErrorCode::MarketSettled);
    require!(status != MarketStatus::Paused, ErrorCode::MarketPaused);

    let (named, markets) = load_trade_markets(
        &mut market,
        &ctx.accounts.oracle,
        ctx.remaining_accounts,
        &order,
        now,
        OracleUse::Trading,
    )?;
    let oracle = named.price;
    let deviation = (price as i128 - oracle.price as i128).abs() * RATIO_PRECISION;
    require!(
        price > 0 && deviation <= oracle.price as i128 * market.price_band as i128,
        ErrorCode::PriceOutsideBand
    );

    let mut taker = ctx.accounts.taker.load_mut()?;
    let mut maker = ctx.accounts.maker.load_mut()?;
    let fee_a = trade_fee(taker_base_delta, price, market.taker_fee as i64)?;
    let fee_b = trade_fee(taker_base_delta, price, market.maker_fee as i64)?;
    let max_premium = market.max_funding_premium;
    let (t, m) = TwoPartyTrade {
        market: &mut market,
        markets: &markets,
        base_delta: taker_base_delta,
        price,
        oracle_price: oracle.price,
        fee_a,
        fee_b,
        status,
        buffer: ctx.accounts.exchange.liquidation_buffer,
        now,
        b_takes_any_size: false,
    }
    .execute(&mut taker, taker_role, &mut maker, maker_role)?;

    // The fill's weight in this period's funding premium (`risk::funding`).
    market.funding.record_fill(
        taker_base_delta.unsigned_abs(),
        price,
        oracle.price,
        max_premium,
    )?;

    emit!(Filled {
        market_index,
        taker: ctx.accounts.taker.key(),
        maker: ctx.accounts.maker.key(),
        taker_base_delta,
        price,
        oracle_price: oracle.price,
        taker_fee: t.fee,
        maker_fee: m.fee,
        taker_realized_pnl: t.realized,
        maker_realized_pnl: m.realized,
        taker_base_after: t.new_base,
        maker_base_after: m.new_base,
        open_interest_after: market.open_interest_long,
        taker_by_delegate: taker_role == SignerRole::Delegate,
        maker_by_delegate: maker_role == SignerRole::Delegate,
    });
    Ok(())
}
