use anchor_lang::prelude::*;
use anchor_lang::system_program::{
    allocate, assign, create_account, transfer, Allocate, Assign, CreateAccount, Transfer,
};
use anchor_lang::Discriminator;

use crate::constants::{ADMIN_ACTION_SEED, EXCHANGE_SEED, MARKET_SEED};
use crate::error::ErrorCode;
use crate::events::{
    AdminActionExecuted, AdminTransferProposed, LookupTablesSet, MarketAdded, MarketOracleChanged,
    MarketParamsUpdated,
};
use crate::instructions::cancel_admin_action::require_queued;
use crate::instructions::queue_admin_action::validate_action;
use crate::instructions::settle_dead_market::settle_market;
use crate::oracle::{check_listed_oracle, OracleSpec};
use crate::state::{
    unit_exponent, ActionStatus, AdminAction, Exchange, Market, MarketStatus, QueuedAction,
};

/// Executes a queued change once its delay has passed. Anyone may call it (the executor pays the
/// rent of a new market). The accounts a change names: `AddMarket` the new market's PDA and its
/// oracle; `UpdateMarket` and `SettleMarket` the market; `SetOracle` the market and the new
/// oracle; the others none.
#[derive(Accounts)]
#[instruction(action_id: u64)]
pub struct ExecuteAdminAction<'info> {
    #[account(mut)]
    pub executor: Signer<'info>,
    #[account(mut, seeds = [EXCHANGE_SEED], bump = exchange.bump)]
    pub exchange: Box<Account<'info, Exchange>>,
    #[account(
        mut,
        seeds = [ADMIN_ACTION_SEED, &action_id.to_le_bytes()],
        bump = queued_action.bump
    )]
    pub queued_action: Box<Account<'info, QueuedAction>>,
    /// CHECK: the market the change names; checked against its PDA by the handler.
    #[account(mut)]
    pub market: Option<UncheckedAccount<'info>>,
    /// CHECK: the oracle the change names; checked by key and parsed by the handler.
    pub oracle: Option<UncheckedAccount<'info>>,
    pub system_program: Program<'info, System>,
}

fn market_address(index: u16) -> (Pubkey, u8) {
    Pubkey::find_program_address(&[MARKET_SEED, &index.to_le_bytes()], &crate::ID)
}

fn named<'a, 'info>(
    account: &'a Option<UncheckedAccount<'info>>,
    expected: &Pubkey,
) -> Result<&'a UncheckedAccount<'info>> {
    let a = account
        .as_ref()
        .ok_or_else(|| error!(ErrorCode::ActionAccountMissing))?;
    require_keys_eq!(a.key(), *expected, ErrorCode::ActionWrongAccount);
    Ok(a)
}

/// The market the change names, loaded for writing.
fn load_market_mut<'a>(
    account: &'a Option<UncheckedAccount<'_>>,
    index: u16,
) -> Result<std::cell::RefMut<'a, Market>> {
    let info = named(account, &market_address(index).0)?;
    crate::health_accounts::load_market_mut(info.as_ref())
        .map_err(|_| error!(ErrorCode::ActionWrongAccount))
}

