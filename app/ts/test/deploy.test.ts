// The deploy planner through the timelock: the first run on an empty cluster, the run a day later
// on the cluster the first left, what a re-run must not repeat, the lookup table, and the config
// format it shares with the Rust CLI (app/sdk/src/config.rs).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";

import { AddressLookupTableInstruction, AddressLookupTableProgram, Keypair, PublicKey, SystemProgram } from "@solana/web3.js";

import {
  actionAccounts,
  ADDRESS_LOOKUP_TABLE_PROGRAM_ID,
  adminActionAddress,
  coder,
  decodeExchange,
  exchangeAddress,
  ix,
  marketAddress,
  PROGRAM_ID,
  sponsoredFeedAddress,
  toIdl,
} from "../src/index.js";
import {
  addMarketAction,
  ConfigError,
  deploy,
  type DeployConfig,
  describePlan,
  fixedTableAccounts,
  marketParamsError,
  parseDeployConfig,
  planDeployment,
  tableAccounts,
} from "../src/deploy.js";
import { clusterAfterFirstRun, DEPLOY_CONFIG, deployPlans, EMPTY, START, wallet } from "./scenario.js";
import { type Json, lookupTableData, MemoryCluster, VECTORS_DIR } from "./util.js";

const admin = wallet("admin");
const DAY = BigInt(DEPLOY_CONFIG.timelockDelaySecs);
const mainnetJson = () => JSON.parse(readFileSync(join(VECTORS_DIR, "../../../../migrations/config.mainnet.json"), "utf8"));

test("on an empty cluster: initialize (by the upgrade authority), then queue every listing and portfolio margin", async () => {
  const { first } = await deployPlans();
  assert.deepEqual(
    first.steps.map((s) => s.instructions),
    [
      [ix.initializeExchange({ admin, collateralMint: DEPLOY_CONFIG.collateralMint, liquidationBuffer: 200_000, guardian: wallet("guardian"), timelockDelaySecs: 86_400 })],
      ...DEPLOY_CONFIG.markets.map((m, i) => [ix.queueAdminAction({ admin, actionId: BigInt(i), action: addMarketAction(m) })]),
      [ix.queueAdminAction({ admin, actionId: 2n, action: { setPortfolioMargin: { enabled: true } } })],
    ],
  );
  assert.deepEqual(first.queued.map((q) => q.id), [0n, 1n, 2n]);
  assert.deepEqual(first.executed, []);
  // the listings name the sponsored feed accounts
  for (const q of first.queued.slice(0, 2)) {
    assert.ok("addMarket" in q.action && q.action.addMarket.oracle.equals(sponsoredFeedAddress(q.action.addMarket.pythFeedId)));
  }
  // the initialize instruction is signed by the deploying key, with the ProgramData named
  const init = first.steps[0]?.instructions[0];
  assert.ok(init !== undefined && init.keys[0]?.pubkey.equals(admin) && init.keys[0].isSigner);
});

