// Bootstrapping an exchange and its markets from a config file, idempotently, through the
// program's timelock: what is on the cluster is read first (each account's owner checked before
// its data is trusted) and what the config asks for is planned from there.
//
// - No exchange: `initialize_exchange`, signed by the program's upgrade authority (the deploying
//   key), with the config's guardian, timelock delay and liquidation buffer.
// - Every market is listed by queueing an `AddMarket` (markets are numbered in listing order, so
//   market `i` of the config is market index `i`); a pull market's oracle must be the sponsored
//   Pyth feed account of its feed id (refused before anything is planned otherwise).
// - Queued changes whose delay has passed are executed (anyone may; the deploying key pays), in id
//   order; a change queued and not yet executed (or due) counts as done: nothing is queued twice.
// - Drift is queued too: parameters (`UpdateMarket`), guardian, delay, liquidation buffer;
//   portfolio margin is enabled (`SetPortfolioMargin`) when a market of the config has a margin
//   group. A market whose identity (symbol, oracle, feed, unit) differs is an error.
// - A lookup table holding the fixed accounts and every market and oracle is created (given a
//   recent slot) and registered by queueing `SetLookupTables`, or extended when the exchange (or
//   a queued change) lists one the deploying key controls.
//
// `migrations/deploy.ts` is the command.
import { readFileSync } from "node:fs";

import {
  AddressLookupTableAccount,
  AddressLookupTableProgram,
  Connection,
  Keypair,
  PublicKey,
  type TransactionInstruction,
  type VersionedTransaction,
} from "@solana/web3.js";
import { Buffer } from "buffer";

import {
  type AdminAction,
  checkOwner,
  decodeExchange,
  decodeMarket,
  decodeQueuedAction,
  type Exchange,
  MARKET_PARAM_FIELDS,
  type MarketParams,
  type QueuedAction,
  sameMarketParams,
} from "./accounts.js";
import { type AccountReader, fetchAccounts } from "./client.js";
import {
  ActionStatus,
  ADDRESS_LOOKUP_TABLE_PROGRAM_ID,
  COMPUTE_BUDGET_PROGRAM_ID,
  MAX_LIQUIDATION_BUFFER,
  MAX_LOOKUP_TABLES,
  MAX_MARGIN_GROUP,
  MAX_SYSTEMATIC_SHARE,
  MAX_TIMELOCK_DELAY_SECS,
  MAX_UNIT_EXPONENT,
  MIN_TIMELOCK_DELAY_SECS,
  OracleSource,
  PROGRAM_ID,
  SYSTEM_PROGRAM_ID,
  SYSVAR_CLOCK_ID,
  SYSVAR_RENT_ID,
  TOKEN_PROGRAM_ID,
} from "./constants.js";
import { actionAccounts, executeAdminAction, feedIdBytes, initializeExchange, queueAdminAction } from "./instructions.js";
import { adminActionAddress, exchangeAddress, marketAddress, sponsoredFeedAddress, vaultAddress } from "./pda.js";
import { buildTransaction, compileMessage, serializedSize, serializeMessage, PACKET_DATA_SIZE } from "./tx.js";

export interface MarketConfig {
  symbol: string;
  oracleSource: OracleSource;
  /** The price account (a pull market's: the sponsored feed account of its feed id, the default). */
  oracle: PublicKey;
  pythFeedId: Uint8Array;
  /** A contract is this many tokens (a power of ten, default 1). */
  tokensPerContract: bigint;
  params: MarketParams;
}

export interface DeployConfig {
  collateralMint: PublicKey;
  liquidationBuffer: number;
  /** May cancel queued changes and set a protective status (default: none, `PublicKey.default`). */
  guardian: PublicKey;
  /** Delay of queued admin changes (default: the shortest, one day). */
  timelockDelaySecs: number;
  markets: MarketConfig[];
}

export class ConfigError extends Error {}

/** The shortest timelock delay: the default of `timelockDelaySecs`. */
export const DEFAULT_TIMELOCK_DELAY_SECS = MIN_TIMELOCK_DELAY_SECS;

// The config format is the Rust CLI's (app/sdk/src/config.rs, serde camelCase with
// deny_unknown_fields): 32-bit and smaller fields are JSON numbers, u64 fields numbers or
// strings (above 2^53 they must be strings here).
const U32_FIELDS = [
  "initialMarginRatio",
  "maintenanceMarginRatio",
  "liquidationFee",
  "insuranceFee",
  "upnlInitialWeight",
  "takerFee",
  "priceBand",
  "maxConfRatio",
  "maxOracleAgeSecs",
  "liquidationMaxOracleAgeSecs",
  "maxFundingPremium",
  "fundingPeriodSecs",
] as const;
const U64_FIELDS = ["baseLotSize", "minPositionBase", "openInterestCap"] as const;
const MARKET_FIELDS = ["symbol", "oracleSource", "oracle", "pythFeedId", "tokensPerContract", "params", "localPrice"];
const CONFIG_FIELDS = ["collateralMint", "liquidationBuffer", "guardian", "timelockDelaySecs", "markets"];

