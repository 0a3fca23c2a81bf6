// One builder per instruction. The account list, its order and the signer / writable flags come
// from the IDL; the data from Anchor's coder; every PDA and the health accounts are derived here,
// so a frontend passes only what it chooses (who signs, which account, how much).
import { type AccountMeta, PublicKey, TransactionInstruction } from "@solana/web3.js";

import type { AdminAction } from "./accounts.js";
import { coder, idlInstruction, toIdl } from "./idl.js";
import { PROGRAM_ID, type MarginMode, type MarketStatus, type TriggerKind } from "./constants.js";
import {
  type AccountLike,
  fundingMetas,
  healthMarketOrder,
  healthMetas,
  mayCloseAccount,
  type OracleLookup,
  oracleOf,
  portfolioLiquidationMetas,
} from "./health.js";
import {
  adminActionAddress,
  exchangeAddress,
  marginAccountAddress,
  marketAddress,
  programDataAddress,
  triggerOrdersAddress,
  vaultAddress,
} from "./pda.js";

/** A margin account, by address or by (owner, sub-account id). */
export type MarginAccountRef = PublicKey | { owner: PublicKey; subAccountId: number };

export function marginAccountKey(ref: MarginAccountRef): PublicKey {
  // structural, not `instanceof`: an app may hold PublicKeys from another copy of web3.js
  return "subAccountId" in ref ? marginAccountAddress(ref.owner, ref.subAccountId) : new PublicKey(ref.toBytes());
}

/**
 * The instruction `name` with these accounts (by IDL name; fixed program addresses come from the
 * IDL; an optional account must be named, `null` when absent), these arguments (exactly the IDL's
 * names, values as `toIdl` takes them, so a misspelt or missing argument or struct field is an
 * error rather than a silent zero) and these remaining accounts. An absent optional account is
 * passed as the program id, as Anchor expects.
 */
export function buildInstruction(
  name: string,
  accounts: Record<string, PublicKey | null>,
  args: Record<string, unknown>,
  remaining: AccountMeta[] = [],
): TransactionInstruction {
  const ix = idlInstruction(name);
  const given = new Set(Object.keys(accounts));
  const keys: AccountMeta[] = ix.accounts.map((a) => {
    if (!("name" in a) || "accounts" in a) throw new Error(`${name}: nested account groups are not used`);
    const optional = a.optional === true;
    const value = accounts[a.name];
    given.delete(a.name);
    if (optional) {
      if (value === undefined) throw new Error(`${name}: optional account ${a.name} must be given (null when absent)`);
      if (value === null) return { pubkey: PROGRAM_ID, isSigner: false, isWritable: false };
    }
    const pubkey = value ?? (a.address === undefined ? undefined : new PublicKey(a.address));
    if (pubkey === undefined) throw new Error(`${name}: account ${a.name} is missing`);
    return { pubkey: new PublicKey(pubkey.toBytes()), isSigner: a.signer === true, isWritable: a.writable === true };
  });
  if (given.size > 0) throw new Error(`${name}: unknown accounts ${[...given].join(", ")}`);
  const expected = ix.args.map((a) => a.name).sort();
  const got = Object.keys(args).sort();
  if (expected.join() !== got.join()) {
    throw new Error(`${name}: arguments are ${expected.join(", ") || "none"}, got ${got.join(", ") || "none"}`);
  }
  const data = Object.fromEntries(ix.args.map((a) => [a.name, toIdl(a.type, args[a.name], `${name}.${a.name}`, a.name)]));
  return new TransactionInstruction({
    programId: PROGRAM_ID,
    keys: [...keys, ...remaining],
    data: coder.instruction.encode(name, data),
  });
}

/** Marks `key`'s metas writable (the exchange, when a step may resolve a bankruptcy). */
function writable(ix: TransactionInstruction, key: PublicKey): TransactionInstruction {
  for (const m of ix.keys) if (m.pubkey.equals(key)) m.isWritable = true;
  return ix;
}

/** A market symbol as the program stores it: UTF-8, NUL-padded to 16 bytes. */
export function symbolBytes(symbol: string): number[] {
  const b = new TextEncoder().encode(symbol);
  if (b.length === 0 || b.length > 16) throw new RangeError(`a symbol is 1 to 16 bytes: ${symbol}`);
  return [...b, ...new Array<number>(16 - b.length).fill(0)];
}

