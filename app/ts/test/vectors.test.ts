// Rust -> TypeScript: the bytes, prices, risk figures, instructions and transaction messages the
// Rust side produced (tests/suite/frontend/vectors.rs), reproduced exactly by this client.
import { test } from "node:test";
import assert from "node:assert/strict";

import {
  AddressLookupTableAccount,
  ComputeBudgetInstruction,
  Keypair,
  PublicKey,
  TransactionInstruction,
  TransactionMessage,
} from "@solana/web3.js";

import {
  accountLocks,
  accountReport,
  actionAccounts,
  activeOrders,
  adminActionAddress,
  buildInstruction,
  buildTransaction,
  checkLimits,
  checkPrice,
  compileMessage,
  computeBudget,
  computeHealth,
  decodeExchange,
  decodeMarginAccount,
  decodeMarket,
  decodeQueuedAction,
  decodeTriggerOrders,
  DecodeError,
  EXCHANGE_MIN_SIZE,
  exchangeAddress,
  IDL,
  ix,
  liquidationPrice,
  MARGIN_ACCOUNT_SIZE,
  marginAccountAddress,
  MARKET_SIZE,
  marketAddress,
  missingSigners,
  OracleError,
  orderByDelegate,
  orderIsLong,
  parseEvents,
  parseOracle,
  portfolioRequirement,
  PROGRAM_ID,
  programDataAddress,
  PYTH_LEGACY_PROGRAM_ID,
  PYTH_RECEIVER_PROGRAM_ID,
  QUEUED_ACTION_SIZE,
  report,
  requirement,
  requirementTerm,
  serializedSize,
  serializeMessage,
  sponsoredFeedAddress,
  stress,
  TooManyAccountLocks,
  TransactionTooLarge,
  TRIGGER_ORDERS_SIZE,
  triggerOrdersAddress,
  vaultAddress,
  type PositionInput,
} from "../src/index.js";
import {
  accountLikeOf,
  actionOf,
  fromB64,
  fromHex,
  type Json,
  limitsOf,
  normalize,
  oraclesOf,
  pk,
  pkOrNull,
  priceOf,
  readVectors,
  riskParamsOf,
  toHex,
  triggerParamsOf,
} from "./util.js";

const v = readVectors("vectors.json");

test("program ids and PDAs", () => {
  assert.equal(PROGRAM_ID.toBase58(), v.programId);
  assert.equal(PYTH_RECEIVER_PROGRAM_ID.toBase58(), v.pythReceiverProgramId);
  assert.equal(PYTH_LEGACY_PROGRAM_ID.toBase58(), v.pythLegacyProgramId);
  assert.equal(exchangeAddress().toBase58(), v.pdas.exchange);
  assert.equal(vaultAddress().toBase58(), v.pdas.vault);
  assert.equal(programDataAddress().toBase58(), v.pdas.programData);
  for (const m of v.pdas.markets) assert.equal(marketAddress(m.index).toBase58(), m.address, `market ${m.index}`);
  for (const a of v.pdas.marginAccounts) {
    assert.equal(marginAccountAddress(pk(a.owner), a.subAccountId).toBase58(), a.address);
  }
  for (const a of v.pdas.adminActions) assert.equal(adminActionAddress(BigInt(a.id)).toBase58(), a.address, `admin action ${a.id}`);
  for (const t of v.pdas.triggerOrders) assert.equal(triggerOrdersAddress(pk(t.marginAccount)).toBase58(), t.address);
  for (const f of v.pdas.sponsoredFeeds) assert.equal(sponsoredFeedAddress(fromHex(f.feedId)).toBase58(), f.address);
  assert.ok(v.pdas.adminActions.length >= 4 && v.pdas.triggerOrders.length >= 4 && v.pdas.sponsoredFeeds.length >= 3);
  assert.throws(() => marketAddress(65536), RangeError);
  assert.throws(() => adminActionAddress(-1n), RangeError);
});

