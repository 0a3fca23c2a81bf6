// migrations/deploy.ts sending for real: a bare `crossmargin localnet` (the program deployed with
// a fresh admin as its upgrade authority, the config's mint and Pyth accounts, no exchange), the
// deploy command run as a user runs it (the compiled migrations/deploy.ts, its own process and
// Connection): it creates the exchange, queues the listings and a lookup table; after the
// timelock delay (the node's clock warped) it executes them; a third run finds nothing to do. The
// exchange then has the config's markets and its lookup table holds every account.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { type Connection, Keypair, PublicKey } from "@solana/web3.js";

import {
  ActionStatus,
  adminActionKind,
  exchangeAddress,
  fetchExchange,
  fetchLookupTables,
  fetchMarkets,
  fetchQueuedActions,
  sameMarketParams,
} from "../src/index.js";
import { readDeployConfig, tableAccounts, unitExponent } from "../src/deploy.js";
import { airdrop, connect, disconnect, type Node, PACKAGE_DIR, REPO_DIR, rpc, spawnLocalnet, stopAll } from "./e2e.js";

const CONFIG = join(REPO_DIR, "migrations", "config.localnet.json");
const DEPLOY = join(PACKAGE_DIR, "dist-migrations", "migrations", "deploy.js");
const config = readDeployConfig(CONFIG);
const admin = Keypair.generate();
let node: Node | undefined;
let connection: Connection;
let dir = "";

before(
  async () => {
    if (process.env.CROSSMARGIN_RPC_URL) {
      // a validator cannot warp its clock past the timelock: this story needs the local node
      console.log("# deploy.ts end to end runs on a spawned crossmargin localnet even with CROSSMARGIN_RPC_URL set (it warps the clock)");
    }
    dir = mkdtempSync(join(tmpdir(), "crossmargin-deploy-"));
    writeFileSync(join(dir, "admin.json"), JSON.stringify([...admin.secretKey]));
    node = await spawnLocalnet(["--bare", admin.publicKey.toBase58(), "--bootstrap", CONFIG]);
    ({ connection } = connect(node.info));
    await airdrop(connection, admin.publicKey, 100);
  },
  { timeout: 30_000 },
);

after(
  async () => {
    if (connection !== undefined) await disconnect(connection);
    await node?.stop();
    await stopAll();
    if (dir !== "") rmSync(dir, { recursive: true, force: true });
  },
  { timeout: 30_000 },
);

/** `node dist-migrations/migrations/deploy.js --config ... --keypair ... --url ... --ws-url ...`: its exit code and output. */
function deploy(): Promise<{ code: number; stdout: string; stderr: string }> {
  assert.ok(existsSync(DEPLOY), `${DEPLOY} is missing: npm test compiles it (tsc -p tsconfig.migrations.json)`);
  const info = (node as Node).info;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [DEPLOY, "--config", CONFIG, "--keypair", join(dir, "admin.json"), "--url", info.rpcUrl, "--ws-url", info.wsUrl],
      { timeout: 60_000, cwd: PACKAGE_DIR },
      (err, stdout, stderr) => resolve({ code: err === null ? 0 : typeof err.code === "number" ? err.code : -1, stdout, stderr }),
    );
  });
}

