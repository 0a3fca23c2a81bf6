// Decimal strings to the program's units and back, exactly (no floating point): what a frontend's
// form fields need. "2401.50" is a price of 2_401_500_000n (1e-6 USDC per whole contract), "0.5" a
// base of 500_000_000n (1e-9 per contract), "250" USDC 250_000_000n (1e-6).
import { formatFixed } from "./math.js";

/** Decimal places of each kind of amount. */
export const PRICE_DECIMALS = 6;
export const BASE_DECIMALS = 9;
export const QUOTE_DECIMALS = 6;

/** A decimal string the program's units cannot hold exactly (or at all). */
export class AmountError extends RangeError {
  constructor(
    readonly input: unknown,
    message: string,
  ) {
    super(message);
    this.name = "AmountError";
  }
}

export interface ParseOptions {
  /** Accept a leading "-" (a sell's base delta, a signed pnl). Default false. */
  signed?: boolean;
  /** What the amount is, for the error messages ("price", "base", "USDC amount"). */
  what?: string;
}

const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;
const U64_MAX = (1n << 64n) - 1n;
const DECIMAL = /^([+-]?)(\d+)(?:\.(\d+))?$/;

/**
 * `text` times 10^decimals, exactly: "2401.50" at 6 decimals is 2_401_500_000n. Surrounding
 * whitespace is ignored. Refused with an `AmountError` (saying why): anything but digits with an
 * optional fraction (no exponent, no thousands separator, no "NaN" or "Infinity", no lone "." or
 * ".5"), more fractional digits than `decimals` (nothing is rounded away; trailing zeros are fine),
 * a "-" unless `signed`, and a result out of the u64 range (the i64 range when `signed`).
 */
export function parseFixed(text: string, decimals: number, options: ParseOptions = {}): bigint {
  const what = options.what ?? "amount";
  if (!Number.isInteger(decimals) || decimals < 0) throw new RangeError(`decimals must be a non-negative integer, got ${decimals}`);
  if (typeof text !== "string") {
    throw new AmountError(text, `${what}: expected a decimal string such as "2401.50", got ${typeof text === "number" ? `the number ${text} (numbers are not exact: pass a string)` : typeof text}`);
  }
  const s = text.trim();
  const m = DECIMAL.exec(s);
  if (m === null) {
    const why = s === "" ? "it is empty" : /e/i.test(s) && /\d/.test(s) ? "exponents are not accepted" : /,/.test(s) ? "no thousands separators" : "expected digits with an optional fraction";
    throw new AmountError(text, `${what}: "${text}" is not a decimal number (${why}), e.g. "2401.50"`);
  }
  const sign = m[1] ?? "";
  const whole = m[2] ?? "0";
  const frac = m[3] ?? "";
  if (sign === "-" && options.signed !== true) throw new AmountError(text, `${what}: "${text}" is negative; a ${what} cannot be`);
  const significant = frac.replace(/0+$/, "");
  if (significant.length > decimals) {
    throw new AmountError(text, `${what}: "${text}" has ${significant.length} decimal places; at most ${decimals} (${formatFixed(1n, decimals)} is the smallest step)`);
  }
  const magnitude = BigInt(whole) * 10n ** BigInt(decimals) + BigInt(significant.padEnd(decimals, "0") || "0");
  const value = sign === "-" ? -magnitude : magnitude;
  const [lo, hi] = options.signed === true ? [I64_MIN, I64_MAX] : [0n, U64_MAX];
  if (value < lo || value > hi) throw new AmountError(text, `${what}: "${text}" is out of range (${options.signed === true ? "i64" : "u64"} at ${decimals} decimals)`);
  return value;
}

/** A price (1e-6 USDC per whole contract): parsePrice("2401.50") = 2_401_500_000n. Never negative. */
export function parsePrice(text: string): bigint {
  return parseFixed(text, PRICE_DECIMALS, { what: "price" });
}

/** A base amount (1e-9 per whole contract): parseBase("0.5") = 500_000_000n; `signed` for a sell's "-0.5". */
export function parseBase(text: string, options: { signed?: boolean } = {}): bigint {
  return parseFixed(text, BASE_DECIMALS, { what: "base", signed: options.signed });
}

/** A USDC amount (1e-6): parseUsdc("250") = 250_000_000n. `signed` for a pnl or a balance that may be negative. */
export function parseUsdc(text: string, options: { signed?: boolean } = {}): bigint {
  return parseFixed(text, QUOTE_DECIMALS, { what: "USDC amount", signed: options.signed });
}

/** The inverse of `parsePrice` (shortest exact form): formatPrice(2_401_500_000n) = "2401.5". */
export const formatPrice = (v: bigint): string => formatFixed(v, PRICE_DECIMALS);
export const formatBase = (v: bigint): string => formatFixed(v, BASE_DECIMALS);
export const formatUsdc = (v: bigint): string => formatFixed(v, QUOTE_DECIMALS);
