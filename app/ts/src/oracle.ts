// Reading a market's Pyth price off-chain, with the program's own rules (oracle.rs): the owner must
// be the source's program, a pull update must carry the market's feed id and be fully verified,
// a legacy account must be trading; values are scaled to 1e-6 (price and ema rounded down,
// confidence up). Staleness and confidence limits are checked by `checkPrice`.
import { PublicKey } from "@solana/web3.js";

import { PRICE_EXPONENT, PYTH_LEGACY_PROGRAM_ID, PYTH_RECEIVER_PROGRAM_ID, RATIO_PRECISION, OracleSource } from "./constants.js";
import { divCeil, divFloor } from "./math.js";

/** A price at PRICE_PRECISION (1e-6), as the program sees it. */
export interface OraclePrice {
  price: bigint;
  /** Confidence interval, rounded up. */
  conf: bigint;
  /** Exponential moving average price (0 when the source has none). */
  emaPrice: bigint;
  /** Unix seconds. */
  publishTime: bigint;
}

/** Named like the program's error codes. */
export type OracleErrorName =
  | "OracleWrongOwner"
  | "OracleInvalidData"
  | "OracleWrongFeedId"
  | "OracleUnverified"
  | "OracleNotTrading"
  | "OracleExponentOutOfRange"
  | "OracleNonPositivePrice"
  | "OracleConfidenceTooWide"
  | "OracleFuturePublishTime"
  | "OracleStale"
  | "OraclePublishTimeRegressed"
  | "MathOverflow";

export class OracleError extends Error {
  constructor(
    readonly code: OracleErrorName,
    message?: string,
  ) {
    super(message === undefined ? code : `${code}: ${message}`);
  }
}

/** Anchor discriminator of the receiver's `PriceUpdateV2` account (sha256("account:PriceUpdateV2")[..8]). */
export const PRICE_UPDATE_V2_DISCRIMINATOR = Uint8Array.of(34, 241, 35, 99, 157, 126, 244, 205);
const LEGACY_MAGIC = 0xa1b2c3d4;
const LEGACY_VERSION = 2;
const LEGACY_ACCOUNT_TYPE_PRICE = 3;
const LEGACY_STATUS_TRADING = 1;
/** `size_of::<GenericPriceAccount<32, ()>>()` in pyth-sdk-solana 0.10. */
export const LEGACY_PRICE_ACCOUNT_SIZE = 3312;
/** How far in the future (validator clock) a publish time may be. */
export const MAX_ORACLE_FUTURE_SKEW_SECS = 10n;

const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;

function toI64(v: bigint): bigint {
  if (v < I64_MIN || v > I64_MAX) throw new OracleError("MathOverflow");
  return v;
}

/** `value * 10^expo` at 1e-6 precision, rounded as asked. */
export function toPricePrecision(value: bigint, expo: number, roundUp: boolean): bigint {
  if (expo < -18 || expo > 12) throw new OracleError("OracleExponentOutOfRange", `exponent ${expo}`);
  const shift = expo - PRICE_EXPONENT;
  if (shift >= 0) return toI64(value * 10n ** BigInt(shift));
  const d = 10n ** BigInt(-shift);
  return toI64(roundUp ? divCeil(value, d) : divFloor(value, d));
}

function view(data: Uint8Array): DataView {
  return new DataView(data.buffer, data.byteOffset, data.byteLength);
}

