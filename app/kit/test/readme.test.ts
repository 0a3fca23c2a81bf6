// The examples of app/kit/README.md, run as written against an RPC transport that answers from
// the accounts the Rust side wrote (vectors.json) and the logs of replay.json. The README's free
// variables (`wallet`, `makerAccount`, `makerBot`) and `rpc` are bound here.
import { test } from "node:test";
import assert from "node:assert/strict";

import {
  type Address,
  address,
  appendTransactionMessageInstructions,
  createKeyPairSignerFromPrivateKeyBytes,
  createNoopSigner,
  createSolanaRpcFromTransport,
  createTransactionMessage,
  getBase58Decoder,
  getBase64EncodedWireTransaction,
  getTransactionDecoder,
  partiallySignTransactionMessageWithSigners,
  pipe,
  setTransactionMessageFeePayerSigner,
  setTransactionMessageLifetimeUsingBlockhash,
  signTransactionMessageWithSigners,
} from "@solana/kit";

import {
  CROSS_MARGIN_PROGRAM_ADDRESS,
  fetchAllMarket,
  fetchExchange,
  fetchMarginAccount,
  findAssociatedTokenPda,
  findExchangePda,
  findMarginAccountPda,
  findMarketPda,
  getCreateMarginAccountInstructionAsync,
  getDepositInstructionAsync,
  getFillInstructionAsync,
  healthAccountMetas,
  healthMarketOrder,
  oracleOf,
  parseEvents,
  withRemainingAccounts,
} from "../src/index.js";
import { type Json, readVectors } from "./util.js";

const v = readVectors("vectors.json");
const replay = readVectors("replay.json");

/** A JSON-RPC node in memory: accounts, a blockhash, sent transactions, confirmed logs. */
function memoryRpc() {
  const accounts = new Map<string, { data: string; owner: string }>();
  accounts.set(v.pdas.exchange, { data: v.exchange.data, owner: v.programId });
  v.markets.forEach((m: Json, i: number) => accounts.set(v.pdas.markets[i].address, { data: m.data, owner: v.programId }));
  for (const a of v.marginAccounts) accounts.set(a.address, { data: a.data, owner: v.programId });
  const sent: string[] = [];
  const logs = new Map<string, string[]>();
  const info = (key: string) => {
    const a = accounts.get(key);
    return a === undefined ? null : { data: [a.data, "base64"], executable: false, lamports: 1_000_000, owner: a.owner, rentEpoch: 0, space: Buffer.from(a.data, "base64").length };
  };
  const context = { slot: 1 };
  const results: Record<string, (params: Json[]) => unknown> = {
    getAccountInfo: ([key]) => ({ context, value: info(key) }),
    getMultipleAccounts: ([keys]) => ({ context, value: keys.map(info) }),
    getLatestBlockhash: () => ({ context, value: { blockhash: "11111111111111111111111111111111", lastValidBlockHeight: 100 } }),
    sendTransaction: ([wire]) => {
      sent.push(wire);
      const tx = getTransactionDecoder().decode(Buffer.from(wire, "base64"));
      return getBase58Decoder().decode(Object.values(tx.signatures)[0] as Uint8Array);
    },
    getTransaction: ([signature]) => (logs.has(signature) ? { slot: 1, blockTime: null, meta: { logMessages: logs.get(signature), err: null }, transaction: {} } : null),
  };
  const rpc = createSolanaRpcFromTransport(async ({ payload }) => {
    const { method, params, id } = payload as { method: string; params: Json[]; id: number };
    const answer = results[method];
    if (answer === undefined) throw new Error(`memory rpc: no ${method}`);
    return { jsonrpc: "2.0", id, result: answer(params) } as never;
  });
  return { rpc, sent, logs };
}

test("README (kit): deposit 250 USDC from the wallet's token account, signed and sent", async () => {
  const { rpc, sent } = memoryRpc();
  const lines: string[] = [];
  const console = { log: (...a: unknown[]) => lines.push(a.join(" ")) };
  const wallet = await createKeyPairSignerFromPrivateKeyBytes(new Uint8Array(32).fill(10));

  // ---- README
  const exchange = await fetchExchange(rpc, (await findExchangePda())[0]);
  const [marginAccount] = await findMarginAccountPda({ owner: wallet.address, subAccountId: 0 });
  const [usdcAccount] = await findAssociatedTokenPda({ owner: wallet.address, mint: exchange.data.collateralMint });
  const instructions = [
    await getCreateMarginAccountInstructionAsync({ owner: wallet, subAccountId: 0 }),
    await getDepositInstructionAsync({ depositor: wallet, marginAccount, depositorToken: usdcAccount, amount: 250_000_000n }),
  ];
  const { value: latestBlockhash } = await rpc.getLatestBlockhash().send();
  const message = pipe(
    createTransactionMessage({ version: 0 }),
    (m) => setTransactionMessageFeePayerSigner(wallet, m),
    (m) => setTransactionMessageLifetimeUsingBlockhash(latestBlockhash, m),
    (m) => appendTransactionMessageInstructions(instructions, m),
  );
  const signed = await signTransactionMessageWithSigners(message);
  const signature = await rpc.sendTransaction(getBase64EncodedWireTransaction(signed), { encoding: "base64" }).send();
  console.log(`deposit sent: ${signature}`);
  // ----

  assert.equal(sent.length, 1);
  assert.equal(exchange.data.collateralMint, v.exchange.decoded.collateralMint);
  // the same wallet as @crossmargin/client's README test (seed 10): its ATA of the vectors' mint
  const deposit = instructions[1];
  assert.ok(deposit !== undefined);
  assert.equal(deposit.accounts[2].address, marginAccount);
  assert.equal(deposit.accounts[4].address, usdcAccount);
  assert.equal(Buffer.from(deposit.data).readBigUInt64LE(8), 250_000_000n);
  assert.deepEqual(lines, [`deposit sent: ${signature}`]);
  const wire = Buffer.from(sent[0] as string, "base64");
  assert.ok(wire.includes(Buffer.from(deposit.data)));
});

