// The generated @solana/kit client against the cross-language vectors the Rust suite writes
// (app/ts/test/vectors): every account decodes to the values @crossmargin/client's tests expect,
// every instruction vector builds byte for byte with the same accounts and flags, and the events
// of each replayed transaction decode from its logs to the values Rust decoded.
import { test } from "node:test";
import assert from "node:assert/strict";

import { AccountRole, type AccountMeta, type Address, address, createNoopSigner, type Instruction } from "@solana/kit";

import {
  ActionStatus,
  CROSS_MARGIN_PROGRAM_ADDRESS,
  CrossMarginAccount,
  CrossMarginInstruction,
  EVENTS,
  findAssociatedTokenPda,
  findExchangePda,
  findMarginAccountPda,
  findMarketPda,
  findQueuedActionPda,
  findTriggerOrdersPda,
  findVaultPda,
  fundingMetas,
  getAcceptAdminInstructionAsync,
  getCancelAdminActionInstructionAsync,
  getCancelTriggerOrderInstructionAsync,
  getCloseMarginAccountInstructionAsync,
  getCloseTriggerOrdersInstructionAsync,
  getCreateMarginAccountInstructionAsync,
  getCreateTriggerOrdersInstructionAsync,
  getDepositInsuranceInstructionAsync,
  getDepositInstruction,
  getDepositInstructionAsync,
  getExchangeDecoder,
  getExecuteAdminActionInstructionAsync,
  getExecuteTriggerOrderInstructionAsync,
  getFillInstructionAsync,
  getInitializeExchangeInstructionAsync,
  getLiquidateInstructionAsync,
  getLiquidatePortfolioInstructionAsync,
  getMarginAccountDecoder,
  getMarketDecoder,
  getPlaceTriggerOrderInstructionAsync,
  getQueuedActionDecoder,
  getQueueAdminActionInstructionAsync,
  getSetDelegateInstructionAsync,
  getSetMarginModeInstructionAsync,
  getSetMarketStatusInstructionAsync,
  getSettleDeadMarketInstructionAsync,
  getSettleFundingInstruction,
  getSettlePositionInstructionAsync,
  getTriggerOrdersDecoder,
  getUpdateFundingInstructionAsync,
  getWithdrawInstructionAsync,
  healthAccountMetas,
  healthMarketOrder,
  identifyCrossMarginAccount,
  identifyCrossMarginInstruction,
  MarketStatus,
  mayCloseAccount,
  oracleOf,
  type AdminActionArgs,
  type OracleLookup,
  parseEvents,
  portfolioLiquidationMetas,
  symbolBytes,
  symbolString,
  withRemainingAccounts,
  withWritable,
  type AccountLike,
} from "../src/index.js";
import { fromB64, fromHex, type Json, likeExpected, readVectors, toHex } from "./util.js";

const v = readVectors("vectors.json");
const replay = readVectors("replay.json");

test("program address and PDAs", async () => {
  assert.equal(CROSS_MARGIN_PROGRAM_ADDRESS, v.programId);
  assert.equal((await findExchangePda())[0], v.pdas.exchange);
  assert.equal((await findVaultPda())[0], v.pdas.vault);
  for (const m of v.pdas.markets) assert.equal((await findMarketPda({ marketIndex: m.index }))[0], m.address);
  for (const a of v.pdas.marginAccounts) assert.equal((await findMarginAccountPda({ owner: address(a.owner), subAccountId: a.subAccountId }))[0], a.address);
  for (const a of v.pdas.adminActions) assert.equal((await findQueuedActionPda({ actionId: BigInt(a.id) }))[0], a.address);
  for (const t of v.pdas.triggerOrders) assert.equal((await findTriggerOrdersPda({ marginAccount: address(t.marginAccount) }))[0], t.address);
  await assert.rejects(findMarketPda({ marketIndex: 65536 }), RangeError);
  // @solana/spl-token 0.4.15's getAssociatedTokenAddressSync, as @crossmargin/client's test
  const usdc = address("EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v");
  assert.equal((await findAssociatedTokenPda({ owner: address("9hSR6S7WPtxmTojgo6GG3k4yDPecgJY292j7xrsUGWBu"), mint: usdc }))[0], "ASZ2TDDNJG2n42TxAezqNNzwWipykHrENDKMCoLKgzup");
});

