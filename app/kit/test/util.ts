// Shared by the tests: the cross-language vectors of app/ts/test/vectors (written by the Rust
// suite) and the shape the existing client's tests compare decoded values in.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

import { symbolString, wideI128 } from "../src/index.js";

/** app/kit, from the compiled test (dist/test). */
export const PACKAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const VECTORS_DIR = join(PACKAGE_DIR, "..", "ts", "test", "vectors");

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export function readVectors(name: string): Json {
  return JSON.parse(readFileSync(join(VECTORS_DIR, name), "utf8"));
}

export const fromB64 = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, "base64"));
export const fromHex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, "hex"));
export const toHex = (b: Uint8Array | ArrayLike<number>): string => Buffer.from(Uint8Array.from(b as ArrayLike<number>)).toString("hex");

const lowerFirst = (s: string): string => s.charAt(0).toLowerCase() + s.slice(1);

/** Fields of Codama's layouts that the client leaves out: padding, reserved space, the discriminator. */
const LAYOUT_ONLY = new Set(["discriminator", "padding", "reserved"]);

/**
 * A value Codama's decoders produced, in the vectors' JSON shape (the one @crossmargin/client's
 * decoders normalize to): integers as strings, byte arrays as hex (a `symbol` as its string), a
 * u8 flag as a boolean where the vectors hold one, the funding sum's two words as one i128, a data
 * enum `{ __kind: "AddMarket", ...fields }` as `{ addMarket: { ...fields } }`. Only the vectors'
 * fields are taken, and each must be there; any other field must be layout only.
 */
export function likeExpected(expected: Json, actual: unknown, where = "value"): unknown {
  if (expected === null && actual === undefined) return null;
  if (typeof actual === "bigint") return actual.toString();
  if (typeof expected === "boolean" && typeof actual === "number") return actual !== 0;
  if (actual instanceof Uint8Array) return where.endsWith(".symbol") ? symbolString(actual) : toHex(actual);
  if (Array.isArray(actual)) {
    if (!Array.isArray(expected) || expected.length !== actual.length) return actual.map((x) => likeExpected(undefined, x, `${where}[]`));
    return actual.map((x, i) => likeExpected(expected[i], x, `${where}[${i}]`));
  }
  if (actual !== null && typeof actual === "object") {
    const o = actual as Record<string, unknown>;
    if ("lo" in o && "hi" in o && typeof expected === "string") return wideI128(o as { lo: bigint; hi: bigint }).toString();
    if ("__kind" in o && typeof o.__kind === "string") {
      const { __kind, ...fields } = o;
      const key = lowerFirst(__kind);
      return { [key]: likeExpected(expected?.[key], fields, `${where}.${key}`) };
    }
    if (expected === null || typeof expected !== "object") return o;
    const extra = Object.keys(o).filter((k) => !(k in expected) && !LAYOUT_ONLY.has(k));
    if (extra.length > 0) throw new Error(`${where}: fields the vectors do not have: ${extra.join(", ")}`);
    return Object.fromEntries(
      Object.keys(expected).map((k) => {
        if (!(k in o)) throw new Error(`${where}: no field ${k}`);
        return [k, likeExpected(expected[k], o[k], `${where}.${k}`)];
      }),
    );
  }
  return actual;
}
