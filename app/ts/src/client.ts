// Reading state from a cluster: the accounts a frontend shows, decoded (each one's owner checked
// first), and the risk view of an account from its markets, their Pyth prices and its trigger
// orders. Only `getMultipleAccountsInfo` is used (and `getProgramAccounts` to list an owner's
// sub-accounts), so any `Connection` (or a cache that answers the same calls) works.
import { utils } from "@coral-xyz/anchor";
import type { AccountInfo, Connection, GetProgramAccountsFilter, PublicKey } from "@solana/web3.js";
import type { Buffer } from "buffer";

import {
  accountDiscriminator,
  checkOwner,
  decodeExchange,
  decodeMarginAccount,
  decodeMarket,
  decodeQueuedAction,
  decodeTriggerOrders,
  type Exchange,
  MARGIN_ACCOUNT_SIZE,
  type MarginAccount,
  type Market,
  type QueuedAction,
  type TriggerOrders,
} from "./accounts.js";
import { positionMarketIndices } from "./health.js";
import { oracleSpecOf, parseOracle, type OraclePrice } from "./oracle.js";
import { PROGRAM_ID } from "./constants.js";
import { adminActionAddress, exchangeAddress, marketAddress, triggerOrdersAddress } from "./pda.js";
import { accountReport, isSettled, type PricedMarket, type RiskReport } from "./risk.js";

export type AccountReader = Pick<Connection, "getMultipleAccountsInfo">;

export class AccountNotFound extends Error {
  constructor(readonly address: PublicKey) {
    super(`account ${address.toBase58()} does not exist`);
  }
}

/** The accounts at `keys` (in chunks of 100), `null` where there is none. */
export async function fetchAccounts(reader: AccountReader, keys: readonly PublicKey[]): Promise<(AccountInfo<Buffer> | null)[]> {
  const out: (AccountInfo<Buffer> | null)[] = [];
  for (let i = 0; i < keys.length; i += 100) {
    const infos = await reader.getMultipleAccountsInfo(keys.slice(i, i + 100));
    for (const info of infos) out.push(info ?? null);
  }
  return out;
}

async function fetchAll(reader: AccountReader, keys: readonly PublicKey[]): Promise<AccountInfo<Buffer>[]> {
  const infos = await fetchAccounts(reader, keys);
  return infos.map((info, i) => {
    if (info === null) throw new AccountNotFound(keys[i] as PublicKey);
    return info;
  });
}

export async function fetchExchange(reader: AccountReader): Promise<Exchange> {
  const [info] = await fetchAll(reader, [exchangeAddress()]);
  const i = info as AccountInfo<Buffer>;
  checkOwner("Exchange", i.owner, exchangeAddress());
  return decodeExchange(i.data);
}

export async function fetchMarginAccount(reader: AccountReader, address: PublicKey): Promise<MarginAccount> {
  const [info] = await fetchAll(reader, [address]);
  const i = info as AccountInfo<Buffer>;
  checkOwner("MarginAccount", i.owner, address);
  return decodeMarginAccount(i.data);
}

export async function fetchMarkets(reader: AccountReader, marketIndices: readonly number[]): Promise<Market[]> {
  const keys = marketIndices.map(marketAddress);
  const infos = await fetchAll(reader, keys);
  return infos.map((i, n) => {
    checkOwner("Market", i.owner, keys[n]);
    return decodeMarket(i.data);
  });
}

/** A margin account's trigger orders, or `null` when it has no trigger-order account. */
export async function fetchTriggerOrders(reader: AccountReader, marginAccount: PublicKey): Promise<TriggerOrders | null> {
  const address = triggerOrdersAddress(marginAccount);
  const [info] = await fetchAccounts(reader, [address]);
  if (info === null || info === undefined) return null;
  checkOwner("TriggerOrders", info.owner, address);
  return decodeTriggerOrders(info.data);
}

/** What `fetchSubAccounts` needs: a `Connection` is one. */
export interface ProgramAccountsReader {
  getProgramAccounts(
    programId: PublicKey,
    config: { filters: GetProgramAccountsFilter[] },
  ): Promise<readonly { pubkey: PublicKey; account: AccountInfo<Buffer> }[]>;
}

