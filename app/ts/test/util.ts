// Shared by the tests: reading the committed vector files and turning their JSON (integers as
// strings) into the client's types.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

import { utils } from "@coral-xyz/anchor";
import { type AccountInfo, AddressLookupTableAccount, type GetProgramAccountsFilter, PublicKey } from "@solana/web3.js";

import { ADDRESS_LOOKUP_TABLE_PROGRAM_ID, PROGRAM_ID } from "../src/index.js";
import type {
  AccountLike,
  AccountReader,
  AdminAction,
  ProgramAccountsReader,
  DelegateLimits,
  MarketParams,
  OraclePrice,
  OracleLookup,
  RiskParams,
  TriggerOrderParams,
} from "../src/index.js";

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
export const pkOrNull = (s: string | null): PublicKey | null => (s === null ? null : new PublicKey(s));

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

export function riskParamsOf(j: Json): RiskParams {
  return {
    initialMarginRatio: j.initialMarginRatio,
    maintenanceMarginRatio: j.maintenanceMarginRatio,
    upnlInitialWeight: j.upnlInitialWeight,
    marginGroup: j.marginGroup,
    systematicShare: j.systematicShare,
  };
}

export function limitsOf(j: Json): DelegateLimits {
  return { maxPriceDeviation: j.maxPriceDeviation, lossBudget: BigInt(j.lossBudget), periodSecs: j.periodSecs, reduceOnly: j.reduceOnly };
}

export function triggerParamsOf(j: Json): TriggerOrderParams {
  return {
    kind: j.kind,
    triggerPrice: BigInt(j.triggerPrice),
    limitPrice: BigInt(j.limitPrice),
    size: BigInt(j.size),
    expiry: BigInt(j.expiry),
    premium: j.premium,
  };
}