test("Exchange decodes field by field", () => {
  const data = fromB64(v.exchange.data);
  assert.deepEqual(normalize(decodeExchange(data)), v.exchange.decoded);
  // the Borsh layout with no lookup table is the least an exchange holds
  assert.equal(data.length, EXCHANGE_MIN_SIZE + 32 * v.exchange.decoded.lookupTables.length);
});

test("Market decodes field by field (the funding sum's two u64 words make one i128)", () => {
  for (const m of v.markets) {
    const data = fromB64(m.data);
    assert.equal(data.length, MARKET_SIZE);
    assert.deepEqual(normalize(decodeMarket(data)), m.decoded, m.decoded.symbol);
  }
});

test("MarginAccount decodes field by field, all 16 slots, margin mode and delegate limits", () => {
  for (const a of v.marginAccounts) {
    const data = fromB64(a.data);
    assert.equal(data.length, MARGIN_ACCOUNT_SIZE);
    const d = decodeMarginAccount(data);
    assert.deepEqual(normalize(d), a.decoded);
    assert.equal(marginAccountAddress(d.owner, d.subAccountId).toBase58(), a.address);
  }
  assert.deepEqual(new Set(v.marginAccounts.map((a: Json) => a.decoded.marginMode)), new Set([0, 1]));
});

test("TriggerOrders decodes all 32 slots and their flags", () => {
  const data = fromB64(v.triggerOrders.data);
  assert.equal(data.length, TRIGGER_ORDERS_SIZE);
  const t = decodeTriggerOrders(data);
  assert.deepEqual(normalize(t), v.triggerOrders.decoded);
  assert.equal(triggerOrdersAddress(t.marginAccount).toBase58(), v.triggerOrders.address);
  const inUse = v.triggerOrders.decoded.orders.filter((o: Json) => (o.flags & 1) !== 0);
  assert.deepEqual(activeOrders(t).map((o) => o.id.toString()), inUse.map((o: Json) => o.id));
  assert.deepEqual(activeOrders(t).map(orderIsLong), inUse.map((o: Json) => (o.flags & 2) !== 0));
  assert.deepEqual(activeOrders(t).map(orderByDelegate), inUse.map((o: Json) => (o.flags & 4) !== 0));
  assert.ok(inUse.length >= 3 && activeOrders(t).some(orderByDelegate));
});

test("QueuedAction decodes (Borsh, the AdminAction enum)", () => {
  for (const q of v.queuedActions) {
    const data = fromB64(q.data);
    assert.ok(data.length <= QUEUED_ACTION_SIZE);
    const d = decodeQueuedAction(data);
    assert.deepEqual(normalize(d), q.decoded);
    assert.equal(adminActionAddress(d.id).toBase58(), q.address);
  }
  assert.equal(fromB64(v.queuedActions.find((q: Json) => "addMarket" in q.decoded.action).data).length, QUEUED_ACTION_SIZE);
  assert.deepEqual(v.queuedActions.map((q: Json) => q.decoded.status).sort(), [0, 1, 2]);
});

test("decoders refuse other accounts and short data", () => {
  const market = fromB64(v.markets[0].data);
  const account = fromB64(v.marginAccounts[0].data);
  const orders = fromB64(v.triggerOrders.data);
  const queued = fromB64(v.queuedActions[0].data);
  assert.throws(() => decodeMarginAccount(market), DecodeError);
  assert.throws(() => decodeMarket(account.subarray(0, market.length)), /discriminator/);
  assert.throws(() => decodeMarginAccount(account.subarray(0, account.length - 1)), new RegExp(`${account.length - 1} bytes, expected ${account.length}`));
  assert.throws(() => decodeExchange(market), DecodeError);
  assert.throws(() => decodeTriggerOrders(orders.subarray(0, orders.length - 1)), DecodeError);
  assert.throws(() => decodeQueuedAction(account), /discriminator/);
  assert.throws(() => decodeQueuedAction(queued.subarray(0, 80)), DecodeError);
  assert.throws(() => decodeExchange(fromB64(v.exchange.data).subarray(0, EXCHANGE_MIN_SIZE - 1)), DecodeError);
});

