// The risk view of an account, computed as the program computes it (risk/health.rs,
// risk/portfolio.rs, risk/funding.rs, risk/trigger.rs, the SDK's risk.rs): the same formulas, the
// same rounding, so every figure equals the program's to the unit (the cross-language vectors
// check this).
//
// For collateral C and positions i (base b, quote q, unsettled funding F, oracle price p):
//   U_i = floor(b*p / BASE) + q - F,  E = C + sum U_i
//   standard MM = sum ceil(|b|*p*mm / (BASE*RATIO)),  IM likewise at the conservative price
//   portfolio: standard less the credit of each margin group (risk/portfolio.rs), at least 25%
//   liquidatable iff E < MM; free collateral = E_init - IM
import { BASE_PRECISION, FUNDING_INDEX_SCALE, MarginMode, MarketStatus, PORTFOLIO_FLOOR, RATE_PRECISION, RATIO_PRECISION, type TriggerKind } from "./constants.js";
import {
  activeOrders,
  type MarginAccount,
  marginModeOf,
  type Market,
  openPositions,
  orderKind,
  type Position,
  type TriggerOrders,
} from "./accounts.js";
import { abs, divCeil, divFloor, max, min, toI64 } from "./math.js";
import type { OraclePrice } from "./oracle.js";

/** The margin parameters the health math needs (ppm). */
export interface RiskParams {
  initialMarginRatio: number;
  maintenanceMarginRatio: number;
  upnlInitialWeight: number;
  /** Portfolio margin group (0: offsets nothing). */
  marginGroup: number;
  /** Portfolio margin: share of the margin the group may offset (ppm). */
  systematicShare: number;
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
  /** MM in the account's margin mode. */
  maintenanceRequirement: bigint;
  /** E_init: equity at conservative prices with weighted positive pnl. */
  initialEquity: bigint;
  /** IM in the account's margin mode. */
  initialRequirement: bigint;
  /** sum |b| * p, rounded up. */
  notional: bigint;
  /** MM and IM as the standard mode computes them. */
  standardMaintenanceRequirement: bigint;
  standardInitialRequirement: bigint;
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

/** One position's term in a requirement (risk/portfolio.rs `RequirementTerm`). */
export interface RequirementTerm {
  base: bigint;
  /** The price the requirement is taken at. */
  price: bigint;
  /** The margin ratio of this kind (ppm). */
  ratio: number;
  group: number;
  /** Systematic share (ppm). */
  share: number;
}

/** Which requirement: maintenance (oracle price) or initial (conservative price). */
export type RequirementKind = "maintenance" | "initial";

export function requirementTerm(pos: PositionRisk, kind: RequirementKind): RequirementTerm {
  const maintenance = kind === "maintenance";
  return {
    base: pos.base,
    price: maintenance ? pos.price.price : initialRequirementPrice(pos.base, pos.price),
    ratio: maintenance ? pos.params.maintenanceMarginRatio : pos.params.initialMarginRatio,
    group: pos.params.marginGroup,
    share: pos.params.systematicShare,
  };
}

/** Credits are summed in millionths of a quote native unit. */
const CREDIT_SCALE = 1_000_000n;
const SYSTEMATIC_DIVISOR = (BASE_PRECISION * RATIO_PRECISION * RATIO_PRECISION) / CREDIT_SCALE; // 1e15

/** `s * a` of a term in millionths of a quote native unit, truncated toward zero, and whether exactly. */
export function systematicAmount(t: RequirementTerm): { amount: bigint; exact: boolean } {
  const n = t.base * t.price;
  const k = BigInt(t.ratio) * BigInt(t.share);
  const q = abs(n) / SYSTEMATIC_DIVISOR;
  const rem = abs(n) % SYSTEMATIC_DIVISOR;
  const m = q * k + (rem * k) / SYSTEMATIC_DIVISOR;
  return { amount: n < 0n ? -m : m, exact: (rem * k) % SYSTEMATIC_DIVISOR === 0n };
}

/**
 * The portfolio requirement of `terms` given their standard requirement (the sum of each term's
 * requirement rounded up): the standard less each group's credit `sum s|a| - |sum s a|` (in
 * millionths, one millionth less per inexact term, the total rounded down), never below 25% of
 * the standard nor above it.
 */
export function portfolioRequirement(terms: readonly RequirementTerm[], standard: bigint): bigint {
  let credit = 0n;
  terms.forEach((t, i) => {
    if (t.group === 0 || t.base === 0n || terms.slice(0, i).some((u) => u.group === t.group && u.base !== 0n)) return;
    let sumAbs = 0n;
    let sum = 0n;
    let inexact = 0n;
    for (const u of terms.slice(i)) {
      if (u.group !== t.group || u.base === 0n) continue;
      const { amount, exact } = systematicAmount(u);
      sumAbs += abs(amount);
      sum += amount;
      if (!exact) inexact += 1n;
    }
    const groupCredit = sumAbs - abs(sum);
    if (groupCredit > 0n) credit += max(groupCredit - inexact, 0n);
  });
  const floor = divCeil(standard * PORTFOLIO_FLOOR, RATIO_PRECISION);
  return min(max(standard - divFloor(credit, CREDIT_SCALE), floor), standard);
}

/** The requirement of `kind` over `positions`: in `mode`, and in the standard mode. */
export function requirements(positions: readonly PositionRisk[], kind: RequirementKind, mode: MarginMode): { inMode: bigint; standard: bigint } {
  let standard = 0n;
  for (const pos of positions) {
    if (pos.base === 0n) continue;
    const t = requirementTerm(pos, kind);
    standard += requirement(t.base, t.price, t.ratio);
  }
  if (mode !== MarginMode.Portfolio) return { inMode: standard, standard };
  return { inMode: portfolioRequirement(positions.map((p) => requirementTerm(p, kind)), standard), standard };
}

export function computeHealth(collateral: bigint, positions: readonly PositionRisk[], mode: MarginMode = MarginMode.Standard): Health {
  let equity = collateral;
  let initialEquity = collateral;
  let total = 0n;
  for (const pos of positions) {
    if (pos.base === 0n) continue;
    equity += unrealizedPnl(pos);
    total += notional(pos.base, pos.price.price);
    const upnlInit = unrealizedPnlAt(pos, initialValuePrice(pos.base, pos.price));
    initialEquity += upnlInit > 0n ? divFloor(upnlInit * BigInt(pos.params.upnlInitialWeight), RATIO_PRECISION) : upnlInit;
  }
  const mm = requirements(positions, "maintenance", mode);
  const im = requirements(positions, "initial", mode);
  return {
    equity,
    maintenanceRequirement: mm.inMode,
    initialEquity,
    initialRequirement: im.inMode,
    notional: total,
    standardMaintenanceRequirement: mm.standard,
    standardInitialRequirement: im.standard,
  };
}

export const liquidatable = (h: Health): boolean => h.equity < h.maintenanceRequirement;
export const freeCollateral = (h: Health): bigint => h.initialEquity - h.initialRequirement;
/** E - MM: what a liquidation restores. */
export const maintenanceHealth = (h: Health): bigint => h.equity - h.maintenanceRequirement;

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
 * The oracle price of position `index`'s market at which the account becomes liquidatable in
 * `mode`, other prices held: for a long the smallest price at which it is not liquidatable, for a
 * short the largest. Undefined when this price alone cannot make it liquidatable (or it is at
 * every price). The program's search: the continuous estimate, widened, then bisection on the
 * real predicate.
 */
export function liquidationPrice(
  collateral: bigint,
  positions: readonly PositionRisk[],
  index: number,
  mode: MarginMode = MarginMode.Standard,
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
    const liq = liquidatable(computeHealth(collateral, scratch, mode));
    return long ? !liq : liq;
  };
  if (q(1n)) return undefined;
  if (!q(MAX_SEARCH_PRICE)) return long ? MAX_SEARCH_PRICE : undefined;

