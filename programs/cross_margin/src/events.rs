//! Events for every state change a keeper, indexer or frontend follows.

use anchor_lang::prelude::*;

use crate::state::MarketParams;

#[event]
#[derive(Debug)]
pub struct ExchangeInitialized {
    pub admin: Pubkey,
    pub collateral_mint: Pubkey,
    pub vault: Pubkey,
    pub liquidation_buffer: u32,
}

#[event]
#[derive(Debug)]
pub struct MarketAdded {
    pub market_index: u16,
    pub symbol: [u8; 16],
    pub oracle: Pubkey,
    pub oracle_source: u8,
    pub pyth_feed_id: [u8; 32],
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
pub struct MarketStatusChanged {
    pub market_index: u16,
    pub old_status: u8,
    pub new_status: u8,
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
}

#[event]
#[derive(Debug)]
pub struct FundingUpdated {
    pub market_index: u16,
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
    /// Trading fees moved into the insurance balance.
    pub fees_to_insurance: u64,
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
pub struct Bankruptcy {
    pub margin_account: Pubkey,
    /// The market of the last liquidated position, whose open interest absorbs what insurance
    /// could not pay.
    pub market_index: u16,
    pub deficit: u64,
    pub insurance_paid: u64,
    pub socialized: u64,
    pub bad_debt: u64,
    /// Index units the long index rose and the short index fell by.
    pub index_delta: i64,
}