test(
  "deploy.ts on a bare node: the exchange, the queued listings and a lookup table; after the delay they execute; then nothing is left",
  { timeout: 90_000 },
  async () => {
    const info = (node as Node).info;
    assert.equal(info.upgradeAuthority, admin.publicKey.toBase58());
    assert.equal(info.exchange, exchangeAddress().toBase58());
    assert.equal(await connection.getAccountInfo(exchangeAddress()), null, "no exchange before the first run");

    // 1. the exchange, every listing queued, the table created (and registered through the timelock)
    const first = await deploy();
    assert.equal(first.code, 0, `first run failed:\n${first.stdout}\n${first.stderr}`);
    const sent = first.stdout.split("\n").filter((l) => l.startsWith("sent "));
    assert.ok(sent.length >= 1 + config.markets.length + 1, first.stdout);
    const ex1 = await fetchExchange(connection);
    assert.ok(ex1.admin.equals(admin.publicKey));
    assert.ok(ex1.collateralMint.equals(config.collateralMint));
    assert.equal(ex1.timelockDelaySecs, config.timelockDelaySecs);
    assert.equal(ex1.liquidationBuffer, config.liquidationBuffer);
    assert.equal(ex1.marketCount, 0, "listings wait out the timelock");
    const queued = await fetchQueuedActions(connection, ex1);
    assert.deepEqual(
      queued.map((q) => [adminActionKind(q.action), q.status]),
      [...config.markets.map(() => ["addMarket", ActionStatus.Queued]), ["setPortfolioMargin", ActionStatus.Queued], ["setLookupTables", ActionStatus.Queued]],
    );
    const registered = queued.at(-1)?.action;
    assert.ok(registered !== undefined && "setLookupTables" in registered);
    const [table] = registered.setLookupTables.tables;
    assert.ok(table !== undefined);

    // 2. before the delay, a run has nothing to execute and queues nothing twice
    const early = await deploy();
    assert.equal(early.code, 0, `${early.stdout}\n${early.stderr}`);
    assert.match(early.stdout, /nothing to do: the cluster matches the config/);
    assert.match(early.stdout, /waits until unix time/);
    assert.equal((await fetchExchange(connection)).nextActionId, ex1.nextActionId);

    // 3. past the delay, the second run executes every queued change in id order
    const now = (await rpc(info.rpcUrl, "localnet_warpClock", [config.timelockDelaySecs + 60])) as number;
    assert.ok(Number(queued[0]?.executeAfter) <= now, `warped to ${now}, changes due at ${queued[0]?.executeAfter}`);
    const second = await deploy();
    assert.equal(second.code, 0, `second run failed:\n${second.stdout}\n${second.stderr}`);
    assert.equal(second.stdout.split("\n").filter((l) => l.startsWith("sent ")).length, queued.length, second.stdout);
    const ex2 = await fetchExchange(connection);
    assert.equal(ex2.marketCount, config.markets.length);
    assert.equal(ex2.portfolioMarginEnabled, true);
    assert.deepEqual(
      ex2.lookupTables.map((t) => t.toBase58()),
      [table.toBase58()],
    );
    assert.ok((await fetchQueuedActions(connection, ex2)).every((q) => q.status === ActionStatus.Executed));

    // 4. the third run finds nothing left to do and sends nothing
    const third = await deploy();
    assert.equal(third.code, 0, `${third.stdout}\n${third.stderr}`);
    assert.match(third.stdout, /nothing to do: the cluster matches the config/);
    assert.ok(!third.stdout.includes("\nsent "), third.stdout);
    assert.equal((await fetchExchange(connection)).nextActionId, ex2.nextActionId);

    // the exchange has the config's markets, and its lookup table every account
    const markets = await fetchMarkets(
      connection,
      config.markets.map((_, i) => i),
    );
    markets.forEach((m, i) => {
      const want = config.markets[i];
      assert.ok(want !== undefined);
      assert.equal(m.symbol, want.symbol);
      assert.ok(m.oracle.equals(want.oracle));
      assert.equal(m.oracleSource, want.oracleSource);
      assert.equal(m.unitExponent, unitExponent(want.tokensPerContract));
      assert.ok(sameMarketParams(m, want.params), `${m.symbol}'s parameters`);
    });
    const [lut] = await fetchLookupTables(connection, ex2);
    assert.ok(lut !== undefined && lut.isActive());
    assert.ok(lut.state.authority?.equals(admin.publicKey));
    const held = new Set(lut.state.addresses.map((a: PublicKey) => a.toBase58()));
    for (const k of tableAccounts(config)) assert.ok(held.has(k.toBase58()), `the table holds ${k.toBase58()}`);
  },
);