/** Parses a Pyth pull `PriceUpdateV2` account's data. */
export function parsePythPull(data: Uint8Array, feedId: Uint8Array): OraclePrice {
  const invalid = (why: string) => new OracleError("OracleInvalidData", why);
  if (data.length < 41 || !PRICE_UPDATE_V2_DISCRIMINATOR.every((b, i) => data[i] === b)) {
    throw invalid("not a PriceUpdateV2 account");
  }
  // write_authority (32 bytes), then VerificationLevel: 0 = Partial { num_signatures: u8 }, 1 = Full
  let at = 40;
  const level = data[at];
  if (level === 0) at += 2;
  else if (level === 1) at += 1;
  else throw invalid(`verification level tag ${level}`);
  // PriceFeedMessage (84 bytes), then posted_slot (u64)
  if (data.length < at + 84 + 8) throw invalid("account data too short");
  const v = view(data);
  const feed = data.subarray(at, at + 32);
  const price = v.getBigInt64(at + 32, true);
  const conf = v.getBigUint64(at + 40, true);
  const exponent = v.getInt32(at + 48, true);
  const publishTime = v.getBigInt64(at + 52, true);
  const emaPrice = v.getBigInt64(at + 68, true);
  if (feedId.length !== 32 || !feed.every((b, i) => feedId[i] === b)) throw new OracleError("OracleWrongFeedId");
  if (level !== 1) throw new OracleError("OracleUnverified");
  if (conf > I64_MAX) throw invalid("confidence above i64");
  return {
    price: toPricePrecision(price, exponent, false),
    conf: toPricePrecision(conf, exponent, true),
    emaPrice: toPricePrecision(emaPrice, exponent, false),
    publishTime,
  };
}

/** Parses a legacy Pyth price account's data (pyth-sdk-solana's `GenericPriceAccount<32, ()>`). */
export function parsePythLegacy(data: Uint8Array): OraclePrice {
  if (data.length < LEGACY_PRICE_ACCOUNT_SIZE) throw new OracleError("OracleInvalidData", "account data too short");
  const v = view(data);
  if (
    v.getUint32(0, true) !== LEGACY_MAGIC ||
    v.getUint32(4, true) !== LEGACY_VERSION ||
    v.getUint32(8, true) !== LEGACY_ACCOUNT_TYPE_PRICE
  ) {
    throw new OracleError("OracleInvalidData", "not a Pyth v2 price account");
  }
  if (v.getUint32(224, true) !== LEGACY_STATUS_TRADING) throw new OracleError("OracleNotTrading");
  const expo = v.getInt32(20, true);
  const conf = v.getBigUint64(216, true);
  if (conf > I64_MAX) throw new OracleError("OracleInvalidData", "confidence above i64");
  return {
    price: toPricePrecision(v.getBigInt64(208, true), expo, false),
    conf: toPricePrecision(conf, expo, true),
    emaPrice: toPricePrecision(v.getBigInt64(48, true), expo, false),
    publishTime: v.getBigInt64(96, true),
  };
}

/** Parses an oracle account of `source` (its owner and data) for a market with `feedId`. */
export function parseOracle(
  owner: PublicKey,
  data: Uint8Array,
  source: number,
  feedId: Uint8Array,
): OraclePrice {
  const expected =
    source === OracleSource.PythPull
      ? PYTH_RECEIVER_PROGRAM_ID
      : source === OracleSource.PythLegacy
        ? PYTH_LEGACY_PROGRAM_ID
        : undefined;
  if (expected === undefined) throw new OracleError("OracleInvalidData", `oracle source ${source}`);
  if (!owner.equals(expected)) throw new OracleError("OracleWrongOwner", owner.toBase58());
  return source === OracleSource.PythPull ? parsePythPull(data, feedId) : parsePythLegacy(data);
}

/** The limits a market puts on a price (trading uses `maxOracleAgeSecs`, liquidation its own). */
export interface OracleLimits {
  maxAgeSecs: number;
  maxConfRatio: number;
  lastPublishTime: bigint;
}

/** The checks the program makes before using a price, in its order. */
export function checkPrice(p: OraclePrice, limits: OracleLimits, now: bigint): void {
  if (p.price <= 0n) throw new OracleError("OracleNonPositivePrice");
  if (p.conf * RATIO_PRECISION > p.price * BigInt(limits.maxConfRatio)) throw new OracleError("OracleConfidenceTooWide");
  if (p.publishTime > now + MAX_ORACLE_FUTURE_SKEW_SECS) throw new OracleError("OracleFuturePublishTime");
  if (now - p.publishTime > BigInt(limits.maxAgeSecs)) throw new OracleError("OracleStale");
  if (p.publishTime < limits.lastPublishTime) throw new OracleError("OraclePublishTimeRegressed");
}
