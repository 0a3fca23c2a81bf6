// Decoders for the program's five account types. Market, MarginAccount and TriggerOrders are
// `repr(C)` zero-copy structs whose padding the IDL spells out as fields, so Anchor's sequential
// decoding lands on the Rust offsets; Exchange and QueuedAction are Borsh. Each decoder checks the
// size and the discriminator first; integers come out as bigint (64-bit) or number.
import type BN from "bn.js";
import { PublicKey } from "@solana/web3.js";
import { Buffer } from "buffer";

import { MarketStatus, OracleSource, PROGRAM_ID, TriggerOrderFlags, type ActionStatus, type MarginMode, type TriggerKind } from "./constants.js";
import { coder, fromIdl, IDL } from "./idl.js";

/** Account sizes on chain, discriminator included (zero-copy accounts: exact). */
export const MARKET_SIZE = 456;
export const MARGIN_ACCOUNT_SIZE = 760;
export const TRIGGER_ORDERS_SIZE = 1880;
/** Exchange: allocated size (4 lookup tables), and the least a valid one holds (none). */
export const EXCHANGE_SIZE = 409;
export const EXCHANGE_MIN_SIZE = 281;
/** QueuedAction: allocated size (its largest action), and the least a valid one holds. */
export const QUEUED_ACTION_SIZE = 245;
export const QUEUED_ACTION_MIN_SIZE = 76;

export interface Exchange {
  admin: PublicKey;
  pendingAdmin: PublicKey;
  /** May cancel queued changes and set a protective market status; `PublicKey.default`: none. */
  guardian: PublicKey;
  collateralMint: PublicKey;
  vault: PublicKey;
  insuranceBalance: bigint;
  badDebt: bigint;
  socializedLoss: bigint;
  /** The id the next queued admin change gets (changes 0 .. nextActionId - 1 exist). */
  nextActionId: bigint;
  liquidationBuffer: number;
  timelockDelaySecs: number;
  marketCount: number;
  portfolioMarginEnabled: boolean;
  bump: number;
  vaultBump: number;
  /** The address lookup tables clients compile v0 transactions against. */
  lookupTables: PublicKey[];
}

/** Risk and trading parameters of a market (ratios and fees in ppm). */
export interface MarketParams {
  initialMarginRatio: number;
  maintenanceMarginRatio: number;
  liquidationFee: number;
  insuranceFee: number;
  upnlInitialWeight: number;
  takerFee: number;
  /** Negative: a rebate. */
  makerFee: number;
  priceBand: number;
  maxConfRatio: number;
  maxOracleAgeSecs: number;
  liquidationMaxOracleAgeSecs: number;
  maxFundingPremium: number;
  fundingPeriodSecs: number;
  baseLotSize: bigint;
  minPositionBase: bigint;
  openInterestCap: bigint;
  /** Portfolio margin: the group whose systematic risk the market shares (0: none). */
  marginGroup: number;
  /** Portfolio margin: the share of the market's margin its group may offset (ppm, at most 75%). */
  systematicShare: number;
}

/** The running sums of the current funding period. */
export interface FundingAccumulator {
  /** Sum of oracle price * seconds (stored as two u64 words, lo and hi, of an i128). */
  oracleSum: bigint;
  lastUpdateTs: bigint;
  /** The last oracle price a writer of the market observed. */
  lastOraclePrice: bigint;
  fillNotional: bigint;
  fillPremium: bigint;
}

export interface Market extends MarketParams {
  oracle: PublicKey;
  pythFeedId: Uint8Array;
  /** The symbol, NUL padding removed. */
  symbol: string;
  openInterestLong: bigint;
  openInterestShort: bigint;
  cumulativeFundingLong: bigint;
  cumulativeFundingShort: bigint;
  markTwap: bigint;
  oracleTwap: bigint;
  lastFundingTs: bigint;
  /** The last premium applied, ppm per day (positive: longs pay). */
  lastFundingRate: bigint;
  lastOraclePublishTime: bigint;
  funding: FundingAccumulator;
  insuranceFeesPending: bigint;
  /** A settled market: the price every position closes at, and when. */
  settlementPrice: bigint;
  settledAt: bigint;
  /** A protective status (ReduceOnly, Paused) is back to Active from this time unless renewed. */
  statusExpiresAt: bigint;
  /** A contract is 10^unitExponent tokens; prices are per contract. */
  unitExponent: number;
  marketIndex: number;
  /** Where the price comes from (`OracleSource.PythPull`, `OracleSource.PythLegacy`). */
  oracleSource: OracleSource;
  /** `MarketStatus`: Active, ReduceOnly, Paused (the two protective ones expire), Settled. */
  status: MarketStatus;
  bump: number;
}

