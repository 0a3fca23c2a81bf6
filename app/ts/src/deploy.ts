// Bootstrapping an exchange and its markets from a config file, idempotently: what exists on the
// cluster is read first and skipped; a listed market whose risk parameters differ from the config
// gets an `update_market`; a market whose identity (symbol, oracle, feed) differs is an error, since
// markets are numbered in listing order and never renamed. `migrations/deploy.ts` is the command.
import { readFileSync } from "node:fs";

import {
  type AccountInfo,
  Connection,
  Keypair,
  PublicKey,
  sendAndConfirmTransaction,
  Transaction,
  type TransactionInstruction,
} from "@solana/web3.js";

import { decodeExchange, decodeMarket, type Market, type MarketParams } from "./accounts.js";
import type { AccountReader } from "./client.js";
import { OracleSource } from "./constants.js";
import { addMarket, feedIdBytes, initializeExchange, symbolBytes, updateMarket } from "./instructions.js";
import { exchangeAddress, marketAddress } from "./pda.js";

export interface MarketConfig {
  symbol: string;
  oracleSource: OracleSource;
  oracle: PublicKey;
  pythFeedId: Uint8Array;
  params: MarketParams;
}

export interface DeployConfig {
  collateralMint: PublicKey;
  liquidationBuffer: number;
  markets: MarketConfig[];
}

export class ConfigError extends Error {}

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

function field(o: Record<string, unknown>, name: string, where: string): unknown {
  if (!(name in o)) throw new ConfigError(`${where}: ${name} is missing`);
  return o[name];
}

function intField(o: Record<string, unknown>, name: string, where: string, lo: bigint, hi: bigint): bigint {
  const v = field(o, name, where);
  if (!(typeof v === "number" && Number.isSafeInteger(v)) && !(typeof v === "string" && /^-?\d+$/.test(v))) {
    throw new ConfigError(`${where}: ${name} must be an integer (a string above 2^53)`);
  }
  const b = BigInt(v);
  if (b < lo || b > hi) throw new ConfigError(`${where}: ${name} = ${b} is outside [${lo}, ${hi}]`);
  return b;
}

function keyField(o: Record<string, unknown>, name: string, where: string): PublicKey {
  const v = field(o, name, where);
  try {
    return new PublicKey(v as string);
  } catch {
    throw new ConfigError(`${where}: ${name} is not a base58 public key`);
  }
}

function object(v: unknown, where: string): Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new ConfigError(`${where} must be an object`);
  return v as Record<string, unknown>;
}

const U32_MAX = 0xffff_ffffn;
const U64_MAX = (1n << 64n) - 1n;

export function parseMarketParams(v: unknown, where: string): MarketParams {
  const o = object(v, where);
  const out: Record<string, unknown> = {};
  for (const f of U32_FIELDS) out[f] = Number(intField(o, f, where, 0n, U32_MAX));
  out.makerFee = Number(intField(o, "makerFee", where, -(1n << 31n), (1n << 31n) - 1n));
  for (const f of U64_FIELDS) out[f] = intField(o, f, where, 0n, U64_MAX);
  const known = new Set<string>([...U32_FIELDS, ...U64_FIELDS, "makerFee"]);
  const extra = Object.keys(o).filter((k) => !known.has(k));
  if (extra.length > 0) throw new ConfigError(`${where}: unknown fields ${extra.join(", ")}`);
  return out as unknown as MarketParams;
}