test("oracle accounts parse as the program parses them: sponsored feeds, units", () => {
  const errors = new Set<string>();
  for (const o of v.oracles) {
    const run = () => parseOracle(pk(o.address), pk(o.owner), fromB64(o.data), { source: o.source, feedId: fromHex(o.feedId), unitExponent: o.unitExponent });
    if (o.result.ok !== undefined) {
      assert.deepEqual(run(), priceOf(o.result.ok), o.name);
    } else {
      assert.throws(run, (e: unknown) => e instanceof OracleError && e.code === o.result.error, o.name);
      errors.add(o.result.error);
    }
  }
  assert.ok(errors.has("OracleNotSponsoredFeed") && v.oracles.some((o: Json) => o.unitExponent > 0 && o.result.ok !== undefined));
});

test("price checks refuse what the program refuses", () => {
  for (const c of v.checkPrice) {
    const limits = { ...c.limits, lastPublishTime: BigInt(c.limits.lastPublishTime) };
    const run = () => checkPrice(priceOf(c.price), limits, BigInt(c.now));
    if (c.error === null) run();
    else assert.throws(run, (e: unknown) => e instanceof OracleError && e.code === c.error);
  }
});

function pricedMarkets() {
  return v.markets.map((m: Json, i: number) => {
    const market = decodeMarket(fromB64(m.data));
    const o = v.oracleAccounts[i];
    assert.equal(market.oracle.toBase58(), o.address);
    return {
      market,
      price: parseOracle(pk(o.address), pk(o.owner), fromB64(o.data), { source: market.oracleSource, feedId: market.pythFeedId, unitExponent: market.unitExponent }),
    };
  });
}

test("risk view of decoded accounts from their markets' oracle bytes equals the program's (modes, orders)", () => {
  const markets = pricedMarkets();
  const orders = decodeTriggerOrders(fromB64(v.triggerOrders.data));
  for (const r of v.reports) {
    const data = v.marginAccounts[r.account];
    const account = decodeMarginAccount(fromB64(data.data));
    // the SDK's report of the account its trigger-order account belongs to includes the orders
    const own = triggerOrdersAddress(pk(data.address)).toBase58() === v.triggerOrders.address;
    assert.deepEqual(normalize(accountReport(account, markets, own ? orders : null)), r.report, `account ${r.account}`);
  }
  assert.ok(v.reports.some((r: Json) => r.report.positions.some((p: Json) => p.orders.length > 0)));
});

function inputsOf(p: Json): PositionInput[] {
  return p.positions.map((x: Json) => ({
    symbol: x.symbol,
    fundingRatePerDay: BigInt(x.fundingRatePerDay),
    risk: {
      marketIndex: x.risk.marketIndex,
      base: BigInt(x.risk.base),
      quote: BigInt(x.risk.quote),
      fundingOwed: BigInt(x.risk.fundingOwed),
      price: priceOf(x.risk.price),
      params: riskParamsOf(x.risk.params),
    },
  }));
}

test("risk view of what-if portfolios equals the program's to the unit, in both margin modes", () => {
  let liquidatable = 0;
  let credited = 0;
  for (const p of v.portfolios) {
    const r = report(BigInt(p.collateral), inputsOf(p), p.marginMode);
    assert.deepEqual(normalize(r), p.report);
    if (r.liquidatable) liquidatable += 1;
    if (r.maintenanceRequirement < r.standardMaintenanceRequirement) credited += 1;
  }
  const portfolio = v.portfolios.filter((p: Json) => p.marginMode === 1).length;
  assert.ok(v.portfolios.length >= 50 && liquidatable > 0 && liquidatable < v.portfolios.length);
  assert.ok(portfolio > 0 && portfolio < v.portfolios.length && credited > 0, `${credited} portfolios with a group credit`);
});

