// Program-derived addresses (the seeds of programs/cross_margin/src/constants.rs).
import { PublicKey } from "@solana/web3.js";

import { EXCHANGE_SEED, MARGIN_ACCOUNT_SEED, MARKET_SEED, PROGRAM_ID, VAULT_SEED } from "./constants.js";

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

function u16le(v: number): Uint8Array {
  if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new RangeError(`not a u16: ${v}`);
  return Uint8Array.of(v & 0xff, v >> 8);
}

function find(seeds: Uint8Array[]): PublicKey {
  return PublicKey.findProgramAddressSync(seeds, PROGRAM_ID)[0];
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
