use anchor_lang::prelude::*;

use crate::error::ErrorCode;
use crate::events::Filled;
use crate::health::{
    account_health, load_health_markets, settle_position_funding, union_market_order, MarketView,
};
use crate::oracle::{read_oracle, OracleUse};
use crate::risk::math::to_i64;
use crate::risk::{apply_trade, grows_risk, open_interest_delta, trade_fee, trade_quote, Health};
use crate::state::{MarginAccount, Market, MarketStatus, Position};

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

/// What a fill did to one account.
struct Side {
    old_base: i64,
    new_base: i64,
    realized: i64,
    fee: i64,
    before: Health,
    after: Health,
}

/// Settles the traded position's funding, applies the trade and the fee, and measures health
/// before and after.
fn apply_side(
    account: &mut MarginAccount,
    market: &Market,
    markets: &[MarketView],
    base_delta: i64,
    price: i64,
    fee_ppm: i64,
) -> Result<Side> {
    let view = markets
        .iter()
        .find(|m| m.market_index == market.market_index)
        .ok_or(error!(ErrorCode::HealthAccountMissing))?;
    settle_position_funding(account, view)?;
    let before = account_health(account, markets)?;

    let pos = account.position_or_free_slot(market.market_index)?;
    let old_base = pos.base;
    let r = apply_trade(
        pos.base,
        pos.quote,
        base_delta,
        trade_quote(base_delta, price)?,
    )?;
    if r.base == 0 {
        *pos = Position::default();
    } else {
        pos.base = r.base;
        pos.quote = r.quote;
        // after a flip the position settles against the other side's index
        pos.funding_snapshot = market.funding_index(r.base);
    }
    require!(
        r.base == 0 || r.base.unsigned_abs() >= market.min_position_base,
        ErrorCode::PositionBelowMinimum
    );

    let fee = trade_fee(base_delta, price, fee_ppm)?;
    account.add_collateral(
        r.realized_pnl
            .checked_sub(fee)
            .ok_or(error!(ErrorCode::MathOverflow))?,
    )?;
    account.total_realized_pnl = account
        .total_realized_pnl
        .checked_add(r.realized_pnl)
        .ok_or(error!(ErrorCode::MathOverflow))?;
    account.total_fees_paid = account
        .total_fees_paid
        .checked_add(fee.max(0) as u64)
        .ok_or(error!(ErrorCode::MathOverflow))?;
    let after = account_health(account, markets)?;
    Ok(Side {
        old_base,
        new_base: r.base,
        realized: r.realized_pnl,
        fee,
        before,
        after,
    })
}

/// Growing risk needs initial margin (and no liquidation in progress); a pure reduction must
/// leave the account above maintenance or at least not lower `E - MM`.
fn check_margin(side: &Side, being_liquidated: bool) -> Result<()> {
    if grows_risk(side.old_base, side.new_base) {
        require!(!being_liquidated, ErrorCode::AccountBeingLiquidated);
        require!(side.after.meets_initial(), ErrorCode::InitialMarginViolated);
    } else {
        require!(
            !side.after.liquidatable()
                || side.after.maintenance_health() >= side.before.maintenance_health(),
            ErrorCode::MaintenanceMarginViolated
        );
    }
    Ok(())
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

    let oracle = read_oracle(&ctx.accounts.oracle, &market, now, OracleUse::Trading)?;
    market.record_oracle(&oracle, now)?;
    let deviation =
        (price as i128 - oracle.price as i128).abs() * crate::constants::RATIO_PRECISION;
    require!(
        price > 0 && deviation <= oracle.price as i128 * market.price_band as i128,
        ErrorCode::PriceOutsideBand
    );

    let mut markets = load_health_markets(ctx.remaining_accounts, &order, now, OracleUse::Trading)?;
    markets.push(MarketView::new(&market, oracle));

    let mut taker = ctx.accounts.taker.load_mut()?;
    let mut maker = ctx.accounts.maker.load_mut()?;
    let t = apply_side(
        &mut taker,
        &market,
        &markets,
        taker_base_delta,
        price,
        market.taker_fee as i64,
    )?;
    let m = apply_side(
        &mut maker,
        &market,
        &markets,
        -taker_base_delta,
        price,
        market.maker_fee as i64,
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

    // Open interest: both sides' changes; the cap binds only when open interest grows.
    let (tl, ts) = open_interest_delta(t.old_base, t.new_base);
    let (ml, ms) = open_interest_delta(m.old_base, m.new_base);
    let oi_long = market.open_interest_long as i128 + tl + ml;
    let oi_short = market.open_interest_short as i128 + ts + ms;
    require!(oi_long == oi_short && oi_long >= 0, ErrorCode::MathOverflow);
    require!(
        oi_long <= market.open_interest_cap as i128 || oi_long <= market.open_interest_long as i128,
        ErrorCode::OpenInterestCapExceeded
    );
    market.open_interest_long = oi_long as u64;
    market.open_interest_short = oi_short as u64;

    check_margin(&t, taker.being_liquidated != 0)?;
    check_margin(&m, maker.being_liquidated != 0)?;

    // Fees go to the insurance fund at the next funding update (see `Market::insurance_fees_pending`).
    let net_fee = to_i64(t.fee as i128 + m.fee as i128)?;
    require!(net_fee >= 0, ErrorCode::MathOverflow);
    market.insurance_fees_pending = market
        .insurance_fees_pending
        .checked_add(net_fee as u64)
        .ok_or(error!(ErrorCode::MathOverflow))?;
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