pub fn execute_admin_action(ctx: Context<ExecuteAdminAction>, _action_id: u64) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    {
        let queued = &ctx.accounts.queued_action;
        require_queued(queued)?;
        require!(now >= queued.execute_after, ErrorCode::ActionNotDue);
        validate_action(&queued.action)?;
    }
    let action = ctx.accounts.queued_action.action.clone();
    let accounts = &mut *ctx.accounts;
    let exchange = &mut accounts.exchange;
    match &action {
        AdminAction::AddMarket {
            symbol,
            oracle,
            oracle_source,
            pyth_feed_id,
            tokens_per_contract,
            params,
        } => {
            let index = exchange.market_count;
            let (address, bump) = market_address(index);
            let market_info = named(&accounts.market, &address)?;
            let oracle_info = named(&accounts.oracle, oracle)?;
            let spec = OracleSpec {
                source: *oracle_source,
                feed_id: *pyth_feed_id,
                unit_exponent: unit_exponent(*tokens_per_contract)?,
            };
            // The oracle must be the right kind of account (freshness is checked at every use).
            let price = check_listed_oracle(oracle_info, &spec)?;
            let space = Market::SPACE;
            let seeds: &[&[u8]] = &[MARKET_SEED, &index.to_le_bytes(), &[bump]];
            create_pda(
                &accounts.executor.to_account_info(),
                &market_info.to_account_info(),
                &accounts.system_program.to_account_info(),
                space,
                seeds,
            )?;
            {
                let mut data = market_info.try_borrow_mut_data()?;
                data[..8].copy_from_slice(Market::DISCRIMINATOR);
                let market = bytemuck::from_bytes_mut::<Market>(&mut data[8..space]);
                market.oracle = *oracle;
                market.pyth_feed_id = *pyth_feed_id;
                market.symbol = *symbol;
                market.set_params(params);
                market.market_index = index;
                market.oracle_source = *oracle_source as u8;
                market.unit_exponent = spec.unit_exponent;
                market.status = MarketStatus::Active as u8;
                market.bump = bump;
                market.last_oracle_publish_time = price.publish_time;
                market.mark_twap = price.price;
                market.oracle_twap = price.price;
                market.funding.reset(now);
                market.funding.last_oracle_price = price.price;
                market.last_funding_ts = now;
            }
            exchange.market_count = index
                .checked_add(1)
                .ok_or_else(|| error!(ErrorCode::MathOverflow))?;
            emit!(MarketAdded {
                market_index: index,
                symbol: *symbol,
                oracle: *oracle,
                oracle_source: *oracle_source,
                pyth_feed_id: *pyth_feed_id,
                unit_exponent: spec.unit_exponent,
                params: *params,
            });
        }
        AdminAction::UpdateMarket {
            market_index,
            params,
        } => {
            let mut market = load_market_mut(&accounts.market, *market_index)?;
            let old = market.params();
            market.set_params(params);
            // The period's fill sums were weighed under the old fees, band and premium cap; the
            // bound "a period's fills move at most half their fees" holds only when the update
            // weighs them under the parameters they paid. Start the sums afresh (the time-weighted
            // oracle sum is unaffected).
            market.funding.fill_notional = 0;
            market.funding.fill_premium = 0;
            emit!(MarketParamsUpdated {
                market_index: *market_index,
                old,
                new: *params,
            });
        }
        AdminAction::SetOracle {
            market_index,
            oracle,
            oracle_source,
            pyth_feed_id,
        } => {
            let oracle_info = named(&accounts.oracle, oracle)?;
            let mut market = load_market_mut(&accounts.market, *market_index)?;
            require!(!market.is_settled(), ErrorCode::MarketSettled);
            let spec = OracleSpec {
                source: *oracle_source,
                feed_id: *pyth_feed_id,
                unit_exponent: market.unit_exponent,
            };
            let price = check_listed_oracle(oracle_info, &spec)?;
            let old_oracle = market.oracle;
            market.oracle = *oracle;
            market.oracle_source = *oracle_source as u8;
            market.pyth_feed_id = *pyth_feed_id;
            // The new account's publish times are its own: the regression floor starts there.
            market.last_oracle_publish_time = price.publish_time;
            emit!(MarketOracleChanged {
                market_index: *market_index,
                old_oracle,
                new_oracle: *oracle,
                oracle_source: *oracle_source,
                pyth_feed_id: *pyth_feed_id,
            });
        }
        AdminAction::SetLookupTables { tables } => {
            exchange.lookup_tables = tables.clone();
            emit!(LookupTablesSet {
                tables: tables.clone(),
            });
        }
        AdminAction::TransferAdmin { new_admin } => {
            exchange.pending_admin = *new_admin;
            emit!(AdminTransferProposed {
                admin: exchange.admin,
                pending_admin: *new_admin,
            });
        }
        AdminAction::SetGuardian { guardian } => exchange.guardian = *guardian,
        AdminAction::SetTimelockDelay { delay_secs } => exchange.timelock_delay_secs = *delay_secs,
        AdminAction::SetLiquidationBuffer { buffer } => exchange.liquidation_buffer = *buffer,
        AdminAction::SettleMarket { market_index } => {
            let mut market = load_market_mut(&accounts.market, *market_index)?;
            settle_market(&mut market, now, true)?;
        }
        AdminAction::SetPortfolioMargin { enabled } => exchange.portfolio_margin_enabled = *enabled,
    }
    let queued = &mut accounts.queued_action;
    queued.status = ActionStatus::Executed;
    queued.resolved_at = now;
    emit!(AdminActionExecuted {
        id: queued.id,
        executor: accounts.executor.key(),
        action,
    });
    Ok(())
}

/// Creates the program-owned PDA `target` (signed by `seeds`) with `space` bytes, rent paid by
/// `payer`. The address is predictable, so anyone may have sent it lamports first: a funded but
/// empty system account is topped up, allocated and assigned instead (as Anchor's `init` does),
/// so a 1-lamport transfer cannot block a listing forever.
fn create_pda<'info>(
    payer: &AccountInfo<'info>,
    target: &AccountInfo<'info>,
    system_program: &AccountInfo<'info>,
    space: usize,
    seeds: &[&[u8]],
) -> Result<()> {
    let rent = Rent::get()?.minimum_balance(space);
    let signer: &[&[&[u8]]] = &[seeds];
    if target.lamports() == 0 {
        return create_account(
            CpiContext::new_with_signer(
                system_program.clone(),
                CreateAccount {
                    from: payer.clone(),
                    to: target.clone(),
                },
                signer,
            ),
            rent,
            space as u64,
            &crate::ID,
        );
    }
    require!(
        target.owner == &anchor_lang::system_program::ID && target.data_is_empty(),
        ErrorCode::ActionWrongAccount
    );
    let shortfall = rent.saturating_sub(target.lamports());
    if shortfall > 0 {
        transfer(
            CpiContext::new(
                system_program.clone(),
                Transfer {
                    from: payer.clone(),
                    to: target.clone(),
                },
            ),
            shortfall,
        )?;
    }
    allocate(
        CpiContext::new_with_signer(
            system_program.clone(),
            Allocate {
                account_to_allocate: target.clone(),
            },
            signer,
        ),
        space as u64,
    )?;
    assign(
        CpiContext::new_with_signer(
            system_program.clone(),
            Assign {
                account_to_assign: target.clone(),
            },
            signer,
        ),
        &crate::ID,
    )
}