function field(o: Record<string, unknown>, name: string, where: string): unknown {
  if (!(name in o) || o[name] === undefined || o[name] === null) throw new ConfigError(`${where}: ${name} is missing`);
  return o[name];
}

function numberField(o: Record<string, unknown>, name: string, where: string, lo: bigint, hi: bigint): number {
  const v = field(o, name, where);
  if (!(typeof v === "number" && Number.isSafeInteger(v))) throw new ConfigError(`${where}: ${name} must be an integer`);
  if (BigInt(v) < lo || BigInt(v) > hi) throw new ConfigError(`${where}: ${name} = ${v} is outside [${lo}, ${hi}]`);
  return v;
}

function u64Field(o: Record<string, unknown>, name: string, where: string): bigint {
  const v = field(o, name, where);
  if (!(typeof v === "number" && Number.isSafeInteger(v)) && !(typeof v === "string" && /^\d+$/.test(v))) {
    throw new ConfigError(`${where}: ${name} must be an integer (a string above 2^53)`);
  }
  const b = BigInt(v);
  if (b < 0n || b > U64_MAX) throw new ConfigError(`${where}: ${name} = ${b} is outside [0, ${U64_MAX}]`);
  return b;
}

function keyField(o: Record<string, unknown>, name: string, where: string): PublicKey {
  const v = field(o, name, where);
  try {
    if (typeof v !== "string") throw new Error();
    return new PublicKey(v);
  } catch {
    throw new ConfigError(`${where}: ${name} is not a base58 public key`);
  }
}

function object(v: unknown, where: string, known: readonly string[]): Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new ConfigError(`${where} must be an object`);
  const extra = Object.keys(v).filter((k) => !known.includes(k));
  if (extra.length > 0) throw new ConfigError(`${where}: unknown fields ${extra.join(", ")}`);
  return v as Record<string, unknown>;
}

const U32_MAX = 0xffff_ffffn;
const U64_MAX = (1n << 64n) - 1n;

export function parseMarketParams(v: unknown, where: string): MarketParams {
  const o = object(v, where, [...U32_FIELDS, ...U64_FIELDS, "makerFee", "marginGroup", "systematicShare"]);
  const out: Record<string, unknown> = {};
  for (const f of U32_FIELDS) out[f] = numberField(o, f, where, 0n, U32_MAX);
  out.makerFee = numberField(o, "makerFee", where, -(1n << 31n), (1n << 31n) - 1n);
  for (const f of U64_FIELDS) out[f] = u64Field(o, f, where);
  out.marginGroup = o.marginGroup === undefined ? 0 : numberField(o, "marginGroup", where, 0n, 255n);
  out.systematicShare = o.systematicShare === undefined ? 0 : numberField(o, "systematicShare", where, 0n, U32_MAX);
  return Object.fromEntries(MARKET_PARAM_FIELDS.map((f) => [f, out[f]])) as unknown as MarketParams;
}

/**
 * The program's bounds on market parameters (`MarketParams::validate`, state/market.rs): the
 * error it would refuse them with, or undefined. Checked here so a bad config fails before
 * anything is sent.
 */
export function marketParamsError(p: MarketParams): string | undefined {
  const im = p.initialMarginRatio;
  const mm = p.maintenanceMarginRatio;
  if (!(mm >= 5_000 && mm < im && im <= 1_000_000)) return "InvalidMarginRatios";
  if (!(p.liquidationFee + p.insuranceFee < mm) || !(p.takerFee < mm) || !(Math.abs(p.makerFee) <= p.takerFee)) return "InvalidFees";
  if (!(p.takerFee + p.makerFee >= 50)) return "InvalidNetFee";
  if (!(p.upnlInitialWeight <= 1_000_000)) return "InvalidPnlWeight";
  if (!(p.priceBand > 0 && p.priceBand <= 200_000)) return "InvalidPriceBand";
  if (
    !(
      p.maxConfRatio >= 10_000 &&
      p.maxConfRatio <= 100_000 &&
      p.maxOracleAgeSecs >= 60 &&
      p.maxOracleAgeSecs <= p.liquidationMaxOracleAgeSecs &&
      p.liquidationMaxOracleAgeSecs >= 120 &&
      p.liquidationMaxOracleAgeSecs <= 3_600
    )
  ) {
    return "InvalidOracleLimits";
  }
  if (!(p.fundingPeriodSecs >= 60 && p.fundingPeriodSecs <= 86_400 && p.maxFundingPremium > 0 && p.maxFundingPremium <= 100_000)) return "InvalidFundingParams";
  const I64_MAX = (1n << 63n) - 1n;
  if (!(p.baseLotSize > 0n && p.minPositionBase >= p.baseLotSize && p.minPositionBase % p.baseLotSize === 0n && p.baseLotSize <= I64_MAX)) return "InvalidSizeParams";
  if (!(p.openInterestCap > 0n && p.openInterestCap % p.baseLotSize === 0n && p.openInterestCap <= I64_MAX)) return "InvalidOpenInterestCap";
  if (!(p.marginGroup <= MAX_MARGIN_GROUP)) return "InvalidMarginGroup";
  if (!(p.systematicShare <= MAX_SYSTEMATIC_SHARE)) return "InvalidSystematicShare";
  return undefined;
}

