// The accounts the program produced when it replayed this client's scenario (replay.json, written
// by tests/suite/frontend/scenario.rs), read back through the client: fetch, decode, price, the
// risk view (trigger orders included) equal to the Rust SDK's report, the events of each
// transaction; and the deploy planner, idempotent on that cluster.
import { test } from "node:test";
import assert from "node:assert/strict";

import { EventParser } from "@coral-xyz/anchor";
import { PublicKey } from "@solana/web3.js";

import {
  coder,
  decodeQueuedAction,
  fetchExchange,
  fetchMarginAccount,
  fetchQueuedActions,
  fetchRiskReport,
  fromIdl,
  ix,
  marginAccountAddress,
  parseEvents,
  PROGRAM_ID,
  sponsoredFeedAddress,
  triggerOrdersAddress,
} from "../src/index.js";
import { addMarketAction, ConfigError, type DeployConfig, planDeployment } from "../src/deploy.js";
import { DEPLOY_CONFIG, wallet } from "./scenario.js";
import { fromB64, type Json, normalize, readVectors, replayCluster } from "./util.js";

const replay = readVectors("replay.json");
const cluster = replayCluster;
const now = () => BigInt(replay.time);

test("the replayed accounts decode and their risk view equals the program's", async () => {
  const reader = cluster();
  const ex = await fetchExchange(reader);
  assert.ok(ex.admin.equals(wallet("admin")) && ex.guardian.equals(wallet("guardian")));
  assert.equal(ex.marketCount, 2);
  assert.equal(ex.portfolioMarginEnabled, true);
  const queued = await fetchQueuedActions(reader, ex);
  assert.deepEqual(queued.map((q) => q.status), queued.map(() => 1));
  for (const a of replay.marginAccounts) {
    assert.equal(a.owner, PROGRAM_ID.toBase58());
    const { account, report } = await fetchRiskReport(reader, new PublicKey(a.address));
    assert.equal(marginAccountAddress(account.owner, account.subAccountId).toBase58(), a.address);
    assert.deepEqual(normalize(report), a.report, a.name);
  }
  // alice: partly liquidated, healthy again, with a liquidation price below $2,400 on her ETH and
  // her stop-loss on the BTC short not reached
  const alice = await fetchRiskReport(reader, marginAccountAddress(wallet("alice"), 0));
  const eth = alice.report.positions.find((p) => p.symbol === "ETH-PERP");
  assert.ok(eth !== undefined && eth.base > 0n && eth.base < 10n * 1_000_000_000n);
  assert.ok(eth.liquidationPrice !== undefined && eth.liquidationPrice < 2_400_000_000n);
  assert.equal(alice.report.liquidatable, false);
  const btc = alice.report.positions.find((p) => p.symbol === "BTC-PERP");
  assert.ok(btc !== undefined && btc.orders.length === 1 && (btc.orders[0]?.distancePpm ?? 0n) > 0n);
  assert.ok(alice.orders !== null && triggerOrdersAddress(marginAccountAddress(wallet("alice"), 0)).toBase58() === replay.triggerOrders[0].address);
});

test("the next builders follow the replayed positions (health accounts in slot order)", async () => {
  const reader = cluster();
  const alice = await fetchMarginAccount(reader, marginAccountAddress(wallet("alice"), 0));
  const markets = [0, 1].map((i) => ({ marketIndex: i, oracle: new PublicKey(replay.oracles[i].address) }));
  const w = ix.withdraw({ account: alice, destination: PublicKey.unique(), amount: 1n, oracles: markets });
  assert.deepEqual(
    w.keys.slice(6).map((k) => k.pubkey.toBase58()),
    [replay.markets[0].address, replay.oracles[0].address, replay.markets[1].address, replay.oracles[1].address],
  );
});

test("deploy is idempotent: the cluster the scenario deployed needs nothing more", async () => {
  const plan = await planDeployment(cluster(), DEPLOY_CONFIG, wallet("admin"), { now: now(), skipLookupTables: true });
  assert.deepEqual(plan.steps, []);
  assert.deepEqual(plan.executed, []);
  assert.ok(plan.skipped.some((s) => /market 0 \(ETH-PERP\) is listed/.test(s)) && plan.skipped.some((s) => /market 1 \(BTC-PERP\) is listed/.test(s)));
  // without a table registered and no slot to create one, the table is only reported
  const withTables = await planDeployment(cluster(), DEPLOY_CONFIG, wallet("admin"), { now: now() });
  assert.deepEqual(withTables.steps, []);
  assert.ok(withTables.skipped.some((s) => /no recent slot/.test(s)));
});