export interface Position {
  marketIndex: number;
  /** Signed base amount (1e9 per whole contract); 0 marks a free slot. */
  base: bigint;
  /** Quote amount: minus the cost of the position, plus realized pnl not yet moved out. */
  quote: bigint;
  /** The funding index the position last settled at. */
  fundingSnapshot: bigint;
}

export interface MarginAccount {
  owner: PublicKey;
  /** Trades for the owner within the delegate limits; never withdraws. `PublicKey.default`: none. */
  delegate: PublicKey;
  collateral: bigint;
  totalDeposits: bigint;
  totalWithdrawals: bigint;
  totalFeesPaid: bigint;
  totalFundingPaid: bigint;
  totalRealizedPnl: bigint;
  subAccountId: number;
  beingLiquidated: boolean;
  bump: number;
  /** All 16 slots, free ones included (their base is 0). */
  positions: Position[];
  totalRebates: bigint;
  totalDeficitCovered: bigint;
  /** `MarginMode` (0 standard, 1 portfolio). */
  marginMode: number;
  delegateReduceOnly: boolean;
  delegateMaxDeviation: number;
  delegatePeriodSecs: number;
  delegateLossBudget: bigint;
  delegatePeriodStart: bigint;
  delegatePeriodSpent: bigint;
  totalDelegateCost: bigint;
}

export interface TriggerOrder {
  id: bigint;
  triggerPrice: bigint;
  limitPrice: bigint;
  /** Base to close; 0: the whole position at execution. */
  size: bigint;
  expiry: bigint;
  placedAt: bigint;
  /** The executor's premium (ppm of notional). */
  premium: number;
  marketIndex: number;
  /** `TriggerKind` (0 stop-loss, 1 take-profit). */
  kind: number;
  /** `TriggerOrderFlags`: IN_USE, LONG (reduces a long), BY_DELEGATE. */
  flags: number;
}

export interface TriggerOrders {
  marginAccount: PublicKey;
  /** Who paid the rent (gets it back on close). */
  payer: PublicKey;
  nextOrderId: bigint;
  bump: number;
  /** All 32 slots; a free one has no IN_USE flag. */
  orders: TriggerOrder[];
}

/** A change the admin can queue (`AdminAction`): exactly one variant. */
export type AdminAction =
  | {
      addMarket: {
        symbol: string;
        oracle: PublicKey;
        oracleSource: OracleSource;
        pythFeedId: Uint8Array;
        /** A contract is this many tokens (a power of ten). */
        tokensPerContract: bigint;
        params: MarketParams;
      };
    }
  | { updateMarket: { marketIndex: number; params: MarketParams } }
  | { setOracle: { marketIndex: number; oracle: PublicKey; oracleSource: OracleSource; pythFeedId: Uint8Array } }
  | { setLookupTables: { tables: PublicKey[] } }
  | { transferAdmin: { newAdmin: PublicKey } }
  | { setGuardian: { guardian: PublicKey } }
  | { setTimelockDelay: { delaySecs: number } }
  | { setLiquidationBuffer: { buffer: number } }
  | { settleMarket: { marketIndex: number } }
  | { setPortfolioMargin: { enabled: boolean } };

/** The variant names of `AdminAction`. */
export type AdminActionKind = AdminAction extends infer A ? (A extends unknown ? keyof A : never) : never;

export function adminActionKind(a: AdminAction): AdminActionKind {
  return Object.keys(a)[0] as AdminActionKind;
}

