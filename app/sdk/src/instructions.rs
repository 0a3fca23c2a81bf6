//! One builder per instruction. Every PDA is derived here; health accounts are passed in as the
//! metas `health::*` derives (they also say which accounts must be writable).

use anchor_lang::prelude::{AccountMeta, Pubkey};
use anchor_lang::solana_program::instruction::Instruction;
use anchor_lang::{system_program, InstructionData, ToAccountMetas};
use anchor_spl::token::spl_token;
use cross_margin::instructions::TriggerOrderParams;
use cross_margin::risk::MarginMode;
use cross_margin::state::{AdminAction, DelegateLimits, MarketStatus};
use cross_margin::{accounts as acc, instruction as data};

use crate::pda;

fn build(
    accounts: impl ToAccountMetas,
    args: impl InstructionData,
    extra: Vec<AccountMeta>,
) -> Instruction {
    let mut metas = accounts.to_account_metas(None);
    metas.extend(extra);
    Instruction {
        program_id: cross_margin::ID,
        accounts: metas,
        data: args.data(),
    }
}

/// Marks `key`'s meta writable (the exchange, when a step may resolve a bankruptcy).
fn writable(mut ix: Instruction, key: &Pubkey) -> Instruction {
    for m in ix.accounts.iter_mut().filter(|m| m.pubkey == *key) {
        m.is_writable = true;
    }
    ix
}

// --------------------------------------------------------------------------------- admin

pub fn initialize_exchange(
    admin: Pubkey,
    collateral_mint: Pubkey,
    liquidation_buffer: u32,
    guardian: Pubkey,
    timelock_delay_secs: u32,
) -> Instruction {
    build(
        acc::InitializeExchange {
            admin,
            exchange: pda::exchange(),
            collateral_mint,
            vault: pda::vault(),
            program_data: pda::program_data(),
            token_program: spl_token::ID,
            system_program: system_program::ID,
        },
        data::InitializeExchange {
            liquidation_buffer,
            guardian,
            timelock_delay_secs,
        },
        vec![],
    )
}

/// Queues `action` as change number `id` (the exchange's `next_action_id`).
pub fn queue_admin_action(admin: Pubkey, id: u64, action: AdminAction) -> Instruction {
    build(
        acc::QueueAdminAction {
            admin,
            exchange: pda::exchange(),
            queued_action: pda::admin_action(id),
            system_program: system_program::ID,
        },
        data::QueueAdminAction { action },
        vec![],
    )
}

/// The accounts a queued change names when executed (`AddMarket`: the next market index).
pub fn action_accounts(
    action: &AdminAction,
    next_market_index: u16,
) -> (Option<Pubkey>, Option<Pubkey>) {
    match action {
        AdminAction::AddMarket { oracle, .. } => {
            (Some(pda::market(next_market_index)), Some(*oracle))
        }
        AdminAction::UpdateMarket { market_index, .. }
        | AdminAction::SettleMarket { market_index } => (Some(pda::market(*market_index)), None),
        AdminAction::SetOracle {
            market_index,
            oracle,
            ..
        } => (Some(pda::market(*market_index)), Some(*oracle)),
        _ => (None, None),
    }
}

/// Executes queued change `id`; `market` and `oracle` from `action_accounts`.
pub fn execute_admin_action(
    executor: Pubkey,
    id: u64,
    market: Option<Pubkey>,
    oracle: Option<Pubkey>,
) -> Instruction {
    build(
        acc::ExecuteAdminAction {
            executor,
            exchange: pda::exchange(),
            queued_action: pda::admin_action(id),
            market,
            oracle,
            system_program: system_program::ID,
        },
        data::ExecuteAdminAction { action_id: id },
        vec![],
    )
}

/// Cancels queued change `id` (the admin or the guardian signs).
pub fn cancel_admin_action(authority: Pubkey, id: u64) -> Instruction {
    build(
        acc::CancelAdminAction {
            authority,
            exchange: pda::exchange(),
            queued_action: pda::admin_action(id),
        },
        data::CancelAdminAction { action_id: id },
        vec![],
    )
}

pub fn accept_admin(new_admin: Pubkey) -> Instruction {
    build(
        acc::AcceptAdmin {
            new_admin,
            exchange: pda::exchange(),
        },
        data::AcceptAdmin {},
        vec![],
    )
}

/// A protective status for `duration_secs` (the admin or the guardian signs), or `Active`.
pub fn set_market_status(
    authority: Pubkey,
    market_index: u16,
    status: MarketStatus,
    duration_secs: u32,
) -> Instruction {
    build(
        acc::SetMarketStatus {
            authority,
            exchange: pda::exchange(),
            market: pda::market(market_index),
        },
        data::SetMarketStatus {
            market_index,
            status,
            duration_secs,
        },
        vec![],
    )
}

