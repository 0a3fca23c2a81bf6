// Program-derived addresses (the seeds of programs/cross_margin/src/constants.rs), the program's
// ProgramData and Pyth's sponsored feed accounts.
import { PublicKey } from "@solana/web3.js";

import {
  ADMIN_ACTION_SEED,
  ASSOCIATED_TOKEN_PROGRAM_ID,
  BPF_LOADER_UPGRADEABLE_PROGRAM_ID,
  EXCHANGE_SEED,
  MARGIN_ACCOUNT_SEED,
  MARKET_SEED,
  PROGRAM_ID,
  PYTH_FEED_SHARD,
  PYTH_PUSH_ORACLE_PROGRAM_ID,
  TOKEN_PROGRAM_ID,
  TRIGGER_ORDERS_SEED,
  VAULT_SEED,
} from "./constants.js";

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

function u16le(v: number): Uint8Array {
  if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new RangeError(`not a u16: ${v}`);
  return Uint8Array.of(v & 0xff, v >> 8);
}

function u64le(v: bigint | number): Uint8Array {
  const b = BigInt(v);
  if (b < 0n || b >= 1n << 64n) throw new RangeError(`not a u64: ${v}`);
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, b, true);
  return out;
}

function find(seeds: Uint8Array[], program = PROGRAM_ID): PublicKey {
  return PublicKey.findProgramAddressSync(seeds, program)[0];
}

export function exchangeAddress(): PublicKey {
  return find([utf8(EXCHANGE_SEED)]);
}

/** The collateral vault: a token account whose authority is the exchange PDA. */
export function vaultAddress(): PublicKey {
  return find([utf8(VAULT_SEED), exchangeAddress().toBytes()]);
}

export function marketAddress(marketIndex: number): PublicKey {
  return find([utf8(MARKET_SEED), u16le(marketIndex)]);
}

export function marginAccountAddress(owner: PublicKey, subAccountId: number): PublicKey {
  return find([utf8(MARGIN_ACCOUNT_SEED), owner.toBytes(), u16le(subAccountId)]);
}

/** Queued admin change number `id` (a `QueuedAction`). */
export function adminActionAddress(id: bigint | number): PublicKey {
  return find([utf8(ADMIN_ACTION_SEED), u64le(id)]);
}

/** The trigger-order account of a margin account. */
export function triggerOrdersAddress(marginAccount: PublicKey): PublicKey {
  return find([utf8(TRIGGER_ORDERS_SEED), marginAccount.toBytes()]);
}

/** The program's `ProgramData` account (its upgrade authority initializes the exchange). */
export function programDataAddress(): PublicKey {
  return find([PROGRAM_ID.toBytes()], BPF_LOADER_UPGRADEABLE_PROGRAM_ID);
}

/** The sponsored Pyth feed account of a feed id (shard 0): the only pull oracle a market may list. */
export function sponsoredFeedAddress(feedId: Uint8Array): PublicKey {
  if (feedId.length !== 32) throw new RangeError("a feed id is 32 bytes");
  return find([u16le(PYTH_FEED_SHARD), feedId], PYTH_PUSH_ORACLE_PROGRAM_ID);
}

/**
 * A wallet's associated token account for `mint` (the account wallets and `deposit`'s
 * `depositorToken` use): the associated-token program's PDA `[owner, token program, mint]`. For
 * the exchange's USDC: `associatedTokenAddress(wallet.publicKey, exchange.collateralMint)`.
 */
export function associatedTokenAddress(owner: PublicKey, mint: PublicKey, tokenProgram: PublicKey = TOKEN_PROGRAM_ID): PublicKey {
  return find([owner.toBytes(), tokenProgram.toBytes(), mint.toBytes()], ASSOCIATED_TOKEN_PROGRAM_ID);
}
