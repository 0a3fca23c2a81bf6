// Decoders for Exchange, Market and MarginAccount: Anchor's coder reads the IDL layout (Market,
// MarginAccount and Position are `repr(C)` zero-copy structs whose padding is spelled out as
// fields, so sequential decoding lands on the Rust offsets); integers come out as bigint.
import type BN from "bn.js";
import { PublicKey } from "@solana/web3.js";
import { Buffer } from "buffer";

import { coder, IDL } from "./idl.js";

/** Account sizes on chain, discriminator included. */
export const EXCHANGE_SIZE = 232;
export const MARKET_SIZE = 392;
export const MARGIN_ACCOUNT_SIZE = 704;

export interface Exchange {
  admin: PublicKey;
  pendingAdmin: PublicKey;
  collateralMint: PublicKey;
  vault: PublicKey;
  insuranceBalance: bigint;
  badDebt: bigint;
  socializedLoss: bigint;
  liquidationBuffer: number;
  marketCount: number;
  bump: number;
  vaultBump: number;
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
}

export interface TwapState {
  markSum: bigint;
  oracleSum: bigint;
  lastUpdateTs: bigint;
  lastFillPrice: bigint;
  lastFillTs: bigint;
  lastOraclePrice: bigint;
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
  twap: TwapState;
  insuranceFeesPending: bigint;
  marketIndex: number;
  oracleSource: number;
  status: number;
  bump: number;
}

export interface Position {
  marketIndex: number;
  /** Signed base amount (1e9 per whole unit); 0 marks a free slot. */
  base: bigint;
  /** Quote amount: minus the cost of the position, plus realized pnl not yet moved out. */
  quote: bigint;
  /** The funding index the position last settled at. */
  fundingSnapshot: bigint;
}

export interface MarginAccount {
  owner: PublicKey;
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
}

export class DecodeError extends Error {}

type Raw = Record<string, unknown>;

function big(v: unknown): bigint {
  return BigInt((v as BN).toString());
}

function num(v: unknown): number {
  return v as number;
}

function key(v: unknown): PublicKey {
  return v as PublicKey;
}

function decodeRaw(name: "Exchange" | "Market" | "MarginAccount", data: Uint8Array, size: number): Raw {
  if (data.length < size) {
    throw new DecodeError(`${name}: account data is ${data.length} bytes, expected ${size}`);
  }
  const disc = IDL.accounts?.find((a) => a.name === name)?.discriminator ?? [];
  if (!disc.every((b, i) => data[i] === b)) {
    throw new DecodeError(`${name}: account discriminator does not match`);
  }
  return coder.accounts.decode(name, Buffer.from(data.subarray(0, size))) as Raw;
}

export function decodeExchange(data: Uint8Array): Exchange {
  const r = decodeRaw("Exchange", data, EXCHANGE_SIZE);
  return {
    admin: key(r.admin),
    pendingAdmin: key(r.pending_admin),
    collateralMint: key(r.collateral_mint),
    vault: key(r.vault),
    insuranceBalance: big(r.insurance_balance),
    badDebt: big(r.bad_debt),
    socializedLoss: big(r.socialized_loss),
    liquidationBuffer: num(r.liquidation_buffer),
    marketCount: num(r.market_count),
    bump: num(r.bump),
    vaultBump: num(r.vault_bump),
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
  };
}

export function symbolString(bytes: ArrayLike<number>): string {
  const all = Uint8Array.from(Array.from(bytes));
  const end = all.indexOf(0);
  return new TextDecoder().decode(end < 0 ? all : all.subarray(0, end));
}

export function decodeMarket(data: Uint8Array): Market {
  const r = decodeRaw("Market", data, MARKET_SIZE);
  const t = r.twap as Raw;
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
    twap: {
      markSum: big(t.mark_sum),
      oracleSum: big(t.oracle_sum),
      lastUpdateTs: big(t.last_update_ts),
      lastFillPrice: big(t.last_fill_price),
      lastFillTs: big(t.last_fill_ts),
      lastOraclePrice: big(t.last_oracle_price),
    },
    insuranceFeesPending: big(r.insurance_fees_pending),
    marketIndex: num(r.market_index),
    oracleSource: num(r.oracle_source),
    status: num(r.status),
    bump: num(r.bump),
  };
}

export function decodeMarginAccount(data: Uint8Array): MarginAccount {
  const r = decodeRaw("MarginAccount", data, MARGIN_ACCOUNT_SIZE);
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
  };
}

/** The open positions (base != 0), in slot order: the order of the health accounts. */
export function openPositions(account: MarginAccount): Position[] {
  return account.positions.filter((p) => p.base !== 0n);
}