  const h0 = computeHealth(collateral, positions, mode);
  const m = BigInt(pos.params.maintenanceMarginRatio);
  const slope = abs(long ? pos.base * (RATIO_PRECISION - m) : pos.base * (RATIO_PRECISION + m));
  const shift = divFloor(maintenanceHealth(h0) * BASE_PRECISION * RATIO_PRECISION, slope);
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

export function riskParams(market: RiskParams): RiskParams {
  return {
    initialMarginRatio: market.initialMarginRatio,
    maintenanceMarginRatio: market.maintenanceMarginRatio,
    upnlInitialWeight: market.upnlInitialWeight,
    marginGroup: market.marginGroup,
    systematicShare: market.systematicShare,
  };
}

/** Whether trigger order `kind` on a position of sign `long` fires at `price` (risk/trigger.rs). */
export function triggerReached(kind: TriggerKind, long: boolean, triggerPrice: bigint, price: bigint): boolean {
  // a long's stop-loss and a short's take-profit fire when the price falls to the trigger
  const falls = (kind === 0) === long;
  return falls ? price <= triggerPrice : price >= triggerPrice;
}

/** How far (ppm of `price`, signed, truncated) the oracle must move to fire an order; 0 when fired. */
export function triggerDistance(kind: TriggerKind, long: boolean, triggerPrice: bigint, price: bigint): bigint {
  if (price <= 0n || triggerReached(kind, long, triggerPrice, price)) return 0n;
  return BigInt.asIntN(64, ((triggerPrice - price) * RATIO_PRECISION) / price);
}

/** A market with its current price, as the account's figures need it. */
export interface PricedMarket {
  market: Market;
  /** The oracle's price (ignored for a settled market, which is valued at its settlement price). */
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

export const isSettled = (m: Pick<Market, "status">): boolean => m.status === MarketStatus.Settled;

/** The price a market's positions are valued at: its oracle's, or a settled market's settlement price. */
export function valuationPrice(market: Market, price: OraclePrice): OraclePrice {
  if (!isSettled(market)) return price;
  return { price: market.settlementPrice, conf: 0n, emaPrice: market.settlementPrice, publishTime: market.lastOraclePublishTime };
}

export function positionFundingOwed(pos: Position, market: Market): bigint {
  return fundingOwed(pos.base, sideIndex(pos.base, market.cumulativeFundingLong, market.cumulativeFundingShort), pos.fundingSnapshot);
}

/** The risk inputs of every open position of `account`, in slot order. */
export function positionRisks(account: Pick<MarginAccount, "positions">, markets: readonly PricedMarket[]): PositionRisk[] {
  return openPositions(account).map((pos) => {
    const { market, price } = pricedFor(markets, pos.marketIndex);
    return {
      marketIndex: pos.marketIndex,
      base: pos.base,
      quote: pos.quote,
      fundingOwed: positionFundingOwed(pos, market),
      price: valuationPrice(market, price),
      params: riskParams(market),
    };
  });
}

/** A trigger order on a position, and how far the oracle is from firing it. */
export interface OrderReport {
  orderId: bigint;
  kind: TriggerKind;
  triggerPrice: bigint;
  limitPrice: bigint;
  /** 0: the whole position. */
  size: bigint;
  expiry: bigint;
  premium: number;
  /** How far the oracle must move to fire it, ppm of the oracle price (negative: down); 0 when fired. */
  distancePpm: bigint;
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
  /** The oracle price at which the account becomes liquidatable in its mode, other prices held. */
  liquidationPrice: bigint | undefined;
  /** Paid per day at the current funding rate (negative: received). */
  fundingPerDay: bigint;
  marginGroup: number;
  systematicShare: number;
  orders: OrderReport[];
}

export interface RiskReport {
  marginMode: MarginMode;
  collateral: bigint;
  equity: bigint;
  initialEquity: bigint;
  /** In the account's mode. */
  initialRequirement: bigint;
  maintenanceRequirement: bigint;
  /** As the standard mode computes them (what portfolio margin saves against). */
  standardInitialRequirement: bigint;
  standardMaintenanceRequirement: bigint;
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

/** The quote a fill of `base` at `price` leaves in a position: floor(-b * p / BASE) (risk/trade.rs `trade_quote`). */
export function tradeQuote(base: bigint, price: bigint): bigint {
  return toI64(divFloor(-base * price, BASE_PRECISION), "trade quote");
}

/** What a what-if position takes from its market: a decoded `Market` is one. */
export type WhatIfMarket = Pick<Market, "marketIndex" | "symbol" | keyof RiskParams> & Partial<Pick<Market, "lastFundingRate">>;

/** A hypothetical position: its size, the price it was bought at, and the oracle price to value it at. */
export interface WhatIf {
  /** Signed base (1e9 per contract; negative: short). */
  base: bigint;
  /** The price it was opened at (1e-6 USDC per contract): its quote is what a fill there leaves. */
  entryPrice: bigint;
  /** The oracle price to value it at. */
  price: bigint;
  /** Oracle confidence (default 0). */
  conf?: bigint;
  /** Oracle ema price (default `price`). */
  emaPrice?: bigint;
  /** Unsettled funding, positive when owed (default 0). */
  fundingOwed?: bigint;
  /** ppb per day (default the market's last applied premium, as `accountReport` shows it; 0 without one). */
  fundingRatePerDay?: bigint;
}

/**
 * A what-if position for `report()`: the market's index, symbol and margin parameters, the quote a
 * fill at `entryPrice` leaves, and an oracle price at `price` (confidence 0 and ema `price` unless
 * given). `report(1_000_000_000n, [whatIfPosition(eth, { base: parseBase("2"), entryPrice:
 * parsePrice("3000"), price: parsePrice("2700") })])` is 1,000 USDC long 2 ETH bought at 3,000,
 * at 2,700. Its `risk` is the position's `PositionRisk`.
 */
export function whatIfPosition(market: WhatIfMarket, w: WhatIf): PositionInput {
  if (w.price <= 0n || w.entryPrice <= 0n) throw new RangeError("what-if prices must be positive");
  return {
    symbol: market.symbol,
    fundingRatePerDay: w.fundingRatePerDay ?? (market.lastFundingRate ?? 0n) * 1_000n,
    risk: {
      marketIndex: market.marketIndex,
      base: w.base,
      quote: tradeQuote(w.base, w.entryPrice),
      fundingOwed: w.fundingOwed ?? 0n,
      price: { price: w.price, conf: w.conf ?? 0n, emaPrice: w.emaPrice ?? w.price, publishTime: 0n },
      params: riskParams(market),
    },
  };
}

/** The report for `collateral` and these positions, in `mode`. */
export function report(collateral: bigint, positions: readonly PositionInput[], mode: MarginMode = MarginMode.Standard): RiskReport {
  const risks = positions.map((p) => p.risk);
  const h = computeHealth(collateral, risks, mode);
  return {
    marginMode: mode,
    collateral,
    equity: toI64(h.equity, "equity"),
    initialEquity: toI64(h.initialEquity, "initial equity"),
    initialRequirement: toI64(h.initialRequirement, "initial requirement"),
    maintenanceRequirement: toI64(h.maintenanceRequirement, "maintenance requirement"),
    standardInitialRequirement: toI64(h.standardInitialRequirement, "standard initial requirement"),
    standardMaintenanceRequirement: toI64(h.standardMaintenanceRequirement, "standard maintenance requirement"),
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
        liquidationPrice: liquidationPrice(collateral, risks, i, mode),
        fundingPerDay: toI64(((r.base < 0n ? -n : n) * p.fundingRatePerDay) / RATE_PRECISION, "funding per day"),
        marginGroup: r.params.marginGroup,
        systematicShare: r.params.systematicShare,
        orders: [],
      };
    }),
  };
}