test("every account of vectors.json decodes with the kit decoders to the values the client's tests expect", () => {
  const cases: [string, Json, (d: Uint8Array) => unknown, CrossMarginAccount][] = [
    ["Exchange", [v.exchange], (d) => getExchangeDecoder().decode(d), CrossMarginAccount.Exchange],
    ["Market", v.markets, (d) => getMarketDecoder().decode(d), CrossMarginAccount.Market],
    ["MarginAccount", v.marginAccounts, (d) => getMarginAccountDecoder().decode(d), CrossMarginAccount.MarginAccount],
    ["TriggerOrders", [v.triggerOrders], (d) => getTriggerOrdersDecoder().decode(d), CrossMarginAccount.TriggerOrders],
    ["QueuedAction", v.queuedActions, (d) => getQueuedActionDecoder().decode(d), CrossMarginAccount.QueuedAction],
  ];
  let n = 0;
  for (const [name, accounts, decode, kind] of cases) {
    for (const a of accounts) {
      const data = fromB64(a.data);
      // Codama's decoders do not check the discriminator: identify the account first
      assert.equal(identifyCrossMarginAccount(data), kind, name);
      assert.deepEqual(likeExpected(a.decoded, decode(data), name), a.decoded, name);
      n += 1;
    }
  }
  assert.equal(n, 1 + v.markets.length + v.marginAccounts.length + 1 + v.queuedActions.length);
  // the typed enums of the generated client
  const statuses = v.markets.map((m: Json) => getMarketDecoder().decode(fromB64(m.data)).status);
  assert.deepEqual(statuses, [MarketStatus.Active, MarketStatus.ReduceOnly, MarketStatus.Paused]);
  assert.deepEqual(v.queuedActions.map((q: Json) => getQueuedActionDecoder().decode(fromB64(q.data)).status).sort(), [ActionStatus.Queued, ActionStatus.Executed, ActionStatus.Cancelled]);
  assert.equal(symbolString(getMarketDecoder().decode(fromB64(v.markets[0].data)).symbol), v.markets[0].decoded.symbol);
});

test("the accounts the program wrote in the replay decode with the kit decoders", () => {
  const decoders = {
    [CrossMarginAccount.Exchange]: getExchangeDecoder(),
    [CrossMarginAccount.Market]: getMarketDecoder(),
    [CrossMarginAccount.MarginAccount]: getMarginAccountDecoder(),
    [CrossMarginAccount.TriggerOrders]: getTriggerOrdersDecoder(),
    [CrossMarginAccount.QueuedAction]: getQueuedActionDecoder(),
  };
  const all = [replay.exchange, ...replay.markets, ...replay.marginAccounts, ...(replay.queuedActions ?? []), ...(replay.triggerOrders ?? [])];
  for (const a of all) {
    const data = fromB64(a.data);
    const kind = identifyCrossMarginAccount(data);
    assert.ok(decoders[kind].decode(data) !== undefined);
  }
  const ex = getExchangeDecoder().decode(fromB64(replay.exchange.data));
  assert.equal(ex.marketCount, 2);
  assert.equal(ex.portfolioMarginEnabled, true);
  assert.deepEqual(replay.markets.map((m: Json) => symbolString(getMarketDecoder().decode(fromB64(m.data)).symbol)), ["ETH-PERP", "BTC-PERP"]);
  // each margin account against the Rust SDK's report of it: collateral and positions
  for (const a of replay.marginAccounts) {
    const d = getMarginAccountDecoder().decode(fromB64(a.data));
    assert.equal(d.collateral.toString(), a.report.collateral, a.name);
    assert.deepEqual(
      d.positions.filter((p) => p.base !== 0n).map((p) => [p.marketIndex, p.base.toString()]),
      a.report.positions.map((p: Json) => [p.marketIndex, p.base]),
      a.name,
    );
  }
  assert.deepEqual(replay.queuedActions.map((q: Json) => getQueuedActionDecoder().decode(fromB64(q.data)).status), replay.queuedActions.map(() => ActionStatus.Executed));
});

