// The health accounts an instruction takes after its named accounts (programs/cross_margin/src/
// health_accounts.rs; the same order as @crossmargin/client's health.ts): one read-only (Market,
// oracle) pair per open position, in the account's slot order; for two accounts, the first's
// markets then the second's new ones, leaving out the market the instruction names. A portfolio
// liquidation trades in each of the liquidatee's markets, so those Market metas are writable.
// The generated builders take no remaining accounts: `withRemainingAccounts` appends them.
import { AccountRole, type AccountMeta, type Address, type Instruction } from "@solana/kit";

import { findMarketPda } from "./pdas.js";

/** What the health accounts depend on: a decoded `MarginAccount` is one. */
export interface AccountLike {
  positions: readonly { marketIndex: number; base: bigint }[];
}

/** Where each market's oracle is: decoded markets (`{ marketIndex, oracle }`), a map, or a function. */
export type OracleLookup =
  | readonly { marketIndex: number; oracle: Address }[]
  | ReadonlyMap<number, Address>
  | ((marketIndex: number) => Address | undefined);

export class UnknownMarket extends Error {
  constructor(readonly marketIndex: number) {
    super(`no oracle known for market ${marketIndex}`);
  }
}

export function oracleOf(oracles: OracleLookup, marketIndex: number): Address {
  const found =
    typeof oracles === "function"
      ? oracles(marketIndex)
      : oracles instanceof Map
        ? oracles.get(marketIndex)
        : (oracles as readonly { marketIndex: number; oracle: Address }[]).find((m) => m.marketIndex === marketIndex)?.oracle;
  if (found === undefined) throw new UnknownMarket(marketIndex);
  return found;
}

/** Market indices of the open positions, in slot order. */
export function positionMarketIndices(account: AccountLike): number[] {
  return account.positions.filter((p) => p.base !== 0n).map((p) => p.marketIndex);
}

/** The markets whose (Market, oracle) pairs follow the named accounts, in the program's order. */
export function healthMarketOrder(accounts: readonly AccountLike[], exclude?: number): number[] {
  const order: number[] = [];
  for (const a of accounts) for (const m of positionMarketIndices(a)) if (m !== exclude && !order.includes(m)) order.push(m);
  return order;
}

export async function healthAccountMetas(marketIndices: readonly number[], oracles: OracleLookup): Promise<AccountMeta[]> {
  const metas: AccountMeta[] = [];
  for (const i of marketIndices) {
    const [market] = await findMarketPda({ marketIndex: i });
    metas.push({ address: market, role: AccountRole.READONLY }, { address: oracleOf(oracles, i), role: AccountRole.READONLY });
  }
  return metas;
}

/** A portfolio liquidation's health accounts: the liquidatee's markets writable, then the liquidator's new ones. */
export async function portfolioLiquidationMetas(liquidatee: AccountLike, liquidator: AccountLike, oracles: OracleLookup): Promise<AccountMeta[]> {
  const own = new Set(positionMarketIndices(liquidatee));
  const order = healthMarketOrder([liquidatee, liquidator]);
  const metas = await healthAccountMetas(order, oracles);
  return metas.map((m, i) => (i % 2 === 0 && own.has(order[i / 2] as number) ? { ...m, role: AccountRole.WRITABLE } : m));
}

/** The Market metas `settle_funding` takes: one per open position, in slot order. */
export async function fundingMetas(account: AccountLike): Promise<AccountMeta[]> {
  const metas: AccountMeta[] = [];
  for (const i of positionMarketIndices(account)) metas.push({ address: (await findMarketPda({ marketIndex: i }))[0], role: AccountRole.READONLY });
  return metas;
}

/**
 * Whether a standard liquidation step (or `settle_position`) may close the account's last
 * position, and so resolve a bankruptcy, which writes the exchange: it holds at most one position.
 */
export function mayCloseAccount(account: AccountLike): boolean {
  return positionMarketIndices(account).length <= 1;
}

/** `ix` with `remaining` after its accounts (the health accounts the program reads). */
export function withRemainingAccounts<T extends Instruction>(ix: T, remaining: readonly AccountMeta[]): T {
  return Object.freeze({ ...ix, accounts: [...(ix.accounts ?? []), ...remaining] });
}

/** `ix` with every meta of `address` writable (the exchange, when a step may resolve a bankruptcy). */
export function withWritable<T extends Instruction>(ix: T, address: Address): T {
  const writable = (role: AccountRole) => (role === AccountRole.READONLY ? AccountRole.WRITABLE : role === AccountRole.READONLY_SIGNER ? AccountRole.WRITABLE_SIGNER : role);
  return Object.freeze({ ...ix, accounts: (ix.accounts ?? []).map((m) => (m.address === address ? { ...m, role: writable(m.role) } : m)) });
}
