// The accounts the program produced when it replayed this client's scenario (replay.json, written
// by tests/suite/frontend/scenario.rs), read back through the client: fetch, decode, price, and the
// risk view, equal to the Rust SDK's report; and the deploy script, idempotent on that cluster.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";

import { Keypair, PublicKey } from "@solana/web3.js";

import {
  decodeMarginAccount,
  fetchExchange,
  fetchMarginAccount,
  fetchRiskReport,
  ix,
  marginAccountAddress,
  parseEvents,
  PROGRAM_ID,
} from "../src/index.js";
import { ConfigError, deploy, type DeployConfig, parseDeployConfig, planDeployment } from "../src/deploy.js";
import { DEPLOY_CONFIG, wallet } from "./scenario.js";
import { fromB64, type Json, normalize, readVectors, replayCluster, VECTORS_DIR } from "./util.js";

const replay = readVectors("replay.json");
const cluster = replayCluster;

test("the replayed accounts decode and their risk view equals the program's", async () => {
  const reader = cluster();
  const ex = await fetchExchange(reader);
  assert.ok(ex.admin.equals(wallet("admin")));
  assert.equal(ex.marketCount, 2);
  for (const a of replay.marginAccounts) {
    assert.equal(a.owner, PROGRAM_ID.toBase58());
    const { account, report } = await fetchRiskReport(reader, new PublicKey(a.address));
    assert.equal(marginAccountAddress(account.owner, account.subAccountId).toBase58(), a.address);
    assert.deepEqual(normalize(report), a.report, a.name);
  }
  // alice: partly liquidated, healthy again, with a liquidation price below $2,400 on her ETH
  const alice = await fetchRiskReport(reader, marginAccountAddress(wallet("alice"), 0));
  const eth = alice.report.positions.find((p) => p.symbol === "ETH-PERP");
  assert.ok(eth !== undefined && eth.base > 0n && eth.base < 10n * 1_000_000_000n);
  assert.ok(eth.liquidationPrice !== undefined && eth.liquidationPrice < 2_400_000_000n);
  assert.equal(alice.report.liquidatable, false);
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
  const reader = cluster();
  const plan = await planDeployment(reader, DEPLOY_CONFIG, wallet("admin"));
  assert.deepEqual(plan.steps, []);
  assert.equal(plan.skipped.length, 3);
  const lines: string[] = [];
  await deploy({ config: DEPLOY_CONFIG, admin: Keypair.fromSeed(new Uint8Array(32).fill(1)), reader, dryRun: true, log: (l) => lines.push(l) });
  assert.match(lines.join("\n"), /nothing to do/);
});

test("deploy adds only what the config adds, updates drifted parameters, refuses renames", async () => {
  const reader = cluster();
  const admin = wallet("admin");
  const [eth, btc] = DEPLOY_CONFIG.markets as [DeployConfig["markets"][number], DeployConfig["markets"][number]];
  const sol = { ...eth, symbol: "SOL-PERP", oracle: PublicKey.unique() };
  const more = await planDeployment(reader, { ...DEPLOY_CONFIG, markets: [eth, btc, sol] }, admin);
  assert.equal(more.steps.length, 1);
  const expected = ix.addMarket({ admin, marketIndex: 2, oracle: sol.oracle, symbol: "SOL-PERP", oracleSource: 0, pythFeedId: sol.pythFeedId, params: sol.params });
  assert.deepEqual(more.steps[0]?.instructions, [expected]);

  const drift = { ...btc, params: { ...btc.params, takerFee: 700 } };
  const upd = await planDeployment(reader, { ...DEPLOY_CONFIG, markets: [eth, drift] }, admin);
  assert.equal(upd.steps.length, 1);
  assert.match(upd.steps[0]?.label ?? "", /^update_market 1/);
  assert.deepEqual(upd.steps[0]?.instructions, [ix.updateMarket({ admin, marketIndex: 1, params: drift.params })]);

  await assert.rejects(planDeployment(reader, { ...DEPLOY_CONFIG, markets: [btc, eth] }, admin), ConfigError);
  await assert.rejects(planDeployment(reader, { ...DEPLOY_CONFIG, collateralMint: PublicKey.unique() }, admin), /collateral mint/);
  await assert.rejects(planDeployment(reader, DEPLOY_CONFIG, PublicKey.unique()), /admin/);
});

test("deploy configs: the committed ones parse, a wrong field is named", () => {
  const mainnet = parseDeployConfig(JSON.parse(readFileSync(join(VECTORS_DIR, "../../../../migrations/config.mainnet.json"), "utf8")));
  assert.deepEqual(mainnet.markets.map((m) => m.symbol), ["SOL-PERP", "ETH-PERP", "BTC-PERP"]);
  assert.equal(mainnet.markets[0]?.params.openInterestCap, 1_000_000_000_000_000n);
  const good = JSON.parse(readFileSync(join(VECTORS_DIR, "../../../../migrations/config.mainnet.json"), "utf8"));
  const bad = (mutate: (c: Json) => void, message: RegExp) => {
    const c = structuredClone(good);
    mutate(c);
    assert.throws(() => parseDeployConfig(c), (e: unknown) => e instanceof ConfigError && message.test(e.message));
  };
  bad((c) => delete c.collateralMint, /collateralMint is missing/);
  bad((c) => (c.markets[1].params.takerFee = -1), /markets\[1\]\.params: takerFee = -1 is outside/);
  bad((c) => (c.markets[0].params.baseLotSize = 1.5), /baseLotSize must be an integer/);
  bad((c) => (c.markets[2].oracleSource = "chainlink"), /oracleSource must be/);
  bad((c) => (c.markets[2].pythFeedId = "abc"), /64 hex digits/);
  bad((c) => (c.markets[1].symbol = c.markets[0].symbol), /listed twice/);
  bad((c) => (c.markets[0].params.typo = 1), /unknown fields typo/);
  bad((c) => (c.markets[0].oracle = "not-a-key"), /oracle is not a base58 public key/);
  assert.equal(decodeMarginAccount(fromB64(replay.marginAccounts[0].data)).subAccountId, 0);
});

test("events parse from each replayed transaction's logs as the program emitted them", () => {
  let checked = 0;
  for (const step of replay.steps) {
    const events = parseEvents(step.logs);
    assert.deepEqual(events.map((e) => e.name), step.events.map((e: Json) => e.name), step.step);
    events.forEach((e, i) => {
      const expected = step.events[i].data;
      if (expected === null) return;
      assert.deepEqual(normalize(e.data), expected, `${step.step}: ${e.name}`);
      checked += 1;
    });
  }
  assert.ok(checked >= 8);
  // another program's data lines are not ours
  assert.deepEqual(parseEvents(["Program 11111111111111111111111111111111 invoke [1]", `Program data: ${"AAAA"}`, "Program 11111111111111111111111111111111 success"]), []);
});
