// The frontend examples of app/ts/README.md, run as written (the README's free variables —
// `connection`, `wallet`, `makerAccount`, `makerBot`, `makerKeypair`, `signature` — bound here):
// deposit from the wallet's token account, a fill co-signed by a market maker's delegate, the
// wallet's sub-accounts with their risk, a what-if position and a transaction's typed events,
// against the accounts the Rust side wrote to vectors.json and the logs of replay.json. Then the
// v0 form of the fill, against the exchange's lookup table.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createPublicKey, verify } from "node:crypto";

import { Keypair, PublicKey, Transaction, type VersionedTransaction } from "@solana/web3.js";

import {
  associatedTokenAddress,
  buildTransaction,
  computeBudget,
  computeHealth,
  fetchExchange,
  fetchLookupTables,
  fetchMarginAccount,
  fetchMarkets,
  fetchRiskReport,
  fetchSubAccounts,
  formatBase,
  formatFixed,
  formatPrice,
  formatUsdc,
  ix,
  liquidationPrice,
  marginAccountAddress,
  missingSigners,
  parseBase,
  parseEvents,
  parsePrice,
  parseUsdc,
  report,
  whatIfPosition,
} from "../src/index.js";
import { type Json, readVectors, vectorsCluster } from "./util.js";

const keypair = (seed: number) => Keypair.fromSeed(new Uint8Array(32).fill(seed));
const v = readVectors("vectors.json");
const replay = readVectors("replay.json");

/** A wallet adapter's shape: it fills in the fee payer and blockhash when missing, signs and sends. */
function walletOf(k: Keypair) {
  const sent: Transaction[] = [];
  return {
    publicKey: k.publicKey,
    sent,
    async sendTransaction(tx: Transaction, connection: { getLatestBlockhash(): Promise<{ blockhash: string }> }): Promise<string> {
      tx.feePayer ??= k.publicKey;
      tx.recentBlockhash ??= (await connection.getLatestBlockhash()).blockhash;
      tx.partialSign(k);
      sent.push(tx);
      return "sent";
    },
  };
}

/** The vectors' taker (an account of the cluster), its wallet, and the maker's delegate. */
function parties() {
  const taker = v.marginAccounts[0].decoded;
  const walletKey = keypair(v.pdas.marginAccounts.find((a: Json) => a.owner === taker.owner).seed);
  const makerVector = v.marginAccounts.find((a: Json) => a.decoded.delegate !== PublicKey.default.toBase58() && a.decoded.owner !== taker.owner);
  const makerKeypair = [...Array(256).keys()].map(keypair).find((k) => k.publicKey.toBase58() === makerVector.decoded.delegate) as Keypair;
  return { walletKey, makerAccount: new PublicKey(makerVector.address), makerKeypair, makerBot: makerKeypair.publicKey };
}

/** Each signature of a legacy transaction checked against its message with Node's ed25519. */
function legacySignaturesVerify(tx: Transaction): boolean {
  const message = tx.serializeMessage();
  return tx.signatures.every(({ publicKey, signature }) => {
    const jwk = { kty: "OKP", crv: "Ed25519", x: Buffer.from(publicKey.toBytes()).toString("base64url") };
    return signature !== null && verify(null, message, createPublicKey({ key: jwk, format: "jwk" }), signature);
  });
}

/** Each signature of `tx` checked against its message with Node's ed25519. */
function signaturesVerify(tx: VersionedTransaction): boolean {
  const message = Buffer.from(tx.message.serialize());
  return tx.signatures.every((sig, i) => {
    const key = tx.message.staticAccountKeys[i] as PublicKey;
    const jwk = { kty: "OKP", crv: "Ed25519", x: Buffer.from(key.toBytes()).toString("base64url") };
    return verify(null, message, createPublicKey({ key: jwk, format: "jwk" }), Buffer.from(sig));
  });
}

