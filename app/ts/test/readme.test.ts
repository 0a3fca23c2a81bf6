// The README's frontend examples, run: deposit, a fill co-signed by a market maker, and the
// liquidation prices of an account (read from the accounts the program produced in the replay).
import { test } from "node:test";
import assert from "node:assert/strict";

import { Keypair, PublicKey, Transaction } from "@solana/web3.js";

import { fetchMarginAccount, fetchMarkets, fetchRiskReport, formatFixed, ix, marginAccountAddress } from "../src/index.js";
import { SEEDS } from "./scenario.js";
import { replayCluster as cluster } from "./util.js";

const keypair = (seed: number) => Keypair.fromSeed(new Uint8Array(32).fill(seed));

test("README: deposit 250 USDC into a new margin account", () => {
  const wallet = keypair(SEEDS.alice);
  const usdcAta = PublicKey.unique();
  const tx = new Transaction().add(
    ix.createMarginAccount({ owner: wallet.publicKey, subAccountId: 0 }),
    ix.deposit({ depositor: wallet.publicKey, marginAccount: { owner: wallet.publicKey, subAccountId: 0 }, depositorToken: usdcAta, amount: 250_000_000n }),
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

test("README: open a position with a market maker's co-signature", async () => {
  const connection = cluster();
  const wallet = keypair(SEEDS.alice);
  const makerKeypair = keypair(SEEDS.bobBot); // bob's delegate
  const taker = await fetchMarginAccount(connection, marginAccountAddress(wallet.publicKey, 0));
  const maker = await fetchMarginAccount(connection, marginAccountAddress(keypair(SEEDS.bob).publicKey, 0));
  const markets = await fetchMarkets(connection, [0, 1]);
  const tx = new Transaction({ feePayer: wallet.publicKey, blockhash: PublicKey.default.toBase58(), lastValidBlockHeight: 0 }).add(
    ix.fill({ taker, maker, makerAuthority: makerKeypair.publicKey, marketIndex: 0, takerBaseDelta: 2_000_000_000n, price: 2_401_500_000n, oracles: markets }),
  );
  tx.partialSign(makerKeypair); // the market maker's server, after checking the quote
  tx.partialSign(wallet); // the trader's wallet
  assert.ok(tx.verifySignatures());
  assert.equal(tx.signatures.length, 2);
});

test("README: read an account's liquidation prices", async () => {
  const connection = cluster();
  const owner = keypair(SEEDS.alice).publicKey;
  const { report } = await fetchRiskReport(connection, marginAccountAddress(owner, 0));
  const lines = report.positions.map(
    (p) => `${p.symbol} ${formatFixed(p.base, 9)} liq ${p.liquidationPrice === undefined ? "none" : formatFixed(p.liquidationPrice)}`,
  );
  assert.equal(lines.length, 2);
  assert.match(lines[0] ?? "", /^ETH-PERP 3\.792 liq 2\d{3}\.\d+$/);
  assert.equal(formatFixed(-1_500_000n), "-1.5");
  assert.equal(formatFixed(7n, 9), "0.000000007");
  assert.equal(formatFixed(3_000_000_000n), "3000");
});