export interface QueuedAction {
  id: bigint;
  proposer: PublicKey;
  queuedAt: bigint;
  /** Anyone may execute it from this time on. */
  executeAfter: bigint;
  /** `ActionStatus` (0 queued, 1 executed, 2 cancelled). */
  status: ActionStatus;
  /** When it was executed or cancelled (0 while queued). */
  resolvedAt: bigint;
  action: AdminAction;
  bump: number;
}

export class DecodeError extends Error {}

type Raw = Record<string, unknown>;
type AccountName = "Exchange" | "Market" | "MarginAccount" | "TriggerOrders" | "QueuedAction";

function big(v: unknown): bigint {
  return BigInt((v as BN).toString());
}

function num(v: unknown): number {
  return v as number;
}

/** A `u8` field that holds an enum's index (zero-copy accounts store them so): refused when out of range. */
function enumValue<E extends Record<string, number>>(account: AccountName, field: string, e: E, v: unknown): E[keyof E] {
  const values = Object.values(e);
  if (!values.includes(v as number)) {
    throw new DecodeError(`${account}: ${field} ${String(v)} is not one of ${Object.entries(e).map(([k, x]) => `${x} ${k}`).join(", ")}`);
  }
  return v as E[keyof E];
}

function key(v: unknown): PublicKey {
  return new PublicKey((v as PublicKey).toBytes());
}

/** The 8-byte Anchor discriminator of an account type. */
export function accountDiscriminator(name: AccountName): Uint8Array {
  const disc = IDL.accounts?.find((a) => a.name === name)?.discriminator;
  if (disc === undefined) throw new Error(`the IDL has no account ${name}`);
  return Uint8Array.from(disc);
}

/** Whether `data` starts with the discriminator of `name`. */
export function isAccount(name: AccountName, data: Uint8Array): boolean {
  const disc = accountDiscriminator(name);
  return data.length >= 8 && disc.every((b, i) => data[i] === b);
}

function decodeRaw(name: AccountName, data: Uint8Array, size: number, exact: boolean): Raw {
  if (data.length < size) {
    throw new DecodeError(`${name}: account data is ${data.length} bytes, expected ${exact ? "" : "at least "}${size}`);
  }
  if (!isAccount(name, data)) throw new DecodeError(`${name}: account discriminator does not match`);
  try {
    return coder.accounts.decode(name, Buffer.from(exact ? data.subarray(0, size) : data)) as Raw;
  } catch (e) {
    throw new DecodeError(`${name}: account data is invalid: ${(e as Error).message}`);
  }
}

/** Refuses an account not owned by this program (before its data is trusted). */
export function checkOwner(name: AccountName, owner: PublicKey, address?: PublicKey): void {
  if (!owner.equals(PROGRAM_ID)) {
    throw new DecodeError(`${name}${address === undefined ? "" : ` ${address.toBase58()}`}: owned by ${owner.toBase58()}, not the program`);
  }
}

export function decodeExchange(data: Uint8Array): Exchange {
  const r = decodeRaw("Exchange", data, EXCHANGE_MIN_SIZE, false);
  return {
    admin: key(r.admin),
    pendingAdmin: key(r.pending_admin),
    guardian: key(r.guardian),
    collateralMint: key(r.collateral_mint),
    vault: key(r.vault),
    insuranceBalance: big(r.insurance_balance),
    badDebt: big(r.bad_debt),
    socializedLoss: big(r.socialized_loss),
    nextActionId: big(r.next_action_id),
    liquidationBuffer: num(r.liquidation_buffer),
    timelockDelaySecs: num(r.timelock_delay_secs),
    marketCount: num(r.market_count),
    portfolioMarginEnabled: r.portfolio_margin_enabled as boolean,
    bump: num(r.bump),
    vaultBump: num(r.vault_bump),
    lookupTables: (r.lookup_tables as unknown[]).map(key),
  };
}

