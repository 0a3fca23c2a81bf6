// What a frontend needs beyond the builders and decoders: decimal strings to the program's units,
// typed events, typed market enums, an owner's sub-accounts, the depositor's token account, what-if
// positions with market defaults, no global Buffer to set up, and a tarball with one IDL.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

import { Connection, PublicKey } from "@solana/web3.js";

import {
  ActionStatus,
  AmountError,
  associatedTokenAddress,
  computeHealth,
  decodeMarginAccount,
  decodeMarket,
  DecodeError,
  eventsOf,
  type EventName,
  fetchSubAccounts,
  formatBase,
  formatPrice,
  formatUsdc,
  IDL,
  idlTypeDef,
  isAccount,
  liquidationPrice,
  MarginMode,
  MARGIN_ACCOUNT_SIZE,
  marginAccountAddress,
  MarketStatus,
  OracleSource,
  parseBase,
  parseEvents,
  parseFixed,
  parsePrice,
  parseUsdc,
  type ProgramAccountsReader,
  type ProgramEvent,
  type ProgramEvents,
  report,
  tradeQuote,
  TriggerKind,
  whatIfPosition,
} from "../src/index.js";
import { fromB64, type Json, readVectors, replayCluster } from "./util.js";

const v = readVectors("vectors.json");
const replay = readVectors("replay.json");
/** app/ts, from dist/test. */
const PACKAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

test("decimal strings parse to the program's units exactly", () => {
  assert.equal(parsePrice("2401.50"), 2_401_500_000n);
  assert.equal(parsePrice("2401.5"), 2_401_500_000n);
  assert.equal(parsePrice("0.000001"), 1n);
  assert.equal(parsePrice("3000"), 3_000_000_000n);
  assert.equal(parsePrice(" 150000 "), 150_000_000_000n);
  assert.equal(parsePrice("2401.500000000"), 2_401_500_000n); // trailing zeros round nothing away
  assert.equal(parseBase("0.5"), 500_000_000n);
  assert.equal(parseBase("2"), 2_000_000_000n);
  assert.equal(parseBase("0.000000001"), 1n);
  assert.equal(parseBase("-0.5", { signed: true }), -500_000_000n);
  assert.equal(parseBase("+1.25", { signed: true }), 1_250_000_000n);
  assert.equal(parseUsdc("250"), 250_000_000n);
  assert.equal(parseUsdc("-40", { signed: true }), -40_000_000n);
  assert.equal(parseFixed("7", 0), 7n);
  // far beyond a double's 53 bits, still exact
  assert.equal(parseUsdc("18446744073709.551615"), (1n << 64n) - 1n);
  assert.equal(parseBase("-9223372036.854775808", { signed: true }), -(1n << 63n));
  // round trips
  for (const s of ["2401.5", "0.000001", "3000", "65432.123456"]) assert.equal(formatPrice(parsePrice(s)), s);
  for (const s of ["0.5", "-0.000000001", "12"]) assert.equal(formatBase(parseBase(s, { signed: true })), s);
  assert.equal(formatUsdc(parseUsdc("250.10")), "250.1");
});