/** An `AdminAction` from the vectors' JSON (the decoders' shape, integers and keys as strings). */
export function actionOf(j: Json): AdminAction {
  const [kind, b] = Object.entries(j as Record<string, Json>)[0] as [string, Json];
  switch (kind) {
    case "addMarket":
      return {
        addMarket: {
          symbol: b.symbol,
          oracle: pk(b.oracle),
          oracleSource: b.oracleSource,
          pythFeedId: fromHex(b.pythFeedId),
          tokensPerContract: BigInt(b.tokensPerContract),
          params: paramsOf(b.params),
        },
      };
    case "updateMarket":
      return { updateMarket: { marketIndex: b.marketIndex, params: paramsOf(b.params) } };
    case "setOracle":
      return { setOracle: { marketIndex: b.marketIndex, oracle: pk(b.oracle), oracleSource: b.oracleSource, pythFeedId: fromHex(b.pythFeedId) } };
    case "setLookupTables":
      return { setLookupTables: { tables: b.tables.map(pk) } };
    case "transferAdmin":
      return { transferAdmin: { newAdmin: pk(b.newAdmin) } };
    case "setGuardian":
      return { setGuardian: { guardian: pk(b.guardian) } };
    case "setTimelockDelay":
      return { setTimelockDelay: { delaySecs: b.delaySecs } };
    case "setLiquidationBuffer":
      return { setLiquidationBuffer: { buffer: b.buffer } };
    case "settleMarket":
      return { settleMarket: { marketIndex: b.marketIndex } };
    case "setPortfolioMargin":
      return { setPortfolioMargin: { enabled: b.enabled } };
    default:
      throw new Error(`unknown admin action ${kind}`);
  }
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

/** A lookup table account's data (the address-lookup-table program's layout: 56 bytes of meta, then the addresses). */
export function lookupTableData(authority: PublicKey | undefined, addresses: readonly PublicKey[], deactivationSlot = (1n << 64n) - 1n): Uint8Array {
  const meta = Buffer.alloc(56);
  meta.writeUInt32LE(1, 0); // ProgramState::LookupTable
  meta.writeBigUInt64LE(deactivationSlot, 4);
  meta.writeBigUInt64LE(0n, 12); // last extended slot
  meta.writeUInt8(0, 20); // its start index
  if (authority !== undefined) {
    meta.writeUInt8(1, 21);
    Buffer.from(authority.toBytes()).copy(meta, 22);
  }
  return Uint8Array.from(Buffer.concat([meta, ...addresses.map((a) => Buffer.from(a.toBytes()))]));
}

/** An in-memory cluster answering `getMultipleAccountsInfo` and `getAddressLookupTable` as an RPC node would. */
export class MemoryCluster implements AccountReader, ProgramAccountsReader {
  readonly accounts = new Map<string, AccountInfo<Buffer>>();
  /** Confirmed transactions' log messages, by signature (`getTransaction`). */
  readonly transactions = new Map<string, string[]>();
  calls = 0;

  set(address: PublicKey | string, owner: PublicKey | string, data: Uint8Array, lamports = 1): void {
    const key = typeof address === "string" ? address : address.toBase58();
    this.accounts.set(key, { owner: new PublicKey(owner), data: Buffer.from(data), lamports, executable: false, rentEpoch: 0 });
  }

  async getMultipleAccountsInfo(keys: PublicKey[]): Promise<(AccountInfo<Buffer> | null)[]> {
    this.calls += 1;
    return keys.map((k) => this.accounts.get(k.toBase58()) ?? null);
  }

  async getLatestBlockhash(): Promise<{ blockhash: string; lastValidBlockHeight: number }> {
    return { blockhash: PublicKey.default.toBase58(), lastValidBlockHeight: 0 };
  }

  async getTransaction(signature: string, _config: { maxSupportedTransactionVersion: number }): Promise<{ meta: { logMessages: string[] } } | null> {
    const logs = this.transactions.get(signature);
    return logs === undefined ? null : { meta: { logMessages: logs } };
  }

  /** `dataSize` and base58 `memcmp` filters, as the RPC applies them. */
  async getProgramAccounts(programId: PublicKey, config: { filters: GetProgramAccountsFilter[] }): Promise<{ pubkey: PublicKey; account: AccountInfo<Buffer> }[]> {
    this.calls += 1;
    const matches = (data: Buffer, f: GetProgramAccountsFilter): boolean => {
      if ("dataSize" in f) return data.length === f.dataSize;
      const want = f.memcmp.encoding === "base64" ? Buffer.from(f.memcmp.bytes, "base64") : Buffer.from(utils.bytes.bs58.decode(f.memcmp.bytes));
      return data.subarray(f.memcmp.offset, f.memcmp.offset + want.length).equals(want);
    };
    return [...this.accounts.entries()]
      .filter(([, a]) => a.owner.equals(programId) && config.filters.every((f) => matches(a.data, f)))
      .map(([k, account]) => ({ pubkey: new PublicKey(k), account }));
  }

  async getAddressLookupTable(key: PublicKey): Promise<{ context: { slot: number }; value: AddressLookupTableAccount | null }> {
    const info = this.accounts.get(key.toBase58());
    const value =
      info === undefined || !info.owner.equals(ADDRESS_LOOKUP_TABLE_PROGRAM_ID)
        ? null
        : new AddressLookupTableAccount({ key, state: AddressLookupTableAccount.deserialize(info.data) });
    return { context: { slot: 0 }, value };
  }
}

/**
 * The accounts of vectors.json (written by the Rust side) on one cluster: the exchange, the three
 * markets and their oracles, the margin accounts, the trigger-order account, and the lookup
 * table the transaction vectors compile against (the first the exchange lists).
 */
export function vectorsCluster(): MemoryCluster {
  const v = readVectors("vectors.json");
  const cluster = new MemoryCluster();
  cluster.set(v.pdas.exchange, PROGRAM_ID, fromB64(v.exchange.data));
  v.markets.forEach((m: Json, i: number) => cluster.set(v.pdas.markets[i].address, PROGRAM_ID, fromB64(m.data)));
  for (const o of v.oracleAccounts) cluster.set(o.address, o.owner, fromB64(o.data));
  for (const a of v.marginAccounts) cluster.set(a.address, PROGRAM_ID, fromB64(a.data));
  cluster.set(v.triggerOrders.address, PROGRAM_ID, fromB64(v.triggerOrders.data));
  const table = v.transactions.find((t: Json) => t.lookupTables.length > 0).lookupTables[0];
  cluster.set(table.key, ADDRESS_LOOKUP_TABLE_PROGRAM_ID, lookupTableData(undefined, table.addresses.map(pk)));
  return cluster;
}

/**
 * The accounts the program produced when the Rust suite replayed the TS scenario (replay.json):
 * the exchange, markets, oracles, margin accounts, and (when the replay writes them) the queued
 * admin changes and trigger-order accounts.
 */
export function replayCluster(): MemoryCluster {
  const replay = readVectors("replay.json");
  const cluster = new MemoryCluster();
  const add = (a: Json) => cluster.set(a.address, a.owner, fromB64(a.data));
  [replay.exchange, ...replay.markets, ...replay.oracles, ...replay.marginAccounts, ...(replay.queuedActions ?? []), ...(replay.triggerOrders ?? [])].forEach(add);
  return cluster;
}
