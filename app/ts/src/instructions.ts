// One builder per instruction. The account list, its order and the signer / writable flags come
// from the IDL; the data from Anchor's coder; every PDA and the health accounts are derived here,
// so a frontend passes only what it chooses (who signs, which account, how much).
import { type AccountMeta, PublicKey, TransactionInstruction } from "@solana/web3.js";
import BN from "bn.js";

import type { MarketParams } from "./accounts.js";
import { coder, idlInstruction } from "./idl.js";
import { PROGRAM_ID } from "./constants.js";
import { type AccountLike, fundingMetas, healthMarketOrder, healthMetas, type OracleLookup, oracleOf } from "./health.js";
import { exchangeAddress, marginAccountAddress, marketAddress, vaultAddress } from "./pda.js";

/** A margin account, by address or by (owner, sub-account id). */
export type MarginAccountRef = PublicKey | { owner: PublicKey; subAccountId: number };

export function marginAccountKey(ref: MarginAccountRef): PublicKey {
  // structural, not `instanceof`: an app may hold PublicKeys from another copy of web3.js
  return "subAccountId" in ref ? marginAccountAddress(ref.owner, ref.subAccountId) : new PublicKey(ref.toBytes());
}

/**
 * The instruction `name` with these accounts (by IDL name; fixed program addresses come from the
 * IDL), these arguments (exactly the IDL's, so a misspelt one is an error rather than a silent
 * zero) and these remaining accounts.
 */
export function buildInstruction(
  name: string,
  accounts: Record<string, PublicKey>,
  args: Record<string, unknown>,
  remaining: AccountMeta[] = [],
): TransactionInstruction {
  const ix = idlInstruction(name);
  const given = new Set(Object.keys(accounts));
  const keys: AccountMeta[] = ix.accounts.map((a) => {
    if (!("name" in a) || "accounts" in a) throw new Error(`${name}: nested account groups are not used`);
    const pubkey = accounts[a.name] ?? (a.address === undefined ? undefined : new PublicKey(a.address));
    if (pubkey === undefined) throw new Error(`${name}: account ${a.name} is missing`);
    given.delete(a.name);
    return { pubkey, isSigner: a.signer === true, isWritable: a.writable === true };
  });
  if (given.size > 0) throw new Error(`${name}: unknown accounts ${[...given].join(", ")}`);
  const expected = ix.args.map((a) => a.name).sort();
  const got = Object.keys(args).sort();
  if (expected.join() !== got.join()) {
    throw new Error(`${name}: arguments are ${expected.join(", ") || "none"}, got ${got.join(", ") || "none"}`);
  }
  return new TransactionInstruction({
    programId: PROGRAM_ID,
    keys: [...keys, ...remaining],
    data: coder.instruction.encode(name, args),
  });
}

const bn = (v: bigint | number): BN => new BN(v.toString());

/** A market symbol as the program stores it: UTF-8, NUL-padded to 16 bytes. */
export function symbolBytes(symbol: string): number[] {
  const b = new TextEncoder().encode(symbol);
  if (b.length === 0 || b.length > 16) throw new RangeError(`a symbol is 1 to 16 bytes: ${symbol}`);
  return [...b, ...new Array<number>(16 - b.length).fill(0)];
}

/** A Pyth feed id from 32 bytes or 64 hex digits (an optional 0x prefix). */
export function feedIdBytes(id: Uint8Array | string): number[] {
  if (typeof id !== "string") {
    if (id.length !== 32) throw new RangeError("a feed id is 32 bytes");
    return [...id];
  }
  const hex = id.startsWith("0x") ? id.slice(2) : id;
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new RangeError(`a feed id is 64 hex digits: ${id}`);
  return Array.from({ length: 32 }, (_, i) => parseInt(hex.slice(2 * i, 2 * i + 2), 16));
}

