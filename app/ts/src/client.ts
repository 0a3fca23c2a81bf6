// Reading state from a cluster: the accounts a frontend shows, decoded, and the risk view of an
// account from its markets and their Pyth prices. Only `getMultipleAccountsInfo` is used, so any
// `Connection` (or a cache that answers the same call) works.
import type { AccountInfo, Connection, PublicKey } from "@solana/web3.js";
import type { Buffer } from "buffer";

import { decodeExchange, decodeMarginAccount, decodeMarket, type Exchange, type MarginAccount, type Market } from "./accounts.js";
import { positionMarketIndices } from "./health.js";
import { parseOracle } from "./oracle.js";
import { exchangeAddress, marketAddress } from "./pda.js";
import { accountReport, type PricedMarket, type RiskReport } from "./risk.js";

export type AccountReader = Pick<Connection, "getMultipleAccountsInfo">;

export class AccountNotFound extends Error {
  constructor(readonly address: PublicKey) {
    super(`account ${address.toBase58()} does not exist`);
  }
}

async function fetchAll(reader: AccountReader, keys: PublicKey[]): Promise<AccountInfo<Buffer>[]> {
  const out: AccountInfo<Buffer>[] = [];
  for (let i = 0; i < keys.length; i += 100) {
    const chunk = keys.slice(i, i + 100);
    const infos = await reader.getMultipleAccountsInfo(chunk);
    infos.forEach((info, j) => {
      if (info === null) throw new AccountNotFound(chunk[j] as PublicKey);
      out.push(info);
    });
  }
  return out;
}

export async function fetchExchange(reader: AccountReader): Promise<Exchange> {
  const [info] = await fetchAll(reader, [exchangeAddress()]);
  return decodeExchange((info as AccountInfo<Buffer>).data);
}

export async function fetchMarginAccount(reader: AccountReader, address: PublicKey): Promise<MarginAccount> {
  const [info] = await fetchAll(reader, [address]);
  return decodeMarginAccount((info as AccountInfo<Buffer>).data);
}

export async function fetchMarkets(reader: AccountReader, marketIndices: readonly number[]): Promise<Market[]> {
  const infos = await fetchAll(reader, marketIndices.map(marketAddress));
  return infos.map((i) => decodeMarket(i.data));
}

/** Markets with their current oracle prices (parsed with the program's rules; not age-checked). */
export async function fetchPricedMarkets(reader: AccountReader, marketIndices: readonly number[]): Promise<PricedMarket[]> {
  const markets = await fetchMarkets(reader, marketIndices);
  const oracles = await fetchAll(reader, markets.map((m) => m.oracle));
  return markets.map((market, i) => {
    const info = oracles[i] as AccountInfo<Buffer>;
    return { market, price: parseOracle(info.owner, info.data, market.oracleSource, market.pythFeedId) };
  });
}

/**
 * A margin account, its markets (priced) and its risk report: equity, requirements, free
 * collateral, leverage and each position's liquidation price.
 */
export async function fetchRiskReport(
  reader: AccountReader,
  marginAccount: PublicKey,
): Promise<{ account: MarginAccount; markets: PricedMarket[]; report: RiskReport }> {
  const account = await fetchMarginAccount(reader, marginAccount);
  const markets = await fetchPricedMarkets(reader, positionMarketIndices(account));
  return { account, markets, report: accountReport(account, markets) };
}