/** A Pyth feed id from 32 bytes or 64 hex digits (an optional 0x prefix). */
export function feedIdBytes(id: Uint8Array | string): number[] {
  if (typeof id !== "string") {
    if (id.length !== 32) throw new RangeError("a feed id is 32 bytes");
    return [...id];
  }
  const hex = id.startsWith("0x") ? id.slice(2) : id;
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new RangeError(`a feed id is 64 hex digits: ${id}`);
  return Array.from({ length: 32 }, (_, i) => parseInt(hex.slice(2 * i, 2 * i + 2), 16));
}

/** What a delegate may do (`set_delegate`). */
export interface DelegateLimits {
  /** Largest |price - oracle| / oracle of a fill it signs (ppm). */
  maxPriceDeviation: number;
  /** Most its fills may cost the account per period (quote native). */
  lossBudget: bigint;
  periodSecs: number;
  /** Only fills that shrink positions. */
  reduceOnly: boolean;
}

/** A stop-loss or take-profit (`place_trigger_order`). */
export interface TriggerOrderParams {
  kind: TriggerKind;
  triggerPrice: bigint;
  /** The worst price accepted: a long sells at or above it, a short buys at or below. */
  limitPrice: bigint;
  /** Base to close; 0: the whole position at execution. */
  size: bigint;
  expiry: bigint;
  /** The executor's premium, ppm of notional. */
  premium: number;
}

// ------------------------------------------------------------------------------------- admin

/** Creates the exchange: the program's upgrade authority signs and becomes admin. */
export function initializeExchange(a: {
  admin: PublicKey;
  collateralMint: PublicKey;
  /** Extra margin over maintenance a liquidation restores (ppm). */
  liquidationBuffer: number;
  /** May cancel queued changes and set a protective status (`PublicKey.default`: none). */
  guardian: PublicKey;
  /** How long a queued admin change waits (1 to 30 days). */
  timelockDelaySecs: number;
}): TransactionInstruction {
  return buildInstruction(
    "initialize_exchange",
    { admin: a.admin, exchange: exchangeAddress(), collateral_mint: a.collateralMint, vault: vaultAddress(), program_data: programDataAddress() },
    { liquidation_buffer: a.liquidationBuffer, guardian: a.guardian, timelock_delay_secs: a.timelockDelaySecs },
  );
}

/** Queues `action` as change number `actionId`, which must be the exchange's `nextActionId`. */
export function queueAdminAction(a: { admin: PublicKey; actionId: bigint; action: AdminAction }): TransactionInstruction {
  return buildInstruction(
    "queue_admin_action",
    { admin: a.admin, exchange: exchangeAddress(), queued_action: adminActionAddress(a.actionId) },
    { action: a.action },
  );
}

/**
 * The accounts a queued change names when executed: `addMarket` the new market (at the
 * exchange's market count when it executes) and its oracle; `updateMarket` and `settleMarket` the
 * market; `setOracle` the market and the new oracle; the others none.
 */
export function actionAccounts(action: AdminAction, nextMarketIndex: number): { market: PublicKey | null; oracle: PublicKey | null } {
  if ("addMarket" in action) return { market: marketAddress(nextMarketIndex), oracle: action.addMarket.oracle };
  if ("updateMarket" in action) return { market: marketAddress(action.updateMarket.marketIndex), oracle: null };
  if ("settleMarket" in action) return { market: marketAddress(action.settleMarket.marketIndex), oracle: null };
  if ("setOracle" in action) return { market: marketAddress(action.setOracle.marketIndex), oracle: action.setOracle.oracle };
  return { market: null, oracle: null };
}

/** Executes queued change `actionId` once due (anyone; pays a new market's rent). `market` / `oracle` from `actionAccounts`. */
export function executeAdminAction(a: {
  executor: PublicKey;
  actionId: bigint;
  market: PublicKey | null;
  oracle: PublicKey | null;
}): TransactionInstruction {
  return buildInstruction(
    "execute_admin_action",
    { executor: a.executor, exchange: exchangeAddress(), queued_action: adminActionAddress(a.actionId), market: a.market, oracle: a.oracle },
    { action_id: a.actionId },
  );
}

/** Cancels queued change `actionId` (the admin or the guardian signs). */
export function cancelAdminAction(a: { authority: PublicKey; actionId: bigint }): TransactionInstruction {
  return buildInstruction(
    "cancel_admin_action",
    { authority: a.authority, exchange: exchangeAddress(), queued_action: adminActionAddress(a.actionId) },
    { action_id: a.actionId },
  );
}