function paramsArg(p: MarketParams): Record<string, unknown> {
  return {
    initial_margin_ratio: p.initialMarginRatio,
    maintenance_margin_ratio: p.maintenanceMarginRatio,
    liquidation_fee: p.liquidationFee,
    insurance_fee: p.insuranceFee,
    upnl_initial_weight: p.upnlInitialWeight,
    taker_fee: p.takerFee,
    maker_fee: p.makerFee,
    price_band: p.priceBand,
    max_conf_ratio: p.maxConfRatio,
    max_oracle_age_secs: p.maxOracleAgeSecs,
    liquidation_max_oracle_age_secs: p.liquidationMaxOracleAgeSecs,
    max_funding_premium: p.maxFundingPremium,
    funding_period_secs: p.fundingPeriodSecs,
    base_lot_size: bn(p.baseLotSize),
    min_position_base: bn(p.minPositionBase),
    open_interest_cap: bn(p.openInterestCap),
  };
}

export function initializeExchange(a: {
  admin: PublicKey;
  collateralMint: PublicKey;
  /** Extra margin over maintenance a liquidation restores (ppm). */
  liquidationBuffer: number;
}): TransactionInstruction {
  return buildInstruction(
    "initialize_exchange",
    { admin: a.admin, exchange: exchangeAddress(), collateral_mint: a.collateralMint, vault: vaultAddress() },
    { liquidation_buffer: a.liquidationBuffer },
  );
}

export function addMarket(a: {
  admin: PublicKey;
  /** Must be the exchange's market count (markets are numbered 0, 1, 2, ...). */
  marketIndex: number;
  oracle: PublicKey;
  symbol: string;
  oracleSource: number;
  pythFeedId: Uint8Array | string;
  params: MarketParams;
}): TransactionInstruction {
  return buildInstruction(
    "add_market",
    { admin: a.admin, exchange: exchangeAddress(), market: marketAddress(a.marketIndex), oracle: a.oracle },
    {
      symbol: symbolBytes(a.symbol),
      oracle_source: a.oracleSource,
      pyth_feed_id: feedIdBytes(a.pythFeedId),
      params: paramsArg(a.params),
    },
  );
}

export function updateMarket(a: { admin: PublicKey; marketIndex: number; params: MarketParams }): TransactionInstruction {
  return buildInstruction(
    "update_market",
    { admin: a.admin, exchange: exchangeAddress(), market: marketAddress(a.marketIndex) },
    { params: paramsArg(a.params) },
  );
}

export function setMarketStatus(a: { admin: PublicKey; marketIndex: number; status: number }): TransactionInstruction {
  return buildInstruction(
    "set_market_status",
    { admin: a.admin, exchange: exchangeAddress(), market: marketAddress(a.marketIndex) },
    { status: a.status },
  );
}

export function transferAdmin(a: { admin: PublicKey; newAdmin: PublicKey }): TransactionInstruction {
  return buildInstruction("transfer_admin", { admin: a.admin, exchange: exchangeAddress() }, { new_admin: a.newAdmin });
}

export function acceptAdmin(a: { newAdmin: PublicKey }): TransactionInstruction {
  return buildInstruction("accept_admin", { new_admin: a.newAdmin, exchange: exchangeAddress() }, {});
}

export function createMarginAccount(a: { owner: PublicKey; subAccountId: number }): TransactionInstruction {
  return buildInstruction(
    "create_margin_account",
    { owner: a.owner, margin_account: marginAccountAddress(a.owner, a.subAccountId) },
    { sub_account_id: a.subAccountId },
  );
}

export function closeMarginAccount(a: { owner: PublicKey; subAccountId: number }): TransactionInstruction {
  return buildInstruction(
    "close_margin_account",
    { owner: a.owner, margin_account: marginAccountAddress(a.owner, a.subAccountId) },
    {},
  );
}

/** Lets `delegate` trade for the account (`PublicKey.default` removes the delegate). */
export function setDelegate(a: { owner: PublicKey; subAccountId: number; delegate: PublicKey }): TransactionInstruction {
  return buildInstruction(
    "set_delegate",
    { owner: a.owner, margin_account: marginAccountAddress(a.owner, a.subAccountId) },
    { delegate: a.delegate },
  );
}

/** Moves `amount` USDC (native units) from the depositor's token account into a margin account. */
export function deposit(a: {
  depositor: PublicKey;
  marginAccount: MarginAccountRef;
  depositorToken: PublicKey;
  amount: bigint;
}): TransactionInstruction {
  return buildInstruction(
    "deposit",
    {
      depositor: a.depositor,
      exchange: exchangeAddress(),
      margin_account: marginAccountKey(a.marginAccount),
      vault: vaultAddress(),
      depositor_token: a.depositorToken,
    },
    { amount: bn(a.amount) },
  );
}

