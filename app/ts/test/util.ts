// Shared by the tests: reading the committed vector files and turning their JSON (integers as
// strings) into the client's types.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

import { type AccountInfo, PublicKey } from "@solana/web3.js";

import type { AccountReader, AccountLike, MarketParams, OraclePrice, OracleLookup } from "../src/index.js";

/** app/ts/test/vectors, from the compiled test (dist/test) or the source. */
export const VECTORS_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "test", "vectors");

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export function readVectors(name: string): Json {
  return JSON.parse(readFileSync(join(VECTORS_DIR, name), "utf8"));
}

export const fromB64 = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, "base64"));
export const fromHex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, "hex"));
export const toHex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
export const pk = (s: string): PublicKey => new PublicKey(s);

export function priceOf(j: Json): OraclePrice {
  return { price: BigInt(j.price), conf: BigInt(j.conf), emaPrice: BigInt(j.emaPrice), publishTime: BigInt(j.publishTime) };
}

export function paramsOf(j: Json): MarketParams {
  return {
    ...j,
    baseLotSize: BigInt(j.baseLotSize),
    minPositionBase: BigInt(j.minPositionBase),
    openInterestCap: BigInt(j.openInterestCap),
  };
}

export function accountLikeOf(j: Json): AccountLike {
  return {
    owner: pk(j.owner),
    subAccountId: j.subAccountId,
    positions: j.positions.map((p: Json) => ({ marketIndex: p.marketIndex, base: BigInt(p.base) })),
  };
}

export function oraclesOf(j: Json): OracleLookup {
  return new Map(Object.entries(j as Record<string, string>).map(([k, v]) => [Number(k), pk(v)]));
}

/** A value in the JSON shape of the vectors: bigint and numbers as strings, keys as base58. */
export function normalize(v: unknown): unknown {
  if (typeof v === "bigint") return v.toString();
  if (v === undefined) return null;
  if (v instanceof PublicKey) return v.toBase58();
  if (v instanceof Uint8Array) return toHex(v);
  if (Array.isArray(v)) return v.map(normalize);
  if (v !== null && typeof v === "object") {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalize(x)]));
  }
  return v;
}

/**
 * The accounts the program produced when the Rust suite replayed the TS scenario (replay.json),
 * answering `getMultipleAccountsInfo` as an RPC node would.
 */
export function replayCluster(): AccountReader {
  const replay = readVectors("replay.json");
  const accounts = new Map<string, AccountInfo<Buffer>>();
  const add = (a: Json) =>
    accounts.set(a.address, { owner: new PublicKey(a.owner), data: Buffer.from(fromB64(a.data)), lamports: 1, executable: false, rentEpoch: 0 });
  [replay.exchange, ...replay.markets, ...replay.oracles, ...replay.marginAccounts].forEach(add);
  return { getMultipleAccountsInfo: async (keys: PublicKey[]) => keys.map((k) => accounts.get(k.toBase58()) ?? null) };
}