pub fn settle_dead_market(market_index: u16, oracle: Pubkey) -> Instruction {
    build(
        acc::SettleDeadMarket {
            market: pda::market(market_index),
            oracle,
        },
        data::SettleDeadMarket { market_index },
        vec![],
    )
}

/// Closes `margin_account`'s position in a settled market. `last_position`: the account holds no
/// other position (the exchange is then writable, for a bankruptcy).
pub fn settle_position(
    market_index: u16,
    margin_account: Pubkey,
    last_position: bool,
) -> Instruction {
    let ix = build(
        acc::SettlePosition {
            exchange: pda::exchange(),
            market: pda::market(market_index),
            margin_account,
        },
        data::SettlePosition { market_index },
        vec![],
    );
    if last_position {
        writable(ix, &pda::exchange())
    } else {
        ix
    }
}

// --------------------------------------------------------------------------------- user

pub fn create_margin_account(owner: Pubkey, sub_account_id: u16) -> Instruction {
    build(
        acc::CreateMarginAccount {
            owner,
            margin_account: pda::margin_account(&owner, sub_account_id),
            system_program: system_program::ID,
        },
        data::CreateMarginAccount { sub_account_id },
        vec![],
    )
}

/// Closes the owner's (empty) sub-account `sub_account_id`.
pub fn close_margin_account(owner: Pubkey, sub_account_id: u16) -> Instruction {
    build(
        acc::CloseMarginAccount {
            owner,
            margin_account: pda::margin_account(&owner, sub_account_id),
        },
        data::CloseMarginAccount { sub_account_id },
        vec![],
    )
}

/// Names the delegate of the owner's sub-account `sub_account_id`.
pub fn set_delegate(
    owner: Pubkey,
    sub_account_id: u16,
    delegate: Pubkey,
    limits: DelegateLimits,
) -> Instruction {
    build(
        acc::SetDelegate {
            owner,
            margin_account: pda::margin_account(&owner, sub_account_id),
        },
        data::SetDelegate {
            sub_account_id,
            delegate,
            limits,
        },
        vec![],
    )
}

/// `health`: the metas of `health::health_metas_for(&[&account], ..)`.
pub fn set_margin_mode(
    owner: Pubkey,
    sub_account_id: u16,
    mode: MarginMode,
    health: Vec<AccountMeta>,
) -> Instruction {
    build(
        acc::SetMarginMode {
            owner,
            exchange: pda::exchange(),
            margin_account: pda::margin_account(&owner, sub_account_id),
        },
        data::SetMarginMode {
            sub_account_id,
            mode,
        },
        health,
    )
}

pub fn deposit(
    depositor: Pubkey,
    margin_account: Pubkey,
    depositor_token: Pubkey,
    amount: u64,
) -> Instruction {
    build(
        acc::Deposit {
            depositor,
            exchange: pda::exchange(),
            margin_account,
            vault: pda::vault(),
            depositor_token,
            token_program: spl_token::ID,
        },
        data::Deposit { amount },
        vec![],
    )
}

pub fn deposit_insurance(depositor: Pubkey, depositor_token: Pubkey, amount: u64) -> Instruction {
    build(
        acc::DepositInsurance {
            depositor,
            exchange: pda::exchange(),
            vault: pda::vault(),
            depositor_token,
            token_program: spl_token::ID,
        },
        data::DepositInsurance { amount },
        vec![],
    )
}

/// Withdraws from the owner's sub-account `sub_account_id`; `health`: the metas of
/// `health::health_metas_for(&[&account], ..)`.
pub fn withdraw(
    owner: Pubkey,
    sub_account_id: u16,
    destination: Pubkey,
    amount: u64,
    health: Vec<AccountMeta>,
) -> Instruction {
    build(
        acc::Withdraw {
            owner,
            exchange: pda::exchange(),
            margin_account: pda::margin_account(&owner, sub_account_id),
            vault: pda::vault(),
            destination,
            token_program: spl_token::ID,
        },
        data::Withdraw {
            sub_account_id,
            amount,
        },
        health,
    )
}

// --------------------------------------------------------------------------------- trading

/// A fill: `health` from `health::fill_health_metas`.
#[allow(clippy::too_many_arguments)]
pub fn fill(
    taker_authority: Pubkey,
    maker_authority: Pubkey,
    taker: Pubkey,
    maker: Pubkey,
    market_index: u16,
    oracle: Pubkey,
    taker_base_delta: i64,
    price: i64,
    health: Vec<AccountMeta>,
) -> Instruction {
    build(
        acc::Fill {
            taker_authority,
            maker_authority,
            exchange: pda::exchange(),
            market: pda::market(market_index),
            oracle,
            taker,
            maker,
        },
        data::Fill {
            market_index,
            taker_base_delta,
            price,
        },
        health,
    )
}

