use anchor_lang::prelude::*;

use crate::events::FundingSettled;
use crate::health_accounts::{load_market_list, settle_funding as settle_all, MarketList};
use crate::state::MarginAccount;

/// Permissionless: realizes the account's owed funding into its collateral. Idempotent.
///
/// Remaining accounts: one `Market` per open position, in position order (no oracles: settlement
/// needs the funding indices, not prices).
#[derive(Accounts)]
pub struct SettleFunding<'info> {
    #[account(mut)]
    pub margin_account: AccountLoader<'info, MarginAccount>,
}

pub fn settle_funding(ctx: Context<SettleFunding>) -> Result<()> {
    let mut account = ctx.accounts.margin_account.load_mut()?;
    let required = account.position_market_indices();
    let markets = load_market_list(ctx.remaining_accounts, &required, MarketList::MarketsOnly)?;
    let amount = settle_all(&mut account, &markets)?;
    emit!(FundingSettled {
        margin_account: ctx.accounts.margin_account.key(),
        amount,
        collateral_after: account.collateral,
    });
    Ok(())
}
