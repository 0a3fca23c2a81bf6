// Request for quote: a market maker co-signs the taker's fill (the flow of Jupiter's and OKX's
// Solana RFQ), against the reference maker's HTTP API (`crossmargin maker run`: `GET /markets`,
// `POST /quote`). The taker checks a quoted transaction before signing it, exactly as the Rust
// SDK does (`crossmargin_sdk::rfq::verify_quote_transaction`, the same refusals in the same
// order): exactly one fill of the market, size and counterparty asked for, at a price within the
// taker's limit, with the health accounts derived from both accounts, nothing else but one
// compute-unit limit and one compute-unit price (each bounded), the taker as fee payer, exactly
// the taker and the maker as signers, the taker's slot empty and the maker's signature valid, and
// only the exchange's lookup tables. A maker that changes anything is refused and nothing is
// signed. `takeQuote` is the taker's flow of `crossmargin trade` (app/keeper/src/rfq.rs): ask
// each maker, verify every quote against what the taker reads on chain itself, take the best.
import { ed25519 } from "@noble/curves/ed25519";
import {
  type AccountMeta,
  type AddressLookupTableAccount,
  type Commitment,
  type Connection,
  type Keypair,
  PublicKey,
  VersionedTransaction,
} from "@solana/web3.js";
import { Buffer } from "buffer";

import { checkOwner, decodeExchange, decodeMarginAccount, decodeMarket, type Exchange, type MarginAccount, type Market } from "./accounts.js";
import { type AccountReader, fetchAccounts } from "./client.js";
import { BPF_LOADER_UPGRADEABLE_PROGRAM_ID, COMPUTE_BUDGET_PROGRAM_ID, PROGRAM_ID, SYSVAR_CLOCK_ID } from "./constants.js";
import { healthMarketOrder, healthMetas } from "./health.js";
import { IDL } from "./idl.js";
import { buildInstruction } from "./instructions.js";
import { checkPrice, type OraclePrice, oracleSpecOf, parseOracle } from "./oracle.js";
import { exchangeAddress, marginAccountAddress, marketAddress } from "./pda.js";
import { isSettled } from "./risk.js";
import { decodeLookupTable, type LookupTable } from "./tx.js";

/** The most compute units a transaction may ask for (the runtime's limit). */
export const MAX_COMPUTE_UNITS = 1_400_000;
/** `crossmargin trade`'s defaults: the worst price accepted (bps from the oracle), the largest compute-unit price, the per-request timeout. */
export const DEFAULT_MAX_SLIPPAGE_BPS = 50;
export const DEFAULT_MAX_COMPUTE_UNIT_PRICE = 100_000n;
export const DEFAULT_QUOTE_TIMEOUT_MS = 10_000;

// ------------------------------------------------------------------------------- wire types

/** One market a maker quotes (`GET /markets`). */
export interface QuotedMarket {
  marketIndex: number;
  symbol: string;
  /** Largest |size| quoted, base native units (decimal string). */
  maxSize: string;
  spreadBps: number;
  /** Indicative prices for the smallest size now (1e-6 USD), when the oracle is usable. */
  bid: string | null;
  ask: string | null;
  /** The maker's position in the market, base native units. */
  inventory: string;
}

/** `GET /markets`. */
export interface MarketsResponse {
  /** The key that signs the maker's side. */
  maker: string;
  /** The margin account that takes the other side. */
  makerAccount: string;
  markets: QuotedMarket[];
}

/** `POST /quote`'s body (the wire form). */
export interface QuoteRequestBody {
  taker: string;
  subAccount: number;
  marketIndex: number;
  /** Base native units, signed (positive: the taker buys), decimal string. */
  size: string;
}

/** `POST /quote`, answered. */
export interface QuoteResponse {
  marketIndex: number;
  size: string;
  /** The fill price, 1e-6 USD. */
  price: string;
  oraclePrice: string;
  maker: string;
  makerAccount: string;
  /** The quote holds until this block height (its blockhash's validity). */
  lastValidBlockHeight: number;
  /** Unix time by which it expires at the cluster's slot pace (indicative). */
  expiresAt: number;
  /** The fill transaction, base64: the maker has signed; the taker pays and signs. */
  transaction: string;
}

/** What a taker asks a maker for. */
export interface QuoteRequest {
  /** The taker's wallet: fee payer and signer. */
  taker: PublicKey;
  subAccountId?: number;
  marketIndex: number;
  /** Signed base size, native units (positive: buy). */
  size: bigint;
}