function params(r: Raw): MarketParams {
  return {
    initialMarginRatio: num(r.initial_margin_ratio),
    maintenanceMarginRatio: num(r.maintenance_margin_ratio),
    liquidationFee: num(r.liquidation_fee),
    insuranceFee: num(r.insurance_fee),
    upnlInitialWeight: num(r.upnl_initial_weight),
    takerFee: num(r.taker_fee),
    makerFee: num(r.maker_fee),
    priceBand: num(r.price_band),
    maxConfRatio: num(r.max_conf_ratio),
    maxOracleAgeSecs: num(r.max_oracle_age_secs),
    liquidationMaxOracleAgeSecs: num(r.liquidation_max_oracle_age_secs),
    maxFundingPremium: num(r.max_funding_premium),
    fundingPeriodSecs: num(r.funding_period_secs),
    baseLotSize: big(r.base_lot_size),
    minPositionBase: big(r.min_position_base),
    openInterestCap: big(r.open_interest_cap),
    marginGroup: num(r.margin_group),
    systematicShare: num(r.systematic_share),
  };
}

/** The parameter fields of `MarketParams`, in the program's order. */
export const MARKET_PARAM_FIELDS = [
  "initialMarginRatio",
  "maintenanceMarginRatio",
  "liquidationFee",
  "insuranceFee",
  "upnlInitialWeight",
  "takerFee",
  "makerFee",
  "priceBand",
  "maxConfRatio",
  "maxOracleAgeSecs",
  "liquidationMaxOracleAgeSecs",
  "maxFundingPremium",
  "fundingPeriodSecs",
  "baseLotSize",
  "minPositionBase",
  "openInterestCap",
  "marginGroup",
  "systematicShare",
] as const satisfies readonly (keyof MarketParams)[];

/** A market's parameters alone (a decoded `Market` carries more). */
export function marketParams(m: MarketParams): MarketParams {
  return Object.fromEntries(MARKET_PARAM_FIELDS.map((f) => [f, m[f]])) as unknown as MarketParams;
}

export function sameMarketParams(a: MarketParams, b: MarketParams): boolean {
  return MARKET_PARAM_FIELDS.every((f) => a[f] === b[f]);
}

export function symbolString(bytes: ArrayLike<number>): string {
  const all = Uint8Array.from(Array.from(bytes));
  const end = all.indexOf(0);
  return new TextDecoder().decode(end < 0 ? all : all.subarray(0, end));
}

/** An i128 stored as two u64 words. */
export function wideI128(lo: bigint, hi: bigint): bigint {
  return BigInt.asIntN(128, (hi << 64n) | lo);
}

export function decodeMarket(data: Uint8Array): Market {
  const r = decodeRaw("Market", data, MARKET_SIZE, true);
  const f = r.funding as Raw;
  const sum = f.oracle_sum as Raw;
  return {
    ...params(r),
    oracle: key(r.oracle),
    pythFeedId: Uint8Array.from(r.pyth_feed_id as number[]),
    symbol: symbolString(r.symbol as number[]),
    openInterestLong: big(r.open_interest_long),
    openInterestShort: big(r.open_interest_short),
    cumulativeFundingLong: big(r.cumulative_funding_long),
    cumulativeFundingShort: big(r.cumulative_funding_short),
    markTwap: big(r.mark_twap),
    oracleTwap: big(r.oracle_twap),
    lastFundingTs: big(r.last_funding_ts),
    lastFundingRate: big(r.last_funding_rate),
    lastOraclePublishTime: big(r.last_oracle_publish_time),
    funding: {
      oracleSum: wideI128(big(sum.lo), big(sum.hi)),
      lastUpdateTs: big(f.last_update_ts),
      lastOraclePrice: big(f.last_oracle_price),
      fillNotional: big(f.fill_notional),
      fillPremium: big(f.fill_premium),
    },
    insuranceFeesPending: big(r.insurance_fees_pending),
    settlementPrice: big(r.settlement_price),
    settledAt: big(r.settled_at),
    statusExpiresAt: big(r.status_expires_at),
    unitExponent: num(r.unit_exponent),
    marketIndex: num(r.market_index),
    oracleSource: enumValue("Market", "oracle source", OracleSource, r.oracle_source),
    status: enumValue("Market", "status", MarketStatus, r.status),
    bump: num(r.bump),
  };
}

