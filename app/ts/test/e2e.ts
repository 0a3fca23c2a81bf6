// Shared by the end-to-end tests: a `crossmargin localnet` node started on free ports (and
// stopped) by the test that needs it, or an endpoint given in CROSSMARGIN_RPC_URL; a web3.js
// `Connection` to it; funding a wallet; the reference market maker.
//
// The binary: CROSSMARGIN_BIN, else ../../target/debug/crossmargin (from app/ts),
// $CARGO_TARGET_DIR/debug/crossmargin, $HOME/.cache/crossmargin/target/debug/crossmargin. None of
// them and no CROSSMARGIN_RPC_URL: the tests fail, saying how to build it.
//
// Against another node (CROSSMARGIN_RPC_URL, e.g. solana-test-validator with the SBF build and
// an exchange bootstrapped by migrations/deploy.ts): CROSSMARGIN_WS_URL (default: the URL's port
// + 1, as a validator serves it); USDC comes from `localnet_faucet` when the node has it, else
// from CROSSMARGIN_MINT_AUTHORITY (the collateral mint authority's keypair file); SOL from
// requestAirdrop. The markets' oracles must be fresh (a price pusher), and the maker still needs
// the binary.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

import { Connection, Keypair, LAMPORTS_PER_SOL, PublicKey, sendAndConfirmTransaction, Transaction, TransactionInstruction } from "@solana/web3.js";

import { ASSOCIATED_TOKEN_PROGRAM_ID, associatedTokenAddress, fetchExchange, SYSTEM_PROGRAM_ID, TOKEN_PROGRAM_ID } from "../src/index.js";

/** app/ts, from dist/test. */
export const PACKAGE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const REPO_DIR = resolve(PACKAGE_DIR, "..", "..");

/** Where the binary is looked for, in order. */
export function binaryCandidates(): string[] {
  const out: string[] = [];
  if (process.env.CROSSMARGIN_BIN) out.push(resolve(process.env.CROSSMARGIN_BIN));
  out.push(join(REPO_DIR, "target", "debug", "crossmargin"));
  if (process.env.CARGO_TARGET_DIR) out.push(join(resolve(process.env.CARGO_TARGET_DIR), "debug", "crossmargin"));
  if (process.env.HOME) out.push(join(process.env.HOME, ".cache", "crossmargin", "target", "debug", "crossmargin"));
  return out;
}

/** The `crossmargin` binary, or an error saying where it was looked for and how to build it. */
export function crossmarginBinary(): string {
  const env = process.env.CROSSMARGIN_BIN;
  if (env && !existsSync(env))
    throw new Error(`CROSSMARGIN_BIN=${env}: no such file. Build it with \`cargo build -p crossmargin-cli\` (target/debug/crossmargin).`);
  const found = binaryCandidates().find((p) => existsSync(p));
  if (found === undefined) {
    throw new Error(
      `the crossmargin binary is needed for the end-to-end tests and was not found (looked for ${binaryCandidates().join(", ")}). ` +
        "Build it with `cargo build -p crossmargin-cli` (or set CROSSMARGIN_BIN to it, or CROSSMARGIN_RPC_URL to a running node).",
    );
  }
  return found;
}

/** The first line of `child`'s stdout, parsed (the node's and the maker's announcements), within `timeoutMs`. */
async function announcement(child: ChildProcess, what: string, stderr: () => string, timeoutMs = 20_000): Promise<Record<string, unknown>> {
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  try {
    const line = await new Promise<string>((res, rej) => {
      const timer = setTimeout(() => rej(new Error(`${what} printed nothing within ${timeoutMs} ms; stderr: ${stderr().slice(-2000)}`)), timeoutMs);
      lines.once("line", (l) => {
        clearTimeout(timer);
        res(l);
      });
      child.once("exit", (code, signal) => {
        clearTimeout(timer);
        rej(new Error(`${what} exited (${code ?? signal}) before announcing itself; stderr: ${stderr().slice(-2000)}`));
      });
      child.once("error", (e) => {
        clearTimeout(timer);
        rej(e);
      });
    });
    return JSON.parse(line) as Record<string, unknown>;
  } finally {
    lines.close();
  }
}

/** A child process that the test stops: SIGTERM, then SIGKILL after 3 s. */
export interface Running {
  child: ChildProcess;
  stderr(): string;
  stop(): Promise<void>;
}

/** Every child started here and still running: `stopAll` ends them (an `after` hook calls it, whatever failed). */
const running = new Set<Running>();
process.once("exit", () => {
  for (const r of running) r.child.kill("SIGKILL");
});