test("portfolio requirement: between 25% of the standard and the standard; liquidation price is the mode's boundary", () => {
  for (const p of v.portfolios.filter((x: Json) => x.marginMode === 1)) {
    const risks = inputsOf(p).map((i) => i.risk);
    for (const kind of ["maintenance", "initial"] as const) {
      const terms = risks.map((r) => requirementTerm(r, kind));
      const standard = terms.reduce((s, t) => s + requirement(t.base, t.price, t.ratio), 0n);
      const r = portfolioRequirement(terms, standard);
      assert.ok(r <= standard && 4n * r >= standard);
    }
    risks.forEach((risk, i) => {
      const lp = liquidationPrice(BigInt(p.collateral), risks, i, 1);
      if (lp === undefined || lp <= 1n || lp >= 1n << 52n) return;
      const at = (price: bigint) =>
        computeHealth(BigInt(p.collateral), risks.map((x, j) => (j === i ? { ...x, price: { ...x.price, price } } : x)), 1);
      const liq = (price: bigint) => at(price).equity < at(price).maintenanceRequirement;
      assert.equal(liq(lp), false);
      assert.equal(liq(risk.base > 0n ? lp - 1n : lp + 1n), true);
    });
  }
});

test("stress: a zero move is the report's health; each margin group present moves alone", () => {
  for (const p of v.portfolios.slice(0, 20)) {
    const inputs = inputsOf(p);
    const rows = stress(BigInt(p.collateral), inputs, p.marginMode, [0n, -100_000n, 100_000n]);
    const groups = [...new Set(inputs.map((i) => i.risk.params.marginGroup).filter((g) => g !== 0))];
    assert.equal(rows.length, 3 * (1 + groups.length));
    const zero = rows[0];
    assert.ok(zero !== undefined && zero.group === undefined);
    assert.equal(zero.equity.toString(), p.report.equity);
    assert.equal(zero.maintenanceRequirement.toString(), p.report.maintenanceRequirement);
    assert.equal(zero.liquidatable, p.report.liquidatable);
    // prices down 10%: longs lose, shorts gain
    const down = rows[1];
    assert.ok(down !== undefined);
    if (inputs.every((i) => i.risk.base > 0n)) assert.ok(down.equity <= zero.equity);
    if (inputs.every((i) => i.risk.base < 0n)) assert.ok(down.equity >= zero.equity);
  }
});

