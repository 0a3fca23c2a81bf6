// The risk view of an account, computed as the program computes it (risk/health.rs,
// risk/funding.rs, the SDK's risk report): the same formulas, the same rounding, so every figure
// equals the program's to the unit (the cross-language vectors check this).
//
// For collateral C and positions i (base b, quote q, unsettled funding F, oracle price p):
//   U_i = floor(b*p / BASE) + q - F,  E = C + sum U_i
//   MM = sum ceil(|b|*p*mm / (BASE*RATIO)),  IM likewise at the conservative price
//   liquidatable iff E < MM; free collateral = E_init - IM
import { BASE_PRECISION, FUNDING_INDEX_SCALE, RATE_PRECISION, RATIO_PRECISION } from "./constants.js";
import { type MarginAccount, type Market, openPositions, type Position } from "./accounts.js";
import { abs, divCeil, divFloor, max, min, toI64 } from "./math.js";
import type { OraclePrice } from "./oracle.js";

/** The margin parameters the health math needs (ppm). */
export interface RiskParams {
  initialMarginRatio: number;
  maintenanceMarginRatio: number;
  upnlInitialWeight: number;
}

/** Everything the math needs about one open position. */
export interface PositionRisk {
  marketIndex: number;
  base: bigint;
  quote: bigint;
  /** Unsettled funding (positive: owed by the account). */
  fundingOwed: bigint;
  price: OraclePrice;
  params: RiskParams;
}

export interface Health {
  /** E: collateral plus unrealized pnl (funding included) at oracle prices. */
  equity: bigint;
  /** MM */
  maintenanceRequirement: bigint;
  /** E_init: equity at conservative prices with weighted positive pnl. */
  initialEquity: bigint;
  /** IM */
  initialRequirement: bigint;
  /** sum |b| * p, rounded up. */
  notional: bigint;
}

const I64_MAX = (1n << 63n) - 1n;
const I64_MIN = -(1n << 63n);
const U64_MAX = (1n << 64n) - 1n;
const saturate = (v: bigint): bigint => (v > I64_MAX ? I64_MAX : v < I64_MIN ? I64_MIN : v);

/** floor(b * p / BASE) */
export function baseValue(base: bigint, price: bigint): bigint {
  return divFloor(base * price, BASE_PRECISION);
}

/** ceil(|b| * p / BASE) */
export function notional(base: bigint, price: bigint): bigint {
  return divCeil(abs(base) * price, BASE_PRECISION);
}

/** ceil(|b| * p * ratio / (BASE * RATIO)) */
export function requirement(base: bigint, price: bigint, ratio: number): bigint {
  return divCeil(abs(base) * price * BigInt(ratio), BASE_PRECISION * RATIO_PRECISION);
}

export function unrealizedPnlAt(pos: PositionRisk, price: bigint): bigint {
  return baseValue(pos.base, price) + pos.quote - pos.fundingOwed;
}

export function unrealizedPnl(pos: PositionRisk): bigint {
  return unrealizedPnlAt(pos, pos.price.price);
}

/** A long is valued at min(p - conf, ema) (at least 1), a short at max(p + conf, ema). */
export function initialValuePrice(base: bigint, price: OraclePrice): bigint {
  const conf = min(price.conf, I64_MAX);
  if (base >= 0n) {
    let p = saturate(price.price - conf);
    if (price.emaPrice > 0n) p = min(p, price.emaPrice);
    return max(p, 1n);
  }
  return max(saturate(price.price + conf), price.emaPrice);
}

export function initialRequirementPrice(base: bigint, price: OraclePrice): bigint {
  return max(initialValuePrice(base, price), price.price);
}

export function computeHealth(collateral: bigint, positions: readonly PositionRisk[]): Health {
  const h: Health = {
    equity: collateral,
    maintenanceRequirement: 0n,
    initialEquity: collateral,
    initialRequirement: 0n,
    notional: 0n,
  };
  for (const pos of positions) {
    if (pos.base === 0n) continue;
    h.equity += unrealizedPnl(pos);
    h.maintenanceRequirement += requirement(pos.base, pos.price.price, pos.params.maintenanceMarginRatio);
    h.notional += notional(pos.base, pos.price.price);
    const upnlInit = unrealizedPnlAt(pos, initialValuePrice(pos.base, pos.price));
    h.initialEquity +=
      upnlInit > 0n ? divFloor(upnlInit * BigInt(pos.params.upnlInitialWeight), RATIO_PRECISION) : upnlInit;
    h.initialRequirement += requirement(
      pos.base,
      initialRequirementPrice(pos.base, pos.price),
      pos.params.initialMarginRatio,
    );
  }
  return h;
}