/// The margin account's trigger-order account (the owner or delegate pays its rent).
pub fn create_trigger_orders(authority: Pubkey, margin_account: Pubkey) -> Instruction {
    build(
        acc::CreateTriggerOrders {
            authority,
            margin_account,
            trigger_orders: pda::trigger_orders(&margin_account),
            system_program: system_program::ID,
        },
        data::CreateTriggerOrders {},
        vec![],
    )
}

/// Closes an empty trigger-order account; `payer` (who paid its rent) gets it back.
pub fn close_trigger_orders(
    authority: Pubkey,
    margin_account: Pubkey,
    payer: Pubkey,
) -> Instruction {
    build(
        acc::CloseTriggerOrders {
            authority,
            margin_account,
            trigger_orders: pda::trigger_orders(&margin_account),
            payer,
        },
        data::CloseTriggerOrders {},
        vec![],
    )
}

pub fn place_trigger_order(
    authority: Pubkey,
    margin_account: Pubkey,
    market_index: u16,
    oracle: Pubkey,
    params: TriggerOrderParams,
) -> Instruction {
    build(
        acc::PlaceTriggerOrder {
            authority,
            margin_account,
            trigger_orders: pda::trigger_orders(&margin_account),
            market: pda::market(market_index),
            oracle,
        },
        data::PlaceTriggerOrder {
            market_index,
            params,
        },
        vec![],
    )
}

pub fn cancel_trigger_order(
    authority: Pubkey,
    margin_account: Pubkey,
    order_id: u64,
) -> Instruction {
    build(
        acc::CancelTriggerOrder {
            authority,
            margin_account,
            trigger_orders: pda::trigger_orders(&margin_account),
        },
        data::CancelTriggerOrder { order_id },
        vec![],
    )
}

/// Executes `trader`'s order `order_id`: `health` from `health::fill_health_metas(trader,
/// executor, market_index, ..)`.
#[allow(clippy::too_many_arguments)]
pub fn execute_trigger_order(
    executor_authority: Pubkey,
    executor: Pubkey,
    trader: Pubkey,
    market_index: u16,
    oracle: Pubkey,
    order_id: u64,
    health: Vec<AccountMeta>,
) -> Instruction {
    build(
        acc::ExecuteTriggerOrder {
            executor_authority,
            exchange: pda::exchange(),
            market: pda::market(market_index),
            oracle,
            trader,
            executor,
            trigger_orders: pda::trigger_orders(&trader),
        },
        data::ExecuteTriggerOrder {
            market_index,
            order_id,
        },
        health,
    )
}

// --------------------------------------------------------------------------------- keepers

pub fn update_funding(market_index: u16, oracle: Pubkey) -> Instruction {
    build(
        acc::UpdateFunding {
            exchange: pda::exchange(),
            market: pda::market(market_index),
            oracle,
        },
        data::UpdateFunding { market_index },
        vec![],
    )
}

/// `markets`: from `health::funding_metas`.
pub fn settle_funding(margin_account: Pubkey, markets: Vec<AccountMeta>) -> Instruction {
    build(
        acc::SettleFunding { margin_account },
        data::SettleFunding {},
        markets,
    )
}

/// A liquidation step: `health` from `health::liquidate_health_metas`. `may_close_account`: the
/// step may take the liquidatee's last position (`health::may_close_account`), so the exchange
/// is passed writable for a bankruptcy.
#[allow(clippy::too_many_arguments)]
pub fn liquidate(
    liquidator_authority: Pubkey,
    liquidator: Pubkey,
    liquidatee: Pubkey,
    market_index: u16,
    oracle: Pubkey,
    max_base: u64,
    limit_price: i64,
    may_close_account: bool,
    health: Vec<AccountMeta>,
) -> Instruction {
    let ix = build(
        acc::Liquidate {
            liquidator_authority,
            exchange: pda::exchange(),
            market: pda::market(market_index),
            oracle,
            liquidator,
            liquidatee,
        },
        data::Liquidate {
            market_index,
            max_base,
            limit_price,
        },
        health,
    );
    if may_close_account {
        writable(ix, &pda::exchange())
    } else {
        ix
    }
}

/// A portfolio liquidation step: `health` from `health::portfolio_liquidation_metas` (the
/// liquidatee's markets writable). `may_close_account`: the slice may take everything.
pub fn liquidate_portfolio(
    liquidator_authority: Pubkey,
    liquidator: Pubkey,
    liquidatee: Pubkey,
    max_fraction: u64,
    may_close_account: bool,
    health: Vec<AccountMeta>,
) -> Instruction {
    let ix = build(
        acc::LiquidatePortfolio {
            liquidator_authority,
            exchange: pda::exchange(),
            liquidator,
            liquidatee,
        },
        data::LiquidatePortfolio { max_fraction },
        health,
    );
    if may_close_account {
        writable(ix, &pda::exchange())
    } else {
        ix
    }
}
