use anchor_lang::prelude::*;

/// Declares the error enum and, from the same list, `ErrorCode::ALL` (so a number can be mapped
/// back to its error off-chain without a second list to keep in step).
macro_rules! program_errors {
    ($($name:ident => $msg:literal,)*) => {
        /// Every refusal of the program. New codes go at the end: the numbers are part of the
        /// interface.
        #[error_code]
        pub enum ErrorCode {
            $(#[msg($msg)] $name,)*
        }

        impl ErrorCode {
            /// Every error, in number order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$name,)*];

            /// The error with custom error number `n` (6000 + its index).
            pub fn from_code(n: u32) -> Option<ErrorCode> {
                ErrorCode::ALL.iter().copied().find(|c| u32::from(*c) == n)
            }
        }
    };
}

program_errors! {
    // --- math ---
    MathOverflow => "Arithmetic overflow",
    // --- authority ---
    NotAdmin => "Signer is not the exchange admin",
    NotPendingAdmin => "Signer is not the pending admin",
    NotOwner => "Signer is not the owner of the margin account",
    NotOwnerOrDelegate => "Signer is neither the owner nor the delegate of the margin account",
    DelegateCannotWithdraw => "A delegate may trade but may not withdraw",
    // --- tokens ---
    InvalidCollateralMint => "Collateral mint must have 6 decimals and match the exchange",
    InvalidVault => "Vault is not the exchange's collateral vault",
    TokenOwnerMismatch => "Token account is not owned by the signer",
    // --- amounts and collateral ---
    ZeroAmount => "Amount must be greater than zero",
    InsufficientCollateral => "Amount exceeds the settled collateral",
    InitialMarginViolated => "Account would be below its initial margin requirement",
    MaintenanceMarginViolated => "Account would be below its maintenance margin requirement",
    AccountNotEmpty => "Margin account still has collateral or positions",
    AccountBeingLiquidated => "Margin account is being liquidated: it may only reduce risk",
    PositionSlotsFull => "All position slots of the margin account are in use",
    WrongMarginAccount => "Margin account does not belong to this exchange",
    // --- admin parameter bounds ---
    InvalidMarginRatios => "Margin ratios out of bounds: need min <= maintenance < initial <= 100%",
    InvalidFees => "Fees out of bounds: liquidation + insurance fee < maintenance, taker fee < maintenance, |maker fee| <= taker fee",
    InvalidPriceBand => "Price band out of bounds",
    InvalidOracleLimits => "Oracle limits out of bounds (confidence ratio, ages)",
    InvalidSizeParams => "Size parameters out of bounds: lot > 0, minimum position a positive multiple of the lot",
    InvalidOpenInterestCap => "Open-interest cap must be positive and a multiple of the lot",
    InvalidFundingParams => "Funding parameters out of bounds",
    InvalidPnlWeight => "Unrealized-pnl initial weight must be at most 100%",
    InvalidLiquidationBuffer => "Liquidation buffer out of bounds",
    InvalidMarketStatus => "Unknown market status",
    InvalidOracleSource => "Unknown oracle source",
    InvalidSymbol => "Market symbol must be non-empty ASCII",
    // --- oracle ---
    OracleWrongKey => "Oracle account is not the market's oracle",
    OracleWrongOwner => "Oracle account is not owned by the Pyth program",
    OracleInvalidData => "Oracle account data is not a valid Pyth price account",
    OracleWrongFeedId => "Pyth price update is for another feed id",
    OracleUnverified => "Pyth price update is not fully verified",
    OracleNotTrading => "Pyth price status is not Trading",
    OracleNonPositivePrice => "Oracle price is not positive",
    OracleConfidenceTooWide => "Oracle confidence interval is too wide",
    OracleStale => "Oracle price is stale",
    OracleFuturePublishTime => "Oracle publish time is in the future",
    OraclePublishTimeRegressed => "Oracle publish time is older than the last one the market used",
    OracleExponentOutOfRange => "Oracle exponent out of range",
    // --- health accounts (remaining accounts) ---
    HealthAccountMissing => "A (market, oracle) health account pair is missing",
    HealthAccountUnexpected => "More health accounts than the positions need",
    HealthAccountNotMarket => "A health account is not a market of this program",
    HealthAccountDuplicate => "A market appears twice in the health accounts",
    HealthAccountWrongMarket => "Health account market is not the one the position order expects",
    HealthAccountWrongOracle => "Health account oracle is not the market's oracle",
    // --- trading and funding ---
    SelfTrade => "Taker and maker must be different margin accounts",
    MarketPaused => "Market is paused",
    MarketReduceOnly => "Market is reduce-only: the fill must shrink both positions",
    InvalidFillSize => "Fill size must not be zero",
    SizeNotMultipleOfLot => "Fill size is not a multiple of the market's lot",
    FillBelowMinimum => "Fill size is below the market's minimum (unless it closes a position)",
    PositionBelowMinimum => "A position would be left open below the market's minimum",
    PriceOutsideBand => "Fill price is outside the market's band around the oracle price",
    OpenInterestCapExceeded => "Fill would take open interest above the market's cap",
    FundingNotDue => "Funding was already updated this period",
    MarketIndexMismatch => "Market account is not the market of the given index",
    // --- liquidation ---
    SelfLiquidation => "A liquidator cannot liquidate its own margin account",
    NotLiquidatable => "Account is not liquidatable: equity is at or above maintenance",
    NoPositionToLiquidate => "Liquidatee has no position in this market",
    LiquidationLimitPrice => "Liquidation price is worse than the liquidator's limit",
    LiquidationSizeZero => "Nothing to take over: max_base is below one lot",
    LiquidatorUnderMargin => "Liquidator would be below its initial margin requirement",
    // --- added in the second build-out (numbers continue) ---
    InvariantViolation => "An accounting invariant would break (a bug: nothing was changed)",
    WithdrawToVault => "The withdrawal destination is the vault itself",
    InvalidNetFee => "Net trading fee (taker + maker) is below the minimum",
    InvalidMarginGroup => "Portfolio margin group id out of range",
    InvalidSystematicShare => "Portfolio systematic share above its bound (75%)",
    InvalidUnit => "Market unit must be a power of ten up to 1e9",
    // governance
    NotUpgradeAuthority => "Signer is not the program's upgrade authority",
    NotAdminOrGuardian => "Signer is neither the exchange admin nor its guardian",
    TimelockDelayOutOfBounds => "Timelock delay outside its bounds",
    ActionNotDue => "The queued change's delay has not passed",
    ActionAlreadyExecuted => "The queued change was already executed",
    ActionCancelled => "The queued change was cancelled",
    ActionAccountMissing => "The queued change needs an account that was not passed",
    ActionWrongAccount => "An account passed to the queued change is not the one it names",
    TooManyLookupTables => "Too many address lookup tables",
    ProtectiveDurationOutOfBounds => "A protective status lasts between one second and its maximum",
    OracleNotSponsoredFeed => "Pull oracle is not the sponsored Pyth feed account of the feed id",
    // settlement
    MarketSettled => "Market is settled: positions close at the settlement price",
    MarketNotSettled => "Market is not settled",
    OracleStillAlive => "The market's oracle published within the dead-oracle bound",
    NoPositionInMarket => "Margin account has no position in this market",
    ExchangeNotWritable => "This step resolves a bankruptcy: the exchange must be writable",
    // portfolio margin
    PortfolioMarginDisabled => "Switching to portfolio margin is disabled on this exchange",
    ModeSwitchWhileLiquidatable => "Margin mode cannot change while the account is liquidatable",
    WrongLiquidationKind => "Portfolio accounts are liquidated in slices (liquidate_portfolio), standard ones per position (liquidate)",
    LiquidationWorsensHealth => "No slice of the portfolio improves its maintenance health",
    // delegates
    InvalidDelegateLimits => "Delegate limits out of bounds",
    DelegatePriceDeviation => "Price is further from the oracle than the delegate may trade",
    DelegateBudgetExceeded => "The delegate's loss budget for this period is spent",
    DelegateReduceOnly => "This delegate may only reduce positions",
    // trigger orders
    TriggerOrdersFull => "All trigger-order slots are in use",
    TriggerOrdersNotEmpty => "Trigger-order account still holds orders",
    TriggerOrderNotFound => "No trigger order with this id",
    TriggerAlreadyCrossed => "The oracle is already past the trigger price",
    TriggerLimitWrongSide => "The limit price is on the wrong side of the trigger price",
    TriggerPremiumTooHigh => "Executor premium above its bound",
    TriggerOrderExpired => "Trigger order has expired",
    TriggerInvalidExpiry => "Trigger order expiry must be in the future",
    TriggerNotReached => "The oracle has not crossed the trigger price",
    TriggerPriceBeforePlacement => "The oracle price was published before the order was placed",
    TriggerPriceBeyondLimit => "The execution price would be worse than the trader's limit",
    TriggerWouldGrowPosition => "A trigger order may only reduce the position",
    TriggerSelfExecution => "The trader's own account cannot execute its order",
    TriggerOrdersWrongAccount => "Trigger-order account belongs to another margin account",
    LargestLossLiquidatedLast => "An underwater account's position with the largest loss is liquidated last: its market carries the deficit",
    NotCancelable => "This queued change may not be cancelled by this signer",
}

/// The custom error number a result carries, if it failed with an Anchor error (for tests and
/// off-chain callers; compare with `u32::from(ErrorCode::X)`).
pub fn code_of<T>(r: Result<T>) -> Option<u32> {
    match r {
        Err(Error::AnchorError(e)) => Some(e.error_code_number),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_map_back_to_errors() {
        assert_eq!(ErrorCode::ALL.len(), ErrorCode::NotCancelable as usize + 1);
        for (i, e) in ErrorCode::ALL.iter().enumerate() {
            assert_eq!(u32::from(*e), 6_000 + i as u32);
            assert_eq!(
                ErrorCode::from_code(6_000 + i as u32).map(|x| x as u32),
                Some(*e as u32)
            );
        }
        assert!(ErrorCode::from_code(5_999).is_none());
        assert_eq!(
            format!("{:?}", ErrorCode::from_code(6_011).unwrap()),
            "InitialMarginViolated"
        );
    }
}