/** Validates a parsed JSON config (every field named in the error when wrong). */
export function parseDeployConfig(json: unknown): DeployConfig {
  const o = object(json, "config");
  const markets = field(o, "markets", "config");
  if (!Array.isArray(markets)) throw new ConfigError("config: markets must be an array");
  const parsed = markets.map((m, i): MarketConfig => {
    const where = `markets[${i}]`;
    const mo = object(m, where);
    const symbol = field(mo, "symbol", where);
    if (typeof symbol !== "string") throw new ConfigError(`${where}: symbol must be a string`);
    try {
      symbolBytes(symbol);
    } catch (e) {
      throw new ConfigError(`${where}: ${(e as Error).message}`);
    }
    const source = field(mo, "oracleSource", where);
    if (source !== "pyth-pull" && source !== "pyth-legacy") {
      throw new ConfigError(`${where}: oracleSource must be "pyth-pull" or "pyth-legacy"`);
    }
    let feed: Uint8Array;
    try {
      feed = Uint8Array.from(feedIdBytes(String(mo.pythFeedId ?? "00".repeat(32))));
    } catch (e) {
      throw new ConfigError(`${where}: ${(e as Error).message}`);
    }
    if (source === "pyth-pull" && mo.pythFeedId === undefined) throw new ConfigError(`${where}: pythFeedId is missing`);
    return {
      symbol,
      oracleSource: source === "pyth-pull" ? OracleSource.PythPull : OracleSource.PythLegacy,
      oracle: keyField(mo, "oracle", where),
      pythFeedId: feed,
      params: parseMarketParams(field(mo, "params", where), `${where}.params`),
    };
  });
  const symbols = parsed.map((m) => m.symbol);
  const dup = symbols.find((s, i) => symbols.indexOf(s) !== i);
  if (dup !== undefined) throw new ConfigError(`config: market ${dup} is listed twice`);
  return {
    collateralMint: keyField(o, "collateralMint", "config"),
    liquidationBuffer: Number(intField(o, "liquidationBuffer", "config", 0n, U32_MAX)),
    markets: parsed,
  };
}

export function readDeployConfig(path: string): DeployConfig {
  return parseDeployConfig(JSON.parse(readFileSync(path, "utf8")));
}

/** One transaction of the plan. */
export interface DeployStep {
  label: string;
  instructions: TransactionInstruction[];
}

export interface DeployPlan {
  steps: DeployStep[];
  /** What was found and skipped. */
  skipped: string[];
}

function sameParams(a: MarketParams, b: MarketParams): boolean {
  return [...U32_FIELDS, ...U64_FIELDS, "makerFee" as const].every((f) => a[f] === b[f]);
}

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

/** The transactions that bring the cluster to `config`, given what `reader` sees there now. */
export async function planDeployment(reader: AccountReader, config: DeployConfig, admin: PublicKey): Promise<DeployPlan> {
  const plan: DeployPlan = { steps: [], skipped: [] };
  const [exchangeInfo] = await reader.getMultipleAccountsInfo([exchangeAddress()]);
  let marketCount = 0;
  if (exchangeInfo === null || exchangeInfo === undefined) {
    plan.steps.push({
      label: `initialize_exchange (collateral ${config.collateralMint.toBase58()}, liquidation buffer ${config.liquidationBuffer} ppm)`,
      instructions: [initializeExchange({ admin, collateralMint: config.collateralMint, liquidationBuffer: config.liquidationBuffer })],
    });
  } else {
    const ex = decodeExchange(exchangeInfo.data);
    if (!ex.collateralMint.equals(config.collateralMint)) {
      throw new ConfigError(`the exchange exists with collateral mint ${ex.collateralMint.toBase58()}, the config says ${config.collateralMint.toBase58()}`);
    }
    if (!ex.admin.equals(admin)) {
      throw new ConfigError(`the exchange's admin is ${ex.admin.toBase58()}, not the deploying key ${admin.toBase58()}`);
    }
    if (ex.liquidationBuffer !== config.liquidationBuffer) {
      plan.skipped.push(`the exchange's liquidation buffer is ${ex.liquidationBuffer} ppm (config: ${config.liquidationBuffer}); no instruction changes it`);
    }
    plan.skipped.push(`exchange ${exchangeAddress().toBase58()} exists`);
    marketCount = ex.marketCount;
  }
  const listed = marketCount > 0 ? await reader.getMultipleAccountsInfo(config.markets.slice(0, marketCount).map((_, i) => marketAddress(i))) : [];
  config.markets.forEach((m, i) => {
    const where = `market ${i} (${m.symbol})`;
    if (i < marketCount) {
      const info = listed[i] as AccountInfo<Buffer> | null | undefined;
      if (info === null || info === undefined) throw new ConfigError(`${where}: the exchange counts it but its account is missing`);
      const onChain: Market = decodeMarket(info.data);
      if (onChain.symbol !== m.symbol || !onChain.oracle.equals(m.oracle) || onChain.oracleSource !== m.oracleSource || !sameBytes(onChain.pythFeedId, m.pythFeedId)) {
        throw new ConfigError(
          `${where}: listed on chain as ${onChain.symbol} (oracle ${onChain.oracle.toBase58()}); markets are listed in config order and never renamed`,
        );
      }
      if (sameParams(onChain, m.params)) {
        plan.skipped.push(`${where} exists`);
      } else {
        plan.steps.push({ label: `update_market ${i} (${m.symbol}): parameters differ from the config`, instructions: [updateMarket({ admin, marketIndex: i, params: m.params })] });
      }
    } else {
      plan.steps.push({
        label: `add_market ${i} (${m.symbol}, ${m.oracleSource === OracleSource.PythPull ? "Pyth pull" : "Pyth legacy"} ${m.oracle.toBase58()})`,
        instructions: [addMarket({ admin, marketIndex: i, oracle: m.oracle, symbol: m.symbol, oracleSource: m.oracleSource, pythFeedId: m.pythFeedId, params: m.params })],
      });
    }
  });
  if (marketCount > config.markets.length) {
    plan.skipped.push(`${marketCount - config.markets.length} market(s) on chain are not in the config (left as they are)`);
  }
  return plan;
}

