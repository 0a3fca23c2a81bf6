// The README's frontend examples, run: deposit, a fill co-signed by a market maker's delegate in a
// v0 transaction against the exchange's lookup table, and an account's risk with its liquidation
// prices and trigger orders (read from the accounts the Rust side wrote to vectors.json).
import { test } from "node:test";
import assert from "node:assert/strict";
import { createPublicKey, verify } from "node:crypto";

import { Keypair, PublicKey, Transaction, type VersionedTransaction } from "@solana/web3.js";

import {
  buildTransaction,
  computeBudget,
  fetchExchange,
  fetchLookupTables,
  fetchMarginAccount,
  fetchMarkets,
  fetchRiskReport,
  formatFixed,
  ix,
  marginAccountAddress,
  missingSigners,
} from "../src/index.js";
import { type Json, readVectors, vectorsCluster } from "./util.js";

const keypair = (seed: number) => Keypair.fromSeed(new Uint8Array(32).fill(seed));
const v = readVectors("vectors.json");

/** Each signature of `tx` checked against its message with Node's ed25519. */
function signaturesVerify(tx: VersionedTransaction): boolean {
  const message = Buffer.from(tx.message.serialize());
  return tx.signatures.every((sig, i) => {
    const key = tx.message.staticAccountKeys[i] as PublicKey;
    const jwk = { kty: "OKP", crv: "Ed25519", x: Buffer.from(key.toBytes()).toString("base64url") };
    return verify(null, message, createPublicKey({ key: jwk, format: "jwk" }), Buffer.from(sig));
  });
}

test("README: deposit 250 USDC into a new margin account", () => {
  const wallet = keypair(10);
  const usdcAta = PublicKey.unique();
  const me = { owner: wallet.publicKey, subAccountId: 0 };
  const tx = new Transaction().add(
    ix.createMarginAccount(me),
    ix.deposit({ depositor: wallet.publicKey, marginAccount: me, depositorToken: usdcAta, amount: 250_000_000n }),
  );
  assert.equal(tx.instructions.length, 2);
  const deposit = tx.instructions[1];
  assert.ok(deposit !== undefined);
  assert.ok(deposit?.keys[2]?.pubkey.equals(marginAccountAddress(wallet.publicKey, 0)));
  assert.ok(deposit?.keys[4]?.pubkey.equals(usdcAta) && deposit.keys[0]?.isSigner);
  // the deposit's argument: 250 USDC as a little-endian u64 after the 8-byte discriminator
  assert.equal(Buffer.from(deposit.data).readBigUInt64LE(8), 250_000_000n);
  assert.equal(deposit.data.length, 16);
});

test("README: open a position with a market maker's co-signature, a v0 transaction", async () => {
  const connection = vectorsCluster();
  const taker = v.marginAccounts[0].decoded;
  const wallet = keypair(v.pdas.marginAccounts.find((a: Json) => a.owner === taker.owner).seed);
  const makerVector = v.marginAccounts.find((a: Json) => a.decoded.delegate !== PublicKey.default.toBase58() && a.decoded.owner !== taker.owner);
  const makerAccount = new PublicKey(makerVector.address);
  const makerKeypair = [...Array(256).keys()].map(keypair).find((k) => k.publicKey.toBase58() === makerVector.decoded.delegate) as Keypair;
  const makerBot = makerKeypair.publicKey; // the maker's delegate

  const takerAccount = await fetchMarginAccount(connection, marginAccountAddress(wallet.publicKey, 0));
  const maker = await fetchMarginAccount(connection, makerAccount);
  const markets = await fetchMarkets(connection, [0, 1, 2]); // where each market's oracle is
  const lookupTables = await fetchLookupTables(connection, await fetchExchange(connection));
  const tx = buildTransaction({
    payer: wallet.publicKey,
    blockhash: PublicKey.default.toBase58(),
    lookupTables,
    instructions: [
      ...computeBudget(400_000, 1_000n),
      ix.fill({ taker: takerAccount, maker, makerAuthority: makerBot, marketIndex: 0, takerBaseDelta: 2_000_000_000n, price: 2_401_500_000n, oracles: markets }),
    ],
  }); // buy 2 ETH at $2,401.50
  tx.sign([makerKeypair]); // on the market maker's server, after it checks the quote
  assert.deepEqual(missingSigners(tx), [wallet.publicKey]);
  tx.sign([wallet]); // the trader's wallet
  assert.deepEqual(missingSigners(tx), []);
  assert.ok(signaturesVerify(tx));
  assert.equal(tx.message.version, 0);
  // the exchange lists two tables; the one that exists holds the fixed accounts and the market
  assert.equal(lookupTables.length, 1);
  assert.equal(tx.message.addressTableLookups.length, 1);
  assert.ok(tx.serialize().length <= 1_232);
});

test("README: read an account's liquidation prices and trigger orders", async () => {
  const connection = vectorsCluster();
  const owner = new PublicKey(v.marginAccounts[0].decoded.owner);
  const { report } = await fetchRiskReport(connection, marginAccountAddress(owner, 0));
  const lines = report.positions.map(
    (p) => `${p.symbol} ${formatFixed(p.base, 9)} liq ${p.liquidationPrice === undefined ? "none" : formatFixed(p.liquidationPrice)}, ${p.orders.length} order(s)`,
  );
  // the same lines from the Rust SDK's report of that account
  const expected = v.reports[0].report.positions.map(
    (p: Json) =>
      `${p.symbol} ${formatFixed(BigInt(p.base), 9)} liq ${p.liquidationPrice === null ? "none" : formatFixed(BigInt(p.liquidationPrice))}, ${p.orders.length} order(s)`,
  );
  assert.deepEqual(lines, expected);
  assert.ok(lines.length >= 3 && lines.some((l) => / liq none,/.test(l)) && lines.some((l) => / liq \d/.test(l)));
  assert.equal(formatFixed(-1_500_000n), "-1.5");
  assert.equal(formatFixed(7n, 9), "0.000000007");
  assert.equal(formatFixed(3_000_000_000n), "3000");
});