/** Calls this client's builder with the inputs the Rust builder was given. */
function build(name: string, i: Json): TransactionInstruction {
  switch (name) {
    case "initialize_exchange":
      return ix.initializeExchange({
        admin: pk(i.admin),
        collateralMint: pk(i.collateralMint),
        liquidationBuffer: i.liquidationBuffer,
        guardian: pk(i.guardian),
        timelockDelaySecs: i.timelockDelaySecs,
      });
    case "queue_admin_action":
      return ix.queueAdminAction({ admin: pk(i.admin), actionId: BigInt(i.actionId), action: actionOf(i.action) });
    case "execute_admin_action":
      return ix.executeAdminAction({ executor: pk(i.executor), actionId: BigInt(i.actionId), market: pkOrNull(i.market), oracle: pkOrNull(i.oracle) });
    case "cancel_admin_action":
      return ix.cancelAdminAction({ authority: pk(i.authority), actionId: BigInt(i.actionId) });
    case "set_market_status":
      return ix.setMarketStatus({ authority: pk(i.authority), marketIndex: i.marketIndex, status: i.status, durationSecs: i.durationSecs });
    case "accept_admin":
      return ix.acceptAdmin({ newAdmin: pk(i.newAdmin) });
    case "settle_dead_market":
      return ix.settleDeadMarket({ marketIndex: i.marketIndex, oracles: oraclesOf(i.oracles) });
    case "settle_position":
      return ix.settlePosition({ marketIndex: i.marketIndex, account: accountLikeOf(i.account) });
    case "create_margin_account":
      return ix.createMarginAccount({ owner: pk(i.owner), subAccountId: i.subAccountId });
    case "close_margin_account":
      return ix.closeMarginAccount({ owner: pk(i.owner), subAccountId: i.subAccountId });
    case "set_delegate":
      return ix.setDelegate({ owner: pk(i.owner), subAccountId: i.subAccountId, delegate: pk(i.delegate), limits: limitsOf(i.limits) });
    case "set_margin_mode":
      return ix.setMarginMode({ account: accountLikeOf(i.account), mode: i.mode, oracles: oraclesOf(i.oracles) });
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
    case "create_trigger_orders":
      return ix.createTriggerOrders({ authority: pk(i.authority), marginAccount: { owner: pk(i.marginAccount.owner), subAccountId: i.marginAccount.subAccountId } });
    case "close_trigger_orders":
      return ix.closeTriggerOrders({
        authority: pk(i.authority),
        marginAccount: { owner: pk(i.marginAccount.owner), subAccountId: i.marginAccount.subAccountId },
        payer: pk(i.payer),
      });
    case "place_trigger_order":
      return ix.placeTriggerOrder({
        authority: pk(i.authority),
        marginAccount: { owner: pk(i.marginAccount.owner), subAccountId: i.marginAccount.subAccountId },
        marketIndex: i.marketIndex,
        params: triggerParamsOf(i.params),
        oracles: oraclesOf(i.oracles),
      });
    case "cancel_trigger_order":
      return ix.cancelTriggerOrder({
        authority: pk(i.authority),
        marginAccount: { owner: pk(i.marginAccount.owner), subAccountId: i.marginAccount.subAccountId },
        orderId: BigInt(i.orderId),
      });
    case "execute_trigger_order":
      return ix.executeTriggerOrder({
        executor: accountLikeOf(i.executor),
        executorAuthority: pk(i.executorAuthority),
        trader: accountLikeOf(i.trader),
        marketIndex: i.marketIndex,
        orderId: BigInt(i.orderId),
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
    case "liquidate_portfolio":
      return ix.liquidatePortfolio({
        liquidator: accountLikeOf(i.liquidator),
        liquidatee: accountLikeOf(i.liquidatee),
        maxFraction: BigInt(i.maxFraction),
        mayCloseAccount: i.mayCloseAccount,
        oracles: oraclesOf(i.oracles),
      });
    default:
      throw new Error(`no builder for ${name}`);
  }
}

const metas = (i: TransactionInstruction) => i.keys.map((k) => ({ pubkey: k.pubkey.toBase58(), isSigner: k.isSigner, isWritable: k.isWritable }));

test("every instruction builds byte for byte as the Rust SDK builds it", () => {
  const names = new Set<string>();
  for (const c of v.instructions) {
    const built = build(c.name, c.inputs);
    names.add(c.name);
    assert.equal(built.programId.toBase58(), c.programId);
    assert.deepEqual(metas(built), c.accounts, c.name);
    assert.equal(toHex(built.data), c.data, c.name);
  }
  // every instruction of the program has a vector
  assert.deepEqual([...names].sort(), IDL.instructions.map((i) => i.name).sort());
  // the exchange is writable exactly where a step may close the liquidatee's (or account's) last position
  for (const c of v.instructions.filter((x: Json) => x.name === "liquidate" || x.name === "settle_position")) {
    const acc = c.inputs.liquidatee ?? c.inputs.account;
    const open = acc.positions.filter((p: Json) => p.base !== "0").length;
    const exchange = c.accounts.find((a: Json) => a.pubkey === exchangeAddress().toBase58());
    assert.equal(exchange.isWritable, open <= 1, c.name);
  }
});

test("an executed change names the accounts the Rust SDK names (action_accounts)", () => {
  const exchange = decodeExchange(fromB64(v.exchange.data));
  for (const e of v.instructions.filter((x: Json) => x.name === "execute_admin_action")) {
    const queued = v.instructions.find((q: Json) => q.name === "queue_admin_action" && q.inputs.actionId === e.inputs.actionId);
    const got = actionAccounts(actionOf(queued.inputs.action), exchange.marketCount);
    assert.deepEqual(normalize(got), { market: e.inputs.market, oracle: e.inputs.oracle }, `change ${e.inputs.actionId}`);
  }
});

test("builders refuse inputs the program would misread", () => {
  const owner = PublicKey.unique();
  const params = actionOf(v.instructions.find((c: Json) => c.name === "queue_admin_action" && "updateMarket" in c.inputs.action).inputs.action);
  assert.ok("updateMarket" in params);
  const add = (symbol: string) =>
    ix.queueAdminAction({
      admin: owner,
      actionId: 0n,
      action: { addMarket: { symbol, oracle: owner, oracleSource: 0, pythFeedId: new Uint8Array(32), tokensPerContract: 1n, params: params.updateMarket.params } },
    });
  add("ETH-PERP");
  assert.throws(() => add("A-VERY-LONG-SYMBOL-NAME"), RangeError);
  assert.throws(() => ix.createMarginAccount({ owner, subAccountId: -1 }), RangeError);
  assert.throws(() => ix.withdraw({ account: { owner, subAccountId: 0, positions: [{ marketIndex: 4, base: 1n }] }, destination: owner, amount: 1n, oracles: new Map() }), /no oracle known for market 4/);
  // a misspelt or missing struct field is an error, not a zero
  const limits = { maxPriceDeviation: 1, lossBudget: 1n, periodSecs: 60, reduceOnly: false };
  assert.throws(() => ix.setDelegate({ owner, subAccountId: 0, delegate: owner, limits: { ...limits, reduceOnly: undefined } as never }), /DelegateLimits has fields/);
  assert.throws(() => buildInstruction("set_delegate", { owner, margin_account: owner }, { sub_account_id: 0, delegate: owner, limits: { ...limits, lossBudjet: 1n } }), /lossBudjet/);
  assert.throws(() => buildInstruction("withdraw", { owner, exchange: owner, margin_account: owner, vault: owner, destination: owner }, { amount: 1n }), /arguments are/);
  assert.throws(() => ix.setMarketStatus({ authority: owner, marketIndex: 0, status: 7 as never, durationSecs: 0 }), /not a MarketStatus/);
  // optional accounts are named explicitly, null when absent
  assert.throws(() => buildInstruction("execute_admin_action", { executor: owner, exchange: owner, queued_action: owner }, { action_id: 0n }), /optional account market/);
  assert.throws(() => ix.queueAdminAction({ admin: owner, actionId: 0n, action: { addMarket: {} } as never }), /AdminAction::AddMarket has fields/);
});

test("events decode from the program's bytes: an AdminActionQueued carrying each queued change", () => {
  const disc = (IDL.events ?? []).find((e) => e.name === "AdminActionQueued")?.discriminator;
  assert.ok(disc !== undefined);
  for (const q of v.queuedActions) {
    const d = fromB64(q.data);
    // the account's own Borsh fields: id (8..16), proposer (16..48), execute_after (56..64), action (73..len-1)
    const event = Buffer.concat([Buffer.from(disc), d.subarray(8, 48), d.subarray(56, 64), d.subarray(73, d.length - 1)]);
    const logs = [`Program ${PROGRAM_ID.toBase58()} invoke [1]`, `Program data: ${event.toString("base64")}`, `Program ${PROGRAM_ID.toBase58()} success`];
    const [e, ...rest] = parseEvents(logs);
    assert.ok(e !== undefined && rest.length === 0);
    assert.equal(e.name, "AdminActionQueued");
    const { id, proposer, executeAfter, action } = q.decoded;
    assert.deepEqual(normalize(e.data), { id, proposer, executeAfter, action });
  }
});

function instructionOf(j: Json): TransactionInstruction {
  return new TransactionInstruction({
    programId: pk(j.programId),
    keys: j.accounts.map((a: Json) => ({ pubkey: pk(a.pubkey), isSigner: a.isSigner, isWritable: a.isWritable })),
    data: Buffer.from(fromHex(j.data)),
  });
}

function tablesOf(j: Json): AddressLookupTableAccount[] {
  return j.map(
    (t: Json) =>
      new AddressLookupTableAccount({
        key: pk(t.key),
        state: { deactivationSlot: (1n << 64n) - 1n, lastExtendedSlot: 0, lastExtendedSlotStartIndex: 0, addresses: t.addresses.map(pk) },
      }),
  );
}

test("transactions compile to the Rust SDK's v0 and legacy messages, sizes and locks", () => {
  let tooLarge = 0;
  let webDiffers = 0;
  for (const t of v.transactions) {
    const args = { payer: pk(t.payer), instructions: t.instructions.map(instructionOf), lookupTables: tablesOf(t.lookupTables), blockhash: t.blockhash };
    const m = compileMessage(args);
    assert.equal(Buffer.from(serializeMessage(m)).toString("base64"), t.message, t.name);
    assert.equal(m.version, t.lookupTables.length > 0 ? 0 : "legacy");
    assert.equal(serializedSize(m), t.size, t.name);
    assert.equal(accountLocks(m), t.locks, t.name);
    if (t.lookupTables.length > 0) {
      // a table that holds none of the keys is left out (before or after the one that does)
      const other = tablesOf([{ key: PublicKey.unique().toBase58(), addresses: [PublicKey.unique().toBase58()] }]);
      for (const lookupTables of [[...other, ...args.lookupTables], [...args.lookupTables, ...other]]) {
        assert.equal(Buffer.from(serializeMessage(compileMessage({ ...args, lookupTables }))).toString("base64"), t.message, t.name);
      }
    }
    if (t.withinLimits) {
      checkLimits(m);
      const tx = buildTransaction(args);
      assert.equal(Buffer.from(tx.message.serialize()).toString("base64"), t.message, t.name);
      assert.equal(tx.serialize().length, t.size);
      if (t.lookupTables.length > 0) {
        const web3 = new TransactionMessage({ payerKey: args.payer, instructions: args.instructions, recentBlockhash: t.blockhash }).compileToV0Message(args.lookupTables);
        if (Buffer.from(web3.serialize()).toString("base64") !== t.message) webDiffers += 1;
      }
    } else {
      tooLarge += 1;
      assert.throws(() => buildTransaction(args), (e: unknown) => e instanceof TransactionTooLarge && e.size === t.size, t.name);
    }
  }
  assert.ok(tooLarge > 0 && tooLarge < v.transactions.length);
  // why the compilation is done here: web3.js orders the keys differently
  assert.ok(webDiffers > 0);
  // the compute budget instructions the vectors start with
  const [limit, price] = v.transactions[0].instructions.map(instructionOf);
  const units = ComputeBudgetInstruction.decodeSetComputeUnitLimit(limit).units;
  const micro = BigInt(ComputeBudgetInstruction.decodeSetComputeUnitPrice(price).microLamports);
  assert.deepEqual(computeBudget(units, micro).map((i) => toHex(i.data)), v.transactions[0].instructions.slice(0, 2).map((i: Json) => i.data));
});

test("transactions over 64 account locks are refused; partial signing leaves the other signer", () => {
  const payer = Keypair.fromSeed(new Uint8Array(32).fill(10));
  const addresses = Array.from({ length: 70 }, () => PublicKey.unique());
  const table = tablesOf([{ key: PublicKey.unique().toBase58(), addresses: addresses.map((a) => a.toBase58()) }]);
  const wide = new TransactionInstruction({ programId: PROGRAM_ID, keys: addresses.map((pubkey) => ({ pubkey, isSigner: false, isWritable: false })), data: Buffer.alloc(0) });
  const m = compileMessage({ payer: payer.publicKey, instructions: [wide], lookupTables: table, blockhash: PublicKey.default.toBase58() });
  assert.equal(accountLocks(m), 72);
  assert.throws(() => checkLimits(m), (e: unknown) => e instanceof TooManyAccountLocks && e.locks === 72);

  const fill = v.transactions.find((t: Json) => t.withinLimits && t.lookupTables.length > 0 && t.name.startsWith("fill"));
  const tx = buildTransaction({ payer: pk(fill.payer), instructions: fill.instructions.map(instructionOf), lookupTables: tablesOf(fill.lookupTables), blockhash: fill.blockhash });
  const signers = tx.message.staticAccountKeys.slice(0, tx.message.header.numRequiredSignatures).map((k) => k.toBase58());
  assert.ok(signers.length === 2 && signers[0] === payer.publicKey.toBase58());
  tx.sign([payer]);
  assert.deepEqual(missingSigners(tx).map((k) => k.toBase58()), [signers[1]]);
  tx.sign([Keypair.fromSeed(new Uint8Array(32).fill(11))]);
  assert.deepEqual(missingSigners(tx), []);
});