test("a re-run before the delay queues nothing twice; a day later it executes what is due, in id order", async () => {
  const { first, second } = await deployPlans();
  const after = await clusterAfterFirstRun(DEPLOY_CONFIG, admin, first, START);
  const early = await planDeployment(after, DEPLOY_CONFIG, admin, { now: BigInt(START) + DAY - 1n, skipLookupTables: true });
  assert.deepEqual(early.steps, []);
  assert.equal(early.waiting.length, 3);
  assert.ok(early.skipped.some((s) => /queued change 0 .* waits until unix time/.test(s)));
  assert.ok(early.skipped.some((s) => /market 1 \(BTC-PERP\) is queued for listing/.test(s)));

  assert.deepEqual(second.executed.map((q) => q.id), [0n, 1n, 2n]);
  assert.deepEqual(second.queued, []);
  let count = 0;
  assert.deepEqual(
    second.steps.map((s) => s.instructions),
    first.queued.map((q) => {
      const accounts = actionAccounts(q.action, count);
      if ("addMarket" in q.action) count += 1;
      return [ix.executeAdminAction({ executor: admin, actionId: q.id, ...accounts })];
    }),
  );
  // the listings land at market 0 and 1, with their oracles
  assert.ok(second.steps[0]?.instructions[0]?.keys[3]?.pubkey.equals(marketAddress(0)));
  assert.ok(second.steps[1]?.instructions[0]?.keys[4]?.pubkey.equals(DEPLOY_CONFIG.markets[1]?.oracle as PublicKey));
  // the clock sysvar is the default source of "now"
  const withClock = await clusterAfterFirstRun(DEPLOY_CONFIG, admin, first, START);
  const clock = Buffer.alloc(40);
  clock.writeBigInt64LE(BigInt(START) + DAY, 32);
  withClock.set("SysvarC1ock11111111111111111111111111111111", "Sysvar1111111111111111111111111111111111111", clock);
  assert.deepEqual((await planDeployment(withClock, DEPLOY_CONFIG, admin, { skipLookupTables: true })).steps, second.steps);
  // without a clock nothing is executed
  const noClock = await planDeployment(after, DEPLOY_CONFIG, admin, { skipLookupTables: true });
  assert.deepEqual(noClock.steps, []);
});

test("drift is queued once: a new market, new parameters, another guardian or delay", async () => {
  const { first } = await deployPlans();
  const after = await clusterAfterFirstRun(DEPLOY_CONFIG, admin, first, START);
  const [eth, btc] = DEPLOY_CONFIG.markets as [DeployConfig["markets"][number], DeployConfig["markets"][number]];
  const solFeed = new Uint8Array(32).fill(0x33);
  const sol = { ...eth, symbol: "SOL-PERP", pythFeedId: solFeed, oracle: sponsoredFeedAddress(solFeed) };
  const more = await planDeployment(after, { ...DEPLOY_CONFIG, markets: [eth, btc, sol] }, admin, { now: BigInt(START), skipLookupTables: true });
  assert.deepEqual(more.steps.map((s) => s.instructions), [[ix.queueAdminAction({ admin, actionId: 3n, action: addMarketAction(sol) })]]);

  const drift = { ...btc, params: { ...btc.params, takerFee: 700 } };
  const upd = await planDeployment(after, { ...DEPLOY_CONFIG, markets: [eth, drift], guardian: PublicKey.default }, admin, { now: BigInt(START), skipLookupTables: true });
  assert.deepEqual(upd.queued.map((q) => q.action), [{ updateMarket: { marketIndex: 1, params: drift.params } }, { setGuardian: { guardian: PublicKey.default } }]);

  await assert.rejects(planDeployment(after, { ...DEPLOY_CONFIG, markets: [btc, eth] }, admin, { skipLookupTables: true }), /queued for listing as ETH-PERP/);
  await assert.rejects(planDeployment(after, { ...DEPLOY_CONFIG, markets: [{ ...eth, tokensPerContract: 1000n }, btc] }, admin), /never renamed/);
  await assert.rejects(planDeployment(after, { ...DEPLOY_CONFIG, collateralMint: PublicKey.unique() }, admin), /collateral mint/);
  await assert.rejects(planDeployment(after, DEPLOY_CONFIG, PublicKey.unique()), /admin/);
});