const signer = (s: string) => createNoopSigner(address(s));
const addr = (s: string): Address => address(s);

function accountLikeOf(j: Json): AccountLike & { owner: Address; subAccountId: number } {
  return { owner: address(j.owner), subAccountId: j.subAccountId, positions: j.positions.map((p: Json) => ({ marketIndex: p.marketIndex, base: BigInt(p.base) })) };
}

function oraclesOf(j: Json): OracleLookup {
  return new Map(Object.entries(j as Record<string, string>).map(([k, x]) => [Number(k), address(x)]));
}

const oracleFor = (i: Json): Address => oracleOf(oraclesOf(i.oracles), i.marketIndex);

const marginAccountOf = async (j: { owner: string | Address; subAccountId: number }): Promise<Address> =>
  (await findMarginAccountPda({ owner: address(j.owner), subAccountId: j.subAccountId }))[0];

/** The vectors' `AdminAction` JSON (the client's shape) as the generated codec's argument. */
function actionArgsOf(j: Json): AdminActionArgs {
  const [kind, b] = Object.entries(j as Record<string, Json>)[0] as [string, Json];
  const __kind = (kind.charAt(0).toUpperCase() + kind.slice(1)) as AdminActionArgs["__kind"];
  const params = (p: Json) => ({ ...p, baseLotSize: BigInt(p.baseLotSize), minPositionBase: BigInt(p.minPositionBase), openInterestCap: BigInt(p.openInterestCap) });
  switch (__kind) {
    case "AddMarket":
      return { __kind, symbol: symbolBytes(b.symbol), oracle: addr(b.oracle), oracleSource: b.oracleSource, pythFeedId: fromHex(b.pythFeedId), tokensPerContract: BigInt(b.tokensPerContract), params: params(b.params) };
    case "UpdateMarket":
      return { __kind, marketIndex: b.marketIndex, params: params(b.params) };
    case "SetOracle":
      return { __kind, marketIndex: b.marketIndex, oracle: addr(b.oracle), oracleSource: b.oracleSource, pythFeedId: fromHex(b.pythFeedId) };
    case "SetLookupTables":
      return { __kind, tables: b.tables.map(addr) };
    default:
      return { __kind, ...b } as AdminActionArgs;
  }
}