/** Offset of `MarginAccount.owner` (after the 8-byte discriminator). */
export const MARGIN_ACCOUNT_OWNER_OFFSET = 8;

/**
 * The `getProgramAccounts` filters that select `owner`'s margin accounts (any RPC client can use
 * them with `PROGRAM_ID`): the account size, the MarginAccount discriminator and the owner field.
 */
export function subAccountFilters(owner: PublicKey): GetProgramAccountsFilter[] {
  return [
    { dataSize: MARGIN_ACCOUNT_SIZE },
    { memcmp: { offset: 0, bytes: utils.bytes.bs58.encode(accountDiscriminator("MarginAccount")) } },
    { memcmp: { offset: MARGIN_ACCOUNT_OWNER_OFFSET, bytes: owner.toBase58() } },
  ];
}

/**
 * Every margin account `owner` has (one `getProgramAccounts` call), decoded, in sub-account id
 * order; the address of each is `marginAccountAddress(owner, account.subAccountId)`. Accounts
 * the owner closed are gone; an owner with none gets `[]`.
 */
export async function fetchSubAccounts(reader: ProgramAccountsReader, owner: PublicKey): Promise<{ address: PublicKey; account: MarginAccount }[]> {
  const found = await reader.getProgramAccounts(PROGRAM_ID, { filters: subAccountFilters(owner) });
  return found
    .map(({ pubkey, account: info }) => {
      checkOwner("MarginAccount", info.owner, pubkey);
      const account = decodeMarginAccount(info.data);
      if (!account.owner.equals(owner)) throw new Error(`MarginAccount ${pubkey.toBase58()}: owned by ${account.owner.toBase58()}, not ${owner.toBase58()} (the RPC ignored the filters)`);
      return { address: pubkey, account };
    })
    .sort((a, b) => a.account.subAccountId - b.account.subAccountId);
}

/** Every queued admin change the exchange has recorded (ids 0 .. nextActionId - 1), in id order. */
export async function fetchQueuedActions(reader: AccountReader, exchange: Pick<Exchange, "nextActionId">): Promise<QueuedAction[]> {
  const keys = Array.from({ length: Number(exchange.nextActionId) }, (_, i) => adminActionAddress(BigInt(i)));
  const infos = await fetchAll(reader, keys);
  return infos.map((i, n) => {
    checkOwner("QueuedAction", i.owner, keys[n]);
    return decodeQueuedAction(i.data);
  });
}

/**
 * Markets with their current oracle prices (parsed with the program's rules; not age-checked). A
 * settled market is valued at its settlement price: its oracle is not read.
 */
export async function fetchPricedMarkets(reader: AccountReader, marketIndices: readonly number[]): Promise<PricedMarket[]> {
  const markets = await fetchMarkets(reader, marketIndices);
  const live = markets.filter((m) => !isSettled(m));
  const oracles = await fetchAll(reader, live.map((m) => m.oracle));
  return markets.map((market) => {
    const n = live.indexOf(market);
    const info = oracles[n];
    const price: OraclePrice =
      info === undefined
        ? { price: market.settlementPrice, conf: 0n, emaPrice: market.settlementPrice, publishTime: market.lastOraclePublishTime }
        : parseOracle(market.oracle, info.owner, info.data, oracleSpecOf(market));
    return { market, price };
  });
}

/**
 * A margin account, its markets (priced), its trigger orders and its risk report in its margin
 * mode: equity, requirements (and the standard ones), free collateral, leverage, each position's
 * liquidation price and its orders with their distance to firing.
 */
export async function fetchRiskReport(
  reader: AccountReader,
  marginAccount: PublicKey,
): Promise<{ account: MarginAccount; markets: PricedMarket[]; orders: TriggerOrders | null; report: RiskReport }> {
  const account = await fetchMarginAccount(reader, marginAccount);
  const markets = await fetchPricedMarkets(reader, positionMarketIndices(account));
  const orders = await fetchTriggerOrders(reader, marginAccount);
  return { account, markets, orders, report: accountReport(account, markets, orders) };
}