test("accounts are checked by owner before they are decoded", async () => {
  // lamports a stranger sent to the exchange address: no account yet, initialize takes it over
  const funded = new MemoryCluster();
  funded.set(exchangeAddress(), SystemProgram.programId, new Uint8Array(0), 5_000);
  const plan = await planDeployment(funded, DEPLOY_CONFIG, admin, { skipLookupTables: true });
  assert.ok(plan.skipped.some((s) => /5000 lamports/.test(s)));
  assert.deepEqual(plan.steps, (await deployPlans()).first.steps);
  // an account of another program there, or exchange-looking data not owned by the program
  const { first } = await deployPlans();
  const after = await clusterAfterFirstRun(DEPLOY_CONFIG, admin, first, START);
  const forged = new MemoryCluster();
  forged.set(exchangeAddress(), PublicKey.unique(), (after.accounts.get(exchangeAddress().toBase58()) as { data: Buffer }).data);
  await assert.rejects(planDeployment(forged, DEPLOY_CONFIG, admin), /owned by/);
  // a queued change not owned by the program
  after.set(adminActionAddress(1n), PublicKey.unique(), (after.accounts.get(adminActionAddress(1n).toBase58()) as { data: Buffer }).data);
  await assert.rejects(planDeployment(after, DEPLOY_CONFIG, admin, { now: BigInt(START) + DAY }), /QueuedAction .* owned by/);
  // a market address holding lamports can never be listed: refused before queueing
  const blocked = new MemoryCluster();
  blocked.set(marketAddress(1), SystemProgram.programId, new Uint8Array(0), 1);
  await assert.rejects(planDeployment(blocked, DEPLOY_CONFIG, admin), /market 1 cannot be listed/);
});

test("a pull oracle that is not the sponsored feed account of its feed id is refused before listing", async () => {
  const [eth, btc] = DEPLOY_CONFIG.markets as [DeployConfig["markets"][number], DeployConfig["markets"][number]];
  const cluster = new MemoryCluster();
  const stranger = { ...btc, oracle: Keypair.generate().publicKey };
  await assert.rejects(planDeployment(cluster, { ...DEPLOY_CONFIG, markets: [eth, stranger] }, admin), /market 1 \(BTC-PERP\): .* is not the sponsored Pyth feed account/);
  assert.equal(cluster.calls, 0);
  // a legacy market names any price account
  const legacy = { ...btc, oracleSource: 1 as const, oracle: Keypair.generate().publicKey };
  const plan = await planDeployment(EMPTY, { ...DEPLOY_CONFIG, markets: [eth, legacy] }, admin, { skipLookupTables: true });
  assert.equal(plan.queued.length, 3);
});

test("the lookup table: created with the fixed accounts and every market, registered through the timelock, then extended", async () => {
  const slot = 123_456;
  const plan = await planDeployment(EMPTY, DEPLOY_CONFIG, admin, { recentSlot: slot });
  const [create, table] = AddressLookupTableProgram.createLookupTable({ authority: admin, payer: admin, recentSlot: slot });
  assert.ok(plan.createdLookupTable?.equals(table));
  const wanted = tableAccounts(DEPLOY_CONFIG);
  assert.deepEqual(wanted.slice(0, 9), fixedTableAccounts(DEPLOY_CONFIG.collateralMint));
  assert.equal(wanted.length, 9 + 2 * DEPLOY_CONFIG.markets.length);
  const register = plan.steps.find((s) => s.instructions[0]?.programId.equals(ADDRESS_LOOKUP_TABLE_PROGRAM_ID) && s.instructions.length === 2);
  assert.ok(register !== undefined);
  assert.deepEqual(register.instructions, [create, ix.queueAdminAction({ admin, actionId: 3n, action: { setLookupTables: { tables: [table] } } })]);
  const extended = plan.steps
    .flatMap((s) => s.instructions)
    .filter((i) => i.programId.equals(ADDRESS_LOOKUP_TABLE_PROGRAM_ID) && AddressLookupTableInstruction.decodeInstructionType(i) === "ExtendLookupTable")
    .flatMap((i) => AddressLookupTableInstruction.decodeExtendLookupTable(i).addresses);
  assert.deepEqual(extended.map((a) => a.toBase58()), wanted.map((a) => a.toBase58()));

  // once registered and holding everything: nothing more; a new market: one extension
  const first = (await deployPlans()).first;
  const after = await clusterAfterFirstRun(DEPLOY_CONFIG, admin, first, START);
  const exchange = decodeExchange((after.accounts.get(exchangeAddress().toBase58()) as { data: Buffer }).data);
  const withTable = toIdl({ defined: { name: "Exchange" } }, { ...exchange, lookupTables: [table], reserved: new Uint8Array(64) }, "exchange");
  after.set(exchangeAddress(), PROGRAM_ID, await coder.accounts.encode("Exchange", withTable));
  after.set(table, ADDRESS_LOOKUP_TABLE_PROGRAM_ID, lookupTableData(admin, wanted));
  const again = await planDeployment(after, DEPLOY_CONFIG, admin, { now: BigInt(START), recentSlot: slot + 1 });
  assert.deepEqual(again.steps, []);
  assert.ok(again.skipped.some((s) => s.includes(`lookup table ${table.toBase58()} hold every account`)));
  const solFeed = new Uint8Array(32).fill(0x44);
  const sol = { ...(DEPLOY_CONFIG.markets[0] as DeployConfig["markets"][number]), symbol: "SOL-PERP", pythFeedId: solFeed, oracle: sponsoredFeedAddress(solFeed) };
  const grown = await planDeployment(after, { ...DEPLOY_CONFIG, markets: [...DEPLOY_CONFIG.markets, sol] }, admin, { now: BigInt(START), recentSlot: slot + 1 });
  const ext = grown.steps.at(-1)?.instructions[0];
  assert.ok(ext !== undefined);
  assert.deepEqual(AddressLookupTableInstruction.decodeExtendLookupTable(ext).addresses, [marketAddress(2), sol.oracle]);
  assert.equal(grown.createdLookupTable, undefined);
  // without a recent slot no table is created
  const none = await planDeployment(EMPTY, DEPLOY_CONFIG, admin);
  assert.equal(none.createdLookupTable, undefined);
  assert.ok(none.skipped.some((s) => /no recent slot/.test(s)));
});

