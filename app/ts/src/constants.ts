// Units and addresses of the program (programs/cross_margin/src/constants.rs).
import { PublicKey } from "@solana/web3.js";

import { IDL } from "./idl.js";

export const PROGRAM_ID = new PublicKey(IDL.address);
export const TOKEN_PROGRAM_ID = new PublicKey("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA");
export const SYSTEM_PROGRAM_ID = new PublicKey("11111111111111111111111111111111");
/** Owner of Pyth pull `PriceUpdateV2` accounts (the Pyth Solana receiver). */
export const PYTH_RECEIVER_PROGRAM_ID = new PublicKey("rec5EKMGg6MxZYaMdyBfgwp4d5rB9T1VQH5pJv5LtFJ");
/** Owner of legacy Pyth price accounts (Solana mainnet oracle program). */
export const PYTH_LEGACY_PROGRAM_ID = new PublicKey("FsJ3A3u2vn5cTVofAjvy6y5kwABJAqYWpe4975bi2epH");

/** Quote (USDC) native units per whole USDC. */
export const QUOTE_PRECISION = 1_000_000n;
/** Base native units per whole unit of the underlying (1 ETH = 1e9). */
export const BASE_PRECISION = 1_000_000_000n;
/** Prices are quote native units per whole base unit: $3,000.00 = 3_000_000_000n. */
export const PRICE_PRECISION = 1_000_000n;
export const PRICE_EXPONENT = -6;
/** Ratios, fees and weights are parts per million: 5% = 50_000. */
export const RATIO_PRECISION = 1_000_000n;
/** Funding indices are quote native units per whole base unit times this scale. */
export const FUNDING_INDEX_SCALE = 1_000n;
/** Display funding rates are parts per billion per day. */
export const RATE_PRECISION = 1_000_000_000n;
export const MAX_POSITIONS = 16;

export const EXCHANGE_SEED = "exchange";
export const VAULT_SEED = "vault";
export const MARKET_SEED = "market";
export const MARGIN_ACCOUNT_SEED = "margin_account";

/** `Market.oracle_source` */
export const OracleSource = { PythPull: 0, PythLegacy: 1 } as const;
export type OracleSource = (typeof OracleSource)[keyof typeof OracleSource];

/** `Market.status` */
export const MarketStatus = { Active: 0, ReduceOnly: 1, Paused: 2 } as const;
export type MarketStatus = (typeof MarketStatus)[keyof typeof MarketStatus];