/** A maker's answer: both responses as sent, the transaction decoded (not yet verified). */
export interface Quote {
  url: string;
  markets: MarketsResponse;
  response: QuoteResponse;
  maker: PublicKey;
  makerAccount: PublicKey;
  transaction: VersionedTransaction;
}

export interface RequestOptions {
  /** Default: the global `fetch`. */
  fetch?: typeof fetch;
  /** Per request (default 10 s). */
  timeoutMs?: number;
}

/** The maker answered with an error status: its `{error, reason}` (reason "unknown" when the body was not that). */
export class MakerError extends Error {
  constructor(
    readonly url: string,
    readonly status: number,
    readonly error: string,
    readonly reason: string,
  ) {
    super(`${url}: refused (${status} ${reason}): ${error}`);
    this.name = "MakerError";
  }
}

/** The maker could not be reached, timed out, or answered something that is not its API. */
export class MakerUnavailable extends Error {
  constructor(
    readonly url: string,
    message: string,
  ) {
    super(`${url}: ${message}`);
    this.name = "MakerUnavailable";
  }
}

// ------------------------------------------------------------------------------- the checks

/** What the taker asked for and will accept (the Rust SDK's `rfq::Expected`). */
export interface QuoteExpectation {
  /** The taker's wallet: fee payer and signer. */
  taker: PublicKey;
  takerAccount: PublicKey;
  /** From the maker's `GET /markets`. */
  maker: PublicKey;
  makerAccount: PublicKey;
  marketIndex: number;
  oracle: PublicKey;
  /** Signed base size. */
  size: bigint;
  /** The worst price accepted: at most this when buying, at least when selling. */
  limitPrice: bigint;
  /** The health accounts derived from both accounts as they are (`fillHealth`). */
  health: readonly AccountMeta[];
  /** The exchange's registered lookup tables (no other table may resolve an address). */
  tables: readonly LookupTable[];
  maxComputeUnits: number;
  /** Largest compute-unit price (micro-lamports) the taker pays. */
  maxComputeUnitPrice: bigint;
}

/** Why a quoted transaction was refused: the Rust SDK's `QuoteRejected` variants. */
export type QuoteRejectedKind =
  | "Malformed"
  | "FeePayer"
  | "Signers"
  | "MakerSignature"
  | "TakerSigned"
  | "UnknownTable"
  | "ExtraInstruction"
  | "FillCount"
  | "ComputeBudget"
  | "ComputeUnits"
  | "ComputeUnitPrice"
  | "Market"
  | "Size"
  | "Price"
  | "Accounts";

/** A quoted transaction the taker refuses: `kind` says which check (the Rust variant's name), the message what was found. */
export class QuoteRejected extends Error {
  constructor(
    readonly kind: QuoteRejectedKind,
    message: string,
  ) {
    super(message);
    this.name = "QuoteRejected";
  }
}

const reject = (kind: QuoteRejectedKind, message: string) => new QuoteRejected(kind, message);
const malformed = (why: string) => reject("Malformed", `the transaction does not decode: ${why}`);

/** The fill instruction's discriminator (the IDL's). */
const FILL_DISCRIMINATOR = Uint8Array.from(IDL.instructions.find((i) => i.name === "fill")?.discriminator ?? []);

/**
 * `VersionedTransaction::sanitize`: the message's own bounds (legacy or v0), then one signature
 * per required signer, every signer a static key.
 */