/** Stops every node and maker this process started and has not stopped yet. */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((r) => r.stop()));
}

function run(bin: string, args: string[]): Running {
  const child = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? "warn", NO_COLOR: "1" } });
  let err = "";
  child.stderr?.on("data", (d: Buffer) => {
    err = (err + d.toString()).slice(-20_000);
  });
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const r: Running = {
    child,
    stderr: () => err,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 3_000);
        await exited;
        clearTimeout(timer);
      }
      running.delete(r);
    },
  };
  running.add(r);
  void exited.then(() => running.delete(r));
  return r;
}

export interface LocalnetInfo {
  rpcUrl: string;
  wsUrl: string;
  programId?: string;
  exchange?: string;
  collateralMint?: string;
  admin?: string;
  lookupTables?: string[];
  markets?: { index: number; symbol: string; market: string; oracle: string; oracleSource: string; price: number }[];
  upgradeAuthority?: string;
  timelockDelaySecs?: number;
  keys?: { admin: string; guardian: string; faucet: string };
  [k: string]: unknown;
}

export interface Node {
  info: LocalnetInfo;
  /** Whether the node has the localnet_* methods (faucet, prices, clock). */
  localnet: boolean;
  /** Spawned by this test (and stopped by `stop`). */
  spawned: Running | undefined;
  stop(): Promise<void>;
}