test("README: deposit 250 USDC from the wallet's token account into a new margin account", async () => {
  const connection = vectorsCluster();
  const wallet = walletOf(keypair(10));

  // ---- README
  const { collateralMint } = await fetchExchange(connection);
  const me = { owner: wallet.publicKey, subAccountId: 0 };
  const tx = new Transaction().add(
    ix.createMarginAccount(me),
    ix.deposit({
      depositor: wallet.publicKey,
      marginAccount: me,
      depositorToken: associatedTokenAddress(wallet.publicKey, collateralMint),
      amount: parseUsdc("250"),
    }),
  );
  await wallet.sendTransaction(tx, connection);
  // ----

  assert.equal(wallet.sent.length, 1);
  const deposit = tx.instructions[1];
  assert.ok(deposit !== undefined && tx.instructions.length === 2);
  assert.ok(deposit.keys[2]?.pubkey.equals(marginAccountAddress(wallet.publicKey, 0)));
  assert.equal(collateralMint.toBase58(), v.exchange.decoded.collateralMint);
  assert.ok(deposit.keys[4]?.pubkey.equals(associatedTokenAddress(wallet.publicKey, new PublicKey(v.exchange.decoded.collateralMint))) && deposit.keys[0]?.isSigner);
  // the deposit's argument: 250 USDC as a little-endian u64 after the 8-byte discriminator
  assert.equal(Buffer.from(deposit.data).readBigUInt64LE(8), 250_000_000n);
  assert.equal(deposit.data.length, 16);
});

test("README: open a position with a market maker's co-signature", async () => {
  const connection = vectorsCluster();
  const { walletKey, makerAccount, makerKeypair, makerBot } = parties();
  const wallet = walletOf(walletKey);

  // ---- README
  const taker = await fetchMarginAccount(connection, marginAccountAddress(wallet.publicKey, 0));
  const maker = await fetchMarginAccount(connection, makerAccount);
  const markets = await fetchMarkets(connection, [0, 1, 2]); // where each market's oracle is
  const buy = ix.fill({
    taker,
    maker,
    makerAuthority: makerBot,
    marketIndex: 0,
    takerBaseDelta: parseBase("2"), // buy 2 ETH (a sell: parseBase("-2", { signed: true }))
    price: parsePrice("2401.50"),
    oracles: markets,
  });
  const tx = new Transaction({ feePayer: wallet.publicKey, ...(await connection.getLatestBlockhash()) }).add(buy);
  tx.partialSign(makerKeypair); // on the market maker's server, after it checks the quote
  await wallet.sendTransaction(tx, connection); // the trader's wallet adds its signature
  // ----

  assert.equal(wallet.sent.length, 1);
  assert.ok(legacySignaturesVerify(tx));
  assert.deepEqual(tx.signatures.map((s) => s.publicKey.toBase58()).sort(), [wallet.publicKey.toBase58(), makerBot.toBase58()].sort());
  assert.equal(Buffer.from(buy.data).readBigInt64LE(10), 2_000_000_000n);
  assert.equal(Buffer.from(buy.data).readBigInt64LE(18), 2_401_500_000n);
  // the fill vector of vectors.json is this builder's output for its inputs; here: the taker's and maker's markets
  assert.ok(buy.keys.length > 7);
});

test("README: the wallet's accounts, their liquidation prices and trigger orders", async () => {
  const connection = vectorsCluster();
  const owner = new PublicKey(v.marginAccounts[0].decoded.owner);
  const wallet = { publicKey: owner };
  const lines: string[] = [];
  const console = { log: (...a: unknown[]) => lines.push(a.join(" ")) };

  // ---- README
  for (const { address, account } of await fetchSubAccounts(connection, wallet.publicKey)) {
    const { report } = await fetchRiskReport(connection, address);
    console.log(`sub-account ${account.subAccountId}: equity ${formatUsdc(report.equity)} USDC`);
    for (const p of report.positions) {
      console.log(p.symbol, formatBase(p.base), p.liquidationPrice === undefined ? "none" : formatPrice(p.liquidationPrice));
    }
  }
  // ----

  // the same lines from the Rust SDK's report of that account
  const r = v.reports[0].report;
  const expected = [
    `sub-account 0: equity ${formatFixed(BigInt(r.equity), 6)} USDC`,
    ...r.positions.map((p: Json) => `${p.symbol} ${formatFixed(BigInt(p.base), 9)} ${p.liquidationPrice === null ? "none" : formatFixed(BigInt(p.liquidationPrice))}`),
  ];
  assert.deepEqual(lines, expected);
  assert.ok(lines.length >= 4 && lines.some((l) => / none$/.test(l)) && lines.some((l) => /-PERP .* \d/.test(l)));
  assert.equal(formatFixed(-1_500_000n), "-1.5");
  assert.equal(formatFixed(7n, 9), "0.000000007");
  assert.equal(formatFixed(3_000_000_000n), "3000");
});