/** The exponent of `tokensPerContract` tokens, a power of ten up to 1e9 (the program's `unit_exponent`). */
export function unitExponent(tokensPerContract: bigint): number {
  let v = tokensPerContract;
  let e = 0;
  while (v > 1n && v % 10n === 0n) {
    v /= 10n;
    e += 1;
  }
  if (v !== 1n || e > MAX_UNIT_EXPONENT) throw new ConfigError(`tokensPerContract must be a power of ten up to 1e9, got ${tokensPerContract}`);
  return e;
}

/** Validates a parsed JSON config (every field named in the error when wrong). */
export function parseDeployConfig(json: unknown): DeployConfig {
  const o = object(json, "config", CONFIG_FIELDS);
  const markets = field(o, "markets", "config");
  if (!Array.isArray(markets)) throw new ConfigError("config: markets must be an array");
  const parsed = markets.map((m, i): MarketConfig => {
    const where = `markets[${i}]`;
    const mo = object(m, where, MARKET_FIELDS);
    const symbol = field(mo, "symbol", where);
    if (typeof symbol !== "string") throw new ConfigError(`${where}: symbol must be a string`);
    const bytes = new TextEncoder().encode(symbol);
    if (bytes.length === 0 || bytes.length > 16 || ![...bytes].every((b) => b > 0x20 && b < 0x7f)) {
      throw new ConfigError(`${where}: symbol must be 1 to 16 printable ASCII characters: ${symbol}`);
    }
    const source = field(mo, "oracleSource", where);
    if (source !== "pyth-pull" && source !== "pyth-legacy") {
      throw new ConfigError(`${where}: oracleSource must be "pyth-pull" or "pyth-legacy"`);
    }
    const pull = source === "pyth-pull";
    if (pull && mo.pythFeedId === undefined) throw new ConfigError(`${where}: pythFeedId is missing`);
    let feed: Uint8Array;
    try {
      feed = Uint8Array.from(feedIdBytes(mo.pythFeedId === undefined ? "00".repeat(32) : String(mo.pythFeedId)));
    } catch (e) {
      throw new ConfigError(`${where}: ${(e as Error).message}`);
    }
    if (!pull && mo.oracle === undefined) throw new ConfigError(`${where}: oracle is missing (a legacy market needs its price account)`);
    const oracle = mo.oracle === undefined ? sponsoredFeedAddress(feed) : keyField(mo, "oracle", where);
    const tokensPerContract = mo.tokensPerContract === undefined ? 1n : u64Field(mo, "tokensPerContract", where);
    try {
      unitExponent(tokensPerContract);
    } catch (e) {
      throw new ConfigError(`${where}: ${(e as Error).message}`);
    }
    if (mo.localPrice !== undefined && typeof mo.localPrice !== "number") throw new ConfigError(`${where}: localPrice must be a number`);
    const params = parseMarketParams(field(mo, "params", where), `${where}.params`);
    const refused = marketParamsError(params);
    if (refused !== undefined) throw new ConfigError(`${where}.params: the program refuses these parameters (${refused})`);
    return {
      symbol,
      oracleSource: pull ? OracleSource.PythPull : OracleSource.PythLegacy,
      oracle,
      pythFeedId: feed,
      tokensPerContract,
      params,
    };
  });
  const symbols = parsed.map((m) => m.symbol);
  const dup = symbols.find((s, i) => symbols.indexOf(s) !== i);
  if (dup !== undefined) throw new ConfigError(`config: market ${dup} is listed twice`);
  return {
    collateralMint: keyField(o, "collateralMint", "config"),
    liquidationBuffer: numberField(o, "liquidationBuffer", "config", 0n, BigInt(MAX_LIQUIDATION_BUFFER)),
    guardian: o.guardian === undefined || o.guardian === null ? PublicKey.default : keyField(o, "guardian", "config"),
    timelockDelaySecs:
      o.timelockDelaySecs === undefined || o.timelockDelaySecs === null
        ? DEFAULT_TIMELOCK_DELAY_SECS
        : numberField(o, "timelockDelaySecs", "config", BigInt(MIN_TIMELOCK_DELAY_SECS), BigInt(MAX_TIMELOCK_DELAY_SECS)),
    markets: parsed,
  };
}

export function readDeployConfig(path: string): DeployConfig {
  return parseDeployConfig(JSON.parse(readFileSync(path, "utf8")));
}