test("deploy on the replayed cluster queues only what the config adds, and refuses renames", async () => {
  const reader = cluster();
  const admin = wallet("admin");
  const ex = await fetchExchange(reader);
  const [eth, btc] = DEPLOY_CONFIG.markets as [DeployConfig["markets"][number], DeployConfig["markets"][number]];
  const sol = { ...eth, symbol: "SOL-PERP", pythFeedId: new Uint8Array(32).fill(0x33) };
  const solConfig = { ...sol, oracle: sponsoredFeedAddress(sol.pythFeedId) };
  const more = await planDeployment(reader, { ...DEPLOY_CONFIG, markets: [eth, btc, solConfig] }, admin, { now: now(), skipLookupTables: true });
  assert.deepEqual(more.steps.map((s) => s.instructions), [[ix.queueAdminAction({ admin, actionId: ex.nextActionId, action: addMarketAction(solConfig) })]]);

  const drift = { ...btc, params: { ...btc.params, takerFee: 700 } };
  const upd = await planDeployment(reader, { ...DEPLOY_CONFIG, markets: [eth, drift] }, admin, { now: now(), skipLookupTables: true });
  assert.deepEqual(upd.queued.map((q) => q.action), [{ updateMarket: { marketIndex: 1, params: drift.params } }]);

  await assert.rejects(planDeployment(reader, { ...DEPLOY_CONFIG, markets: [btc, eth] }, admin), ConfigError);
  await assert.rejects(planDeployment(reader, { ...DEPLOY_CONFIG, collateralMint: PublicKey.unique() }, admin), /collateral mint/);
  await assert.rejects(planDeployment(reader, DEPLOY_CONFIG, PublicKey.unique()), /admin/);
  for (const q of replay.queuedActions) assert.equal(decodeQueuedAction(fromB64(q.data)).status, 1);
});

test("events parse from each replayed transaction's logs as the program emitted them", () => {
  let checked = 0;
  for (const step of replay.steps) {
    const events = parseEvents(step.logs);
    assert.deepEqual(events.map((e) => e.name), step.events.map((e: Json) => e.name), step.step);
    events.forEach((e, i) => {
      const expected = step.events[i].data;
      if (expected === null) return;
      // the fields the Rust side spells out (it may leave some out)
      const got = normalize(e.data) as Record<string, unknown>;
      assert.deepEqual(Object.fromEntries(Object.keys(expected).map((k) => [k, got[k]])), expected, `${step.step}: ${e.name}`);
      checked += 1;
    });
  }
  assert.ok(checked >= 8);
  // another program's data lines are not ours
  assert.deepEqual(parseEvents(["Program 11111111111111111111111111111111 invoke [1]", `Program data: ${"AAAA"}`, "Program 11111111111111111111111111111111 success"]), []);
});

test("Anchor's own EventParser reads every replayed step's logs (validator form) as parseEvents does", () => {
  const parser = new EventParser(PROGRAM_ID, coder);
  let events = 0;
  for (const step of replay.steps) {
    // the validator's form: each invoke and each success once, nested as a stack
    const depth: string[] = [];
    for (const line of step.logs as string[]) {
      const invoke = /^Program (\w+) invoke \[(\d+)\]$/.exec(line);
      if (invoke !== null) {
        assert.equal(Number(invoke[2]), depth.length + 1, `${step.step}: ${line}`);
        depth.push(invoke[1] as string);
      }
      const done = /^Program (\w+) (success|failed: .*)$/.exec(line);
      if (done !== null) assert.equal(depth.pop(), done[1], `${step.step}: ${line}`);
    }
    assert.deepEqual(depth, [], step.step);
    const anchors = [...parser.parseLogs(step.logs)];
    const ours = parseEvents(step.logs);
    assert.deepEqual(anchors.map((e) => e.name), ours.map((e) => e.name), step.step);
    assert.deepEqual(anchors.map((e) => e.name), step.events.map((e: Json) => e.name), step.step);
    anchors.forEach((e, i) => assert.deepEqual(fromIdl({ defined: { name: e.name } }, e.data), ours[i]?.data, `${step.step}: ${e.name}`));
    events += anchors.length;
  }
  assert.ok(events >= 20, `${events} events`);
  // what native program-test writes (each invoke and success twice) is what 0.32's parser refuses
  const doubled = (replay.steps[7].logs as string[]).flatMap((l) => (/ (invoke \[\d+\]|success)$/.test(l) ? [l, l] : [l]));
  assert.throws(() => [...parser.parseLogs(doubled)], /Expected the stack to have elements/);
});
