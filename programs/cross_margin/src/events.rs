//! Events for every state change a keeper, indexer or frontend follows.

use anchor_lang::prelude::*;

use crate::risk::{MarginMode, TriggerKind};
use crate::state::{AdminAction, DelegateLimits, MarketParams, MarketStatus, OracleSource};

#[event]
#[derive(Debug)]
pub struct ExchangeInitialized {
    pub admin: Pubkey,
    pub guardian: Pubkey,
    pub collateral_mint: Pubkey,
    pub vault: Pubkey,
    pub liquidation_buffer: u32,
    pub timelock_delay_secs: u32,
}

#[event]
#[derive(Debug)]
pub struct AdminActionQueued {
    pub id: u64,
    pub proposer: Pubkey,
    pub execute_after: i64,
    pub action: AdminAction,
}

#[event]
#[derive(Debug)]
pub struct AdminActionCancelled {
    pub id: u64,
    /// The admin or the guardian.
    pub by: Pubkey,
}

#[event]
#[derive(Debug)]
pub struct AdminActionExecuted {
    pub id: u64,
    pub executor: Pubkey,
    pub action: AdminAction,
}

#[event]
#[derive(Debug)]
pub struct MarketAdded {
    pub market_index: u16,
    pub symbol: [u8; 16],
    pub oracle: Pubkey,
    pub oracle_source: OracleSource,
    pub pyth_feed_id: [u8; 32],
    /// A contract is `10^unit_exponent` tokens.
    pub unit_exponent: u8,
    pub params: MarketParams,
}

#[event]
#[derive(Debug)]
pub struct MarketParamsUpdated {
    pub market_index: u16,
    pub old: MarketParams,
    pub new: MarketParams,
}

#[event]
#[derive(Debug)]
pub struct MarketOracleChanged {
    pub market_index: u16,
    pub old_oracle: Pubkey,
    pub new_oracle: Pubkey,
    pub oracle_source: OracleSource,
    pub pyth_feed_id: [u8; 32],
}

#[event]
#[derive(Debug)]
pub struct LookupTablesSet {
    pub tables: Vec<Pubkey>,
}

#[event]
#[derive(Debug)]
pub struct MarketStatusChanged {
    pub market_index: u16,
    pub old_status: MarketStatus,
    pub new_status: MarketStatus,
    /// When a protective status ends (0 for Active).
    pub expires_at: i64,
    pub by: Pubkey,
}

#[event]
#[derive(Debug)]
pub struct MarketSettled {
    pub market_index: u16,
    /// The last valid oracle price the program recorded.
    pub settlement_price: i64,
    pub settled_at: i64,
    /// Through the timelock (else by anyone, the oracle being dead).
    pub by_timelock: bool,
    /// The last funding period's index move, up to the settlement.
    pub final_index_delta: i64,
    pub open_interest: u64,
}

#[event]
#[derive(Debug)]
pub struct PositionSettled {
    pub market_index: u16,
    pub margin_account: Pubkey,
    /// The closed base.
    pub base: i64,
    pub price: i64,
    pub realized_pnl: i64,
    pub funding_settled: i64,
    pub open_interest_after: u64,
}

#[event]
#[derive(Debug)]
pub struct AdminTransferProposed {
    pub admin: Pubkey,
    pub pending_admin: Pubkey,
}

#[event]
#[derive(Debug)]
pub struct AdminTransferred {
    pub old_admin: Pubkey,
    pub new_admin: Pubkey,
}

#[event]
#[derive(Debug)]
pub struct MarginAccountCreated {
    pub margin_account: Pubkey,
    pub owner: Pubkey,
    pub sub_account_id: u16,
}

#[event]
#[derive(Debug)]
pub struct MarginAccountClosed {
    pub margin_account: Pubkey,
    pub owner: Pubkey,
    pub sub_account_id: u16,
}

#[event]
#[derive(Debug)]
pub struct DelegateSet {
    pub margin_account: Pubkey,
    pub old_delegate: Pubkey,
    pub new_delegate: Pubkey,
    pub limits: DelegateLimits,
}

#[event]
#[derive(Debug)]
pub struct MarginModeSet {
    pub margin_account: Pubkey,
    pub old_mode: MarginMode,
    pub new_mode: MarginMode,
    pub maintenance_before: i64,
    pub maintenance_after: i64,
    pub initial_after: i64,
}

#[event]
#[derive(Debug)]
pub struct Deposited {
    pub margin_account: Pubkey,
    pub depositor: Pubkey,
    pub amount: u64,
    pub collateral_after: i64,
}

#[event]
#[derive(Debug)]
pub struct Withdrawn {
    pub margin_account: Pubkey,
    pub owner: Pubkey,
    pub destination: Pubkey,
    pub amount: u64,
    /// Funding realized into collateral before the withdrawal (positive = paid).
    pub funding_settled: i64,
    pub collateral_after: i64,
    /// Free collateral (initial) left after the withdrawal.
    pub free_collateral_after: i64,
}

#[event]
#[derive(Debug)]
pub struct InsuranceDeposited {
    pub depositor: Pubkey,
    pub amount: u64,
    pub insurance_balance_after: u64,
}

