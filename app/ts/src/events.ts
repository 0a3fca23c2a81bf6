// Events from transaction logs: the program emits one for every state change (`Filled`,
// `Liquidated`, `FundingUpdated`, `AdminActionQueued`, `TriggerOrderExecuted`, ...). Anchor's
// parser follows the invoke stack, so only this program's `Program data:` lines are read. Fields
// come out camelCase and typed by the IDL (`toIdl`/`fromIdl` in idl.ts): 64-bit integers bigint,
// keys `PublicKey`, enums without fields their variant index, `AdminAction` as the decoders give it.
import { EventParser } from "@coral-xyz/anchor";
import type { PublicKey } from "@solana/web3.js";

import type { AdminAction, MarketParams } from "./accounts.js";
import { PROGRAM_ID } from "./constants.js";
import { coder, fromIdl, IDL } from "./idl.js";
import type { DelegateLimits } from "./instructions.js";

export interface FilledEvent {
  marketIndex: number;
  taker: PublicKey;
  maker: PublicKey;
  /** Positive: the taker bought. */
  takerBaseDelta: bigint;
  price: bigint;
  oraclePrice: bigint;
  takerFee: bigint;
  /** Negative: a rebate. */
  makerFee: bigint;
  takerRealizedPnl: bigint;
  makerRealizedPnl: bigint;
  takerBaseAfter: bigint;
  makerBaseAfter: bigint;
  openInterestAfter: bigint;
  takerByDelegate: boolean;
  makerByDelegate: boolean;
}

export interface LiquidatedEvent {
  marketIndex: number;
  liquidatee: PublicKey;
  liquidator: PublicKey;
  liquidateeBaseDelta: bigint;
  price: bigint;
  oraclePrice: bigint;
  liquidationFee: bigint;
  insuranceFee: bigint;
  equityBefore: bigint;
  maintenanceBefore: bigint;
  equityAfter: bigint;
  maintenanceAfter: bigint;
  beingLiquidated: boolean;
}

export interface PortfolioLiquidatedEvent {
  liquidatee: PublicKey;
  liquidator: PublicKey;
  /** The slice of every position taken (1e9 = all). */
  fraction: bigint;
  feeScale: number;
  positionsTaken: number;
  liquidationFee: bigint;
  insuranceFee: bigint;
  equityBefore: bigint;
  maintenanceBefore: bigint;
  equityAfter: bigint;
  maintenanceAfter: bigint;
  beingLiquidated: boolean;
}

export interface FundingUpdatedEvent {
  marketIndex: number;
  markTwap: bigint;
  oracleTwap: bigint;
  /** ppm per day, clamped. */
  premium: bigint;
  elapsed: bigint;
  indexDelta: bigint;
  cumulativeFundingLong: bigint;
  cumulativeFundingShort: bigint;
  feesToInsurance: bigint;
  fillNotional: bigint;
  premiumWeight: bigint;
  openInterest: bigint;
}

export interface DepositedEvent {
  marginAccount: PublicKey;
  depositor: PublicKey;
  amount: bigint;
  collateralAfter: bigint;
}

export interface WithdrawnEvent {
  marginAccount: PublicKey;
  owner: PublicKey;
  destination: PublicKey;
  amount: bigint;
  fundingSettled: bigint;
  collateralAfter: bigint;
  freeCollateralAfter: bigint;
}

export interface DelegateSetEvent {
  marginAccount: PublicKey;
  oldDelegate: PublicKey;
  newDelegate: PublicKey;
  limits: DelegateLimits;
}

export interface TriggerOrderPlacedEvent {
  marginAccount: PublicKey;
  orderId: bigint;
  marketIndex: number;
  kind: number;
  triggerPrice: bigint;
  limitPrice: bigint;
  size: bigint;
  expiry: bigint;
  premium: number;
  byDelegate: boolean;
}

export interface TriggerOrderExecutedEvent {
  marginAccount: PublicKey;
  executor: PublicKey;
  orderId: bigint;
  marketIndex: number;
  kind: number;
  baseDelta: bigint;
  price: bigint;
  oraclePrice: bigint;
  limitPrice: bigint;
  traderFee: bigint;
  executorFee: bigint;
  baseAfter: bigint;
}

export interface AdminActionQueuedEvent {
  id: bigint;
  proposer: PublicKey;
  executeAfter: bigint;
  action: AdminAction;
}

export interface AdminActionExecutedEvent {
  id: bigint;
  executor: PublicKey;
  action: AdminAction;
}

export interface MarketAddedEvent {
  marketIndex: number;
  symbol: string;
  oracle: PublicKey;
  oracleSource: number;
  pythFeedId: Uint8Array;
  unitExponent: number;
  params: MarketParams;
}

export interface BankruptcyEvent {
  marginAccount: PublicKey;
  marketIndex: number;
  deficit: bigint;
  insurancePaid: bigint;
  socialized: bigint;
  badDebt: bigint;
  indexDelta: bigint;
  openInterest: bigint;
  liquidatorShare: bigint;
}

/** The events with a type here; every other event's data is a record of the same conversions. */
export interface KnownEvents {
  Filled: FilledEvent;
  Liquidated: LiquidatedEvent;
  PortfolioLiquidated: PortfolioLiquidatedEvent;
  FundingUpdated: FundingUpdatedEvent;
  Deposited: DepositedEvent;
  Withdrawn: WithdrawnEvent;
  DelegateSet: DelegateSetEvent;
  TriggerOrderPlaced: TriggerOrderPlacedEvent;
  TriggerOrderExecuted: TriggerOrderExecutedEvent;
  AdminActionQueued: AdminActionQueuedEvent;
  AdminActionExecuted: AdminActionExecutedEvent;
  MarketAdded: MarketAddedEvent;
  Bankruptcy: BankruptcyEvent;
}

export interface ProgramEvent {
  /** The event's name in the IDL (`Filled`, `Liquidated`, ...). */
  name: string;
  data: Record<string, unknown>;
}

const EVENT_NAMES = new Set((IDL.events ?? []).map((e) => e.name));

/** Every event of this program in a transaction's log messages, in order. */
export function parseEvents(logs: readonly string[]): ProgramEvent[] {
  const parser = new EventParser(PROGRAM_ID, coder);
  return [...parser.parseLogs([...logs])].map((e) => {
    if (!EVENT_NAMES.has(e.name)) throw new Error(`unknown event ${e.name}`);
    return { name: e.name, data: fromIdl({ defined: { name: e.name } }, e.data) as Record<string, unknown> };
  });
}

/** The events named `name` in `logs`, typed. */
export function eventsOf<K extends keyof KnownEvents>(logs: readonly string[], name: K): KnownEvents[K][] {
  return parseEvents(logs)
    .filter((e) => e.name === name)
    .map((e) => e.data as unknown as KnownEvents[K]);
}