function sanitize(tx: VersionedTransaction): void {
  const m = tx.message;
  const h = m.header;
  const keys = m.staticAccountKeys.length;
  const ixs = m.compiledInstructions;
  const outOfBounds = "index out of bounds";
  if (h.numRequiredSignatures + h.numReadonlyUnsignedAccounts > keys) throw malformed(outOfBounds);
  if (m.version === "legacy") {
    if (h.numReadonlySignedAccounts >= h.numRequiredSignatures) throw malformed(outOfBounds);
    for (const ci of ixs) {
      if (ci.programIdIndex >= keys || ci.programIdIndex === 0) throw malformed(outOfBounds);
      if (ci.accountKeyIndexes.some((a) => a >= keys)) throw malformed(outOfBounds);
    }
  } else {
    if (h.numReadonlySignedAccounts >= h.numRequiredSignatures) throw malformed("invalid value");
    let dynamic = 0;
    for (const l of m.addressTableLookups) {
      const n = l.writableIndexes.length + l.readonlyIndexes.length;
      if (n === 0) throw malformed("invalid value");
      dynamic += n;
    }
    if (keys === 0) throw malformed("invalid value");
    const total = keys + dynamic;
    if (total > 256) throw malformed(outOfBounds);
    for (const ci of ixs) {
      if (ci.programIdIndex > keys - 1 || ci.programIdIndex === 0) throw malformed(outOfBounds);
      if (ci.accountKeyIndexes.some((a) => a > total - 1)) throw malformed(outOfBounds);
    }
  }
  const n = h.numRequiredSignatures;
  if (n > tx.signatures.length) throw malformed(outOfBounds);
  if (n < tx.signatures.length) throw malformed("invalid value");
  if (tx.signatures.length > keys) throw malformed(outOfBounds);
}

/** The addresses the message names, in order: static keys, then those it loads from `tables` (writable, then readonly). */
function resolve(tx: VersionedTransaction, tables: readonly LookupTable[]): PublicKey[] {
  const keys = [...tx.message.staticAccountKeys];
  const w: PublicKey[] = [];
  const r: PublicKey[] = [];
  for (const l of tx.message.addressTableLookups) {
    const t = tables.find((x) => x.key.equals(l.accountKey));
    if (t === undefined) throw reject("UnknownTable", `lookup table ${l.accountKey.toBase58()} is not one of the exchange's`);
    const get = (i: number): PublicKey => {
      const a = t.state.addresses[i];
      if (a === undefined) throw malformed("lookup index out of range");
      return a;
    };
    for (const i of l.writableIndexes) w.push(get(i));
    for (const i of l.readonlyIndexes) r.push(get(i));
  }
  return [...keys, ...w, ...r];
}

/** `VersionedMessage::is_maybe_writable(i, None)`: the header's (or the lookups') writable range, program ids demoted. */
function isMaybeWritable(tx: VersionedTransaction, i: number): boolean {
  const m = tx.message;
  const h = m.header;
  const keys = m.staticAccountKeys.length;
  let writable: boolean;
  if (m.version === "legacy") {
    writable = i < h.numRequiredSignatures - h.numReadonlySignedAccounts || (i >= h.numRequiredSignatures && i < keys - h.numReadonlyUnsignedAccounts);
  } else if (i >= keys) {
    writable = i - keys < m.addressTableLookups.reduce((n, l) => n + l.writableIndexes.length, 0);
  } else if (i >= h.numRequiredSignatures) {
    writable = i - h.numRequiredSignatures < Math.max(0, keys - h.numRequiredSignatures - h.numReadonlyUnsignedAccounts);
  } else {
    writable = i < h.numRequiredSignatures - h.numReadonlySignedAccounts;
  }
  const calledAsProgram = i <= 255 && m.compiledInstructions.some((ci) => ci.programIdIndex === i);
  const loader = m.staticAccountKeys.some((k) => k.equals(BPF_LOADER_UPGRADEABLE_PROGRAM_ID));
  return writable && !(calledAsProgram && !loader);
}

/** ed25519 as `Signature::verify` checks it (dalek's `verify_strict`: canonical encodings, no small-order key or R). */
function verifyStrict(signature: Uint8Array, message: Uint8Array, key: Uint8Array): boolean {
  try {
    const Point = ed25519.ExtendedPoint;
    if (Point.fromHex(key).isSmallOrder() || Point.fromHex(signature.subarray(0, 32)).isSmallOrder()) return false;
    return ed25519.verify(signature, message, key, { zip215: false });
  } catch {
    return false;
  }
}

function readI64(d: DataView, at: number): bigint {
  return d.getBigInt64(at, true);
}

/** The fill instruction the SDK builds for these parties, market, size and price (`crossmargin_sdk::instructions::fill`). */
export function expectedFill(
  e: Pick<QuoteExpectation, "taker" | "maker" | "takerAccount" | "makerAccount" | "marketIndex" | "oracle" | "size" | "health">,
  price: bigint,
) {
  return buildInstruction(
    "fill",
    {
      taker_authority: e.taker,
      maker_authority: e.maker,
      exchange: exchangeAddress(),
      market: marketAddress(e.marketIndex),
      oracle: e.oracle,
      taker: e.takerAccount,
      maker: e.makerAccount,
    },
    { market_index: e.marketIndex, taker_base_delta: e.size, price },
    e.health.map((m) => ({ ...m })),
  );
}