test("README: a what-if position with the market's parameters", async () => {
  const connection = vectorsCluster();
  const lines: string[] = [];
  const console = { log: (...a: unknown[]) => lines.push(a.join(" ")) };

  // ---- README
  const [eth] = await fetchMarkets(connection, [0]);
  if (eth === undefined) throw new Error("no market 0");
  const long = whatIfPosition(eth, { base: parseBase("2"), entryPrice: parsePrice("3000"), price: parsePrice("2700") });
  const r = report(parseUsdc("1000"), [long]); // 1,000 USDC, long 2 ETH bought at 3,000, ETH at 2,700
  console.log(r.liquidatable, formatPrice(r.positions[0]?.liquidationPrice ?? 0n));
  // ----

  // by hand: the position's PositionRisk, the market's parameters
  const risk = {
    marketIndex: 0,
    base: 2_000_000_000n,
    quote: -6_000_000_000n,
    fundingOwed: 0n,
    price: { price: 2_700_000_000n, conf: 0n, emaPrice: 2_700_000_000n, publishTime: 0n },
    params: { initialMarginRatio: eth.initialMarginRatio, maintenanceMarginRatio: eth.maintenanceMarginRatio, upnlInitialWeight: eth.upnlInitialWeight, marginGroup: eth.marginGroup, systematicShare: eth.systematicShare },
  };
  assert.deepEqual(long.risk, risk);
  const lp = liquidationPrice(1_000_000_000n, [risk], 0);
  assert.ok(lp !== undefined);
  assert.equal(r.liquidatable, computeHealth(1_000_000_000n, [risk]).equity < computeHealth(1_000_000_000n, [risk]).maintenanceRequirement);
  assert.deepEqual(lines, [`${r.liquidatable} ${formatPrice(lp)}`]);
});

test("README: a transaction's events, typed by name", async () => {
  const connection = vectorsCluster();
  const buy = replay.steps.find((s: Json) => s.events.some((e: Json) => e.name === "Filled"));
  const liquidation = replay.steps.find((s: Json) => s.events.some((e: Json) => e.name === "Liquidated"));
  const lines: string[] = [];
  const console = { log: (...a: unknown[]) => lines.push(a.join(" ")) };
  for (const [signature, step] of [
    ["fill", buy],
    ["liquidation", liquidation],
  ] as const) {
    connection.transactions.set(signature, step.logs);

    // ---- README
    const confirmed = await connection.getTransaction(signature, { maxSupportedTransactionVersion: 0 });
    for (const e of parseEvents(confirmed?.meta?.logMessages ?? [])) {
      if (e.name === "Filled") console.log(`filled ${e.data.takerBaseDelta} at ${formatPrice(e.data.price)}`);
      if (e.name === "Liquidated") console.log(`liquidated, equity after ${e.data.equityAfter}`);
    }
    // ----
  }
  const filled = buy.events.find((e: Json) => e.name === "Filled").data;
  const liquidated = liquidation.events.find((e: Json) => e.name === "Liquidated").data;
  assert.deepEqual(lines, [`filled ${filled.takerBaseDelta} at ${formatFixed(BigInt(filled.price))}`, `liquidated, equity after ${liquidated.equityAfter}`]);
});

test("the fill as a v0 transaction against the exchange's lookup table, partially signed by the maker", async () => {
  const connection = vectorsCluster();
  const { walletKey: wallet, makerAccount, makerKeypair, makerBot } = parties();
  const takerAccount = await fetchMarginAccount(connection, marginAccountAddress(wallet.publicKey, 0));
  const maker = await fetchMarginAccount(connection, makerAccount);
  const markets = await fetchMarkets(connection, [0, 1, 2]);
  const lookupTables = await fetchLookupTables(connection, await fetchExchange(connection));
  const tx = buildTransaction({
    payer: wallet.publicKey,
    blockhash: PublicKey.default.toBase58(),
    lookupTables,
    instructions: [
      ...computeBudget(400_000, 1_000n),
      ix.fill({ taker: takerAccount, maker, makerAuthority: makerBot, marketIndex: 0, takerBaseDelta: 2_000_000_000n, price: 2_401_500_000n, oracles: markets }),
    ],
  });
  tx.sign([makerKeypair]);
  assert.deepEqual(missingSigners(tx), [wallet.publicKey]);
  tx.sign([wallet]);
  assert.deepEqual(missingSigners(tx), []);
  assert.ok(signaturesVerify(tx));
  assert.equal(tx.message.version, 0);
  // the exchange lists two tables; the one that exists holds the fixed accounts and the market
  assert.equal(lookupTables.length, 1);
  assert.equal(tx.message.addressTableLookups.length, 1);
  assert.ok(tx.serialize().length <= 1_232);
});