test("decimal strings the units cannot hold are refused, saying why", () => {
  const refused = (f: () => unknown, why: RegExp) => assert.throws(f, (e: unknown) => e instanceof AmountError && e instanceof RangeError && why.test(e.message));
  refused(() => parsePrice("2401.5000001"), /price: "2401.5000001" has 7 decimal places; at most 6 \(0.000001 is the smallest step\)/);
  refused(() => parseBase("0.0000000001"), /has 10 decimal places; at most 9/);
  refused(() => parseUsdc("1.0000001"), /USDC amount.*at most 6/);
  refused(() => parsePrice("-1"), /price: "-1" is negative/);
  refused(() => parseBase("-0.5"), /base: "-0.5" is negative/);
  refused(() => parseUsdc("-0"), /negative/);
  refused(() => parsePrice("NaN"), /not a decimal number/);
  refused(() => parsePrice("Infinity"), /not a decimal number/);
  refused(() => parsePrice("1e6"), /exponents are not accepted/);
  refused(() => parsePrice("2.4E3"), /exponents are not accepted/);
  refused(() => parsePrice("0x10"), /not a decimal number/);
  refused(() => parsePrice("1,000"), /no thousands separators/);
  refused(() => parsePrice(""), /it is empty/);
  refused(() => parsePrice("   "), /it is empty/);
  refused(() => parsePrice(".5"), /not a decimal number/);
  refused(() => parsePrice("5."), /not a decimal number/);
  refused(() => parsePrice("1 000"), /not a decimal number/);
  refused(() => parsePrice("--1"), /not a decimal number/);
  refused(() => parsePrice(2401.5 as unknown as string), /got the number 2401.5 \(numbers are not exact: pass a string\)/);
  refused(() => parseUsdc("18446744073709.551616"), /out of range \(u64/);
  refused(() => parseBase("9223372036.854775808", { signed: true }), /out of range \(i64/);
  assert.throws(() => parseFixed("1", -1), RangeError);
});

test("the enums of the client are the IDL's, in its order", () => {
  const variants = (name: string) => {
    const t = idlTypeDef(name).type;
    assert.ok(t.kind === "enum");
    return Object.fromEntries(t.variants.map((x, i) => [x.name, i]));
  };
  assert.deepEqual(variants("MarketStatus"), MarketStatus);
  assert.deepEqual(variants("OracleSource"), OracleSource);
  assert.deepEqual(variants("MarginMode"), MarginMode);
  assert.deepEqual(variants("TriggerKind"), TriggerKind);
  assert.deepEqual(variants("ActionStatus"), ActionStatus);
});

/** Byte offset of a field of a zero-copy account (discriminator included), from the IDL's layout. */
function fieldOffset(account: string, field: string): number {
  const sizes: Record<string, number> = { u8: 1, i8: 1, bool: 1, u16: 2, i16: 2, u32: 4, i32: 4, u64: 8, i64: 8, u128: 16, i128: 16, pubkey: 32 };
  const size = (t: unknown): number => {
    if (typeof t === "string") return sizes[t] ?? assert.fail(t);
    const o = t as { array?: [unknown, number]; defined?: { name: string } };
    if (o.array !== undefined) return size(o.array[0]) * o.array[1];
    const def = idlTypeDef(o.defined?.name ?? assert.fail(JSON.stringify(t))).type;
    assert.ok(def.kind === "struct");
    return (def.fields ?? []).reduce((n, f) => n + size(f.type), 0);
  };
  const def = idlTypeDef(account).type;
  assert.ok(def.kind === "struct");
  let at = 8;
  for (const f of def.fields ?? []) {
    if (f.name === field) return at;
    at += size(f.type);
  }
  return assert.fail(`${account} has no ${field}`);
}

test("Market.status and oracleSource are their enums; a value outside them is refused", () => {
  const statuses = v.markets.map((m: Json) => decodeMarket(fromB64(m.data)).status);
  assert.deepEqual(statuses, [MarketStatus.Active, MarketStatus.ReduceOnly, MarketStatus.Paused]);
  const sources = v.markets.map((m: Json) => decodeMarket(fromB64(m.data)).oracleSource);
  assert.ok(sources.includes(OracleSource.PythPull) && sources.includes(OracleSource.PythLegacy));
  const market = fromB64(v.markets[0].data);
  const status: MarketStatus = decodeMarket(market).status; // typed: assignable without a cast
  assert.equal(status, MarketStatus.Active);
  const at = fieldOffset("Market", "status");
  assert.deepEqual(v.markets.map((m: Json) => fromB64(m.data)[at]), [0, 1, 2]);
  const bad = Uint8Array.from(market);
  bad[at] = 7;
  assert.throws(() => decodeMarket(bad), (e: unknown) => e instanceof DecodeError && /Market: status 7 is not one of 0 Active, 1 ReduceOnly, 2 Paused, 3 Settled/.test(e.message));
});

// compile-time: every IDL event has a data type whose fields are exactly the IDL's (camelCase)
const EVENT_FIELDS = {
  AdminActionCancelled: ["id", "by"],
  AdminActionExecuted: ["id", "executor", "action"],
  AdminActionQueued: ["id", "proposer", "executeAfter", "action"],
  AdminTransferProposed: ["admin", "pendingAdmin"],
  AdminTransferred: ["oldAdmin", "newAdmin"],
  Bankruptcy: ["marginAccount", "marketIndex", "deficit", "insurancePaid", "socialized", "badDebt", "indexDelta", "openInterest", "liquidatorShare"],
  DelegateSet: ["marginAccount", "oldDelegate", "newDelegate", "limits"],
  Deposited: ["marginAccount", "depositor", "amount", "collateralAfter"],
  ExchangeInitialized: ["admin", "guardian", "collateralMint", "vault", "liquidationBuffer", "timelockDelaySecs"],
  Filled: [
    "marketIndex",
    "taker",
    "maker",
    "takerBaseDelta",
    "price",
    "oraclePrice",
    "takerFee",
    "makerFee",
    "takerRealizedPnl",
    "makerRealizedPnl",
    "takerBaseAfter",
    "makerBaseAfter",
    "openInterestAfter",
    "takerByDelegate",
    "makerByDelegate",
  ],
  FundingSettled: ["marginAccount", "amount", "collateralAfter"],
  FundingUpdated: [
    "marketIndex",
    "markTwap",
    "oracleTwap",
    "premium",
    "elapsed",
    "indexDelta",
    "cumulativeFundingLong",
    "cumulativeFundingShort",
    "feesToInsurance",
    "fillNotional",
    "premiumWeight",
    "openInterest",
  ],
  InsuranceDeposited: ["depositor", "amount", "insuranceBalanceAfter"],
  Liquidated: [
    "marketIndex",
    "liquidatee",
    "liquidator",
    "liquidateeBaseDelta",
    "price",
    "oraclePrice",
    "liquidationFee",
    "insuranceFee",
    "equityBefore",
    "maintenanceBefore",
    "equityAfter",
    "maintenanceAfter",
    "beingLiquidated",
  ],
  LookupTablesSet: ["tables"],
  MarginAccountClosed: ["marginAccount", "owner", "subAccountId"],
  MarginAccountCreated: ["marginAccount", "owner", "subAccountId"],
  MarginModeSet: ["marginAccount", "oldMode", "newMode", "maintenanceBefore", "maintenanceAfter", "initialAfter"],
  MarketAdded: ["marketIndex", "symbol", "oracle", "oracleSource", "pythFeedId", "unitExponent", "params"],
  MarketOracleChanged: ["marketIndex", "oldOracle", "newOracle", "oracleSource", "pythFeedId"],
  MarketParamsUpdated: ["marketIndex", "old", "new"],
  MarketSettled: ["marketIndex", "settlementPrice", "settledAt", "byTimelock", "finalIndexDelta", "openInterest"],
  MarketStatusChanged: ["marketIndex", "oldStatus", "newStatus", "expiresAt", "by"],
  PortfolioLiquidated: [
    "liquidatee",
    "liquidator",
    "fraction",
    "feeScale",
    "positionsTaken",
    "liquidationFee",
    "insuranceFee",
    "equityBefore",
    "maintenanceBefore",
    "equityAfter",
    "maintenanceAfter",
    "beingLiquidated",
  ],
  PositionSettled: ["marketIndex", "marginAccount", "base", "price", "realizedPnl", "fundingSettled", "openInterestAfter"],
  TriggerOrderCancelled: ["marginAccount", "orderId", "reason"],
  TriggerOrderExecuted: ["marginAccount", "executor", "orderId", "marketIndex", "kind", "baseDelta", "price", "oraclePrice", "limitPrice", "traderFee", "executorFee", "baseAfter"],
  TriggerOrderPlaced: ["marginAccount", "orderId", "marketIndex", "kind", "triggerPrice", "limitPrice", "size", "expiry", "premium", "byDelegate"],
  Withdrawn: ["marginAccount", "owner", "destination", "amount", "fundingSettled", "collateralAfter", "freeCollateralAfter"],
} as const satisfies { [K in EventName]: readonly (keyof ProgramEvents[K])[] };
type SameKeys = { [K in EventName]: [keyof ProgramEvents[K]] extends [(typeof EVENT_FIELDS)[K][number]] ? true : false }[EventName];
const eventTypesExact: false extends SameKeys ? never : true = true;

test("every event's type has exactly the IDL's fields; parseEvents is a union on the name", () => {
  assert.ok(eventTypesExact);
  const camel = (s: string) => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
  const idlEvents = (IDL.events ?? []).map((e) => e.name).sort();
  assert.deepEqual(Object.keys(EVENT_FIELDS).sort(), idlEvents);
  for (const name of idlEvents) {
    const def = idlTypeDef(name).type;
    assert.ok(def.kind === "struct");
    assert.deepEqual(
      (def.fields ?? []).map((f) => camel(f.name)),
      [...EVENT_FIELDS[name as EventName]],
      name,
    );
  }
  // narrowing on the name types the data: no casts
  const seen = new Set<string>();
  for (const step of replay.steps) {
    for (const e of parseEvents(step.logs) satisfies ProgramEvent[]) {
      seen.add(e.name);
      assert.deepEqual(Object.keys(e.data), [...EVENT_FIELDS[e.name]], e.name);
      if (e.name === "Filled") assert.ok(typeof e.data.price === "bigint" && e.data.taker instanceof PublicKey && typeof e.data.takerByDelegate === "boolean");
      if (e.name === "MarketAdded") assert.ok(typeof e.data.symbol === "string" && (e.data.oracleSource === OracleSource.PythPull || e.data.oracleSource === OracleSource.PythLegacy));
      if (e.name === "TriggerOrderPlaced") assert.ok(e.data.kind === TriggerKind.StopLoss || e.data.kind === TriggerKind.TakeProfit);
      if (e.name === "Liquidated") assert.ok(e.data.equityAfter >= e.data.maintenanceAfter || e.data.beingLiquidated);
    }
  }
  assert.ok(seen.size >= 10, [...seen].join());
  const fills = replay.steps.flatMap((s: Json) => eventsOf(s.logs, "Filled"));
  assert.equal(fills.length, 2);
  assert.ok(fills.every((f: ProgramEvents["Filled"]) => f.takerBaseDelta !== 0n));
});

test("an owner's sub-accounts: one getProgramAccounts with owner memcmp, decoded, in id order", async () => {
  const cluster = replayCluster();
  for (const a of v.marginAccounts) cluster.set(a.address, IDL.address, fromB64(a.data));
  const alice = decodeMarginAccount(fromB64(replay.marginAccounts[0].data));
  // alice opens sub-accounts 7 and 2 (the same bytes, another sub-account id)
  const idAt = fieldOffset("MarginAccount", "sub_account_id");
  assert.equal(idAt, 120);
  for (const id of [7, 2]) {
    const data = Uint8Array.from(fromB64(replay.marginAccounts[0].data));
    new DataView(data.buffer).setUint16(idAt, id, true);
    assert.equal(decodeMarginAccount(data).subAccountId, id);
    cluster.set(marginAccountAddress(alice.owner, id), IDL.address, data);
  }
  // an account of the same size that is not a margin account is not listed
  cluster.set(PublicKey.unique(), IDL.address, new Uint8Array(MARGIN_ACCOUNT_SIZE));
  const calls = cluster.calls;
  const mine = await fetchSubAccounts(cluster, alice.owner);
  assert.equal(cluster.calls, calls + 1);
  assert.deepEqual(mine.map((m) => m.account.subAccountId), [0, 2, 7]);
  for (const m of mine) {
    assert.ok(m.account.owner.equals(alice.owner));
    assert.ok(m.address.equals(marginAccountAddress(alice.owner, m.account.subAccountId)));
  }
  // every owner on the cluster (the replay's users own vectors.json's accounts too): what a scan of all accounts finds
  const all = [...cluster.accounts.entries()]
    .filter(([, info]) => info.data.length === MARGIN_ACCOUNT_SIZE && isAccount("MarginAccount", info.data))
    .map(([address, info]) => ({ address, account: decodeMarginAccount(info.data) }));
  const owners = new Set(all.map((a) => a.account.owner.toBase58()));
  assert.ok(owners.size >= 4);
  for (const owner of owners) {
    const got = await fetchSubAccounts(cluster, new PublicKey(owner));
    const expected = all.filter((a) => a.account.owner.toBase58() === owner).sort((a, b) => a.account.subAccountId - b.account.subAccountId);
    assert.deepEqual(got.map((m) => m.address.toBase58()), expected.map((a) => a.address), owner);
  }
  assert.deepEqual(await fetchSubAccounts(cluster, PublicKey.unique()), []);
  // a web3.js Connection is a reader (type-level)
  const reader: ProgramAccountsReader = new Connection("http://127.0.0.1:8899");
  assert.ok(reader !== undefined);
});

test("the depositor's associated token account", () => {
  // expected: @solana/spl-token 0.4.15 getAssociatedTokenAddressSync(mint, owner, true)
  const usdc = new PublicKey("EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v");
  assert.equal(associatedTokenAddress(new PublicKey("9hSR6S7WPtxmTojgo6GG3k4yDPecgJY292j7xrsUGWBu"), usdc).toBase58(), "ASZ2TDDNJG2n42TxAezqNNzwWipykHrENDKMCoLKgzup");
  // an owner off the curve (a PDA: the exchange) has one too
  assert.equal(associatedTokenAddress(new PublicKey("CGwr1Q4etto78mzvZLeXs4ztCZFUaKMkh5RtHRjjRDN"), usdc).toBase58(), "AGZmWaNAtiTWjEeZQJhtyMn3WMG8mytwbPUJniaqD9pA");
});

test("what-if positions from a market, an entry price and a price: the README's worked example", () => {
  // ETH: mm 5%, 1,000 USDC, long 2 ETH bought at 3,000: liquidation price 2,631.578948
  const eth = { ...decodeMarket(fromB64(v.markets[0].data)), initialMarginRatio: 100_000, maintenanceMarginRatio: 50_000, marginGroup: 0 };
  const collateral = parseUsdc("1000");
  const at = (price: string) => whatIfPosition(eth, { base: parseBase("2"), entryPrice: parsePrice("3000"), price: parsePrice(price) });
  const p = at("2700");
  assert.equal(p.symbol, "ETH-PERP");
  assert.equal(p.risk.marketIndex, eth.marketIndex);
  assert.equal(p.risk.quote, -6_000_000_000n);
  assert.deepEqual(p.risk.price, { price: 2_700_000_000n, conf: 0n, emaPrice: 2_700_000_000n, publishTime: 0n });
  assert.deepEqual(p.risk.params, { initialMarginRatio: 100_000, maintenanceMarginRatio: 50_000, upnlInitialWeight: eth.upnlInitialWeight, marginGroup: 0, systematicShare: eth.systematicShare });
  assert.equal(p.fundingRatePerDay, eth.lastFundingRate * 1_000n);
  const r = report(collateral, [p]);
  assert.equal(r.positions[0]?.entryPrice, 3_000_000_000n);
  assert.equal(r.positions[0]?.liquidationPrice, 2_631_578_948n);
  assert.equal(r.equity, 400_000_000n); // 1,000 - 2 * 300
  const h = (price: string) => computeHealth(collateral, [at(price).risk]);
  assert.equal(h("2631.578948").equity - h("2631.578948").maintenanceRequirement, 1n);
  assert.equal(h("2631.578947").equity < h("2631.578947").maintenanceRequirement, true);
  assert.equal(liquidationPrice(collateral, [p.risk], 0), 2_631_578_948n);
  // a short, confidence and ema given; quote rounds as a fill's does (down)
  const s = whatIfPosition(eth, { base: -parseBase("0.333333333"), entryPrice: parsePrice("3000.000001"), price: parsePrice("3100"), conf: 1_000_000n, emaPrice: 3_050_000_000n, fundingRatePerDay: 0n });
  assert.equal(s.risk.quote, tradeQuote(-333_333_333n, 3_000_000_001n));
  assert.equal(s.risk.quote, 999_999_999n); // floor(333_333_333 * 3_000_000_001 / 1e9) = floor(999999999.333...)
  assert.equal(s.risk.price.conf, 1_000_000n);
  assert.equal(s.risk.price.emaPrice, 3_050_000_000n);
  assert.equal(tradeQuote(1n, 1n), -1n); // floor(-1e-9): a long's cost rounds up
  assert.throws(() => whatIfPosition(eth, { base: 1n, entryPrice: 0n, price: 1n }), RangeError);
});

test("no global Buffer needed: the package provides it before Anchor's coder runs", () => {
  const index = join(PACKAGE_DIR, "dist", "src", "index.js");
  const script = `
    delete globalThis.Buffer;
    const c = await import(${JSON.stringify(index)});
    const { PublicKey } = await import("@solana/web3.js");
    const me = { owner: new PublicKey("9hSR6S7WPtxmTojgo6GG3k4yDPecgJY292j7xrsUGWBu"), subAccountId: 0 };
    const d = c.ix.deposit({ depositor: me.owner, marginAccount: me, depositorToken: PublicKey.default, amount: 250000000n });
    console.log(d.data.length, new DataView(d.data.buffer, d.data.byteOffset).getBigUint64(8, true));`;
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: PACKAGE_DIR, encoding: "utf8" });
  assert.equal(out.trim(), "16 250000000n");
});

test("the tarball holds the IDL once, the compiled client and no tests", () => {
  const [packed] = JSON.parse(execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: PACKAGE_DIR, encoding: "utf8" })) as { files: { path: string }[] }[];
  assert.ok(packed !== undefined);
  const files = packed.files.map((f) => f.path);
  assert.deepEqual(files.filter((f) => f.endsWith(".json") && f !== "package.json"), ["dist/idl/cross_margin.json"]);
  for (const f of ["dist/src/index.js", "dist/src/index.d.ts", "dist/src/globals.js", "dist/src/units.js", "dist/src/deploy.js"]) assert.ok(files.includes(f), f);
  assert.deepEqual(files.filter((f) => f.startsWith("dist/test") || f.startsWith("test/") || f.startsWith("src/")), []);
});