export function acceptAdmin(a: { newAdmin: PublicKey }): TransactionInstruction {
  return buildInstruction("accept_admin", { new_admin: a.newAdmin, exchange: exchangeAddress() }, {});
}

/** A protective status (ReduceOnly, Paused) for `durationSecs`, or Active (the admin or the guardian signs). */
export function setMarketStatus(a: { authority: PublicKey; marketIndex: number; status: MarketStatus; durationSecs: number }): TransactionInstruction {
  return buildInstruction(
    "set_market_status",
    { authority: a.authority, exchange: exchangeAddress(), market: marketAddress(a.marketIndex) },
    { market_index: a.marketIndex, status: a.status, duration_secs: a.durationSecs },
  );
}

/** Settles a market whose oracle has been dead for 3 days, at its last recorded price (anyone). */
export function settleDeadMarket(a: { marketIndex: number; oracles: OracleLookup }): TransactionInstruction {
  return buildInstruction(
    "settle_dead_market",
    { market: marketAddress(a.marketIndex), oracle: oracleOf(a.oracles, a.marketIndex) },
    { market_index: a.marketIndex },
  );
}

/**
 * Closes an account's position in a settled market at the settlement price (anyone). When it is
 * the account's last position (or `mayCloseAccount` says so) the exchange is writable, for a
 * bankruptcy.
 */
export function settlePosition(a: { marketIndex: number; account: AccountLike; mayCloseAccount?: boolean }): TransactionInstruction {
  const ix = buildInstruction(
    "settle_position",
    { exchange: exchangeAddress(), market: marketAddress(a.marketIndex), margin_account: marginAccountKeyOf(a.account) },
    { market_index: a.marketIndex },
  );
  return (a.mayCloseAccount ?? mayCloseAccount(a.account)) ? writable(ix, exchangeAddress()) : ix;
}

// ------------------------------------------------------------------------------------- user

function marginAccountKeyOf(account: AccountLike): PublicKey {
  return marginAccountAddress(account.owner, account.subAccountId);
}

export function createMarginAccount(a: { owner: PublicKey; subAccountId: number }): TransactionInstruction {
  return buildInstruction(
    "create_margin_account",
    { owner: a.owner, margin_account: marginAccountAddress(a.owner, a.subAccountId) },
    { sub_account_id: a.subAccountId },
  );
}

/** Closes the owner's (empty) sub-account. */
export function closeMarginAccount(a: { owner: PublicKey; subAccountId: number }): TransactionInstruction {
  return buildInstruction(
    "close_margin_account",
    { owner: a.owner, margin_account: marginAccountAddress(a.owner, a.subAccountId) },
    { sub_account_id: a.subAccountId },
  );
}

/** Lets `delegate` trade for the account within `limits` (`PublicKey.default` removes the delegate). */
export function setDelegate(a: { owner: PublicKey; subAccountId: number; delegate: PublicKey; limits: DelegateLimits }): TransactionInstruction {
  return buildInstruction(
    "set_delegate",
    { owner: a.owner, margin_account: marginAccountAddress(a.owner, a.subAccountId) },
    { sub_account_id: a.subAccountId, delegate: a.delegate, limits: a.limits },
  );
}

/** Switches the account's margin mode (the owner signs; the account's health accounts follow). */
export function setMarginMode(a: { account: AccountLike; mode: MarginMode; oracles: OracleLookup }): TransactionInstruction {
  return buildInstruction(
    "set_margin_mode",
    { owner: a.account.owner, exchange: exchangeAddress(), margin_account: marginAccountKeyOf(a.account) },
    { sub_account_id: a.account.subAccountId, mode: a.mode },
    healthMetas(healthMarketOrder([a.account]), a.oracles),
  );
}

/** Moves `amount` USDC (native units) from the depositor's token account into a margin account. */
export function deposit(a: {
  depositor: PublicKey;
  marginAccount: MarginAccountRef;
  depositorToken: PublicKey;
  amount: bigint;
}): TransactionInstruction {
  return buildInstruction(
    "deposit",
    {
      depositor: a.depositor,
      exchange: exchangeAddress(),
      margin_account: marginAccountKey(a.marginAccount),
      vault: vaultAddress(),
      depositor_token: a.depositorToken,
    },
    { amount: a.amount },
  );
}