/**
 * Checks a quoted transaction before the taker signs it; returns the fill's price. Refuses, with
 * a `QuoteRejected` whose `kind` names the check, exactly what `verify_quote_transaction` of the
 * Rust SDK refuses, in its order.
 */
export function verifyQuoteTransaction(tx: VersionedTransaction, e: QuoteExpectation): bigint {
  sanitize(tx);
  const message = tx.message;
  const keys = resolve(tx, e.tables);
  const signers = message.staticAccountKeys.slice(0, message.header.numRequiredSignatures);
  const first = signers[0];
  if (first === undefined || !first.equals(e.taker)) {
    throw reject("FeePayer", `the fee payer is ${(first ?? PublicKey.default).toBase58()}, not the taker`);
  }
  if (signers.length !== 2 || !(signers[1] as PublicKey).equals(e.maker)) {
    throw reject("Signers", `the transaction needs signatures from [${signers.map((s) => s.toBase58()).join(", ")}], not exactly the taker and the maker`);
  }
  if (tx.signatures.length !== 2) throw malformed("signature count");
  if (!(tx.signatures[0] as Uint8Array).every((b) => b === 0)) throw reject("TakerSigned", "the taker's signature slot is already filled");
  if (!verifyStrict(tx.signatures[1] as Uint8Array, message.serialize(), e.maker.toBytes())) {
    throw reject("MakerSignature", "the maker's signature does not verify");
  }

  let limit: number | undefined;
  let unitPrice: bigint | undefined;
  const fills: { data: Uint8Array; accounts: AccountMeta[] }[] = [];
  for (const ci of message.compiledInstructions) {
    const program = keys[ci.programIdIndex];
    if (program === undefined) throw malformed("program index");
    const data = ci.data;
    if (program.equals(COMPUTE_BUDGET_PROGRAM_ID)) {
      // borsh: a variant byte, then the value (2: unit limit u32, 3: unit price u64)
      const d = new DataView(data.buffer, data.byteOffset, data.byteLength);
      if (data[0] === 2 && data.length === 5 && limit === undefined) limit = d.getUint32(1, true);
      else if (data[0] === 3 && data.length === 9 && unitPrice === undefined) unitPrice = d.getBigUint64(1, true);
      else throw reject("ComputeBudget", "a compute-budget instruction other than one unit limit and one unit price");
    } else if (program.equals(PROGRAM_ID)) {
      const accounts = ci.accountKeyIndexes.map((i) => {
        const pubkey = keys[i];
        if (pubkey === undefined) throw malformed("account index");
        return { pubkey, isSigner: i < message.header.numRequiredSignatures, isWritable: isMaybeWritable(tx, i) };
      });
      fills.push({ data: Uint8Array.from(data), accounts });
    } else {
      throw reject("ExtraInstruction", `an instruction of program ${program.toBase58()} that is neither the fill nor a compute budget`);
    }
  }
  if (limit !== undefined && limit > e.maxComputeUnits) {
    throw reject("ComputeUnits", `compute-unit limit ${limit} over the taker's ${e.maxComputeUnits}`);
  }
  if (unitPrice !== undefined && unitPrice > e.maxComputeUnitPrice) {
    throw reject("ComputeUnitPrice", `compute-unit price ${unitPrice} over the taker's ${e.maxComputeUnitPrice} micro-lamports`);
  }
  if (fills.length !== 1) throw reject("FillCount", `${fills.length} fill instructions, not exactly one`);
  const { data, accounts } = fills[0] as { data: Uint8Array; accounts: AccountMeta[] };
  if (data.length < 8 || !FILL_DISCRIMINATOR.every((b, i) => data[i] === b)) throw reject("FillCount", "0 fill instructions, not exactly one");
  // borsh, as Anchor reads it (trailing bytes ignored): market_index u16, taker_base_delta i64, price i64
  if (data.length < 8 + 2 + 8 + 8) throw malformed("Unexpected length of input");
  const d = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const marketIndex = d.getUint16(8, true);
  const size = readI64(d, 10);
  const price = readI64(d, 18);
  if (marketIndex !== e.marketIndex) throw reject("Market", `the fill is for market ${marketIndex}, not the one asked for`);
  if (size !== e.size) throw reject("Size", `the fill trades ${size}, not the size asked for`);
  const worse = e.size > 0n ? price > e.limitPrice : price < e.limitPrice;
  if (worse || price <= 0n) throw reject("Price", `the fill price ${price} is worse than the limit ${e.limitPrice}`);
  // the accounts, with the signer and writable flags the message grants them
  const want = expectedFill(e, price).keys;
  const bad = (detail: string) => reject("Accounts", `the fill's accounts are not the taker's, the maker's and their health accounts (${detail})`);
  if (want.length !== accounts.length) throw bad(`${accounts.length} accounts, not ${want.length}`);
  want.forEach((w, i) => {
    const g = accounts[i] as AccountMeta;
    // the fee payer is writable in every message
    const writable = w.isWritable || w.pubkey.equals(e.taker);
    if (!w.pubkey.equals(g.pubkey) || w.isSigner !== g.isSigner || writable !== g.isWritable) {
      throw bad(
        `account ${i} is ${g.pubkey.toBase58()} (signer ${g.isSigner}, writable ${g.isWritable}), not ${w.pubkey.toBase58()} (signer ${w.isSigner}, writable ${writable})`,
      );
    }
  });
  return price;
}

