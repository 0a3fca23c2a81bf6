//! Queued admin changes: every change that can hurt users waits out the exchange's timelock
//! delay, visible on chain, and may be cancelled by the admin or the guardian before anyone
//! executes it.

use anchor_lang::prelude::*;

use crate::constants::MAX_LOOKUP_TABLES;
use crate::state::{MarketParams, OracleSource};

/// A change the admin can queue.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq, InitSpace)]
pub enum AdminAction {
    /// Lists a market at index `exchange.market_count` (when executed).
    AddMarket {
        symbol: [u8; 16],
        oracle: Pubkey,
        oracle_source: OracleSource,
        pyth_feed_id: [u8; 32],
        /// A contract is this many tokens (a power of ten): 1,000 lists 1000BONK.
        tokens_per_contract: u64,
        params: MarketParams,
    },
    /// New risk parameters for a market (its unit and oracle stay).
    UpdateMarket {
        market_index: u16,
        params: MarketParams,
    },
    /// Moves a market to another oracle account (a feed that moved).
    SetOracle {
        market_index: u16,
        oracle: Pubkey,
        oracle_source: OracleSource,
        pyth_feed_id: [u8; 32],
    },
    /// The address lookup tables clients compile v0 transactions against.
    SetLookupTables {
        #[max_len(MAX_LOOKUP_TABLES)]
        tables: Vec<Pubkey>,
    },
    /// Names the pending admin, who then signs `accept_admin`.
    TransferAdmin {
        new_admin: Pubkey,
    },
    SetGuardian {
        guardian: Pubkey,
    },
    /// The delay itself changes only through the timelock.
    SetTimelockDelay {
        delay_secs: u32,
    },
    SetLiquidationBuffer {
        buffer: u32,
    },
    /// Retires a market at the last valid oracle price the program recorded.
    SettleMarket {
        market_index: u16,
    },
    /// Whether accounts may switch to portfolio margin (accounts already in it stay).
    SetPortfolioMargin {
        enabled: bool,
    },
}

/// Where a queued change stands.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
pub enum ActionStatus {
    Queued,
    Executed,
    Cancelled,
}

/// One queued change (PDA `["admin_action", id as u64 LE]`), kept after execution or
/// cancellation as its record.
#[account]
#[derive(InitSpace, Debug)]
pub struct QueuedAction {
    pub id: u64,
    pub proposer: Pubkey,
    pub queued_at: i64,
    /// Anyone may execute it from this time on.
    pub execute_after: i64,
    pub status: ActionStatus,
    /// When it was executed or cancelled (0 while queued).
    pub resolved_at: i64,
    pub action: AdminAction,
    pub bump: u8,
}
