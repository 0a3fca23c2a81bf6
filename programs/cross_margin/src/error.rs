use anchor_lang::prelude::*;

/// Every refusal of the program. New codes go at the end: the numbers are part of the interface.
#[error_code]
pub enum ErrorCode {
    // --- math ---
    #[msg("Arithmetic overflow")]
    MathOverflow,

    // --- authority ---
    #[msg("Signer is not the exchange admin")]
    NotAdmin,
    #[msg("Signer is not the pending admin")]
    NotPendingAdmin,
    #[msg("Signer is not the owner of the margin account")]
    NotOwner,
    #[msg("Signer is neither the owner nor the delegate of the margin account")]
    NotOwnerOrDelegate,
    #[msg("A delegate may trade but may not withdraw")]
    DelegateCannotWithdraw,

    // --- tokens ---
    #[msg("Collateral mint must have 6 decimals and match the exchange")]
    InvalidCollateralMint,
    #[msg("Vault is not the exchange's collateral vault")]
    InvalidVault,
    #[msg("Token account is not owned by the signer")]
    TokenOwnerMismatch,

    // --- amounts and collateral ---
    #[msg("Amount must be greater than zero")]
    ZeroAmount,
    #[msg("Amount exceeds the settled collateral")]
    InsufficientCollateral,
    #[msg("Account would be below its initial margin requirement")]
    InitialMarginViolated,
    #[msg("Account would be below its maintenance margin requirement")]
    MaintenanceMarginViolated,
    #[msg("Margin account still has collateral or positions")]
    AccountNotEmpty,
    #[msg("Margin account is being liquidated: it may only reduce risk")]
    AccountBeingLiquidated,
    #[msg("All position slots of the margin account are in use")]
    PositionSlotsFull,
    #[msg("Margin account does not belong to this exchange")]
    WrongMarginAccount,

    // --- admin parameter bounds ---
    #[msg("Margin ratios out of bounds: need min <= maintenance < initial <= 100%")]
    InvalidMarginRatios,
    #[msg("Fees out of bounds: liquidation + insurance fee < maintenance, taker fee < maintenance, |maker fee| <= taker fee")]
    InvalidFees,
    #[msg("Price band out of bounds")]
    InvalidPriceBand,
    #[msg("Oracle limits out of bounds (confidence ratio, ages)")]
    InvalidOracleLimits,
    #[msg(
        "Size parameters out of bounds: lot > 0, minimum position a positive multiple of the lot"
    )]
    InvalidSizeParams,
    #[msg("Open-interest cap must be positive and a multiple of the lot")]
    InvalidOpenInterestCap,
    #[msg("Funding parameters out of bounds")]
    InvalidFundingParams,
    #[msg("Unrealized-pnl initial weight must be at most 100%")]
    InvalidPnlWeight,
    #[msg("Liquidation buffer out of bounds")]
    InvalidLiquidationBuffer,
    #[msg("Unknown market status")]
    InvalidMarketStatus,
    #[msg("Unknown oracle source")]
    InvalidOracleSource,
    #[msg("Market symbol must be non-empty ASCII")]
    InvalidSymbol,

    // --- oracle ---
    #[msg("Oracle account is not the market's oracle")]
    OracleWrongKey,
    #[msg("Oracle account is not owned by the Pyth program")]
    OracleWrongOwner,
    #[msg("Oracle account data is not a valid Pyth price account")]
    OracleInvalidData,
    #[msg("Pyth price update is for another feed id")]
    OracleWrongFeedId,
    #[msg("Pyth price update is not fully verified")]
    OracleUnverified,
    #[msg("Pyth price status is not Trading")]
    OracleNotTrading,
    #[msg("Oracle price is not positive")]
    OracleNonPositivePrice,
    #[msg("Oracle confidence interval is too wide")]
    OracleConfidenceTooWide,
    #[msg("Oracle price is stale")]
    OracleStale,
    #[msg("Oracle publish time is in the future")]
    OracleFuturePublishTime,
    #[msg("Oracle publish time is older than the last one the market used")]
    OraclePublishTimeRegressed,
    #[msg("Oracle exponent out of range")]
    OracleExponentOutOfRange,

    // --- health accounts (remaining accounts) ---
    #[msg("A (market, oracle) health account pair is missing")]
    HealthAccountMissing,
    #[msg("More health accounts than the positions need")]
    HealthAccountUnexpected,
    #[msg("A health account is not a market of this program")]
    HealthAccountNotMarket,
    #[msg("A market appears twice in the health accounts")]
    HealthAccountDuplicate,
    #[msg("Health account market is not the one the position order expects")]
    HealthAccountWrongMarket,
    #[msg("Health account oracle is not the market's oracle")]
    HealthAccountWrongOracle,

    // --- trading and funding ---
    #[msg("Taker and maker must be different margin accounts")]
    SelfTrade,
    #[msg("Market is paused")]
    MarketPaused,
    #[msg("Market is reduce-only: the fill must shrink both positions")]
    MarketReduceOnly,
    #[msg("Fill size must not be zero")]
    InvalidFillSize,
    #[msg("Fill size is not a multiple of the market's lot")]
    SizeNotMultipleOfLot,
    #[msg("Fill size is below the market's minimum (unless it closes a position)")]
    FillBelowMinimum,
    #[msg("A position would be left open below the market's minimum")]
    PositionBelowMinimum,
    #[msg("Fill price is outside the market's band around the oracle price")]
    PriceOutsideBand,
    #[msg("Fill would take open interest above the market's cap")]
    OpenInterestCapExceeded,
    #[msg("Funding was already updated this period")]
    FundingNotDue,
    #[msg("Market account is not the market of the given index")]
    MarketIndexMismatch,

    // --- liquidation ---
    #[msg("A liquidator cannot liquidate its own margin account")]
    SelfLiquidation,
    #[msg("Account is not liquidatable: equity is at or above maintenance")]
    NotLiquidatable,
    #[msg("Liquidatee has no position in this market")]
    NoPositionToLiquidate,
    #[msg("Liquidation price is worse than the liquidator's limit")]
    LiquidationLimitPrice,
    #[msg("Nothing to take over: max_base is below one lot")]
    LiquidationSizeZero,
    #[msg("Liquidator would be below its initial margin requirement")]
    LiquidatorUnderMargin,
}

/// The custom error number a result carries, if it failed with an Anchor error (for tests and
/// off-chain callers; compare with `u32::from(ErrorCode::X)`).
pub fn code_of<T>(r: Result<T>) -> Option<u32> {
    match r {
        Err(Error::AnchorError(e)) => Some(e.error_code_number),
        _ => None,
    }
}
