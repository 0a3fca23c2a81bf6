use anchor_lang::prelude::*;

use crate::constants::{MARKET_SEED, MAX_TRIGGER_PREMIUM, TRIGGER_ORDERS_SEED};
use crate::error::ErrorCode;
use crate::events::TriggerOrderPlaced;
use crate::oracle::{read_oracle, OracleUse};
use crate::risk::{limit_on_right_side, trigger_reached, TriggerKind};
use crate::state::{MarginAccount, Market, SignerRole, TriggerOrder, TriggerOrders};

/// The order a trader places.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct TriggerOrderParams {
    pub kind: TriggerKind,
    pub trigger_price: i64,
    /// The worst price accepted: a long sells at or above it, a short buys at or below.
    pub limit_price: i64,
    /// Base to close; 0 = the whole position at execution.
    pub size: u64,
    pub expiry: i64,
    /// The executor's premium, ppm of notional (at most 1% and the market's band).
    pub premium: u32,
}

/// Places a stop-loss or take-profit on the account's position in `market_index` (owner or
/// delegate). The trigger must not be crossed already, the limit must accept the trigger price,
/// and the order may only reduce the position.
#[derive(Accounts)]
#[instruction(market_index: u16)]
pub struct PlaceTriggerOrder<'info> {
    pub authority: Signer<'info>,
    pub margin_account: AccountLoader<'info, MarginAccount>,
    #[account(
        mut,
        seeds = [TRIGGER_ORDERS_SEED, margin_account.key().as_ref()],
        bump = trigger_orders.load()?.bump
    )]
    pub trigger_orders: AccountLoader<'info, TriggerOrders>,
    #[account(seeds = [MARKET_SEED, &market_index.to_le_bytes()], bump = market.load()?.bump)]
    pub market: AccountLoader<'info, Market>,
    /// CHECK: `read_oracle` checks it is the market's oracle, its owner and its data.
    pub oracle: UncheckedAccount<'info>,
}

pub fn place_trigger_order(
    ctx: Context<PlaceTriggerOrder>,
    market_index: u16,
    params: TriggerOrderParams,
) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let account = ctx.accounts.margin_account.load()?;
    let role = account.require_trader(&ctx.accounts.authority.key())?;
    let market = ctx.accounts.market.load()?;
    require!(!market.is_settled(), ErrorCode::MarketSettled);
    let base = account
        .position(market_index)
        .map(|p| p.base)
        .ok_or_else(|| error!(ErrorCode::NoPositionInMarket))?;
    let long = base > 0;
    require!(
        params.size <= base.unsigned_abs(),
        ErrorCode::TriggerWouldGrowPosition
    );
    if params.size != 0 && params.size != base.unsigned_abs() {
        require!(
            params.size.is_multiple_of(market.base_lot_size),
            ErrorCode::SizeNotMultipleOfLot
        );
        require!(
            params.size >= market.min_position_base,
            ErrorCode::FillBelowMinimum
        );
    }
    require!(
        params.premium <= MAX_TRIGGER_PREMIUM && params.premium <= market.price_band,
        ErrorCode::TriggerPremiumTooHigh
    );
    require!(params.expiry > now, ErrorCode::TriggerInvalidExpiry);
    require!(
        params.trigger_price > 0
            && params.limit_price > 0
            && limit_on_right_side(long, params.trigger_price, params.limit_price),
        ErrorCode::TriggerLimitWrongSide
    );
    let oracle = read_oracle(&ctx.accounts.oracle, &market, now, OracleUse::Trading)?;
    require!(
        !trigger_reached(params.kind, long, params.trigger_price, oracle.price),
        ErrorCode::TriggerAlreadyCrossed
    );
    let by_delegate = role == SignerRole::Delegate;
    let mut flags = 0u8;
    if long {
        flags |= TriggerOrder::LONG;
    }
    if by_delegate {
        flags |= TriggerOrder::BY_DELEGATE;
    }
    let id = ctx
        .accounts
        .trigger_orders
        .load_mut()?
        .insert(TriggerOrder {
            id: 0,
            trigger_price: params.trigger_price,
            limit_price: params.limit_price,
            size: params.size,
            expiry: params.expiry,
            placed_at: now,
            premium: params.premium,
            market_index,
            kind: params.kind as u8,
            flags,
        })?;
    emit!(TriggerOrderPlaced {
        margin_account: ctx.accounts.margin_account.key(),
        order_id: id,
        market_index,
        kind: params.kind,
        trigger_price: params.trigger_price,
        limit_price: params.limit_price,
        size: params.size,
        expiry: params.expiry,
        premium: params.premium,
        by_delegate,
    });
    Ok(())
}
