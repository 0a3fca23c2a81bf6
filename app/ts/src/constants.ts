// Units, bounds and addresses of the program (programs/cross_margin/src/constants.rs, oracle.rs).
import { PublicKey } from "@solana/web3.js";

import { IDL } from "./idl.js";

export const PROGRAM_ID = new PublicKey(IDL.address);
export const TOKEN_PROGRAM_ID = new PublicKey("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA");
/** The associated token account program: a wallet's token account for a mint is its PDA. */
export const ASSOCIATED_TOKEN_PROGRAM_ID = new PublicKey("ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL");
export const SYSTEM_PROGRAM_ID = new PublicKey("11111111111111111111111111111111");
export const COMPUTE_BUDGET_PROGRAM_ID = new PublicKey("ComputeBudget111111111111111111111111111111");
export const ADDRESS_LOOKUP_TABLE_PROGRAM_ID = new PublicKey("AddressLookupTab1e1111111111111111111111111");
/** The upgradeable BPF loader: the program's `ProgramData` (its upgrade authority) is its PDA. */
export const BPF_LOADER_UPGRADEABLE_PROGRAM_ID = new PublicKey("BPFLoaderUpgradeab1e11111111111111111111111");
export const SYSVAR_CLOCK_ID = new PublicKey("SysvarC1ock11111111111111111111111111111111");
export const SYSVAR_RENT_ID = new PublicKey("SysvarRent111111111111111111111111111111111");
/** Owner of Pyth pull `PriceUpdateV2` accounts (the Pyth Solana receiver). */
export const PYTH_RECEIVER_PROGRAM_ID = new PublicKey("rec5EKMGg6MxZYaMdyBfgwp4d5rB9T1VQH5pJv5LtFJ");
/** Owner of legacy Pyth price accounts (Solana mainnet oracle program). */
export const PYTH_LEGACY_PROGRAM_ID = new PublicKey("FsJ3A3u2vn5cTVofAjvy6y5kwABJAqYWpe4975bi2epH");
/** The Pyth push-oracle program: sponsored feed accounts are its PDAs `[shard as u16 LE, feed id]`. */
export const PYTH_PUSH_ORACLE_PROGRAM_ID = new PublicKey("pythWSnswVUd12oZpeFP8e9CVaEqJg25g1Vtc2biRsT");
/** The only sponsored-feed shard the program accepts. */
export const PYTH_FEED_SHARD = 0;

/** Quote (USDC) native units per whole USDC. */
export const QUOTE_PRECISION = 1_000_000n;
/** Base native units per whole contract (1 ETH = 1e9; a market of 1,000 tokens per contract: 1e9 per 1,000). */
export const BASE_PRECISION = 1_000_000_000n;
/** Prices are quote native units per whole contract: $3,000.00 = 3_000_000_000n. */
export const PRICE_PRECISION = 1_000_000n;
export const PRICE_EXPONENT = -6;
/** Ratios, fees and weights are parts per million: 5% = 50_000. */
export const RATIO_PRECISION = 1_000_000n;
/** Funding indices are quote native units per whole base unit times this scale. */
export const FUNDING_INDEX_SCALE = 1_000n;
/** Display funding rates are parts per billion per day. */
export const RATE_PRECISION = 1_000_000_000n;
export const MAX_POSITIONS = 16;
/** A portfolio requirement is never below this share of the standard one (25%). */
export const PORTFOLIO_FLOOR = 250_000n;
/** Largest systematic share a market may have (75%). */
export const MAX_SYSTEMATIC_SHARE = 750_000;
/** Highest margin group id (0 offsets nothing). */
export const MAX_MARGIN_GROUP = 64;
/** Largest power of ten a contract may bundle (1e9 tokens). */
export const MAX_UNIT_EXPONENT = 9;
/** Shortest and longest timelock delay of queued admin changes. */
export const MIN_TIMELOCK_DELAY_SECS = 86_400;
export const MAX_TIMELOCK_DELAY_SECS = 30 * 86_400;
/** Lookup tables the exchange can record. */
export const MAX_LOOKUP_TABLES = 4;
/** Orders per trigger-order account. */
export const TRIGGER_ORDER_CAPACITY = 32;
export const MAX_LIQUIDATION_BUFFER = 1_000_000;

export const EXCHANGE_SEED = "exchange";
export const VAULT_SEED = "vault";
export const MARKET_SEED = "market";
export const MARGIN_ACCOUNT_SEED = "margin_account";
export const ADMIN_ACTION_SEED = "admin_action";
export const TRIGGER_ORDERS_SEED = "trigger_orders";

/** `Market.oracle_source` */
export const OracleSource = { PythPull: 0, PythLegacy: 1 } as const;
export type OracleSource = (typeof OracleSource)[keyof typeof OracleSource];

/** `Market.status`: ReduceOnly and Paused are protective and expire at `statusExpiresAt`. */
export const MarketStatus = { Active: 0, ReduceOnly: 1, Paused: 2, Settled: 3 } as const;
export type MarketStatus = (typeof MarketStatus)[keyof typeof MarketStatus];

/** `MarginAccount.margin_mode` */
export const MarginMode = { Standard: 0, Portfolio: 1 } as const;
export type MarginMode = (typeof MarginMode)[keyof typeof MarginMode];

/** `TriggerOrder.kind` */
export const TriggerKind = { StopLoss: 0, TakeProfit: 1 } as const;
export type TriggerKind = (typeof TriggerKind)[keyof typeof TriggerKind];

/** `QueuedAction.status` */
export const ActionStatus = { Queued: 0, Executed: 1, Cancelled: 2 } as const;
export type ActionStatus = (typeof ActionStatus)[keyof typeof ActionStatus];

/** `TriggerOrder.flags` */
export const TriggerOrderFlags = { IN_USE: 1, LONG: 2, BY_DELEGATE: 4 } as const;