#[event]
#[derive(Debug)]
pub struct Filled {
    pub market_index: u16,
    pub taker: Pubkey,
    pub maker: Pubkey,
    /// Positive: the taker bought.
    pub taker_base_delta: i64,
    pub price: i64,
    pub oracle_price: i64,
    pub taker_fee: i64,
    /// Negative = rebate.
    pub maker_fee: i64,
    pub taker_realized_pnl: i64,
    pub maker_realized_pnl: i64,
    pub taker_base_after: i64,
    pub maker_base_after: i64,
    pub open_interest_after: u64,
    /// Which sides a delegate signed.
    pub taker_by_delegate: bool,
    pub maker_by_delegate: bool,
}

#[event]
#[derive(Debug)]
pub struct FundingUpdated {
    pub market_index: u16,
    /// The mark the premium implies.
    pub mark_twap: i64,
    pub oracle_twap: i64,
    /// ppm per day, clamped.
    pub premium: i64,
    /// Seconds since the previous update.
    pub elapsed: i64,
    /// Index units (quote native per whole base, times 1,000) both indices moved by.
    pub index_delta: i64,
    pub cumulative_funding_long: i64,
    pub cumulative_funding_short: i64,
    /// Trading and liquidation insurance fees moved into the insurance balance.
    pub fees_to_insurance: u64,
    /// The period's fill notional at the oracle, and what its premium sum was divided by.
    pub fill_notional: u64,
    pub premium_weight: i64,
    pub open_interest: u64,
}

#[event]
#[derive(Debug)]
pub struct FundingSettled {
    pub margin_account: Pubkey,
    /// Positive = paid by the account.
    pub amount: i64,
    pub collateral_after: i64,
}

#[event]
#[derive(Debug)]
pub struct Liquidated {
    pub market_index: u16,
    pub liquidatee: Pubkey,
    pub liquidator: Pubkey,
    /// The liquidatee's base change (the liquidator's is the opposite).
    pub liquidatee_base_delta: i64,
    /// Takeover price: the oracle price improved by the liquidation fee.
    pub price: i64,
    pub oracle_price: i64,
    /// The liquidator's gain at the oracle price (the liquidation fee, after rounding).
    pub liquidation_fee: i64,
    /// Paid by the liquidatee to the insurance fund.
    pub insurance_fee: i64,
    pub equity_before: i64,
    pub maintenance_before: i64,
    pub equity_after: i64,
    pub maintenance_after: i64,
    /// Whether the account is still being liquidated.
    pub being_liquidated: bool,
}

#[event]
#[derive(Debug)]
pub struct PortfolioLiquidated {
    pub liquidatee: Pubkey,
    pub liquidator: Pubkey,
    /// The slice of every position taken (1e9 = all).
    pub fraction: u64,
    /// The fees of each market were scaled by this (ppm): `R / standard MM`, or with a stale leg
    /// left behind the tradable legs' share of `R` at the margin (`slice_fee_scale`).
    pub fee_scale: u32,
    pub positions_taken: u8,
    /// The liquidator's gain at oracle prices, and the insurance fees, over all markets.
    pub liquidation_fee: i64,
    pub insurance_fee: i64,
    pub equity_before: i64,
    pub maintenance_before: i64,
    pub equity_after: i64,
    pub maintenance_after: i64,
    pub being_liquidated: bool,
}

#[event]
#[derive(Debug)]
pub struct Bankruptcy {
    pub margin_account: Pubkey,
    /// The market whose open interest absorbs what insurance could not pay.
    pub market_index: u16,
    pub deficit: u64,
    pub insurance_paid: u64,
    pub socialized: u64,
    pub bad_debt: u64,
    /// Index units the long index rose and the short index fell by.
    pub index_delta: i64,
    /// The open interest (both sides, base) the loss was spread over: the market's as it stood
    /// before the takeover that closed the last position, less that position.
    pub open_interest: u64,
    /// What the liquidator's own pre-takeover position paid of it directly.
    pub liquidator_share: u64,
}

#[event]
#[derive(Debug)]
pub struct TriggerOrderPlaced {
    pub margin_account: Pubkey,
    pub order_id: u64,
    pub market_index: u16,
    pub kind: TriggerKind,
    pub trigger_price: i64,
    pub limit_price: i64,
    pub size: u64,
    pub expiry: i64,
    pub premium: u32,
    pub by_delegate: bool,
}

#[event]
#[derive(Debug)]
pub struct TriggerOrderCancelled {
    pub margin_account: Pubkey,
    pub order_id: u64,
    /// 0: by the owner or delegate; 1: the position it reduced is gone or flipped.
    pub reason: u8,
}

#[event]
#[derive(Debug)]
pub struct TriggerOrderExecuted {
    pub margin_account: Pubkey,
    pub executor: Pubkey,
    pub order_id: u64,
    pub market_index: u16,
    pub kind: TriggerKind,
    /// The trader's base change.
    pub base_delta: i64,
    pub price: i64,
    pub oracle_price: i64,
    pub limit_price: i64,
    pub trader_fee: i64,
    pub executor_fee: i64,
    pub base_after: i64,
}