export const liquidatable = (h: Health): boolean => h.equity < h.maintenanceRequirement;
export const freeCollateral = (h: Health): bigint => h.initialEquity - h.initialRequirement;

/** What `withdraw` pays out at most: free collateral, capped by settled collateral, never negative. */
export function withdrawable(h: Health, settledCollateral: bigint): bigint {
  return max(min(freeCollateral(h), settledCollateral), 0n);
}

/** sum notional / E in ppm (rounded up); undefined when equity is not positive. */
export function effectiveLeverage(h: Health): bigint | undefined {
  if (h.equity <= 0n) return undefined;
  const l = divCeil(h.notional * RATIO_PRECISION, h.equity);
  return l > U64_MAX ? undefined : l;
}

/** E / MM in ppm (rounded down); undefined without positions. */
export function marginRatio(h: Health): bigint | undefined {
  if (h.maintenanceRequirement <= 0n) return undefined;
  const r = divFloor(h.equity * RATIO_PRECISION, h.maintenanceRequirement);
  return r > I64_MAX || r < I64_MIN ? undefined : r;
}

/** Highest price the liquidation-price search considers. */
export const MAX_SEARCH_PRICE = 1n << 52n;

/**
 * The oracle price of position `index`'s market at which the account becomes liquidatable, other
 * prices held: for a long the smallest price at which it is not liquidatable, for a short the
 * largest. Undefined when this price alone cannot make it liquidatable (or it is at every price).
 */
export function liquidationPrice(
  collateral: bigint,
  positions: readonly PositionRisk[],
  index: number,
): bigint | undefined {
  const pos = positions[index];
  if (pos === undefined) throw new RangeError(`no position ${index}`);
  if (pos.base === 0n) return undefined;
  const long = pos.base > 0n;
  const scratch = positions.map((p, i) => (i === index ? { ...p, price: { ...p.price } } : p));
  const moved = scratch[index] as PositionRisk;
  // q(p) goes from false to true as p rises: a long "not liquidatable", a short "liquidatable".
  const q = (p: bigint): boolean => {
    moved.price.price = p;
    const liq = liquidatable(computeHealth(collateral, scratch));
    return long ? !liq : liq;
  };
  if (q(1n)) return undefined;
  if (!q(MAX_SEARCH_PRICE)) return long ? MAX_SEARCH_PRICE : undefined;

  const h0 = computeHealth(collateral, positions);
  const m = BigInt(pos.params.maintenanceMarginRatio);
  const slope = abs(long ? pos.base * (RATIO_PRECISION - m) : pos.base * (RATIO_PRECISION + m));
  const shift = divFloor((h0.equity - h0.maintenanceRequirement) * BASE_PRECISION * RATIO_PRECISION, slope);
  const estimate = long ? pos.price.price - shift : pos.price.price + shift;
  const slackUnits = 2n * BigInt(positions.length) + 2n;
  const slack = divCeil(slackUnits * BASE_PRECISION * RATIO_PRECISION, slope) + 1n;
  const clamp = (v: bigint): bigint => (v < 1n ? 1n : v > MAX_SEARCH_PRICE ? MAX_SEARCH_PRICE : v);
  let lo = clamp(estimate - slack);
  let hi = clamp(estimate + slack);
  if (q(lo)) lo = 1n;
  if (!q(hi)) hi = MAX_SEARCH_PRICE;
  while (hi - lo > 1n) {
    const mid = lo + (hi - lo) / 2n;
    if (q(mid)) hi = mid;
    else lo = mid;
  }
  return long ? hi : lo;
}

/** Unsettled funding `ceil(base * (index - snapshot) / (BASE * SCALE))`; positive: owed. */
export function fundingOwed(base: bigint, index: bigint, snapshot: bigint): bigint {
  return toI64(divCeil(base * (index - snapshot), BASE_PRECISION * FUNDING_INDEX_SCALE), "funding owed");
}

/** Longs (and flat) settle against the long index, shorts against the short one. */
export function sideIndex(base: bigint, longIndex: bigint, shortIndex: bigint): bigint {
  return base >= 0n ? longIndex : shortIndex;
}

export function riskParams(market: Market): RiskParams {
  return {
    initialMarginRatio: market.initialMarginRatio,
    maintenanceMarginRatio: market.maintenanceMarginRatio,
    upnlInitialWeight: market.upnlInitialWeight,
  };
}

/** A market with its current price, as the account's figures need it. */
export interface PricedMarket {
  market: Market;
  price: OraclePrice;
}

