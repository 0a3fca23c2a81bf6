// Events from transaction logs: the program emits one for every state change (`Filled`,
// `Liquidated`, `FundingUpdated`, `AdminActionQueued`, `TriggerOrderExecuted`, ...). Anchor's
// parser follows the invoke stack, so only this program's `Program data:` lines are read. Fields
// come out camelCase and typed by the IDL (`toIdl`/`fromIdl` in idl.ts): 64-bit integers bigint,
// keys `PublicKey`, enums without fields their variant index, `AdminAction` as the decoders give it.
// `parseEvents` returns a union discriminated by `name`, so `if (e.name === "Filled")` types `e.data`.
import { EventParser } from "@coral-xyz/anchor";
import type { PublicKey } from "@solana/web3.js";

import type { AdminAction, MarketParams } from "./accounts.js";
import { PROGRAM_ID, type MarginMode, type MarketStatus, type OracleSource, type TriggerKind } from "./constants.js";
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
  kind: TriggerKind;
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
  kind: TriggerKind;
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
  oracleSource: OracleSource;
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

export interface AdminActionCancelledEvent {
  id: bigint;
  /** The admin or the guardian. */
  by: PublicKey;
}

export interface AdminTransferProposedEvent {
  admin: PublicKey;
  pendingAdmin: PublicKey;
}

export interface AdminTransferredEvent {
  oldAdmin: PublicKey;
  newAdmin: PublicKey;
}

export interface ExchangeInitializedEvent {
  admin: PublicKey;
  guardian: PublicKey;
  collateralMint: PublicKey;
  vault: PublicKey;
  liquidationBuffer: number;
  timelockDelaySecs: number;
}

export interface FundingSettledEvent {
  marginAccount: PublicKey;
  /** Positive: paid by the account. */
  amount: bigint;
  collateralAfter: bigint;
}

export interface InsuranceDepositedEvent {
  depositor: PublicKey;
  amount: bigint;
  insuranceBalanceAfter: bigint;
}

export interface LookupTablesSetEvent {
  tables: PublicKey[];
}

export interface MarginAccountClosedEvent {
  marginAccount: PublicKey;
  owner: PublicKey;
  subAccountId: number;
}

export interface MarginAccountCreatedEvent {
  marginAccount: PublicKey;
  owner: PublicKey;
  subAccountId: number;
}

export interface MarginModeSetEvent {
  marginAccount: PublicKey;
  oldMode: MarginMode;
  newMode: MarginMode;
  maintenanceBefore: bigint;
  maintenanceAfter: bigint;
  initialAfter: bigint;
}

export interface MarketOracleChangedEvent {
  marketIndex: number;
  oldOracle: PublicKey;
  newOracle: PublicKey;
  oracleSource: OracleSource;
  pythFeedId: Uint8Array;
}

export interface MarketParamsUpdatedEvent {
  marketIndex: number;
  old: MarketParams;
  new: MarketParams;
}

export interface MarketSettledEvent {
  marketIndex: number;
  settlementPrice: bigint;
  settledAt: bigint;
  byTimelock: boolean;
  finalIndexDelta: bigint;
  openInterest: bigint;
}

export interface MarketStatusChangedEvent {
  marketIndex: number;
  oldStatus: MarketStatus;
  newStatus: MarketStatus;
  expiresAt: bigint;
  by: PublicKey;
}

export interface PositionSettledEvent {
  marketIndex: number;
  marginAccount: PublicKey;
  base: bigint;
  price: bigint;
  realizedPnl: bigint;
  fundingSettled: bigint;
  openInterestAfter: bigint;
}

export interface TriggerOrderCancelledEvent {
  marginAccount: PublicKey;
  orderId: bigint;
  reason: number;
}

/** Every event of the program, by its IDL name, with its data's type. */
export interface ProgramEvents {
  AdminActionCancelled: AdminActionCancelledEvent;
  AdminActionExecuted: AdminActionExecutedEvent;
  AdminActionQueued: AdminActionQueuedEvent;
  AdminTransferProposed: AdminTransferProposedEvent;
  AdminTransferred: AdminTransferredEvent;
  Bankruptcy: BankruptcyEvent;
  DelegateSet: DelegateSetEvent;
  Deposited: DepositedEvent;
  ExchangeInitialized: ExchangeInitializedEvent;
  Filled: FilledEvent;
  FundingSettled: FundingSettledEvent;
  FundingUpdated: FundingUpdatedEvent;
  InsuranceDeposited: InsuranceDepositedEvent;
  Liquidated: LiquidatedEvent;
  LookupTablesSet: LookupTablesSetEvent;
  MarginAccountClosed: MarginAccountClosedEvent;
  MarginAccountCreated: MarginAccountCreatedEvent;
  MarginModeSet: MarginModeSetEvent;
  MarketAdded: MarketAddedEvent;
  MarketOracleChanged: MarketOracleChangedEvent;
  MarketParamsUpdated: MarketParamsUpdatedEvent;
  MarketSettled: MarketSettledEvent;
  MarketStatusChanged: MarketStatusChangedEvent;
  PortfolioLiquidated: PortfolioLiquidatedEvent;
  PositionSettled: PositionSettledEvent;
  TriggerOrderCancelled: TriggerOrderCancelledEvent;
  TriggerOrderExecuted: TriggerOrderExecutedEvent;
  TriggerOrderPlaced: TriggerOrderPlacedEvent;
  Withdrawn: WithdrawnEvent;
}

export type EventName = keyof ProgramEvents;

/** One event: `name` says which, and types `data` (`if (e.name === "Filled") e.data.price`). */
export type ProgramEvent = { [K in EventName]: { name: K; data: ProgramEvents[K] } }[EventName];

const EVENT_NAMES = new Set((IDL.events ?? []).map((e) => e.name));

/** Every event of this program in a transaction's log messages, in order. */
export function parseEvents(logs: readonly string[]): ProgramEvent[] {
  const parser = new EventParser(PROGRAM_ID, coder);
  return [...parser.parseLogs([...logs])].map((e) => {
    if (!EVENT_NAMES.has(e.name)) throw new Error(`unknown event ${e.name}`);
    return { name: e.name, data: fromIdl({ defined: { name: e.name } }, e.data) } as ProgramEvent;
  });
}

/** The events named `name` in `logs`, typed. */
export function eventsOf<K extends EventName>(logs: readonly string[], name: K): ProgramEvents[K][] {
  return parseEvents(logs)
    .filter((e): e is Extract<ProgramEvent, { name: K }> => e.name === name)
    .map((e) => e.data as ProgramEvents[K]);
}