test("describe and dry run: every transaction with its size; nothing sent", async () => {
  const { first } = await deployPlans();
  const text = describePlan(first, admin, PublicKey.default.toBase58());
  assert.equal((text.match(/^transaction \d+\/4: /gm) ?? []).length, 4);
  assert.match(text, /bytes; message \(base64, unsigned\): /);
  assert.match(text, /3 queued change\(s\) wait out the timelock/);
  const lines: string[] = [];
  let sent = 0;
  await deploy({ config: DEPLOY_CONFIG, admin: Keypair.fromSeed(new Uint8Array(32).fill(1)), reader: EMPTY, dryRun: true, plan: { skipLookupTables: true }, log: (l) => lines.push(l), send: async () => `${++sent}` });
  assert.equal(sent, 0);
  assert.match(lines.join("\n"), /initialize_exchange/);
  // sending: one signed transaction per step, in order
  const txs: string[] = [];
  await deploy({
    config: DEPLOY_CONFIG,
    admin: Keypair.fromSeed(new Uint8Array(32).fill(1)),
    reader: EMPTY,
    dryRun: false,
    plan: { skipLookupTables: true },
    log: () => undefined,
    blockhash: async () => PublicKey.default.toBase58(),
    send: async (tx) => {
      assert.equal(tx.signatures.length, 1);
      assert.ok(tx.signatures[0]?.some((b) => b !== 0));
      txs.push(Buffer.from(tx.message.serialize()).toString("base64"));
      return `sig${txs.length}`;
    },
  });
  assert.equal(txs.length, first.steps.length);
});