/** Builds vector `name` with the generated builders (PDAs derived where the IDL has seeds) and the health helpers. */
async function build(name: string, i: Json): Promise<Instruction> {
  const [exchange] = await findExchangePda();
  switch (name) {
    case "initialize_exchange":
      return getInitializeExchangeInstructionAsync({
        admin: signer(i.admin),
        collateralMint: addr(i.collateralMint),
        liquidationBuffer: i.liquidationBuffer,
        guardian: addr(i.guardian),
        timelockDelaySecs: i.timelockDelaySecs,
      });
    case "queue_admin_action":
      // the queued change's PDA is seeded by the exchange's next action id (account data): passed
      return getQueueAdminActionInstructionAsync({ admin: signer(i.admin), queuedAction: (await findQueuedActionPda({ actionId: BigInt(i.actionId) }))[0], action: actionArgsOf(i.action) });
    case "execute_admin_action":
      return getExecuteAdminActionInstructionAsync({
        executor: signer(i.executor),
        actionId: BigInt(i.actionId),
        market: i.market === null ? undefined : addr(i.market),
        oracle: i.oracle === null ? undefined : addr(i.oracle),
      });
    case "cancel_admin_action":
      return getCancelAdminActionInstructionAsync({ authority: signer(i.authority), actionId: BigInt(i.actionId) });
    case "set_market_status":
      return getSetMarketStatusInstructionAsync({ authority: signer(i.authority), marketIndex: i.marketIndex, status: i.status, durationSecs: i.durationSecs });
    case "accept_admin":
      return getAcceptAdminInstructionAsync({ newAdmin: signer(i.newAdmin) });
    case "settle_dead_market":
      return getSettleDeadMarketInstructionAsync({ marketIndex: i.marketIndex, oracle: oracleFor(i) });
    case "settle_position": {
      const account = accountLikeOf(i.account);
      const ix = await getSettlePositionInstructionAsync({ marketIndex: i.marketIndex, marginAccount: await marginAccountOf(account) });
      return mayCloseAccount(account) ? withWritable(ix, exchange) : ix;
    }
    case "create_margin_account":
      return getCreateMarginAccountInstructionAsync({ owner: signer(i.owner), subAccountId: i.subAccountId });
    case "close_margin_account":
      return getCloseMarginAccountInstructionAsync({ owner: signer(i.owner), subAccountId: i.subAccountId });
    case "set_delegate":
      return getSetDelegateInstructionAsync({
        owner: signer(i.owner),
        subAccountId: i.subAccountId,
        delegate: addr(i.delegate),
        limits: { ...i.limits, lossBudget: BigInt(i.limits.lossBudget) },
      });
    case "set_margin_mode": {
      const account = accountLikeOf(i.account);
      const ix = await getSetMarginModeInstructionAsync({ owner: signer(i.account.owner), subAccountId: account.subAccountId, mode: i.mode });
      return withRemainingAccounts(ix, await healthAccountMetas(healthMarketOrder([account]), oraclesOf(i.oracles)));
    }
    case "deposit":
      return getDepositInstructionAsync({ depositor: signer(i.depositor), marginAccount: await marginAccountOf(i.marginAccount), depositorToken: addr(i.depositorToken), amount: BigInt(i.amount) });
    case "deposit_insurance":
      return getDepositInsuranceInstructionAsync({ depositor: signer(i.depositor), depositorToken: addr(i.depositorToken), amount: BigInt(i.amount) });
    case "withdraw": {
      const account = accountLikeOf(i.account);
      const ix = await getWithdrawInstructionAsync({ owner: signer(i.account.owner), subAccountId: account.subAccountId, destination: addr(i.destination), amount: BigInt(i.amount) });
      return withRemainingAccounts(ix, await healthAccountMetas(healthMarketOrder([account]), oraclesOf(i.oracles)));
    }
    case "fill": {
      const taker = accountLikeOf(i.taker);
      const maker = accountLikeOf(i.maker);
      const oracles = oraclesOf(i.oracles);
      const ix = await getFillInstructionAsync({
        takerAuthority: signer(i.takerAuthority ?? i.taker.owner),
        makerAuthority: signer(i.makerAuthority ?? i.maker.owner),
        oracle: oracleOf(oracles, i.marketIndex),
        taker: await marginAccountOf(taker),
        maker: await marginAccountOf(maker),
        marketIndex: i.marketIndex,
        takerBaseDelta: BigInt(i.takerBaseDelta),
        price: BigInt(i.price),
      });
      return withRemainingAccounts(ix, await healthAccountMetas(healthMarketOrder([taker, maker], i.marketIndex), oracles));
    }
    case "create_trigger_orders":
      return getCreateTriggerOrdersInstructionAsync({ authority: signer(i.authority), marginAccount: await marginAccountOf(i.marginAccount) });
    case "close_trigger_orders":
      return getCloseTriggerOrdersInstructionAsync({ authority: signer(i.authority), marginAccount: await marginAccountOf(i.marginAccount), payer: addr(i.payer) });
    case "place_trigger_order": {
      const p = i.params;
      return getPlaceTriggerOrderInstructionAsync({
        authority: signer(i.authority),
        marginAccount: await marginAccountOf(i.marginAccount),
        oracle: oracleFor(i),
        marketIndex: i.marketIndex,
        kind: p.kind,
        triggerPrice: BigInt(p.triggerPrice),
        limitPrice: BigInt(p.limitPrice),
        size: BigInt(p.size),
        expiry: BigInt(p.expiry),
        premium: p.premium,
      });
    }
    case "cancel_trigger_order":
      return getCancelTriggerOrderInstructionAsync({ authority: signer(i.authority), marginAccount: await marginAccountOf(i.marginAccount), orderId: BigInt(i.orderId) });
    case "execute_trigger_order": {
      const trader = accountLikeOf(i.trader);
      const executor = accountLikeOf(i.executor);
      const oracles = oraclesOf(i.oracles);
      const ix = await getExecuteTriggerOrderInstructionAsync({
        executorAuthority: signer(i.executorAuthority ?? i.executor.owner),
        oracle: oracleOf(oracles, i.marketIndex),
        trader: await marginAccountOf(trader),
        executor: await marginAccountOf(executor),
        marketIndex: i.marketIndex,
        orderId: BigInt(i.orderId),
      });
      return withRemainingAccounts(ix, await healthAccountMetas(healthMarketOrder([trader, executor], i.marketIndex), oracles));
    }
    case "update_funding":
      return getUpdateFundingInstructionAsync({ marketIndex: i.marketIndex, oracle: oracleFor(i) });
    case "settle_funding": {
      const account = accountLikeOf(i.account);
      return withRemainingAccounts(getSettleFundingInstruction({ marginAccount: await marginAccountOf(account) }), await fundingMetas(account));
    }
    case "liquidate": {
      const liquidatee = accountLikeOf(i.liquidatee);
      const liquidator = accountLikeOf(i.liquidator);
      const oracles = oraclesOf(i.oracles);
      const ix = await getLiquidateInstructionAsync({
        liquidatorAuthority: signer(i.liquidatorAuthority ?? i.liquidator.owner),
        oracle: oracleOf(oracles, i.marketIndex),
        liquidator: await marginAccountOf(liquidator),
        liquidatee: await marginAccountOf(liquidatee),
        marketIndex: i.marketIndex,
        maxBase: BigInt(i.maxBase),
        limitPrice: BigInt(i.limitPrice),
      });
      const withHealth = withRemainingAccounts(ix, await healthAccountMetas(healthMarketOrder([liquidatee, liquidator], i.marketIndex), oracles));
      return mayCloseAccount(liquidatee) ? withWritable(withHealth, exchange) : withHealth;
    }
    case "liquidate_portfolio": {
      const liquidatee = accountLikeOf(i.liquidatee);
      const liquidator = accountLikeOf(i.liquidator);
      const ix = await getLiquidatePortfolioInstructionAsync({
        liquidatorAuthority: signer(i.liquidatorAuthority ?? i.liquidator.owner),
        liquidator: await marginAccountOf(liquidator),
        liquidatee: await marginAccountOf(liquidatee),
        maxFraction: BigInt(i.maxFraction),
      });
      const withHealth = withRemainingAccounts(ix, await portfolioLiquidationMetas(liquidatee, liquidator, oraclesOf(i.oracles)));
      return i.mayCloseAccount ? withWritable(withHealth, exchange) : withHealth;
    }
    default:
      throw new Error(`no builder for ${name}`);
  }
}