export function decodeMarginAccount(data: Uint8Array): MarginAccount {
  const r = decodeRaw("MarginAccount", data, MARGIN_ACCOUNT_SIZE, true);
  return {
    owner: key(r.owner),
    delegate: key(r.delegate),
    collateral: big(r.collateral),
    totalDeposits: big(r.total_deposits),
    totalWithdrawals: big(r.total_withdrawals),
    totalFeesPaid: big(r.total_fees_paid),
    totalFundingPaid: big(r.total_funding_paid),
    totalRealizedPnl: big(r.total_realized_pnl),
    subAccountId: num(r.sub_account_id),
    beingLiquidated: num(r.being_liquidated) !== 0,
    bump: num(r.bump),
    positions: (r.positions as Raw[]).map((p) => ({
      marketIndex: num(p.market_index),
      base: big(p.base),
      quote: big(p.quote),
      fundingSnapshot: big(p.funding_snapshot),
    })),
    totalRebates: big(r.total_rebates),
    totalDeficitCovered: big(r.total_deficit_covered),
    marginMode: num(r.margin_mode),
    delegateReduceOnly: num(r.delegate_reduce_only) !== 0,
    delegateMaxDeviation: num(r.delegate_max_deviation),
    delegatePeriodSecs: num(r.delegate_period_secs),
    delegateLossBudget: big(r.delegate_loss_budget),
    delegatePeriodStart: big(r.delegate_period_start),
    delegatePeriodSpent: big(r.delegate_period_spent),
    totalDelegateCost: big(r.total_delegate_cost),
  };
}

export function decodeTriggerOrders(data: Uint8Array): TriggerOrders {
  const r = decodeRaw("TriggerOrders", data, TRIGGER_ORDERS_SIZE, true);
  return {
    marginAccount: key(r.margin_account),
    payer: key(r.payer),
    nextOrderId: big(r.next_order_id),
    bump: num(r.bump),
    orders: (r.orders as Raw[]).map((o) => ({
      id: big(o.id),
      triggerPrice: big(o.trigger_price),
      limitPrice: big(o.limit_price),
      size: big(o.size),
      expiry: big(o.expiry),
      placedAt: big(o.placed_at),
      premium: num(o.premium),
      marketIndex: num(o.market_index),
      kind: num(o.kind),
      flags: num(o.flags),
    })),
  };
}

export function decodeQueuedAction(data: Uint8Array): QueuedAction {
  const r = decodeRaw("QueuedAction", data, QUEUED_ACTION_MIN_SIZE, false);
  return {
    id: big(r.id),
    proposer: key(r.proposer),
    queuedAt: big(r.queued_at),
    executeAfter: big(r.execute_after),
    status: fromIdl({ defined: { name: "ActionStatus" } }, r.status) as ActionStatus,
    resolvedAt: big(r.resolved_at),
    action: fromIdl({ defined: { name: "AdminAction" } }, r.action) as AdminAction,
    bump: num(r.bump),
  };
}

/** The open positions (base != 0), in slot order: the order of the health accounts. */
export function openPositions(account: Pick<MarginAccount, "positions">): Position[] {
  return account.positions.filter((p) => p.base !== 0n);
}

/** The margin mode an account is in (an unknown value counts as standard, as in the program). */
export function marginModeOf(account: Pick<MarginAccount, "marginMode">): MarginMode {
  return account.marginMode === 1 ? 1 : 0;
}

export const orderInUse = (o: TriggerOrder): boolean => (o.flags & TriggerOrderFlags.IN_USE) !== 0;
export const orderIsLong = (o: TriggerOrder): boolean => (o.flags & TriggerOrderFlags.LONG) !== 0;
export const orderByDelegate = (o: TriggerOrder): boolean => (o.flags & TriggerOrderFlags.BY_DELEGATE) !== 0;
/** The order's kind as the program reads it (an unknown value is a stop-loss). */
export const orderKind = (o: TriggerOrder): TriggerKind => (o.kind === 1 ? 1 : 0);

/** The orders in use, in slot order. */
export function activeOrders(t: TriggerOrders): TriggerOrder[] {
  return t.orders.filter(orderInUse);
}