/** The plan as text: each transaction, its instructions, and the unsigned message (base64). */
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
    const tx = new Transaction({ feePayer, recentBlockhash }).add(...step.instructions);
    lines.push(`  message (base64, unsigned): ${tx.serializeMessage().toString("base64")}`);
  });
  return lines.join("\n");
}

export interface DeployOptions {
  config: DeployConfig;
  admin: Keypair;
  reader: AccountReader;
  dryRun: boolean;
  /** Sends one transaction (signed by the admin) and resolves to its signature. */
  send?: (tx: Transaction, admin: Keypair) => Promise<string>;
  /** Where `describePlan` gets a blockhash; a placeholder in a dry run without one. */
  blockhash?: () => Promise<string>;
  log?: (line: string) => void;
}

/** Plans, prints, and (unless dry-run) sends each transaction in order, stopping at the first failure. */
export async function deploy(o: DeployOptions): Promise<DeployPlan> {
  const log = o.log ?? ((l: string) => console.log(l));
  const plan = await planDeployment(o.reader, o.config, o.admin.publicKey);
  const blockhash = o.blockhash === undefined ? PublicKey.default.toBase58() : await o.blockhash();
  log(describePlan(plan, o.admin.publicKey, blockhash));
  if (o.dryRun || plan.steps.length === 0) return plan;
  if (o.send === undefined) throw new Error("deploy: no sender given");
  for (const [n, step] of plan.steps.entries()) {
    const sig = await o.send(new Transaction().add(...step.instructions), o.admin);
    log(`sent ${n + 1}/${plan.steps.length} (${step.label}): ${sig}`);
  }
  return plan;
}

export const DEPLOY_USAGE = `usage: deploy --config <file.json> --keypair <admin keypair.json> [--url <rpc url>] [--dry-run]

Creates the exchange and the config's markets on the cluster, skipping what exists;
--dry-run prints the transactions without sending. The default url is http://127.0.0.1:8899.`;

/** The command line of migrations/deploy.ts. */
export async function deployMain(argv: string[]): Promise<number> {
  const args = new Map<string, string>();
  let dryRun = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === "--dry-run") dryRun = true;
    else if (a === "--help" || a === "-h") {
      console.log(DEPLOY_USAGE);
      return 0;
    } else if (["--config", "--keypair", "--url"].includes(a) && argv[i + 1] !== undefined) args.set(a, argv[++i] as string);
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
    const connection = new Connection(args.get("--url") ?? "http://127.0.0.1:8899", "confirmed");
    await deploy({
      config,
      admin,
      reader: connection,
      dryRun,
      blockhash: async () => (await connection.getLatestBlockhash()).blockhash,
      send: (tx, signer) => sendAndConfirmTransaction(connection, tx, [signer]),
    });
    return 0;
  } catch (e) {
    console.error(`deploy: ${(e as Error).message}`);
    return 1;
  }
}