export function depositInsurance(a: { depositor: PublicKey; depositorToken: PublicKey; amount: bigint }): TransactionInstruction {
  return buildInstruction(
    "deposit_insurance",
    { depositor: a.depositor, exchange: exchangeAddress(), vault: vaultAddress(), depositor_token: a.depositorToken },
    { amount: a.amount },
  );
}

/** Withdraws to `destination` (a USDC token account); the owner signs. */
export function withdraw(a: { account: AccountLike; destination: PublicKey; amount: bigint; oracles: OracleLookup }): TransactionInstruction {
  return buildInstruction(
    "withdraw",
    {
      owner: a.account.owner,
      exchange: exchangeAddress(),
      margin_account: marginAccountKeyOf(a.account),
      vault: vaultAddress(),
      destination: a.destination,
    },
    { sub_account_id: a.account.subAccountId, amount: a.amount },
    healthMetas(healthMarketOrder([a.account]), a.oracles),
  );
}

// ------------------------------------------------------------------------------------- trading

/**
 * A fill between a taker and a market maker at `price` (1e-6 USDC per whole contract): the
 * taker's base changes by `takerBaseDelta`, the maker's by its opposite. Both authorities (owner
 * or delegate; the owners by default) sign the same transaction.
 */
export function fill(a: {
  taker: AccountLike;
  maker: AccountLike;
  takerAuthority?: PublicKey;
  makerAuthority?: PublicKey;
  marketIndex: number;
  takerBaseDelta: bigint;
  price: bigint;
  oracles: OracleLookup;
}): TransactionInstruction {
  return buildInstruction(
    "fill",
    {
      taker_authority: a.takerAuthority ?? a.taker.owner,
      maker_authority: a.makerAuthority ?? a.maker.owner,
      exchange: exchangeAddress(),
      market: marketAddress(a.marketIndex),
      oracle: oracleOf(a.oracles, a.marketIndex),
      taker: marginAccountKeyOf(a.taker),
      maker: marginAccountKeyOf(a.maker),
    },
    { market_index: a.marketIndex, taker_base_delta: a.takerBaseDelta, price: a.price },
    healthMetas(healthMarketOrder([a.taker, a.maker], a.marketIndex), a.oracles),
  );
}

/** The margin account's trigger-order account (the owner or delegate signs and pays its rent). */
export function createTriggerOrders(a: { authority: PublicKey; marginAccount: MarginAccountRef }): TransactionInstruction {
  const account = marginAccountKey(a.marginAccount);
  return buildInstruction(
    "create_trigger_orders",
    { authority: a.authority, margin_account: account, trigger_orders: triggerOrdersAddress(account) },
    {},
  );
}

/** Closes an empty trigger-order account; `payer` (who paid its rent) gets it back. */
export function closeTriggerOrders(a: { authority: PublicKey; marginAccount: MarginAccountRef; payer: PublicKey }): TransactionInstruction {
  const account = marginAccountKey(a.marginAccount);
  return buildInstruction(
    "close_trigger_orders",
    { authority: a.authority, margin_account: account, trigger_orders: triggerOrdersAddress(account), payer: a.payer },
    {},
  );
}

/** Places a stop-loss or take-profit on the account's position in `marketIndex` (owner or delegate). */
export function placeTriggerOrder(a: {
  authority: PublicKey;
  marginAccount: MarginAccountRef;
  marketIndex: number;
  params: TriggerOrderParams;
  oracles: OracleLookup;
}): TransactionInstruction {
  const account = marginAccountKey(a.marginAccount);
  return buildInstruction(
    "place_trigger_order",
    {
      authority: a.authority,
      margin_account: account,
      trigger_orders: triggerOrdersAddress(account),
      market: marketAddress(a.marketIndex),
      oracle: oracleOf(a.oracles, a.marketIndex),
    },
    { market_index: a.marketIndex, params: a.params },
  );
}

export function cancelTriggerOrder(a: { authority: PublicKey; marginAccount: MarginAccountRef; orderId: bigint }): TransactionInstruction {
  const account = marginAccountKey(a.marginAccount);
  return buildInstruction(
    "cancel_trigger_order",
    { authority: a.authority, margin_account: account, trigger_orders: triggerOrdersAddress(account) },
    { order_id: a.orderId },
  );
}

