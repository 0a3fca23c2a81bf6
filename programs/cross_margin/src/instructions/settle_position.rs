use anchor_lang::prelude::*;

use crate::bankruptcy::{require_writable_exchange, resolve_bankruptcy};
use crate::constants::{EXCHANGE_SEED, MARKET_SEED};
use crate::error::ErrorCode;
use crate::events::PositionSettled;
use crate::health_accounts::settle_position_funding;
use crate::risk::{apply_trade, open_interest_delta, trade_quote};
use crate::state::{Exchange, MarginAccount, Market, Position};

/// Permissionless: closes an account's position in a settled market at the settlement price
/// (funding settled first, up to the settlement). Pass the exchange writable when this is the
/// account's last position: if it leaves negative collateral, the bankruptcy is resolved here
/// (insurance, then the market's remaining open interest, which pays when it settles).
#[derive(Accounts)]
#[instruction(market_index: u16)]
pub struct SettlePosition<'info> {
    /// Written only when this settlement resolves a bankruptcy.
    #[account(seeds = [EXCHANGE_SEED], bump = exchange.bump)]
    pub exchange: Box<Account<'info, Exchange>>,
    #[account(mut, seeds = [MARKET_SEED, &market_index.to_le_bytes()], bump = market.load()?.bump)]
    pub market: AccountLoader<'info, Market>,
    #[account(mut)]
    pub margin_account: AccountLoader<'info, MarginAccount>,
}

pub fn settle_position(ctx: Context<SettlePosition>, market_index: u16) -> Result<()> {
    let mut market = ctx.accounts.market.load_mut()?;
    require!(market.is_settled(), ErrorCode::MarketNotSettled);
    let mut account = ctx.accounts.margin_account.load_mut()?;
    let view = market.settled_view();
    let funding_settled = settle_position_funding(&mut account, &view)?;
    let oi_before = market.open_interest_both();
    let price = market.settlement_price;
    let pos = account
        .position_mut(market_index)
        .ok_or_else(|| error!(ErrorCode::NoPositionInMarket))?;
    let base = pos.base;
    let minus = base
        .checked_neg()
        .ok_or_else(|| error!(ErrorCode::MathOverflow))?;
    let r = apply_trade(pos.base, pos.quote, minus, trade_quote(minus, price)?)?;
    require!(r.base == 0, ErrorCode::InvariantViolation);
    *pos = Position::default();
    account.add_collateral(r.realized_pnl)?;
    account.total_realized_pnl = account
        .total_realized_pnl
        .checked_add(r.realized_pnl)
        .ok_or_else(|| error!(ErrorCode::MathOverflow))?;
    let (dl, ds) = open_interest_delta(base, 0);
    market.open_interest_long = u64::try_from(market.open_interest_long as i128 + dl)
        .map_err(|_| error!(ErrorCode::InvariantViolation))?;
    market.open_interest_short = u64::try_from(market.open_interest_short as i128 + ds)
        .map_err(|_| error!(ErrorCode::InvariantViolation))?;

    if !account.has_open_positions() && account.collateral < 0 {
        require_writable_exchange(&ctx.accounts.exchange.to_account_info())?;
        let oi = oi_before - base.unsigned_abs() as u128;
        let exchange = &mut ctx.accounts.exchange;
        if let Some(event) = resolve_bankruptcy(
            ctx.accounts.margin_account.key(),
            exchange,
            &mut market,
            &mut account,
            oi,
            None,
        )? {
            emit!(event);
        }
        exchange.exit(&crate::ID)?;
    } else if !account.has_open_positions() {
        account.being_liquidated = 0;
    }
    emit!(PositionSettled {
        market_index,
        margin_account: ctx.accounts.margin_account.key(),
        base,
        price,
        realized_pnl: r.realized_pnl,
        funding_settled,
        open_interest_after: market.open_interest_long,
    });
    Ok(())
}
