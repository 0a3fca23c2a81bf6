// Rust -> TypeScript: the bytes, prices, risk figures and instructions the Rust side produced
// (tests/suite/frontend/vectors.rs), reproduced exactly by this client.
import { test } from "node:test";
import assert from "node:assert/strict";

import { PublicKey } from "@solana/web3.js";

import {
  accountReport,
  checkPrice,
  decodeExchange,
  decodeMarginAccount,
  decodeMarket,
  DecodeError,
  exchangeAddress,
  ix,
  marginAccountAddress,
  marketAddress,
  OracleError,
  parseOracle,
  PROGRAM_ID,
  PYTH_LEGACY_PROGRAM_ID,
  PYTH_RECEIVER_PROGRAM_ID,
  report,
  vaultAddress,
  type PositionInput,
} from "../src/index.js";
import * as idlModule from "../src/idl.js";
import { accountLikeOf, fromB64, fromHex, type Json, normalize, oraclesOf, paramsOf, pk, priceOf, readVectors, toHex } from "./util.js";

const v = readVectors("vectors.json");

test("program ids and PDAs", () => {
  assert.equal(PROGRAM_ID.toBase58(), v.programId);
  assert.equal(PYTH_RECEIVER_PROGRAM_ID.toBase58(), v.pythReceiverProgramId);
  assert.equal(PYTH_LEGACY_PROGRAM_ID.toBase58(), v.pythLegacyProgramId);
  assert.equal(exchangeAddress().toBase58(), v.pdas.exchange);
  assert.equal(vaultAddress().toBase58(), v.pdas.vault);
  for (const m of v.pdas.markets) assert.equal(marketAddress(m.index).toBase58(), m.address, `market ${m.index}`);
  for (const a of v.pdas.marginAccounts) {
    assert.equal(marginAccountAddress(pk(a.owner), a.subAccountId).toBase58(), a.address);
  }
  assert.throws(() => marketAddress(65536), RangeError);
});

test("Exchange decodes field by field", () => {
  assert.deepEqual(normalize(decodeExchange(fromB64(v.exchange.data))), v.exchange.decoded);
});

test("Market decodes field by field", () => {
  for (const m of v.markets) {
    const d = decodeMarket(fromB64(m.data));
    const { pythFeedId, ...rest } = normalize(d) as Record<string, unknown>;
    const { pythFeedId: expectedFeed, ...expected } = m.decoded;
    assert.deepEqual(rest, expected);
    assert.equal(pythFeedId, expectedFeed);
  }
});

test("MarginAccount decodes field by field, all 16 slots", () => {
  for (const a of v.marginAccounts) {
    const d = decodeMarginAccount(fromB64(a.data));
    assert.deepEqual(normalize(d), a.decoded);
    assert.equal(marginAccountAddress(d.owner, d.subAccountId).toBase58(), a.address);
  }
});

test("decoders refuse other accounts and short data", () => {
  const market = fromB64(v.markets[0].data);
  const account = fromB64(v.marginAccounts[0].data);
  assert.throws(() => decodeMarginAccount(market), DecodeError);
  assert.throws(() => decodeMarket(account.subarray(0, 392)), /discriminator/);
  assert.throws(() => decodeMarginAccount(account.subarray(0, 703)), /703 bytes, expected 704/);
  assert.throws(() => decodeExchange(market), DecodeError);
});

test("oracle accounts parse as the program parses them", () => {
  for (const o of v.oracles) {
    const run = () => parseOracle(pk(o.owner), fromB64(o.data), o.source, fromHex(o.feedId));
    if (o.result.ok !== undefined) {
      assert.deepEqual(run(), priceOf(o.result.ok), o.name);
    } else {
      assert.throws(run, (e: unknown) => e instanceof OracleError && e.code === o.result.error, o.name);
    }
  }
});

test("price checks refuse what the program refuses", () => {
  for (const c of v.checkPrice) {
    const limits = { ...c.limits, lastPublishTime: BigInt(c.limits.lastPublishTime) };
    const run = () => checkPrice(priceOf(c.price), limits, BigInt(c.now));
    if (c.error === null) run();
    else assert.throws(run, (e: unknown) => e instanceof OracleError && e.code === c.error);
  }
});

test("risk view of decoded accounts from their markets' oracle bytes equals the program's", () => {
  const markets = v.markets.map((m: Json, i: number) => {
    const market = decodeMarket(fromB64(m.data));
    const o = v.oracleAccounts[i];
    assert.equal(market.oracle.toBase58(), o.address);
    return { market, price: parseOracle(pk(o.owner), fromB64(o.data), market.oracleSource, market.pythFeedId) };
  });
  for (const r of v.reports) {
    const account = decodeMarginAccount(fromB64(v.marginAccounts[r.account].data));
    assert.deepEqual(normalize(accountReport(account, markets)), r.report, `account ${r.account}`);
  }
});