/**
 * The report of an on-chain account in its margin mode, given its markets (decoded) and their
 * current prices, with each position's trigger orders when `orders` is given. The funding rate
 * shown is the market's last applied premium.
 */
export function accountReport(account: MarginAccount, markets: readonly PricedMarket[], orders?: TriggerOrders | null): RiskReport {
  const inputs = positionRisks(account, markets).map((risk) => {
    const { market } = pricedFor(markets, risk.marketIndex);
    return { symbol: market.symbol, risk, fundingRatePerDay: market.lastFundingRate * 1_000n };
  });
  const r = report(account.collateral, inputs, marginModeOf(account));
  if (orders !== undefined && orders !== null) {
    const active = activeOrders(orders);
    for (const p of r.positions) {
      for (const o of active.filter((x) => x.marketIndex === p.marketIndex)) {
        const kind = orderKind(o);
        p.orders.push({
          orderId: o.id,
          kind,
          triggerPrice: o.triggerPrice,
          limitPrice: o.limitPrice,
          size: o.size,
          expiry: o.expiry,
          premium: o.premium,
          distancePpm: triggerDistance(kind, p.base > 0n, o.triggerPrice, p.oraclePrice),
        });
      }
    }
  }
  return r;
}

/** One row of a stress table: every price of `group` (all markets when undefined) moved by `movePpm`. */
export interface StressRow {
  group: number | undefined;
  movePpm: bigint;
  equity: bigint;
  maintenanceRequirement: bigint;
  /** E / MM in ppm. */
  marginRatio: bigint | undefined;
  liquidatable: boolean;
}

