// The health accounts an instruction needs (programs/cross_margin/src/health_accounts.rs, the
// SDK's health.rs): one read-only (Market, oracle) pair per open position, in the account's slot
// order; for two accounts, the first's markets then the second's new ones, leaving out the market
// the instruction names. A portfolio liquidation trades in each of the liquidatee's markets, so
// those Market metas are writable.
import type { AccountMeta, PublicKey } from "@solana/web3.js";

import type { Market, Position } from "./accounts.js";
import { marketAddress } from "./pda.js";

/** What the builders need of a margin account: a decoded `MarginAccount` is one. */
export interface AccountLike {
  owner: PublicKey;
  subAccountId: number;
  positions: readonly Pick<Position, "marketIndex" | "base">[];
}

/** Where each market's oracle is: decoded markets, a map, or a function. */
export type OracleLookup =
  | readonly Pick<Market, "marketIndex" | "oracle">[]
  | ReadonlyMap<number, PublicKey>
  | ((marketIndex: number) => PublicKey | undefined);

export class UnknownMarket extends Error {
  constructor(readonly marketIndex: number) {
    super(`no oracle known for market ${marketIndex}`);
  }
}

export function oracleOf(oracles: OracleLookup, marketIndex: number): PublicKey {
  let found: PublicKey | undefined;
  if (typeof oracles === "function") found = oracles(marketIndex);
  else if (oracles instanceof Map) found = oracles.get(marketIndex);
  else found = (oracles as readonly Pick<Market, "marketIndex" | "oracle">[]).find((m) => m.marketIndex === marketIndex)?.oracle;
  if (found === undefined) throw new UnknownMarket(marketIndex);
  return found;
}

/** Market indices of the open positions, in slot order. */
export function positionMarketIndices(account: AccountLike): number[] {
  return account.positions.filter((p) => p.base !== 0n).map((p) => p.marketIndex);
}

/** The first list's markets, then the second's new ones, without `exclude`. */
export function unionMarketOrder(first: readonly number[], second: readonly number[], exclude?: number): number[] {
  const order: number[] = [];
  for (const m of [...first, ...second]) {
    if (m !== exclude && !order.includes(m)) order.push(m);
  }
  return order;
}

/** The markets whose (Market, oracle) pairs follow the named accounts, in the program's order. */
export function healthMarketOrder(accounts: readonly AccountLike[], exclude?: number): number[] {
  let order: number[] = [];
  for (const a of accounts) order = unionMarketOrder(order, positionMarketIndices(a), exclude);
  return order;
}

export function healthMetas(marketIndices: readonly number[], oracles: OracleLookup): AccountMeta[] {
  return marketIndices.flatMap((i) => [
    { pubkey: marketAddress(i), isSigner: false, isWritable: false },
    { pubkey: oracleOf(oracles, i), isSigner: false, isWritable: false },
  ]);
}

/**
 * The health metas of a portfolio liquidation: the liquidatee's markets (writable: the slice
 * trades in each), then the liquidator's new ones (read only).
 */
export function portfolioLiquidationMetas(liquidatee: AccountLike, liquidator: AccountLike, oracles: OracleLookup): AccountMeta[] {
  const own = new Set(positionMarketIndices(liquidatee));
  const order = healthMarketOrder([liquidatee, liquidator]);
  const metas = healthMetas(order, oracles);
  order.forEach((m, i) => {
    if (own.has(m)) (metas[2 * i] as AccountMeta).isWritable = true;
  });
  return metas;
}

/**
 * Whether a standard liquidation step (or `settle_position`) may close the account's last
 * position, and so resolve a bankruptcy, which writes the exchange: it holds at most one position.
 */
export function mayCloseAccount(account: AccountLike): boolean {
  return positionMarketIndices(account).length <= 1;
}

/** The Market metas `settle_funding` takes: one per open position, in slot order. */
export function fundingMetas(account: AccountLike): AccountMeta[] {
  return positionMarketIndices(account).map((i) => ({ pubkey: marketAddress(i), isSigner: false, isWritable: false }));
}
