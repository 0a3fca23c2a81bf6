// The kit client against a running node (`crossmargin localnet` started here on free ports and
// stopped at the end, or CROSSMARGIN_RPC_URL's with CROSSMARGIN_WS_URL), through @solana/kit's
// own RPC and subscriptions: the exchange and its markets fetched and decoded; a wallet (airdrop,
// then USDC from `localnet_faucet`) creates its margin account and deposits with the kit
// builders, sent and confirmed with `sendAndConfirmTransactionFactory`; the account fetched and
// decoded; the transaction's events from `getTransaction` logs.
//
// The binary: CROSSMARGIN_BIN, else ../../target/debug/crossmargin (from app/kit),
// $CARGO_TARGET_DIR/debug/crossmargin, $HOME/.cache/crossmargin/target/debug/crossmargin; none
// of them and no CROSSMARGIN_RPC_URL fails the test, saying how to build it.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";

import {
  type Address,
  airdropFactory,
  appendTransactionMessageInstructions,
  assertIsTransactionWithBlockhashLifetime,
  createSolanaRpc,
  createSolanaRpcSubscriptions,
  createTransactionMessage,
  generateKeyPairSigner,
  getSignatureFromTransaction,
  lamports,
  pipe,
  sendAndConfirmTransactionFactory,
  setTransactionMessageFeePayerSigner,
  setTransactionMessageLifetimeUsingBlockhash,
  signTransactionMessageWithSigners,
} from "@solana/kit";

import {
  fetchAllMarket,
  fetchExchange,
  fetchMarginAccount,
  findAssociatedTokenPda,
  findExchangePda,
  findMarginAccountPda,
  findMarketPda,
  getCreateMarginAccountInstructionAsync,
  getDepositInstructionAsync,
  parseEvents,
  symbolString,
} from "../src/index.js";
import { PACKAGE_DIR } from "./util.js";

const REPO_DIR = resolve(PACKAGE_DIR, "..", "..");

function crossmarginBinary(): string {
  const candidates = [
    ...(process.env.CROSSMARGIN_BIN ? [resolve(process.env.CROSSMARGIN_BIN)] : []),
    join(REPO_DIR, "target", "debug", "crossmargin"),
    ...(process.env.CARGO_TARGET_DIR ? [join(resolve(process.env.CARGO_TARGET_DIR), "debug", "crossmargin")] : []),
    ...(process.env.HOME ? [join(process.env.HOME, ".cache", "crossmargin", "target", "debug", "crossmargin")] : []),
  ];
  if (process.env.CROSSMARGIN_BIN && !existsSync(process.env.CROSSMARGIN_BIN)) {
    throw new Error(
      `CROSSMARGIN_BIN=${process.env.CROSSMARGIN_BIN}: no such file. Build it with \`cargo build -p crossmargin-cli\` (target/debug/crossmargin).`,
    );
  }
  const found = candidates.find((p) => existsSync(p));
  if (found === undefined) {
    throw new Error(
      `the crossmargin binary is needed for the end-to-end tests and was not found (looked for ${candidates.join(", ")}). ` +
        "Build it with `cargo build -p crossmargin-cli` (or set CROSSMARGIN_BIN to it, or CROSSMARGIN_RPC_URL to a running node).",
    );
  }
  return found;
}

let child: ChildProcess | undefined;
process.once("exit", () => child?.kill("SIGKILL")); // whatever failed, the node does not outlive the test
let keysDir = "";
let rpcUrl = "";
let wsUrl = "";

before(
  async () => {
    if (process.env.CROSSMARGIN_RPC_URL) {
      rpcUrl = process.env.CROSSMARGIN_RPC_URL;
      const u = new URL(rpcUrl);
      u.protocol = u.protocol === "https:" ? "wss:" : "ws:";
      if (u.port !== "") u.port = String(Number(u.port) + 1);
      wsUrl = process.env.CROSSMARGIN_WS_URL ?? u.toString();
      return;
    }
    const bin = crossmarginBinary();
    keysDir = mkdtempSync(join(tmpdir(), "crossmargin-kit-e2e-"));
    const c = spawn(bin, ["localnet", "--port", "0", "--tick-ms", "400", "--keys-dir", keysDir], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, NO_COLOR: "1" },
    });
    child = c;
    let stderr = "";
    c.stderr?.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-10_000)));
    const line = await new Promise<string>((res, rej) => {
      const timer = setTimeout(() => rej(new Error(`crossmargin localnet printed nothing within 20 s: ${stderr}`)), 20_000);
      createInterface({ input: c.stdout as NodeJS.ReadableStream }).once("line", (l) => {
        clearTimeout(timer);
        res(l);
      });
      c.once("exit", (code) => {
        clearTimeout(timer);
        rej(new Error(`crossmargin localnet exited (${code}): ${stderr}`));
      });
    });
    const info = JSON.parse(line) as { rpcUrl: string; wsUrl: string };
    rpcUrl = info.rpcUrl;
    wsUrl = info.wsUrl;
  },
  { timeout: 30_000 },
);