/**
 * Equity, requirement and margin ratio when prices (oracle and ema) move together by each of
 * `movesPpm`, then for each margin group present (first appearance order) when that group moves
 * alone: the SDK's `risk::stress`.
 */
export function stress(collateral: bigint, positions: readonly PositionInput[], mode: MarginMode, movesPpm: readonly bigint[]): StressRow[] {
  const groups: (number | undefined)[] = [undefined];
  for (const p of positions) {
    const g = p.risk.params.marginGroup;
    if (g !== 0 && !groups.includes(g)) groups.push(g);
  }
  const rows: StressRow[] = [];
  for (const group of groups) {
    for (const m of movesPpm) {
      const scale = (v: bigint): bigint => max((v * (RATIO_PRECISION + m)) / RATIO_PRECISION, 1n);
      const moved = positions.map(({ risk: r }) =>
        group === undefined || group === r.params.marginGroup
          ? { ...r, price: { ...r.price, price: scale(r.price.price), emaPrice: scale(r.price.emaPrice) } }
          : r,
      );
      const h = computeHealth(collateral, moved, mode);
      rows.push({
        group,
        movePpm: m,
        equity: toI64(h.equity, "equity"),
        maintenanceRequirement: toI64(h.maintenanceRequirement, "maintenance requirement"),
        marginRatio: marginRatio(h),
        liquidatable: liquidatable(h),
      });
    }
  }
  return rows;
}