/** The fixed accounts every lookup table starts with (the keeper's `fixed_table_accounts`). */
export function fixedTableAccounts(collateralMint: PublicKey): PublicKey[] {
  return [
    exchangeAddress(),
    vaultAddress(),
    collateralMint,
    TOKEN_PROGRAM_ID,
    SYSTEM_PROGRAM_ID,
    COMPUTE_BUDGET_PROGRAM_ID,
    SYSVAR_CLOCK_ID,
    SYSVAR_RENT_ID,
    PROGRAM_ID,
  ];
}

/** What a lookup table holds for the config: the fixed accounts, then each market's PDA and oracle. */
export function tableAccounts(config: DeployConfig): PublicKey[] {
  return [...fixedTableAccounts(config.collateralMint), ...config.markets.flatMap((m, i) => [marketAddress(i), m.oracle])];
}

/** The `AddMarket` a market of the config lists. */
export function addMarketAction(m: MarketConfig): AdminAction {
  return {
    addMarket: {
      symbol: m.symbol,
      oracle: m.oracle,
      oracleSource: m.oracleSource,
      pythFeedId: m.pythFeedId,
      tokensPerContract: m.tokensPerContract,
      params: m.params,
    },
  };
}

/** One line for a queued change. */
export function describeAction(a: AdminAction): string {
  if ("addMarket" in a) {
    const m = a.addMarket;
    const unit = m.tokensPerContract === 1n ? "" : `, ${m.tokensPerContract} tokens per contract`;
    return `AddMarket ${m.symbol} (${m.oracleSource === OracleSource.PythPull ? "Pyth pull" : "Pyth legacy"} ${m.oracle.toBase58()}${unit})`;
  }
  if ("updateMarket" in a) return `UpdateMarket ${a.updateMarket.marketIndex}`;
  if ("setOracle" in a) return `SetOracle ${a.setOracle.marketIndex} -> ${a.setOracle.oracle.toBase58()}`;
  if ("setLookupTables" in a) return `SetLookupTables [${a.setLookupTables.tables.map((t) => t.toBase58()).join(", ")}]`;
  if ("transferAdmin" in a) return `TransferAdmin ${a.transferAdmin.newAdmin.toBase58()}`;
  if ("setGuardian" in a) return `SetGuardian ${a.setGuardian.guardian.toBase58()}`;
  if ("setTimelockDelay" in a) return `SetTimelockDelay ${a.setTimelockDelay.delaySecs} s`;
  if ("setLiquidationBuffer" in a) return `SetLiquidationBuffer ${a.setLiquidationBuffer.buffer} ppm`;
  if ("settleMarket" in a) return `SettleMarket ${a.settleMarket.marketIndex}`;
  return `SetPortfolioMargin ${a.setPortfolioMargin.enabled ? "on" : "off"}`;
}

/** One transaction of the plan (the deploying key signs and pays). */
export interface DeployStep {
  label: string;
  instructions: TransactionInstruction[];
}

export interface DeployPlan {
  steps: DeployStep[];
  /** What was found and left as it is. */
  skipped: string[];
  /** The changes this plan queues, with the ids they get. */
  queued: { id: bigint; action: AdminAction }[];
  /** The queued changes this plan executes. */
  executed: { id: bigint; action: AdminAction }[];
  /** Changes that stay queued after this plan (queued before and not due yet, or queued now). */
  waiting: { id: bigint; action: AdminAction; executeAfter: bigint | undefined }[];
  /** The lookup table this plan creates, if any. */
  createdLookupTable?: PublicKey;
}

export interface PlanOptions {
  /** The cluster's unix time (default: the Clock sysvar's, read through the reader). */
  now?: bigint;
  /** A recent slot to create a lookup table with; without one no new table is planned (an existing one is still extended). */
  recentSlot?: bigint | number;
  /** Leave lookup tables out of the plan entirely. */
  skipLookupTables?: boolean;
}

/** Addresses a lookup-table extension adds per transaction. */
export const LOOKUP_TABLE_CHUNK = 20;

