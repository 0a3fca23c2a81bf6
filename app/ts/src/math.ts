// Integer division with an explicit rounding direction (risk/math.rs), on bigint.

/** `a / b` rounded toward negative infinity (`b > 0`). */
export function divFloor(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n ? q - 1n : q;
}

/** `a / b` rounded toward positive infinity (`b > 0`). */
export function divCeil(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a > 0n ? q + 1n : q;
}

export function abs(v: bigint): bigint {
  return v < 0n ? -v : v;
}

export function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

export function max(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}

export class MathOverflow extends Error {
  constructor(what: string) {
    super(`MathOverflow: ${what}`);
  }
}

const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;

/** Narrows to the i64 range, as the program does before storing or reporting a figure. */
export function toI64(v: bigint, what = "value"): bigint {
  if (v < I64_MIN || v > I64_MAX) throw new MathOverflow(what);
  return v;
}

/** `value * 10^-decimals` as a decimal string, exactly: formatFixed(3_012_345_678n, 6) = "3012.345678". */
export function formatFixed(value: bigint, decimals = 6): string {
  const neg = value < 0n;
  const digits = (neg ? -value : value).toString().padStart(decimals + 1, "0");
  const whole = digits.slice(0, digits.length - decimals);
  const frac = digits.slice(digits.length - decimals).replace(/0+$/, "");
  return `${neg ? "-" : ""}${whole}${frac === "" ? "" : `.${frac}`}`;
}