const metas = (ix: Instruction) =>
  (ix.accounts ?? []).map((m) => {
    const role = (m as AccountMeta).role;
    return { pubkey: m.address as string, isSigner: role === AccountRole.READONLY_SIGNER || role === AccountRole.WRITABLE_SIGNER, isWritable: role === AccountRole.WRITABLE || role === AccountRole.WRITABLE_SIGNER };
  });

test("every instruction vector builds with the kit builders byte for byte: data, accounts, signer and writable flags", async () => {
  const names = new Set<string>();
  for (const c of v.instructions) {
    const built = await build(c.name, c.inputs);
    names.add(c.name);
    assert.equal(built.programAddress, c.programId, c.name);
    assert.deepEqual(metas(built), c.accounts, c.name);
    assert.equal(toHex(built.data ?? new Uint8Array()), c.data, c.name);
    // and the generated parser names it
    assert.equal(CrossMarginInstruction[identifyCrossMarginInstruction(built.data ?? new Uint8Array())], c.name.replace(/(^|_)([a-z])/g, (_: string, __: string, ch: string) => ch.toUpperCase()), c.name);
  }
  // every instruction of the program has a vector
  const all = Object.keys(CrossMarginInstruction).filter((k) => Number.isNaN(Number(k)));
  assert.deepEqual(all.map((k) => k.replace(/[A-Z]/g, (c, at: number) => `${at === 0 ? "" : "_"}${c.toLowerCase()}`)).sort(), [...names].sort());
  // the sync builder with every account given is the async one
  const d = v.instructions.find((c: Json) => c.name === "deposit");
  const sync = getDepositInstruction({
    depositor: signer(d.inputs.depositor),
    exchange: (await findExchangePda())[0],
    marginAccount: await marginAccountOf(d.inputs.marginAccount),
    vault: (await findVaultPda())[0],
    depositorToken: addr(d.inputs.depositorToken),
    amount: BigInt(d.inputs.amount),
  });
  assert.deepEqual(metas(sync), d.accounts);
  assert.equal(toHex(sync.data), d.data);
});