/** A quoted transaction from its base64 wire form (`QuoteRejected` "Malformed" when it does not decode). */
export function decodeQuoteTransaction(base64: string): VersionedTransaction {
  try {
    const bytes = Buffer.from(base64, "base64");
    if (bytes.length === 0 || bytes.toString("base64") !== base64) throw new Error("not base64");
    return VersionedTransaction.deserialize(Uint8Array.from(bytes));
  } catch (err) {
    throw malformed((err as Error).message);
  }
}

// ------------------------------------------------------------------------------- HTTP

async function getJson(f: typeof fetch, url: string, init: RequestInit, timeoutMs: number): Promise<{ status: number; body: unknown; text: string }> {
  let r: Response;
  try {
    r = await f(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    const e = err as Error;
    const why =
      e.name === "TimeoutError" || e.name === "AbortError"
        ? `no answer within ${timeoutMs} ms`
        : `unreachable: ${e.message}${e.cause instanceof Error ? ` (${e.cause.message})` : ""}`;
    throw new MakerUnavailable(url, why);
  }
  let text: string;
  try {
    text = await r.text();
  } catch (err) {
    throw new MakerUnavailable(url, `the answer was cut off: ${(err as Error).message}`);
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: r.status, body, text };
}

function refusal(url: string, status: number, body: unknown, text: string): MakerError {
  const o = body as { error?: unknown; reason?: unknown } | undefined;
  if (o !== undefined && o !== null && typeof o.error === "string" && typeof o.reason === "string") return new MakerError(url, status, o.error, o.reason);
  return new MakerError(url, status, text.slice(0, 200) || `status ${status}`, "unknown");
}

type Shape = "string" | "number" | "integer" | "nullable-string";

function shaped<T>(url: string, what: string, v: unknown, fields: Record<string, Shape>): T {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new MakerUnavailable(url, `${what} is not a JSON object`);
  const o = v as Record<string, unknown>;
  for (const [k, shape] of Object.entries(fields)) {
    const x = o[k];
    const ok =
      shape === "string"
        ? typeof x === "string"
        : shape === "nullable-string"
          ? x === null || x === undefined || typeof x === "string"
          : shape === "integer"
            ? typeof x === "number" && Number.isSafeInteger(x)
            : typeof x === "number";
    if (!ok) throw new MakerUnavailable(url, `${what}: ${k} is not ${shape === "nullable-string" ? "a string or null" : `a ${shape}`}`);
  }
  return o as T;
}

function address(url: string, what: string, s: string): PublicKey {
  try {
    return new PublicKey(s);
  } catch {
    throw new MakerUnavailable(url, `${what} '${s}' is not an address`);
  }
}

/** `GET /markets` of a maker: what it quotes, its signing key and its margin account. */
export async function fetchMakerMarkets(makerUrl: string, options: RequestOptions = {}): Promise<MarketsResponse> {
  const base = makerUrl.replace(/\/+$/, "");
  const f = options.fetch ?? fetch;
  const url = `${base}/markets`;
  const { status, body, text } = await getJson(
    f,
    url,
    { method: "GET", headers: { accept: "application/json" } },
    options.timeoutMs ?? DEFAULT_QUOTE_TIMEOUT_MS,
  );
  if (status < 200 || status > 299) throw refusal(url, status, body, text);
  const m = shaped<MarketsResponse>(url, "GET /markets", body, { maker: "string", makerAccount: "string" });
  if (!Array.isArray(m.markets)) throw new MakerUnavailable(url, "GET /markets: markets is not an array");
  const markets = m.markets.map((q, i) =>
    shaped<QuotedMarket>(url, `GET /markets: markets[${i}]`, q, {
      marketIndex: "integer",
      symbol: "string",
      maxSize: "string",
      spreadBps: "integer",
      bid: "nullable-string",
      ask: "nullable-string",
      inventory: "string",
    }),
  );
  return {
    maker: m.maker,
    makerAccount: m.makerAccount,
    markets: markets.map((q) => ({ ...q, bid: q.bid ?? null, ask: q.ask ?? null })),
  };
}

/**
 * Asks a maker for a quote: `GET /markets` (who signs and which account takes the other side),
 * then `POST /quote`. A refusal is a `MakerError` carrying the maker's status, `error` and
 * `reason`; an unreachable or garbled maker a `MakerUnavailable`; a transaction that does not
 * decode a `QuoteRejected` ("Malformed"). The transaction is not verified here:
 * `verifyQuoteTransaction` (or `takeQuote`) does that against what the taker reads on chain.
 */
export async function requestQuote(makerUrl: string, request: QuoteRequest, options: RequestOptions = {}): Promise<Quote> {
  const base = makerUrl.replace(/\/+$/, "");
  const markets = await fetchMakerMarkets(base, options);
  const f = options.fetch ?? fetch;
  const url = `${base}/quote`;
  const wire: QuoteRequestBody = {
    taker: request.taker.toBase58(),
    subAccount: request.subAccountId ?? 0,
    marketIndex: request.marketIndex,
    size: request.size.toString(),
  };
  const { status, body, text } = await getJson(
    f,
    url,
    { method: "POST", headers: { "content-type": "application/json", accept: "application/json" }, body: JSON.stringify(wire) },
    options.timeoutMs ?? DEFAULT_QUOTE_TIMEOUT_MS,
  );
  if (status < 200 || status > 299) throw refusal(url, status, body, text);
  const response = shaped<QuoteResponse>(url, "POST /quote", body, {
    marketIndex: "integer",
    size: "string",
    price: "string",
    oraclePrice: "string",
    maker: "string",
    makerAccount: "string",
    lastValidBlockHeight: "integer",
    expiresAt: "integer",
    transaction: "string",
  });
  return {
    url: base,
    markets,
    response,
    maker: address(url, "the maker's key", markets.maker),
    makerAccount: address(url, "the maker's account", markets.makerAccount),
    transaction: decodeQuoteTransaction(response.transaction),
  };
}

// ------------------------------------------------------------------------------- the taker

/** The exchange as a taker reads it: every market (by index) with its trading price when the program would accept it now, the lookup tables, the cluster's clock. */
export interface TradingState {
  exchange: Exchange;
  markets: Map<number, { market: Market; price: OraclePrice | undefined; why?: string }>;
  tables: AddressLookupTableAccount[];
  now: bigint;
}

/** Reads the exchange, its markets, their oracles, its lookup tables and the clock (`load_exchange` of the keeper). */
export async function fetchTradingState(reader: AccountReader): Promise<TradingState> {
  const [exInfo, clock] = await fetchAccounts(reader, [exchangeAddress(), SYSVAR_CLOCK_ID]);
  if (exInfo === null || exInfo === undefined) throw new Error("no crossmargin exchange on this cluster");
  checkOwner("Exchange", exInfo.owner, exchangeAddress());
  const exchange = decodeExchange(exInfo.data);
  if (clock === null || clock === undefined || clock.data.length < 40) throw new Error("the cluster has no clock sysvar");
  const now = new DataView(clock.data.buffer, clock.data.byteOffset, clock.data.byteLength).getBigInt64(32, true);
  const marketKeys = Array.from({ length: exchange.marketCount }, (_, i) => marketAddress(i));
  const markets: Market[] = [];
  (await fetchAccounts(reader, marketKeys)).forEach((info, i) => {
    if (info === null) return;
    checkOwner("Market", info.owner, marketKeys[i]);
    markets.push(decodeMarket(info.data));
  });
  const oracles = await fetchAccounts(
    reader,
    markets.map((m) => m.oracle),
  );
  const tableInfos = await fetchAccounts(reader, exchange.lookupTables);
  const tables: AddressLookupTableAccount[] = [];
  tableInfos.forEach((info, i) => {
    if (info === null) return;
    try {
      tables.push(decodeLookupTable(exchange.lookupTables[i] as PublicKey, info.data));
    } catch {
      // not a lookup table: left out, as the keeper does
    }
  });
  const out: TradingState = { exchange, markets: new Map(), tables, now };
  markets.forEach((market, i) => {
    const info = oracles[i];
    let price: OraclePrice | undefined;
    let why: string | undefined;
    if (isSettled(market)) why = "the market is settled";
    else if (info === null || info === undefined) why = "the oracle account does not exist";
    else {
      try {
        const p = parseOracle(market.oracle, info.owner, info.data, oracleSpecOf(market));
        checkPrice(p, { maxAgeSecs: market.maxOracleAgeSecs, maxConfRatio: market.maxConfRatio, lastPublishTime: market.lastOraclePublishTime }, now);
        price = p;
      } catch (err) {
        why = (err as Error).message;
      }
    }
    out.markets.set(market.marketIndex, why === undefined ? { market, price } : { market, price, why });
  });
  return out;
}

/** The worst price a taker accepts: `slippageBps` from the oracle price, against the taker (at least 1 when selling). */
export function limitPriceFor(oraclePrice: bigint, size: bigint, slippageBps: number): bigint {
  const slip = (oraclePrice * BigInt(slippageBps)) / 10_000n;
  if (size > 0n) return oraclePrice + slip;
  const p = oraclePrice - slip;
  return p < 1n ? 1n : p;
}

/** The health metas of a fill between these two accounts (the taker's markets, then the maker's new ones, the traded market left out). */
export function fillHealth(takerAccount: MarginAccount, makerAccount: MarginAccount, marketIndex: number, state: Pick<TradingState, "markets">): AccountMeta[] {
  return healthMetas(healthMarketOrder([takerAccount, makerAccount], marketIndex), (i) => state.markets.get(i)?.market.oracle);
}

export interface TakeRequest {
  subAccountId?: number;
  marketIndex: number;
  /** Signed base size, native units (positive: buy). */
  size: bigint;
  /** The worst price accepted, bps from the oracle price the taker reads (default 50). */
  maxSlippageBps?: number;
  /** The largest compute-unit price a maker may make the taker pay (default 100,000 micro-lamports). */
  maxComputeUnitPrice?: bigint;
  makers: readonly string[];
  /** Per request (default 10 s). */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/** One maker's answer: a quote that passed every check, or why it did not. */
export type Offer = { url: string; valid: true; price: bigint; quote: Quote } | { url: string; valid: false; why: string; error: unknown };

export interface QuoteChoice {
  oraclePrice: bigint;
  limitPrice: bigint;
  offers: Offer[];
  /** The best valid offer (lowest price when buying, highest when selling). */
  best: Extract<Offer, { valid: true }> | undefined;
}

export class NoValidQuote extends Error {
  constructor(readonly offers: Offer[]) {
    super(`no maker gave a quote that passed the checks: ${offers.map((o) => `${o.url}: ${o.valid ? "valid" : o.why}`).join("; ") || "no makers"}`);
    this.name = "NoValidQuote";
  }
}

/**
 * Asks every maker (at once), verifies every quote against what `reader` shows (the taker's and
 * the maker's accounts, the market's oracle, the exchange's tables) and picks the best. Signs
 * nothing.
 */
export async function chooseQuote(reader: AccountReader, taker: PublicKey, req: TakeRequest): Promise<QuoteChoice> {
  if (req.size === 0n || req.size <= -(1n << 63n) || req.size >= 1n << 63n) throw new RangeError("size must be a non-zero i64");
  const state = await fetchTradingState(reader);
  const m = state.markets.get(req.marketIndex);
  if (m === undefined) throw new RangeError(`market ${req.marketIndex} is not listed`);
  if (m.price === undefined) throw new Error(`market ${req.marketIndex}'s oracle is not valid for trading now${m.why === undefined ? "" : ` (${m.why})`}`);
  const limitPrice = limitPriceFor(m.price.price, req.size, req.maxSlippageBps ?? DEFAULT_MAX_SLIPPAGE_BPS);
  const subAccountId = req.subAccountId ?? 0;
  const takerAccountKey = marginAccountAddress(taker, subAccountId);
  const [takerInfo] = await fetchAccounts(reader, [takerAccountKey]);
  let takerAccount: MarginAccount;
  try {
    if (takerInfo === null || takerInfo === undefined) throw new Error();
    checkOwner("MarginAccount", takerInfo.owner, takerAccountKey);
    takerAccount = decodeMarginAccount(takerInfo.data);
  } catch {
    throw new Error(`${takerAccountKey.toBase58()} is not a margin account (create it first)`);
  }
  const options: RequestOptions = { timeoutMs: req.timeoutMs ?? DEFAULT_QUOTE_TIMEOUT_MS, ...(req.fetch === undefined ? {} : { fetch: req.fetch }) };
  const offers = await Promise.all(
    req.makers.map(async (url): Promise<Offer> => {
      try {
        const quote = await requestQuote(url, { taker, subAccountId, marketIndex: req.marketIndex, size: req.size }, options);
        const [makerInfo] = await fetchAccounts(reader, [quote.makerAccount]);
        let makerAccount: MarginAccount;
        try {
          if (makerInfo === null || makerInfo === undefined) throw new Error();
          checkOwner("MarginAccount", makerInfo.owner, quote.makerAccount);
          makerAccount = decodeMarginAccount(makerInfo.data);
        } catch {
          throw new Error("the maker's account is not a margin account");
        }
        const price = verifyQuoteTransaction(quote.transaction, {
          taker,
          takerAccount: takerAccountKey,
          maker: quote.maker,
          makerAccount: quote.makerAccount,
          marketIndex: req.marketIndex,
          oracle: m.market.oracle,
          size: req.size,
          limitPrice,
          health: fillHealth(takerAccount, makerAccount, req.marketIndex, state),
          tables: state.tables,
          maxComputeUnits: MAX_COMPUTE_UNITS,
          maxComputeUnitPrice: req.maxComputeUnitPrice ?? DEFAULT_MAX_COMPUTE_UNIT_PRICE,
        });
        return { url, valid: true, price, quote };
      } catch (error) {
        return { url, valid: false, why: (error as Error).message, error };
      }
    }),
  );
  let best: Extract<Offer, { valid: true }> | undefined;
  for (const o of offers) {
    if (!o.valid) continue;
    if (best === undefined || (req.size > 0n ? o.price < best.price : o.price > best.price)) best = o;
  }
  return { oraclePrice: m.price.price, limitPrice, offers, best };
}

/** Who signs the taker's side: a keypair, or a wallet adapter's `signTransaction`. */
export type TakerSigner = Keypair | { publicKey: PublicKey; signTransaction(tx: VersionedTransaction): Promise<VersionedTransaction> };

export interface TakeReport extends QuoteChoice {
  best: Extract<Offer, { valid: true }>;
  signature: string;
}

/**
 * The taker's whole flow: `chooseQuote`, then the best quote signed by the taker (only after it
 * passed the checks), sent and confirmed until the quote's last valid block height. Refused with
 * `NoValidQuote` (every offer and why) when no maker's quote passes.
 */
export async function takeQuote(
  connection: Pick<Connection, "getMultipleAccountsInfo" | "sendRawTransaction" | "confirmTransaction">,
  taker: TakerSigner,
  req: TakeRequest,
  options: { commitment?: Commitment; skipPreflight?: boolean } = {},
): Promise<TakeReport> {
  const choice = await chooseQuote(connection, taker.publicKey, req);
  const best = choice.best;
  if (best === undefined) throw new NoValidQuote(choice.offers);
  let tx = best.quote.transaction;
  if ("secretKey" in taker) tx.sign([taker]);
  else tx = await taker.signTransaction(tx);
  const signature = await connection.sendRawTransaction(tx.serialize(), { skipPreflight: options.skipPreflight ?? false });
  const confirmed = await connection.confirmTransaction(
    { signature, blockhash: tx.message.recentBlockhash, lastValidBlockHeight: best.quote.response.lastValidBlockHeight },
    options.commitment ?? "confirmed",
  );
  if (confirmed.value.err !== null) throw new Error(`transaction ${signature} failed: ${JSON.stringify(confirmed.value.err)}`);
  return { ...choice, best, signature };
}