test("risk view of what-if portfolios equals the program's, to the unit", () => {
  let liquidatable = 0;
  for (const p of v.portfolios) {
    const inputs: PositionInput[] = p.positions.map((x: Json) => ({
      symbol: x.symbol,
      fundingRatePerDay: BigInt(x.fundingRatePerDay),
      risk: {
        marketIndex: x.risk.marketIndex,
        base: BigInt(x.risk.base),
        quote: BigInt(x.risk.quote),
        fundingOwed: BigInt(x.risk.fundingOwed),
        price: priceOf(x.risk.price),
        params: x.risk.params,
      },
    }));
    const r = report(BigInt(p.collateral), inputs);
    assert.deepEqual(normalize(r), p.report);
    if (r.liquidatable) liquidatable += 1;
  }
  assert.ok(v.portfolios.length >= 50 && liquidatable > 0 && liquidatable < v.portfolios.length);
});

/** Calls this client's builder with the inputs the Rust builder was given. */
function build(name: string, i: Json) {
  switch (name) {
    case "initialize_exchange":
      return ix.initializeExchange({ admin: pk(i.admin), collateralMint: pk(i.collateralMint), liquidationBuffer: i.liquidationBuffer });
    case "add_market":
      return ix.addMarket({
        admin: pk(i.admin),
        marketIndex: i.marketIndex,
        oracle: pk(i.oracle),
        symbol: i.symbol,
        oracleSource: i.oracleSource,
        pythFeedId: i.pythFeedId,
        params: paramsOf(i.params),
      });
    case "update_market":
      return ix.updateMarket({ admin: pk(i.admin), marketIndex: i.marketIndex, params: paramsOf(i.params) });
    case "set_market_status":
      return ix.setMarketStatus({ admin: pk(i.admin), marketIndex: i.marketIndex, status: i.status });
    case "transfer_admin":
      return ix.transferAdmin({ admin: pk(i.admin), newAdmin: pk(i.newAdmin) });
    case "accept_admin":
      return ix.acceptAdmin({ newAdmin: pk(i.newAdmin) });
    case "create_margin_account":
      return ix.createMarginAccount({ owner: pk(i.owner), subAccountId: i.subAccountId });
    case "close_margin_account":
      return ix.closeMarginAccount({ owner: pk(i.owner), subAccountId: i.subAccountId });
    case "set_delegate":
      return ix.setDelegate({ owner: pk(i.owner), subAccountId: i.subAccountId, delegate: pk(i.delegate) });
    case "deposit":
      return ix.deposit({
        depositor: pk(i.depositor),
        marginAccount: { owner: pk(i.marginAccount.owner), subAccountId: i.marginAccount.subAccountId },
        depositorToken: pk(i.depositorToken),
        amount: BigInt(i.amount),
      });
    case "deposit_insurance":
      return ix.depositInsurance({ depositor: pk(i.depositor), depositorToken: pk(i.depositorToken), amount: BigInt(i.amount) });
    case "withdraw":
      return ix.withdraw({ account: accountLikeOf(i.account), destination: pk(i.destination), amount: BigInt(i.amount), oracles: oraclesOf(i.oracles) });
    case "fill":
      return ix.fill({
        taker: accountLikeOf(i.taker),
        maker: accountLikeOf(i.maker),
        takerAuthority: pk(i.takerAuthority),
        marketIndex: i.marketIndex,
        takerBaseDelta: BigInt(i.takerBaseDelta),
        price: BigInt(i.price),
        oracles: oraclesOf(i.oracles),
      });
    case "update_funding":
      return ix.updateFunding({ marketIndex: i.marketIndex, oracles: oraclesOf(i.oracles) });
    case "settle_funding":
      return ix.settleFunding({ account: accountLikeOf(i.account) });
    case "liquidate":
      return ix.liquidate({
        liquidator: accountLikeOf(i.liquidator),
        liquidatee: accountLikeOf(i.liquidatee),
        marketIndex: i.marketIndex,
        maxBase: BigInt(i.maxBase),
        limitPrice: BigInt(i.limitPrice),
        oracles: oraclesOf(i.oracles),
      });
    default:
      throw new Error(`no builder for ${name}`);
  }
}

test("every instruction builds byte for byte as the Rust SDK builds it", () => {
  const names = new Set<string>();
  for (const c of v.instructions) {
    const built = build(c.name, c.inputs);
    names.add(c.name);
    assert.equal(built.programId.toBase58(), c.programId);
    assert.deepEqual(
      built.keys.map((k) => ({ pubkey: k.pubkey.toBase58(), isSigner: k.isSigner, isWritable: k.isWritable })),
      c.accounts,
      c.name,
    );
    assert.equal(toHex(built.data), c.data, c.name);
  }
  // every instruction of the program has a vector
  const { IDL } = idlModule;
  assert.deepEqual([...names].sort(), IDL.instructions.map((i) => i.name).sort());
});



test("builders refuse inputs the program would misread", () => {
  const owner = PublicKey.unique();
  assert.throws(() => ix.addMarket({
    admin: owner, marketIndex: 0, oracle: owner, symbol: "A-VERY-LONG-SYMBOL-NAME", oracleSource: 0, pythFeedId: "00".repeat(32),
    params: paramsOf(v.instructions.find((c: Json) => c.name === "update_market").inputs.params),
  }), RangeError);
  assert.throws(() => ix.createMarginAccount({ owner, subAccountId: -1 }), RangeError);
  // a market with a position but no oracle known
  assert.throws(() => ix.withdraw({
    account: { owner, subAccountId: 0, positions: [{ marketIndex: 4, base: 1n }] },
    destination: owner, amount: 1n, oracles: new Map(),
  }), /no oracle known for market 4/);
});