export function depositInsurance(a: {
  depositor: PublicKey;
  depositorToken: PublicKey;
  amount: bigint;
}): TransactionInstruction {
  return buildInstruction(
    "deposit_insurance",
    { depositor: a.depositor, exchange: exchangeAddress(), vault: vaultAddress(), depositor_token: a.depositorToken },
    { amount: bn(a.amount) },
  );
}

/** Withdraws to `destination` (a USDC token account); the owner signs. */
export function withdraw(a: {
  account: AccountLike;
  destination: PublicKey;
  amount: bigint;
  oracles: OracleLookup;
}): TransactionInstruction {
  return buildInstruction(
    "withdraw",
    {
      owner: a.account.owner,
      exchange: exchangeAddress(),
      margin_account: marginAccountKey(a.account),
      vault: vaultAddress(),
      destination: a.destination,
    },
    { amount: bn(a.amount) },
    healthMetas(healthMarketOrder([a.account]), a.oracles),
  );
}

/**
 * A fill between a taker and a market maker at `price` (1e-6 USDC per whole unit): the taker's
 * base changes by `takerBaseDelta`, the maker's by its opposite. Both authorities (owner or
 * delegate; the owners by default) sign the same transaction.
 */
export function fill(a: {
  taker: AccountLike;
  maker: AccountLike;
  takerAuthority?: PublicKey;
  makerAuthority?: PublicKey;
  marketIndex: number;
  takerBaseDelta: bigint;
  price: bigint;
  oracles: OracleLookup;
}): TransactionInstruction {
  return buildInstruction(
    "fill",
    {
      taker_authority: a.takerAuthority ?? a.taker.owner,
      maker_authority: a.makerAuthority ?? a.maker.owner,
      exchange: exchangeAddress(),
      market: marketAddress(a.marketIndex),
      oracle: oracleOf(a.oracles, a.marketIndex),
      taker: marginAccountKey(a.taker),
      maker: marginAccountKey(a.maker),
    },
    { market_index: a.marketIndex, taker_base_delta: bn(a.takerBaseDelta), price: bn(a.price) },
    healthMetas(healthMarketOrder([a.taker, a.maker], a.marketIndex), a.oracles),
  );
}

/** Advances a market's funding indices (permissionless; the keepers' crank). */
export function updateFunding(a: { marketIndex: number; oracles: OracleLookup }): TransactionInstruction {
  return buildInstruction(
    "update_funding",
    { exchange: exchangeAddress(), market: marketAddress(a.marketIndex), oracle: oracleOf(a.oracles, a.marketIndex) },
    { market_index: a.marketIndex },
  );
}

/** Realizes an account's unsettled funding into its collateral (permissionless). */
export function settleFunding(a: { account: AccountLike }): TransactionInstruction {
  return buildInstruction("settle_funding", { margin_account: marginAccountKey(a.account) }, {}, fundingMetas(a.account));
}

/**
 * One liquidation step: the liquidator takes over up to `maxBase` of the liquidatee's position in
 * `marketIndex`, at a price no worse for it than `limitPrice`.
 */
export function liquidate(a: {
  liquidator: AccountLike;
  liquidatee: AccountLike;
  liquidatorAuthority?: PublicKey;
  marketIndex: number;
  maxBase: bigint;
  limitPrice: bigint;
  oracles: OracleLookup;
}): TransactionInstruction {
  return buildInstruction(
    "liquidate",
    {
      liquidator_authority: a.liquidatorAuthority ?? a.liquidator.owner,
      exchange: exchangeAddress(),
      market: marketAddress(a.marketIndex),
      oracle: oracleOf(a.oracles, a.marketIndex),
      liquidator: marginAccountKey(a.liquidator),
      liquidatee: marginAccountKey(a.liquidatee),
    },
    { market_index: a.marketIndex, max_base: bn(a.maxBase), limit_price: bn(a.limitPrice) },
    healthMetas(healthMarketOrder([a.liquidatee, a.liquidator], a.marketIndex), a.oracles),
  );
}