/** `Clock.unix_timestamp` from the clock sysvar's data (slot, epoch start, epoch, leader epoch, unix time). */
export function clockUnixTimestamp(data: Uint8Array): bigint {
  if (data.length < 40) throw new ConfigError("the clock sysvar is too short");
  return new DataView(data.buffer, data.byteOffset, data.byteLength).getBigInt64(32, true);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** The last pending change matching `pick`, in id order. */
function lastPending<T>(pending: readonly QueuedAction[], pick: (a: AdminAction) => T | undefined): T | undefined {
  let out: T | undefined;
  for (const q of pending) {
    const v = pick(q.action);
    if (v !== undefined) out = v;
  }
  return out;
}

/** The market's identity as the program fixes it at listing. */
interface Listing {
  symbol: string;
  oracle: PublicKey;
  oracleSource: number;
  pythFeedId: Uint8Array;
  unitExponent: number;
  params: MarketParams;
}

function identityDiffers(a: Listing, m: MarketConfig): boolean {
  return (
    a.symbol !== m.symbol ||
    !a.oracle.equals(m.oracle) ||
    a.oracleSource !== m.oracleSource ||
    !sameBytes(a.pythFeedId, m.pythFeedId) ||
    a.unitExponent !== unitExponent(m.tokensPerContract)
  );
}

/**
 * The transactions that bring the cluster to `config`, given what `reader` sees there now;
 * `admin` is the deploying key (the program's upgrade authority before the exchange exists, its
 * admin after).
 */
export async function planDeployment(reader: AccountReader, config: DeployConfig, admin: PublicKey, options: PlanOptions = {}): Promise<DeployPlan> {
  const plan: DeployPlan = { steps: [], skipped: [], queued: [], executed: [], waiting: [] };
  // the program lists a pull market only at the sponsored feed account of its feed id
  config.markets.forEach((m, i) => {
    if (m.oracleSource === OracleSource.PythPull && !m.oracle.equals(sponsoredFeedAddress(m.pythFeedId))) {
      throw new ConfigError(
        `market ${i} (${m.symbol}): ${m.oracle.toBase58()} is not the sponsored Pyth feed account of its feed id (${sponsoredFeedAddress(m.pythFeedId).toBase58()}); the program lists only that one`,
      );
    }
    unitExponent(m.tokensPerContract);
  });

  const [exchangeInfo, clockInfo] = await fetchAccounts(reader, [exchangeAddress(), SYSVAR_CLOCK_ID]);
  let now = options.now;
  if (now === undefined && clockInfo !== null && clockInfo !== undefined && clockInfo.owner.equals(new PublicKey("Sysvar1111111111111111111111111111111111111"))) {
    now = clockUnixTimestamp(clockInfo.data);
  }

  let ex: Exchange | undefined;
  if (exchangeInfo !== null && exchangeInfo !== undefined && exchangeInfo.owner.equals(PROGRAM_ID)) {
    try {
      ex = decodeExchange(exchangeInfo.data);
    } catch (e) {
      throw new ConfigError(`the exchange account ${exchangeAddress().toBase58()} is not an Exchange: ${(e as Error).message}`);
    }
  } else if (exchangeInfo !== null && exchangeInfo !== undefined) {
    if (!exchangeInfo.owner.equals(SYSTEM_PROGRAM_ID) || exchangeInfo.data.length > 0) {
      throw new ConfigError(`the exchange address ${exchangeAddress().toBase58()} holds an account owned by ${exchangeInfo.owner.toBase58()}`);
    }
    plan.skipped.push(`the exchange address holds ${exchangeInfo.lamports} lamports sent to it (no account): initialize_exchange takes it over`);
  }

  let nextId = 0n;
  let pending: QueuedAction[] = [];
  const onChain: Listing[] = [];
  if (ex === undefined) {
    plan.steps.push({
      label: `initialize_exchange (collateral ${config.collateralMint.toBase58()}, liquidation buffer ${config.liquidationBuffer} ppm, guardian ${config.guardian.equals(PublicKey.default) ? "none" : config.guardian.toBase58()}, timelock ${config.timelockDelaySecs} s)`,
      instructions: [
        initializeExchange({
          admin,
          collateralMint: config.collateralMint,
          liquidationBuffer: config.liquidationBuffer,
          guardian: config.guardian,
          timelockDelaySecs: config.timelockDelaySecs,
        }),
      ],
    });
  } else {
    if (!ex.collateralMint.equals(config.collateralMint)) {
      throw new ConfigError(`the exchange exists with collateral mint ${ex.collateralMint.toBase58()}, the config says ${config.collateralMint.toBase58()}`);
    }
    if (!ex.admin.equals(admin)) {
      throw new ConfigError(`the exchange's admin is ${ex.admin.toBase58()}, not the deploying key ${admin.toBase58()}`);
    }
    plan.skipped.push(`exchange ${exchangeAddress().toBase58()} exists`);
    nextId = ex.nextActionId;
    const ids = Array.from({ length: Number(ex.nextActionId) }, (_, i) => BigInt(i));
    const infos = await fetchAccounts(reader, ids.map(adminActionAddress));
    const queued = infos.map((info, i) => {
      const address = adminActionAddress(ids[i] as bigint);
      if (info === null) throw new ConfigError(`queued change ${i} (${address.toBase58()}) is missing`);
      checkOwner("QueuedAction", info.owner, address);
      return decodeQueuedAction(info.data);
    });
    pending = queued.filter((q) => q.status === ActionStatus.Queued);
    const marketKeys = Array.from({ length: ex.marketCount }, (_, i) => marketAddress(i));
    const markets = await fetchAccounts(reader, marketKeys);
    markets.forEach((info, i) => {
      if (info === null) throw new ConfigError(`market ${i}: the exchange counts it but its account is missing`);
      checkOwner("Market", info.owner, marketKeys[i]);
      const m = decodeMarket(info.data);
      onChain.push({ symbol: m.symbol, oracle: m.oracle, oracleSource: m.oracleSource, pythFeedId: m.pythFeedId, unitExponent: m.unitExponent, params: m });
    });
  }
  const marketCount = ex?.marketCount ?? 0;

  // the program creates a market only at an address that holds nothing (not even lamports)
  const futureKeys = config.markets.slice(marketCount).map((_, k) => marketAddress(marketCount + k));
  (await fetchAccounts(reader, futureKeys)).forEach((info, k) => {
    if (info !== null) {
      throw new ConfigError(
        `market ${marketCount + k} cannot be listed: its address ${(futureKeys[k] as PublicKey).toBase58()} already holds an account (${info.lamports} lamports; the program requires it empty)`,
      );
    }
  });

  // 1. execute what is due, in id order
  const due = now === undefined ? [] : pending.filter((q) => q.executeAfter <= now);
  if (now === undefined && pending.length > 0) plan.skipped.push("the cluster's clock is unknown: no queued change is executed");
  let count = marketCount;
  for (const q of due) {
    const accounts = actionAccounts(q.action, count);
    if ("addMarket" in q.action) count += 1;
    plan.steps.push({ label: `execute_admin_action ${q.id}: ${describeAction(q.action)}`, instructions: [executeAdminAction({ executor: admin, actionId: q.id, ...accounts })] });
    plan.executed.push({ id: q.id, action: q.action });
  }
  for (const q of pending.filter((x) => !due.includes(x))) {
    plan.waiting.push({ id: q.id, action: q.action, executeAfter: q.executeAfter });
    plan.skipped.push(`queued change ${q.id} (${describeAction(q.action)}) waits until unix time ${q.executeAfter}`);
  }

  // 2. what the config still needs, counting every pending change as done
  const queue = (action: AdminAction) => {
    const id = nextId;
    nextId += 1n;
    plan.queued.push({ id, action });
    plan.waiting.push({ id, action, executeAfter: undefined });
    plan.steps.push({ label: `queue_admin_action ${id}: ${describeAction(action)}`, instructions: [queueAdminAction({ admin, actionId: id, action })] });
  };
  const pendingAdds = pending.flatMap((q) => ("addMarket" in q.action ? [q.action.addMarket] : []));
  const listings: Listing[] = [
    ...onChain,
    ...pendingAdds.map((a) => ({ ...a, unitExponent: unitExponent(a.tokensPerContract), params: a.params })),
  ];
  config.markets.forEach((m, i) => {
    const where = `market ${i} (${m.symbol})`;
    const listed = listings[i];
    if (listed === undefined) {
      queue(addMarketAction(m));
      return;
    }
    if (identityDiffers(listed, m)) {
      throw new ConfigError(
        `${where}: ${i < onChain.length ? "listed" : "queued for listing"} as ${listed.symbol} (oracle ${listed.oracle.toBase58()}, 10^${listed.unitExponent} tokens); markets are listed in config order and never renamed`,
      );
    }
    const params = lastPending(pending, (a) => ("updateMarket" in a && a.updateMarket.marketIndex === i ? a.updateMarket.params : undefined)) ?? listed.params;
    if (sameMarketParams(params, m.params)) plan.skipped.push(`${where} ${i < onChain.length ? "is listed" : "is queued for listing"}`);
    else queue({ updateMarket: { marketIndex: i, params: m.params } });
  });
  if (listings.length > config.markets.length) {
    plan.skipped.push(`${listings.length - config.markets.length} market(s) listed or queued are not in the config (left as they are)`);
  }
  if (ex !== undefined) {
    const guardian = lastPending(pending, (a) => ("setGuardian" in a ? a.setGuardian.guardian : undefined)) ?? ex.guardian;
    if (!guardian.equals(config.guardian)) queue({ setGuardian: { guardian: config.guardian } });
    const delay = lastPending(pending, (a) => ("setTimelockDelay" in a ? a.setTimelockDelay.delaySecs : undefined)) ?? ex.timelockDelaySecs;
    if (delay !== config.timelockDelaySecs) queue({ setTimelockDelay: { delaySecs: config.timelockDelaySecs } });
    const buffer = lastPending(pending, (a) => ("setLiquidationBuffer" in a ? a.setLiquidationBuffer.buffer : undefined)) ?? ex.liquidationBuffer;
    if (buffer !== config.liquidationBuffer) queue({ setLiquidationBuffer: { buffer: config.liquidationBuffer } });
  }
  const portfolio = lastPending(pending, (a) => ("setPortfolioMargin" in a ? a.setPortfolioMargin.enabled : undefined)) ?? ex?.portfolioMarginEnabled ?? false;
  const grouped = config.markets.some((m) => m.params.marginGroup !== 0);
  if (grouped && !portfolio) queue({ setPortfolioMargin: { enabled: true } });
  else if (!grouped && portfolio) plan.skipped.push("portfolio margin is enabled though no market of the config has a margin group (left as it is)");

  // 3. the lookup table
  if (options.skipLookupTables !== true) await planLookupTable(reader, config, admin, ex, pending, options, plan, queue);
  return plan;
}

async function planLookupTable(
  reader: AccountReader,
  config: DeployConfig,
  admin: PublicKey,
  ex: Exchange | undefined,
  pending: readonly QueuedAction[],
  options: PlanOptions,
  plan: DeployPlan,
  queue: (a: AdminAction) => void,
): Promise<void> {
  const registered = lastPending(pending, (a) => ("setLookupTables" in a ? a.setLookupTables.tables : undefined)) ?? ex?.lookupTables ?? [];
  const infos = await fetchAccounts(reader, registered);
  const tables: AddressLookupTableAccount[] = [];
  infos.forEach((info, i) => {
    const key = registered[i] as PublicKey;
    if (info === null || !info.owner.equals(ADDRESS_LOOKUP_TABLE_PROGRAM_ID)) {
      plan.skipped.push(`registered lookup table ${key.toBase58()} does not exist (or is not a lookup table)`);
      return;
    }
    tables.push(new AddressLookupTableAccount({ key, state: AddressLookupTableAccount.deserialize(info.data) }));
  });
  const wanted = tableAccounts(config);
  const held = (k: PublicKey) => tables.some((t) => t.state.addresses.some((a) => a.equals(k)));
  const missing = wanted.filter((k, i) => !held(k) && wanted.findIndex((x) => x.equals(k)) === i);
  if (missing.length === 0 && tables.length > 0) {
    plan.skipped.push(`lookup table${tables.length > 1 ? "s" : ""} ${tables.map((t) => t.key.toBase58()).join(", ")} hold every account`);
    return;
  }
  const ours = tables.find((t) => t.isActive() && t.state.authority !== undefined && t.state.authority.equals(admin) && t.state.addresses.length + missing.length <= 256);
  const extend = (table: PublicKey, addresses: PublicKey[], label: string) => {
    for (let i = 0; i < addresses.length; i += LOOKUP_TABLE_CHUNK) {
      const chunk = addresses.slice(i, i + LOOKUP_TABLE_CHUNK);
      plan.steps.push({
        label: `${label}: extend lookup table ${table.toBase58()} with ${chunk.length} addresses`,
        instructions: [AddressLookupTableProgram.extendLookupTable({ lookupTable: table, authority: admin, payer: admin, addresses: chunk })],
      });
    }
  };
  if (ours !== undefined) {
    extend(ours.key, missing, "lookup table");
    return;
  }
  if (options.recentSlot === undefined) {
    plan.skipped.push(`lookup table: none registered that the deploying key controls, and no recent slot to create one with (${missing.length} addresses to hold)`);
    return;
  }
  if (registered.length >= MAX_LOOKUP_TABLES) throw new ConfigError(`the exchange lists ${registered.length} lookup tables already (at most ${MAX_LOOKUP_TABLES})`);
  const [create, table] = AddressLookupTableProgram.createLookupTable({ authority: admin, payer: admin, recentSlot: options.recentSlot });
  plan.createdLookupTable = table;
  const action: AdminAction = { setLookupTables: { tables: [...registered, table] } };
  // created and registered in one transaction, so a later run finds it (through the queued change)
  queue(action);
  const queued = plan.steps.pop() as DeployStep;
  plan.steps.push({ label: `create lookup table ${table.toBase58()} and ${queued.label}`, instructions: [create, ...queued.instructions] });
  extend(table, missing, "lookup table");
}

/** The plan as text: each transaction, its instructions, its size and the unsigned message (base64). */
export function describePlan(plan: DeployPlan, feePayer: PublicKey, recentBlockhash: string): string {
  const lines: string[] = [];
  for (const s of plan.skipped) lines.push(`skip: ${s}`);
  if (plan.steps.length === 0) lines.push("nothing to do: the cluster matches the config");
  plan.steps.forEach((step, n) => {
    lines.push(`transaction ${n + 1}/${plan.steps.length}: ${step.label}`);
    for (const ix of step.instructions) {
      lines.push(`  program ${ix.programId.toBase58()}`);
      ix.keys.forEach((k, i) => lines.push(`    #${i} ${k.pubkey.toBase58()}${k.isSigner ? " signer" : ""}${k.isWritable ? " writable" : ""}`));
      lines.push(`    data ${Buffer.from(ix.data).toString("hex")}`);
    }
    const m = compileMessage({ payer: feePayer, instructions: step.instructions, blockhash: recentBlockhash });
    const size = serializedSize(m);
    lines.push(`  ${size} bytes${size > PACKET_DATA_SIZE ? " (OVER THE PACKET LIMIT)" : ""}; message (base64, unsigned): ${Buffer.from(serializeMessage(m)).toString("base64")}`);
  });
  const waiting = plan.waiting.filter((w) => w.executeAfter === undefined);
  if (waiting.length > 0) lines.push(`then: ${waiting.length} queued change(s) wait out the timelock; run again after it to execute them`);
  return lines.join("\n");
}

export interface DeployOptions {
  config: DeployConfig;
  admin: Keypair;
  reader: AccountReader;
  dryRun: boolean;
  plan?: PlanOptions;
  /** Sends one transaction (signed by the admin) and resolves to its signature once confirmed. */
  send?: (tx: VersionedTransaction) => Promise<string>;
  /** A recent blockhash (a placeholder in a dry run without one). */
  blockhash?: () => Promise<string>;
  log?: (line: string) => void;
}

/** Plans, prints, and (unless dry-run) sends each transaction in order, stopping at the first failure. */
export async function deploy(o: DeployOptions): Promise<DeployPlan> {
  const log = o.log ?? ((l: string) => console.log(l));
  const plan = await planDeployment(o.reader, o.config, o.admin.publicKey, o.plan);
  const placeholder = PublicKey.default.toBase58();
  log(describePlan(plan, o.admin.publicKey, o.blockhash === undefined ? placeholder : await o.blockhash()));
  if (o.dryRun || plan.steps.length === 0) return plan;
  if (o.send === undefined || o.blockhash === undefined) throw new Error("deploy: no sender given");
  for (const [n, step] of plan.steps.entries()) {
    const tx = buildTransaction({ payer: o.admin.publicKey, instructions: step.instructions, blockhash: await o.blockhash() });
    tx.sign([o.admin]);
    const sig = await o.send(tx);
    log(`sent ${n + 1}/${plan.steps.length} (${step.label}): ${sig}`);
  }
  return plan;
}

export const DEPLOY_USAGE = `usage: deploy --config <file.json> --keypair <keypair.json> [--url <rpc url>] [--ws-url <websocket url>] [--no-lookup-table] [--dry-run]

Creates the exchange (signed by the program's upgrade authority, the keypair), queues every
market of the config and what else differs through the timelock, executes queued changes whose
delay has passed, and keeps a lookup table of every account the instructions name; what exists
is skipped, so run it again after the delay. --dry-run prints the transactions without sending.
The default url is http://127.0.0.1:8899; confirmations come over the WebSocket at --ws-url
(default: the url's port + 1, as a validator serves it).`;

/** The command line of migrations/deploy.ts. */
export async function deployMain(argv: string[]): Promise<number> {
  const args = new Map<string, string>();
  let dryRun = false;
  let lookupTable = true;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === "--dry-run") dryRun = true;
    else if (a === "--no-lookup-table") lookupTable = false;
    else if (a === "--help" || a === "-h") {
      console.log(DEPLOY_USAGE);
      return 0;
    } else if (["--config", "--keypair", "--url", "--ws-url"].includes(a) && argv[i + 1] !== undefined) args.set(a, argv[++i] as string);
    else {
      console.error(`deploy: unexpected argument ${a}\n${DEPLOY_USAGE}`);
      return 2;
    }
  }
  const configPath = args.get("--config");
  const keypairPath = args.get("--keypair");
  if (configPath === undefined || keypairPath === undefined) {
    console.error(DEPLOY_USAGE);
    return 2;
  }
  try {
    const config = readDeployConfig(configPath);
    const admin = Keypair.fromSecretKey(Uint8Array.from(JSON.parse(readFileSync(keypairPath, "utf8")) as number[]));
    const wsEndpoint = args.get("--ws-url");
    const connection = new Connection(args.get("--url") ?? "http://127.0.0.1:8899", { commitment: "confirmed", ...(wsEndpoint === undefined ? {} : { wsEndpoint }) });
    let latest: Awaited<ReturnType<Connection["getLatestBlockhash"]>> | undefined;
    await deploy({
      config,
      admin,
      reader: connection,
      dryRun,
      plan: lookupTable ? { recentSlot: await connection.getSlot("finalized") } : { skipLookupTables: true },
      blockhash: async () => {
        latest = await connection.getLatestBlockhash();
        return latest.blockhash;
      },
      send: async (tx) => {
        const signature = await connection.sendTransaction(tx);
        const l = latest ?? (await connection.getLatestBlockhash());
        const r = await connection.confirmTransaction({ signature, blockhash: l.blockhash, lastValidBlockHeight: l.lastValidBlockHeight }, "confirmed");
        if (r.value.err !== null) throw new Error(`transaction ${signature} failed: ${JSON.stringify(r.value.err)}`);
        return signature;
      },
    });
    return 0;
  } catch (e) {
    console.error(`deploy: ${(e as Error).message}`);
    return 1;
  }
}