test("README (kit): a fill with the health accounts of both sides", async () => {
  const { rpc } = memoryRpc();
  const takerVector = v.marginAccounts[0];
  const makerVector = v.marginAccounts.find((a: Json) => a.decoded.delegate !== "11111111111111111111111111111111" && a.decoded.owner !== takerVector.decoded.owner);
  const seed = v.pdas.marginAccounts.find((a: Json) => a.owner === takerVector.decoded.owner).seed;
  const wallet = await createKeyPairSignerFromPrivateKeyBytes(new Uint8Array(32).fill(seed));
  assert.equal(wallet.address, takerVector.decoded.owner);
  const makerBot = createNoopSigner(address(makerVector.decoded.delegate));
  const makerAccount = address(makerVector.address);
  const marginAccount = address(takerVector.address);
  const makerServer = "https://maker.example/sign";
  const posted: string[] = [];
  const fetch = async (url: string, init: { method: string; body: string }) => {
    assert.equal(url, makerServer);
    posted.push(init.body);
  };

  // ---- README
  const taker = await fetchMarginAccount(rpc, marginAccount);
  const maker = await fetchMarginAccount(rpc, makerAccount);
  const markets = (await fetchAllMarket(rpc, await Promise.all([0, 1, 2].map(async (marketIndex) => (await findMarketPda({ marketIndex }))[0])))).map((m) => m.data);
  const fill = withRemainingAccounts(
    await getFillInstructionAsync({
      takerAuthority: wallet,
      makerAuthority: makerBot, // the market maker's delegate: its server signs the same transaction
      oracle: oracleOf(markets, 0),
      taker: taker.address,
      maker: maker.address,
      marketIndex: 0,
      takerBaseDelta: 2_000_000_000n, // buy 2 ETH
      price: 2_401_500_000n, // at $2,401.50
    }),
    await healthAccountMetas(healthMarketOrder([taker.data, maker.data], 0), markets),
  );
  const { value: latestBlockhash } = await rpc.getLatestBlockhash().send();
  const quote = pipe(
    createTransactionMessage({ version: 0 }),
    (m) => setTransactionMessageFeePayerSigner(wallet, m),
    (m) => setTransactionMessageLifetimeUsingBlockhash(latestBlockhash, m),
    (m) => appendTransactionMessageInstructions([fill], m),
  );
  const signedByMe = await partiallySignTransactionMessageWithSigners(quote); // the trader's signature
  await fetch(makerServer, { method: "POST", body: getBase64EncodedWireTransaction(signedByMe) }); // it checks, signs, sends
  // ----

  assert.equal(fill.programAddress, CROSS_MARGIN_PROGRAM_ADDRESS);
  // named accounts, then (Market, oracle) for the taker's open markets then the maker's new ones, market 0 left out
  const order = healthMarketOrder([taker.data, maker.data], 0);
  assert.ok(order.length > 0 && !order.includes(0));
  const rest = fill.accounts.slice(7).map((m) => m.address);
  const expected: Address[] = [];
  for (const i of order) expected.push((await findMarketPda({ marketIndex: i }))[0], oracleOf(markets, i));
  assert.deepEqual(rest, expected);
  assert.equal(fill.accounts[6].address, maker.address);
  // the maker's server gets the transaction with the trader's signature and a slot for its own
  assert.equal(posted.length, 1);
  const tx = getTransactionDecoder().decode(Buffer.from(posted[0] as string, "base64"));
  assert.ok(tx.signatures[wallet.address] !== null && tx.signatures[wallet.address] !== undefined);
  assert.equal(tx.signatures[makerBot.address], null);
  assert.ok(Buffer.from(tx.messageBytes).includes(Buffer.from(fill.data)));
});

test("README (kit): a transaction's events, typed by name", async () => {
  const { rpc, logs } = memoryRpc();
  const step = replay.steps.find((s: Json) => s.events.some((e: Json) => e.name === "Filled"));
  const signature = "5".repeat(64) as Parameters<typeof rpc.getTransaction>[0];
  logs.set(signature, step.logs);
  const lines: string[] = [];
  const console = { log: (...a: unknown[]) => lines.push(a.join(" ")) };

  // ---- README
  const confirmed = await rpc.getTransaction(signature, { encoding: "json", maxSupportedTransactionVersion: 0 }).send();
  for (const e of parseEvents(confirmed?.meta?.logMessages ?? [])) {
    if (e.name === "Filled") console.log(`filled ${e.data.takerBaseDelta} at ${e.data.price}`);
  }
  // ----

  const filled = step.events.find((e: Json) => e.name === "Filled").data;
  assert.deepEqual(lines, [`filled ${filled.takerBaseDelta} at ${filled.price}`]);
});
