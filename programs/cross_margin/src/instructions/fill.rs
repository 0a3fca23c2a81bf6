use anchor_lang::prelude::*;

use crate::constants::EXCHANGE_SEED;
use crate::error::ErrorCode;
use crate::events::Filled;
use crate::health::{load_trade_markets, union_market_order};
use crate::oracle::OracleUse;
use crate::risk::math::to_i64;
use crate::risk::{grows_risk, trade_fee};
use crate::state::{Exchange, MarginAccount, Market, MarketStatus};
use crate::trading::{apply_side, check_margin, refresh_liquidation_flag, update_open_interest};

/// A two-party fill (request for quote): the taker trades `taker_base_delta` (positive = buys)
/// with the maker at `price`; both sign (each the owner or the delegate of its account).
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
        constraint = market.load()?.market_index == market_index @ ErrorCode::MarketIndexMismatch
    )]
    pub market: AccountLoader<'info, Market>,
    /// CHECK: `read_oracle` checks it is the market's oracle, its owner and its data.
    pub oracle: UncheckedAccount<'info>,
    #[account(mut, constraint = taker.key() != maker.key() @ ErrorCode::SelfTrade)]
    pub taker: AccountLoader<'info, MarginAccount>,
    #[account(mut)]
    pub maker: AccountLoader<'info, MarginAccount>,
}

pub fn handler<'info>(
    ctx: Context<'_, '_, 'info, 'info, Fill<'info>>,
    market_index: u16,
    taker_base_delta: i64,
    price: i64,
) -> Result<()> {
    let order = {
        let taker = ctx.accounts.taker.load()?;
        let maker = ctx.accounts.maker.load()?;
        require!(
            taker.is_trader(&ctx.accounts.taker_authority.key()),
            ErrorCode::NotOwnerOrDelegate
        );
        require!(
            maker.is_trader(&ctx.accounts.maker_authority.key()),
            ErrorCode::NotOwnerOrDelegate
        );
        union_market_order(
            &taker.position_market_indices(),
            &maker.position_market_indices(),
            Some(market_index),
        )
    };
    require!(taker_base_delta != 0, ErrorCode::InvalidFillSize);
    let now = Clock::get()?.unix_timestamp;

    let mut market = ctx.accounts.market.load_mut()?;
    let status = market.status()?;
    require!(status != MarketStatus::Paused, ErrorCode::MarketPaused);
    let size = taker_base_delta.unsigned_abs();
    require!(
        size.is_multiple_of(market.base_lot_size),
        ErrorCode::SizeNotMultipleOfLot
    );

    let (oracle, markets) = load_trade_markets(
        &mut market,
        &ctx.accounts.oracle,
        ctx.remaining_accounts,
        &order,
        now,
        OracleUse::Trading,
    )?;
    let deviation =
        (price as i128 - oracle.price as i128).abs() * crate::constants::RATIO_PRECISION;
    require!(
        price > 0 && deviation <= oracle.price as i128 * market.price_band as i128,
        ErrorCode::PriceOutsideBand
    );

    let mut taker = ctx.accounts.taker.load_mut()?;
    let mut maker = ctx.accounts.maker.load_mut()?;
    let taker_fee = trade_fee(taker_base_delta, price, market.taker_fee as i64)?;
    let maker_fee = trade_fee(taker_base_delta, price, market.maker_fee as i64)?;
    let t = apply_side(
        &mut taker,
        &market,
        &markets,
        taker_base_delta,
        price,
        taker_fee,
    )?;
    let m = apply_side(
        &mut maker,
        &market,
        &markets,
        -taker_base_delta,
        price,
        maker_fee,
    )?;

    require!(
        size >= market.min_position_base || t.new_base == 0 || m.new_base == 0,
        ErrorCode::FillBelowMinimum
    );
    if status == MarketStatus::ReduceOnly {
        require!(
            !grows_risk(t.old_base, t.new_base) && !grows_risk(m.old_base, m.new_base),
            ErrorCode::MarketReduceOnly
        );
    }

    update_open_interest(&mut market, &t, &m, true)?;

    // A flagged account whose equity is back above the buffer is no longer being liquidated;
    // one that still is may only reduce risk.
    let buffer = ctx.accounts.exchange.liquidation_buffer;
    let taker_flagged = refresh_liquidation_flag(&mut taker, &t.before, buffer)?;
    let maker_flagged = refresh_liquidation_flag(&mut maker, &m.before, buffer)?;
    check_margin(&t, taker_flagged)?;
    check_margin(&m, maker_flagged)?;
    refresh_liquidation_flag(&mut taker, &t.after, buffer)?;
    refresh_liquidation_flag(&mut maker, &m.after, buffer)?;

    // Fees go to the insurance fund at the next funding update (see `Market::insurance_fees_pending`).
    let net_fee = to_i64(t.fee as i128 + m.fee as i128)?;
    require!(net_fee >= 0, ErrorCode::MathOverflow);
    market.insurance_fees_pending = market
        .insurance_fees_pending
        .checked_add(net_fee as u64)
        .ok_or_else(|| error!(ErrorCode::MathOverflow))?;
    market.twap.record_fill(price, now)?;

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
    });
    Ok(())
}