test("events decode from each replayed transaction's logs to the values Rust decoded", () => {
  let checked = 0;
  for (const step of replay.steps) {
    const events = parseEvents(step.logs);
    assert.deepEqual(events.map((e) => e.name), step.events.map((e: Json) => e.name), step.step);
    events.forEach((e, i) => {
      const expected = step.events[i].data;
      if (expected === null) return;
      const got = likeExpected(expected, Object.fromEntries(Object.entries(e.data).filter(([k]) => k in expected)), `${step.step}: ${e.name}`);
      assert.deepEqual(got, expected, `${step.step}: ${e.name}`);
      checked += 1;
    });
    // narrowing on the name types the data
    for (const e of events) if (e.name === "Filled") assert.equal(typeof e.data.price, "bigint");
  }
  assert.ok(checked >= 8);
  assert.equal(Object.keys(EVENTS).length, 29);
  // another program's data lines are not ours; our data without a known discriminator is an error
  assert.deepEqual(parseEvents(["Program 11111111111111111111111111111111 invoke [1]", "Program data: AAAA", "Program 11111111111111111111111111111111 success"]), []);
  const ours = (data: string) => [`Program ${CROSS_MARGIN_PROGRAM_ADDRESS} invoke [1]`, `Program data: ${data}`, `Program ${CROSS_MARGIN_PROGRAM_ADDRESS} success`];
  assert.throws(() => parseEvents(ours(Buffer.alloc(16).toString("base64"))), /no event of the program/);
  // the QueuedAction bytes of an AddMarket, as the AdminActionQueued event carries them
  const q = v.queuedActions.find((x: Json) => "addMarket" in x.decoded.action);
  const d = fromB64(q.data);
  const event = Buffer.concat([EVENTS.AdminActionQueued.discriminator, d.subarray(8, 48), d.subarray(56, 64), d.subarray(73, d.length - 1)]);
  const [e] = parseEvents(ours(event.toString("base64")));
  assert.ok(e !== undefined && e.name === "AdminActionQueued");
  assert.deepEqual(likeExpected(q.decoded.action, e.data.action, "action"), q.decoded.action);
  assert.throws(() => parseEvents(ours(Buffer.concat([event, Buffer.alloc(1)]).toString("base64"))), /1 bytes left over/);
});
