// Reading a market's Pyth price off-chain, with the program's own rules (oracle.rs), in its order:
// the owner must be the source's program; a pull update must parse, carry the market's feed id,
// be fully verified and be its own write authority (the sponsored feed account: one a stranger
// posted is refused); a legacy account must parse as a v2 price account and be trading. Values
// are per contract of 10^unitExponent tokens, at 1e-6 (price and ema rounded down, confidence
// up). Staleness and confidence limits are checked by `checkPrice`.
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

/** What identifies a market's oracle (a decoded `Market` is one, see `oracleSpecOf`). */
export interface OracleSpec {
  source: number;
  /** The feed id a pull update must carry (unused for legacy accounts). */
  feedId: Uint8Array;
  /** Prices are per contract of 10^unitExponent tokens. */
  unitExponent: number;
}

export function oracleSpecOf(m: { oracleSource: number; pythFeedId: Uint8Array; unitExponent: number }): OracleSpec {
  return { source: m.oracleSource, feedId: m.pythFeedId, unitExponent: m.unitExponent };
}

/** Named like the program's error codes. */
export type OracleErrorName =
  | "OracleWrongOwner"
  | "OracleInvalidData"
  | "OracleWrongFeedId"
  | "OracleUnverified"
  | "OracleNotSponsoredFeed"
  | "OracleNotTrading"
  | "OracleExponentOutOfRange"
  | "OracleNonPositivePrice"
  | "OracleConfidenceTooWide"
  | "OracleFuturePublishTime"
  | "OracleStale"
  | "OraclePublishTimeRegressed"
  | "InvalidOracleSource"
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

function confToPricePrecision(conf: bigint, expo: number): bigint {
  if (conf > I64_MAX) throw new OracleError("OracleInvalidData", "confidence above i64");
  return toPricePrecision(conf, expo, true);
}

/** `i32::saturating_add` of the source's exponent and the market's unit exponent. */
function unitExpo(expo: number, unitExponent: number): number {
  return Math.min(expo + unitExponent, 0x7fff_ffff);
}

function view(data: Uint8Array): DataView {
  return new DataView(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * Parses a Pyth pull `PriceUpdateV2` account's data for `feedId`. `account`: the address it was
 * read from, which must be its write authority (the sponsored feed account); `undefined` skips
 * that check (the bytes alone).
 */
export function parsePythPull(data: Uint8Array, feedId: Uint8Array, account: PublicKey | undefined, unitExponent = 0): OraclePrice {
  const invalid = (why: string) => new OracleError("OracleInvalidData", why);
  if (data.length < 8 || !PRICE_UPDATE_V2_DISCRIMINATOR.every((b, i) => data[i] === b)) {
    throw invalid("not a PriceUpdateV2 account");
  }
  // write_authority (32 bytes), then VerificationLevel: 0 = Partial { num_signatures: u8 }, 1 = Full
  let at = 40;
  if (data.length <= at) throw invalid("account data too short");
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
  if (account !== undefined && !new PublicKey(data.subarray(8, 40)).equals(account)) {
    throw new OracleError("OracleNotSponsoredFeed", `written by ${new PublicKey(data.subarray(8, 40)).toBase58()}`);
  }
  const expo = unitExpo(exponent, unitExponent);
  return {
    price: toPricePrecision(price, expo, false),
    conf: confToPricePrecision(conf, expo),
    emaPrice: toPricePrecision(emaPrice, expo, false),
    publishTime,
  };
}

/** Parses a legacy Pyth price account's data (pyth-sdk-solana's `GenericPriceAccount<32, ()>`). */
export function parsePythLegacy(data: Uint8Array, unitExponent = 0): OraclePrice {
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
  const expo = unitExpo(v.getInt32(20, true), unitExponent);
  return {
    price: toPricePrecision(v.getBigInt64(208, true), expo, false),
    conf: confToPricePrecision(v.getBigUint64(216, true), expo),
    emaPrice: toPricePrecision(v.getBigInt64(48, true), expo, false),
    publishTime: v.getBigInt64(96, true),
  };
}

/**
 * Parses the oracle account at `address` (its owner and data) for a market of `spec`, as the
 * program does (without freshness).
 */
export function parseOracle(address: PublicKey, owner: PublicKey, data: Uint8Array, spec: OracleSpec): OraclePrice {
  const expected =
    spec.source === OracleSource.PythPull
      ? PYTH_RECEIVER_PROGRAM_ID
      : spec.source === OracleSource.PythLegacy
        ? PYTH_LEGACY_PROGRAM_ID
        : undefined;
  if (expected === undefined) throw new OracleError("InvalidOracleSource", `oracle source ${spec.source}`);
  if (!owner.equals(expected)) throw new OracleError("OracleWrongOwner", owner.toBase58());
  return spec.source === OracleSource.PythPull
    ? parsePythPull(data, spec.feedId, address, spec.unitExponent)
    : parsePythLegacy(data, spec.unitExponent);
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
