// Conversions of decoded fields to what a frontend shows.

/** A market symbol (UTF-8, NUL padded to 16 bytes) as a string: "ETH-PERP". */
export function symbolString(bytes: ArrayLike<number>): string {
  const all = Uint8Array.from(Array.from(bytes));
  const end = all.indexOf(0);
  return new TextDecoder().decode(end < 0 ? all : all.subarray(0, end));
}

/** A market symbol as the program stores it (for `AddMarket`). */
export function symbolBytes(symbol: string): Uint8Array {
  const b = new TextEncoder().encode(symbol);
  if (b.length === 0 || b.length > 16) throw new RangeError(`a symbol is 1 to 16 bytes: ${symbol}`);
  const out = new Uint8Array(16);
  out.set(b);
  return out;
}

/** An i128 stored as two u64 words (`WideI128`, the funding accumulator's oracle sum). */
export function wideI128(w: { lo: bigint; hi: bigint }): bigint {
  return BigInt.asIntN(128, (w.hi << 64n) | w.lo);
}