/** `crossmargin localnet --port 0 --tick-ms 400 ...args`, its keys in a temporary directory removed on stop. */
export async function spawnLocalnet(args: string[] = []): Promise<Node> {
  const bin = crossmarginBinary();
  const keys = mkdtempSync(join(tmpdir(), "crossmargin-e2e-"));
  const node = run(bin, ["localnet", "--port", "0", "--tick-ms", "400", "--keys-dir", keys, ...args]);
  try {
    const info = (await announcement(node.child, "crossmargin localnet", node.stderr)) as LocalnetInfo;
    return {
      info,
      localnet: true,
      spawned: node,
      async stop() {
        await node.stop();
        rmSync(keys, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await node.stop();
    rmSync(keys, { recursive: true, force: true });
    throw e;
  }
}

/** The node the client tests run against: CROSSMARGIN_RPC_URL's, or a spawned localnet. */
export async function clientNode(): Promise<Node> {
  const url = process.env.CROSSMARGIN_RPC_URL;
  if (url === undefined || url === "") return spawnLocalnet();
  const info: LocalnetInfo = { rpcUrl: url, wsUrl: process.env.CROSSMARGIN_WS_URL ?? "" };
  let localnet = false;
  try {
    Object.assign(info, await rpc(url, "localnet_info", []), { rpcUrl: url, wsUrl: info.wsUrl });
    localnet = true;
  } catch {
    // a validator: no localnet_* methods
  }
  return { info, localnet, spawned: undefined, stop: async () => {} };
}

/** One JSON-RPC call (for the localnet_* methods, which web3.js does not know). */
export async function rpc(url: string, method: string, params: unknown[]): Promise<unknown> {
  const r = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await r.json()) as { result?: unknown; error?: { code: number; message: string } };
  if (body.error !== undefined) throw Object.assign(new Error(`${method}: ${body.error.message} (${body.error.code})`), { code: body.error.code });
  return body.result;
}

/** The JSON-RPC calls a `Connection` made, by method. */
export interface RpcLog {
  calls: Map<string, number>;
}

/** A web3.js `Connection` to the node, with its WebSocket URL, counting the calls it makes. */
export function connect(info: Pick<LocalnetInfo, "rpcUrl" | "wsUrl">): { connection: Connection; log: RpcLog } {
  const log: RpcLog = { calls: new Map() };
  const counting: typeof fetch = async (input, init) => {
    let methods: string[] = [];
    try {
      const body = JSON.parse(String(init?.body ?? "null")) as { method?: string } | { method?: string }[];
      methods = (Array.isArray(body) ? body : [body]).map((b) => b.method ?? "?");
    } catch {
      // not JSON
    }
    for (const m of methods) log.calls.set(m, (log.calls.get(m) ?? 0) + 1);
    return fetch(input, { ...init, signal: init?.signal ?? AbortSignal.timeout(15_000) });
  };
  const connection = new Connection(info.rpcUrl, {
    commitment: "confirmed",
    ...(info.wsUrl ? { wsEndpoint: info.wsUrl } : {}),
    fetch: counting,
    disableRetryOnRateLimit: true,
  });
  return { connection, log };
}

/** Closes the connection's WebSocket (before the node goes, so it does not reconnect forever). */
export async function disconnect(connection: Connection): Promise<void> {
  const ws = (
    connection as unknown as { _rpcWebSocket: { setAutoReconnect(b: boolean): void; close(): void; socket?: unknown; once(e: string, f: () => void): void } }
  )._rpcWebSocket;
  ws.setAutoReconnect(false);
  if (ws.socket === undefined) return;
  await new Promise<void>((r) => {
    const timer = setTimeout(r, 1_000);
    ws.once("close", () => {
      clearTimeout(timer);
      r();
    });
    try {
      ws.close();
    } catch {
      clearTimeout(timer);
      r();
    }
  });
}

/** `requestAirdrop`, confirmed with the blockhash strategy (over the WebSocket). */
export async function airdrop(connection: Connection, to: PublicKey, sol = 10): Promise<string> {
  const signature = await connection.requestAirdrop(to, sol * LAMPORTS_PER_SOL);
  const latest = await connection.getLatestBlockhash();
  const r = await connection.confirmTransaction({ signature, ...latest }, "confirmed");
  if (r.value.err !== null) throw new Error(`airdrop ${signature} failed: ${JSON.stringify(r.value.err)}`);
  return signature;
}

/** USDC (native units) into `owner`'s associated token account: `localnet_faucet`, or minted with CROSSMARGIN_MINT_AUTHORITY. */
export async function faucet(node: Node, connection: Connection, owner: Keypair, amount: bigint): Promise<PublicKey> {
  if (node.localnet) {
    const r = (await rpc(node.info.rpcUrl, "localnet_faucet", [owner.publicKey.toBase58(), Number(amount)])) as { signature: string; tokenAccount: string };
    return new PublicKey(r.tokenAccount);
  }
  const file = process.env.CROSSMARGIN_MINT_AUTHORITY;
  if (!file) throw new Error("this node has no localnet_faucet: set CROSSMARGIN_MINT_AUTHORITY to the collateral mint authority's keypair file");
  const authority = Keypair.fromSecretKey(Uint8Array.from(JSON.parse(readFileSync(file, "utf8")) as number[]));
  const { collateralMint } = await fetchExchange(connection);
  const ata = associatedTokenAddress(owner.publicKey, collateralMint);
  const create = new TransactionInstruction({
    programId: ASSOCIATED_TOKEN_PROGRAM_ID,
    keys: [
      { pubkey: owner.publicKey, isSigner: true, isWritable: true },
      { pubkey: ata, isSigner: false, isWritable: true },
      { pubkey: owner.publicKey, isSigner: false, isWritable: false },
      { pubkey: collateralMint, isSigner: false, isWritable: false },
      { pubkey: SYSTEM_PROGRAM_ID, isSigner: false, isWritable: false },
      { pubkey: TOKEN_PROGRAM_ID, isSigner: false, isWritable: false },
    ],
    data: Buffer.from([1]), // CreateIdempotent
  });
  const data = Buffer.alloc(9);
  data.writeUInt8(7, 0); // MintTo
  data.writeBigUInt64LE(amount, 1);
  const mint = new TransactionInstruction({
    programId: TOKEN_PROGRAM_ID,
    keys: [
      { pubkey: collateralMint, isSigner: false, isWritable: true },
      { pubkey: ata, isSigner: false, isWritable: true },
      { pubkey: authority.publicKey, isSigner: true, isWritable: false },
    ],
    data,
  });
  await sendAndConfirmTransaction(connection, new Transaction().add(create, mint), [owner, authority]);
  return ata;
}

/** `crossmargin maker run` against the node, quoting from `keypair`'s margin account 0; stopped by `stop`. */
export async function spawnMaker(
  rpcUrl: string,
  keypair: Keypair,
  config: unknown,
): Promise<{ url: string; maker: string; makerAccount: string; stop(): Promise<void>; stderr(): string }> {
  const bin = crossmarginBinary();
  const dir = mkdtempSync(join(tmpdir(), "crossmargin-maker-"));
  const keyFile = join(dir, "maker.json");
  writeFileSync(keyFile, JSON.stringify([...keypair.secretKey]));
  writeFileSync(join(dir, "config.json"), JSON.stringify(config));
  const maker = run(bin, ["maker", "--url", rpcUrl, "--keypair", keyFile, "run", "--config", join(dir, "config.json"), "--port", "0", "--listen", "127.0.0.1"]);
  const cleanup = async () => {
    await maker.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const a = (await announcement(maker.child, "crossmargin maker run", maker.stderr)) as { url: string; maker: string; makerAccount: string };
    return { ...a, stop: cleanup, stderr: maker.stderr };
  } catch (e) {
    await cleanup();
    throw e;
  }
}