after(
  async () => {
    if (child !== undefined && child.exitCode === null) {
      const exited = new Promise<void>((r) => child?.once("exit", () => r()));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child?.kill("SIGKILL"), 3_000);
      await exited;
      clearTimeout(timer);
    }
    if (keysDir !== "") rmSync(keysDir, { recursive: true, force: true });
  },
  { timeout: 30_000 },
);

async function faucet(owner: Address, amount: bigint): Promise<Address> {
  const r = await fetch(rpcUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "localnet_faucet", params: [owner, Number(amount)] }),
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await r.json()) as { result?: { tokenAccount: string }; error?: { message: string } };
  if (body.result === undefined) throw new Error(`localnet_faucet: ${body.error?.message ?? "no result"} (the faucet is a crossmargin localnet method)`);
  return body.result.tokenAccount as Address;
}

test(
  "kit: fetch and decode the exchange and its markets, create a margin account and deposit with the kit builders, decode it back",
  { timeout: 30_000 },
  async () => {
    const rpc = createSolanaRpc(rpcUrl);
    const subscriptions = createSolanaRpcSubscriptions(wsUrl);
    const exchange = await fetchExchange(rpc, (await findExchangePda())[0]);
    assert.ok(exchange.data.marketCount >= 3);
    const marketKeys = await Promise.all(Array.from({ length: exchange.data.marketCount }, async (_, i) => (await findMarketPda({ marketIndex: i }))[0]));
    const markets = await fetchAllMarket(rpc, marketKeys);
    assert.deepEqual(
      markets.map((m) => m.data.marketIndex),
      marketKeys.map((_, i) => i),
    );
    assert.ok(markets.every((m) => symbolString(m.data.symbol).endsWith("-PERP")));

    const wallet = await generateKeyPairSigner();
    await airdropFactory({ rpc, rpcSubscriptions: subscriptions })({
      recipientAddress: wallet.address,
      lamports: lamports(5_000_000_000n),
      commitment: "confirmed",
    });
    const usdcAccount = await faucet(wallet.address, 1_000_000_000n);
    assert.equal(usdcAccount, (await findAssociatedTokenPda({ owner: wallet.address, mint: exchange.data.collateralMint }))[0]);

    const [marginAccount] = await findMarginAccountPda({ owner: wallet.address, subAccountId: 0 });
    const instructions = [
      await getCreateMarginAccountInstructionAsync({ owner: wallet, subAccountId: 0 }),
      await getDepositInstructionAsync({ depositor: wallet, marginAccount, depositorToken: usdcAccount, amount: 250_000_000n }),
    ];
    const { value: latestBlockhash } = await rpc.getLatestBlockhash({ commitment: "confirmed" }).send();
    const message = pipe(
      createTransactionMessage({ version: 0 }),
      (m) => setTransactionMessageFeePayerSigner(wallet, m),
      (m) => setTransactionMessageLifetimeUsingBlockhash(latestBlockhash, m),
      (m) => appendTransactionMessageInstructions(instructions, m),
    );
    const signed = await signTransactionMessageWithSigners(message);
    assertIsTransactionWithBlockhashLifetime(signed);
    await sendAndConfirmTransactionFactory({ rpc, rpcSubscriptions: subscriptions })(signed, { commitment: "confirmed" });
    const signature = getSignatureFromTransaction(signed);

    const account = await fetchMarginAccount(rpc, marginAccount);
    assert.equal(account.data.owner, wallet.address);
    assert.equal(account.data.subAccountId, 0);
    assert.equal(account.data.collateral, 250_000_000n);
    assert.equal(account.data.totalDeposits, 250_000_000n);
    const balance = await rpc.getTokenAccountBalance(usdcAccount).send();
    assert.equal(balance.value.amount, "750000000");

    const confirmed = await rpc.getTransaction(signature, { encoding: "json", maxSupportedTransactionVersion: 0, commitment: "confirmed" }).send();
    const events = parseEvents(confirmed?.meta?.logMessages ?? []);
    assert.deepEqual(
      events.map((e) => e.name),
      ["MarginAccountCreated", "Deposited"],
    );
    const deposited = events[1];
    assert.ok(deposited?.name === "Deposited");
    assert.equal(deposited.data.amount, 250_000_000n);
    assert.equal(deposited.data.marginAccount, marginAccount);
  },
);