/**
 * Executes `trader`'s trigger order `orderId` once its price is reached: the executor's account
 * takes the other side at the oracle price less the order's premium (a keeper's crank).
 */
export function executeTriggerOrder(a: {
  executor: AccountLike;
  executorAuthority?: PublicKey;
  trader: AccountLike;
  marketIndex: number;
  orderId: bigint;
  oracles: OracleLookup;
}): TransactionInstruction {
  const trader = marginAccountKeyOf(a.trader);
  return buildInstruction(
    "execute_trigger_order",
    {
      executor_authority: a.executorAuthority ?? a.executor.owner,
      exchange: exchangeAddress(),
      market: marketAddress(a.marketIndex),
      oracle: oracleOf(a.oracles, a.marketIndex),
      trader,
      executor: marginAccountKeyOf(a.executor),
      trigger_orders: triggerOrdersAddress(trader),
    },
    { market_index: a.marketIndex, order_id: a.orderId },
    healthMetas(healthMarketOrder([a.trader, a.executor], a.marketIndex), a.oracles),
  );
}

// ------------------------------------------------------------------------------------- keepers

/** Advances a market's funding indices (permissionless; the keepers' crank). */
export function updateFunding(a: { marketIndex: number; oracles: OracleLookup }): TransactionInstruction {
  return buildInstruction(
    "update_funding",
    { exchange: exchangeAddress(), market: marketAddress(a.marketIndex), oracle: oracleOf(a.oracles, a.marketIndex) },
    { market_index: a.marketIndex },
  );
}

/** Realizes an account's unsettled funding into its collateral (permissionless). */
export function settleFunding(a: { account: AccountLike }): TransactionInstruction {
  return buildInstruction("settle_funding", { margin_account: marginAccountKeyOf(a.account) }, {}, fundingMetas(a.account));
}

/**
 * One liquidation step: the liquidator takes over up to `maxBase` of the liquidatee's position in
 * `marketIndex`, at a price no worse for it than `limitPrice`. When the step may take the
 * liquidatee's last position (by default: it holds at most one) the exchange is writable, for a
 * bankruptcy.
 */
export function liquidate(a: {
  liquidator: AccountLike;
  liquidatee: AccountLike;
  liquidatorAuthority?: PublicKey;
  marketIndex: number;
  maxBase: bigint;
  limitPrice: bigint;
  oracles: OracleLookup;
  mayCloseAccount?: boolean;
}): TransactionInstruction {
  const ix = buildInstruction(
    "liquidate",
    {
      liquidator_authority: a.liquidatorAuthority ?? a.liquidator.owner,
      exchange: exchangeAddress(),
      market: marketAddress(a.marketIndex),
      oracle: oracleOf(a.oracles, a.marketIndex),
      liquidator: marginAccountKeyOf(a.liquidator),
      liquidatee: marginAccountKeyOf(a.liquidatee),
    },
    { market_index: a.marketIndex, max_base: a.maxBase, limit_price: a.limitPrice },
    healthMetas(healthMarketOrder([a.liquidatee, a.liquidator], a.marketIndex), a.oracles),
  );
  return (a.mayCloseAccount ?? mayCloseAccount(a.liquidatee)) ? writable(ix, exchangeAddress()) : ix;
}

/**
 * A portfolio-margin liquidation step: the liquidator takes the same slice (`maxFraction`, 1e9 =
 * all) of every position. `mayCloseAccount`: the slice may take everything (the exchange is then
 * writable, for a bankruptcy).
 */
export function liquidatePortfolio(a: {
  liquidator: AccountLike;
  liquidatee: AccountLike;
  liquidatorAuthority?: PublicKey;
  maxFraction: bigint;
  mayCloseAccount: boolean;
  oracles: OracleLookup;
}): TransactionInstruction {
  const ix = buildInstruction(
    "liquidate_portfolio",
    {
      liquidator_authority: a.liquidatorAuthority ?? a.liquidator.owner,
      exchange: exchangeAddress(),
      liquidator: marginAccountKeyOf(a.liquidator),
      liquidatee: marginAccountKeyOf(a.liquidatee),
    },
    { max_fraction: a.maxFraction },
    portfolioLiquidationMetas(a.liquidatee, a.liquidator, a.oracles),
  );
  return a.mayCloseAccount ? writable(ix, exchangeAddress()) : ix;
}