test("deploy configs: the committed one parses, the Rust CLI's fields are accepted, a wrong field is named", () => {
  const mainnet = parseDeployConfig(mainnetJson());
  assert.deepEqual(mainnet.markets.map((m) => m.symbol), ["SOL-PERP", "ETH-PERP", "BTC-PERP"]);
  assert.equal(mainnet.markets[0]?.params.openInterestCap, BigInt(mainnetJson().markets[0].params.openInterestCap));
  for (const m of mainnet.markets) assert.ok(m.oracle.equals(sponsoredFeedAddress(m.pythFeedId)), m.symbol);
  assert.ok(mainnet.guardian.equals(PublicKey.default));
  // the optional fields: a default pull oracle (the sponsored feed), units, a local price, a guardian, a delay
  const c = mainnetJson();
  delete c.markets[0].oracle;
  c.markets[1].tokensPerContract = "1000";
  c.markets[1].localPrice = 3012.5;
  delete c.markets[2].params.marginGroup;
  delete c.markets[2].params.systematicShare;
  c.guardian = wallet("guardian").toBase58();
  c.timelockDelaySecs = 3 * 86_400;
  const parsed = parseDeployConfig(c);
  assert.ok(parsed.markets[0]?.oracle.equals(mainnet.markets[0]?.oracle as PublicKey));
  assert.equal(parsed.markets[1]?.tokensPerContract, 1000n);
  assert.equal(parsed.markets[2]?.params.marginGroup, 0);
  assert.ok(parsed.guardian.equals(wallet("guardian")));
  assert.equal(parsed.timelockDelaySecs, 3 * 86_400);
  delete c.timelockDelaySecs;
  assert.equal(parseDeployConfig(c).timelockDelaySecs, 86_400);

  const bad = (mutate: (c: Json) => void, message: RegExp) => {
    const x = mainnetJson();
    mutate(x);
    assert.throws(() => parseDeployConfig(x), (e: unknown) => e instanceof ConfigError && message.test(e.message), String(message));
  };
  bad((c) => delete c.collateralMint, /collateralMint is missing/);
  bad((c) => (c.markets[1].params.takerFee = -1), /markets\[1\]\.params: takerFee = -1 is outside/);
  bad((c) => (c.markets[1].params.takerFee = "500"), /takerFee must be an integer/);
  bad((c) => (c.markets[0].params.baseLotSize = 1.5), /baseLotSize must be an integer/);
  bad((c) => (c.markets[2].oracleSource = "chainlink"), /oracleSource must be/);
  bad((c) => (c.markets[2].pythFeedId = "abc"), /64 hex digits/);
  bad((c) => (c.markets[1].symbol = c.markets[0].symbol), /listed twice/);
  bad((c) => (c.markets[0].params.typo = 1), /unknown fields typo/);
  bad((c) => (c.markets[0].typo = 1), /markets\[0\]: unknown fields typo/);
  bad((c) => (c.typo = 1), /config: unknown fields typo/);
  bad((c) => (c.markets[0].oracle = "not-a-key"), /oracle is not a base58 public key/);
  bad((c) => (c.markets[0].tokensPerContract = 1500), /power of ten/);
  bad((c) => (c.timelockDelaySecs = 3_600), /timelockDelaySecs = 3600 is outside/);
  bad((c) => (c.guardian = 7), /guardian is not a base58 public key/);
  bad((c) => (c.markets[0].params.makerFee = -451), /InvalidNetFee/);
  bad((c) => (c.markets[0].params.systematicShare = 750_001), /InvalidSystematicShare/);
  bad((c) => (c.markets[0].params.marginGroup = 65), /InvalidMarginGroup/);
  bad((c) => (c.markets[0].symbol = "ETH PERP"), /printable ASCII/);
  bad((c) => {
    c.markets[0].oracleSource = "pyth-legacy";
    delete c.markets[0].oracle;
  }, /a legacy market needs its price account/);
  // the program's bounds, one each
  const p = mainnet.markets[0]?.params;
  assert.ok(p !== undefined);
  assert.equal(marketParamsError(p), undefined);
  assert.equal(marketParamsError({ ...p, maintenanceMarginRatio: p.initialMarginRatio }), "InvalidMarginRatios");
  assert.equal(marketParamsError({ ...p, liquidationFee: p.maintenanceMarginRatio - p.insuranceFee }), "InvalidFees");
  assert.equal(marketParamsError({ ...p, minPositionBase: p.baseLotSize + 1n }), "InvalidSizeParams");
});