export class MissingMarket extends Error {
  constructor(readonly marketIndex: number) {
    super(`no market ${marketIndex} given for an open position`);
  }
}

function pricedFor(markets: readonly PricedMarket[], marketIndex: number): PricedMarket {
  const m = markets.find((x) => x.market.marketIndex === marketIndex);
  if (m === undefined) throw new MissingMarket(marketIndex);
  return m;
}

export function positionFundingOwed(pos: Position, market: Market): bigint {
  return fundingOwed(
    pos.base,
    sideIndex(pos.base, market.cumulativeFundingLong, market.cumulativeFundingShort),
    pos.fundingSnapshot,
  );
}

/** The risk inputs of every open position of `account`, in slot order. */
export function positionRisks(account: MarginAccount, markets: readonly PricedMarket[]): PositionRisk[] {
  return openPositions(account).map((pos) => {
    const { market, price } = pricedFor(markets, pos.marketIndex);
    return {
      marketIndex: pos.marketIndex,
      base: pos.base,
      quote: pos.quote,
      fundingOwed: positionFundingOwed(pos, market),
      price,
      params: riskParams(market),
    };
  });
}

export interface PositionReport {
  marketIndex: number;
  symbol: string;
  base: bigint;
  /** Average entry price (-quote / base, truncated), 0 when flat. */
  entryPrice: bigint;
  oraclePrice: bigint;
  notional: bigint;
  /** b*p + q - F, unsettled funding included. */
  unrealizedPnl: bigint;
  fundingOwed: bigint;
  /** The oracle price at which the account becomes liquidatable, other prices held. */
  liquidationPrice: bigint | undefined;
  /** Paid per day at the current funding rate (negative: received). */
  fundingPerDay: bigint;
}

export interface RiskReport {
  collateral: bigint;
  equity: bigint;
  initialEquity: bigint;
  initialRequirement: bigint;
  maintenanceRequirement: bigint;
  /** E_init - IM (may be negative). */
  freeCollateral: bigint;
  /** What `withdraw` would pay out now. */
  withdrawable: bigint;
  /** sum notional / E in ppm; undefined when equity is not positive. */
  effectiveLeverage: bigint | undefined;
  /** E / MM in ppm; undefined without positions. */
  marginRatio: bigint | undefined;
  liquidatable: boolean;
  positions: PositionReport[];
}

/** A position of a what-if portfolio: its risk inputs, a name and a funding rate (ppb per day). */
export interface PositionInput {
  symbol: string;
  risk: PositionRisk;
  fundingRatePerDay: bigint;
}

/** The report for `collateral` and these positions. */
export function report(collateral: bigint, positions: readonly PositionInput[]): RiskReport {
  const risks = positions.map((p) => p.risk);
  const h = computeHealth(collateral, risks);
  return {
    collateral,
    equity: toI64(h.equity, "equity"),
    initialEquity: toI64(h.initialEquity, "initial equity"),
    initialRequirement: toI64(h.initialRequirement, "initial requirement"),
    maintenanceRequirement: toI64(h.maintenanceRequirement, "maintenance requirement"),
    freeCollateral: toI64(freeCollateral(h), "free collateral"),
    withdrawable: withdrawable(h, collateral),
    effectiveLeverage: effectiveLeverage(h),
    marginRatio: marginRatio(h),
    liquidatable: liquidatable(h),
    positions: positions.map((p, i) => {
      const r = p.risk;
      const n = notional(r.base, r.price.price);
      return {
        marketIndex: r.marketIndex,
        symbol: p.symbol,
        base: r.base,
        entryPrice: r.base === 0n ? 0n : toI64((-r.quote * BASE_PRECISION) / r.base, "entry price"),
        oraclePrice: r.price.price,
        notional: toI64(n, "notional"),
        unrealizedPnl: toI64(unrealizedPnl(r), "unrealized pnl"),
        fundingOwed: r.fundingOwed,
        liquidationPrice: liquidationPrice(collateral, risks, i),
        fundingPerDay: toI64(((r.base < 0n ? -n : n) * p.fundingRatePerDay) / RATE_PRECISION, "funding per day"),
      };
    }),
  };
}

/** The report of an on-chain account, given its markets (decoded) and their current prices. */
export function accountReport(account: MarginAccount, markets: readonly PricedMarket[]): RiskReport {
  const inputs = positionRisks(account, markets).map((risk) => {
    const { market } = pricedFor(markets, risk.marketIndex);
    return { symbol: market.symbol, risk, fundingRatePerDay: market.lastFundingRate * 1_000n };
  });
  return report(account.collateral, inputs);
}
