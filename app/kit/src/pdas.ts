// The program's addresses (the seeds of programs/cross_margin/src/constants.rs) and a wallet's
// associated token account. The generated async builders derive the PDAs the IDL names seeds for
// (exchange, vault, markets by index, margin accounts by owner and sub-account id, trigger-order
// accounts, queued changes by id); these derive the rest: an account passed by address (a fill's
// taker and maker, a deposit's margin account, a liquidatee) and the accounts to fetch.
import {
  type Address,
  getAddressEncoder,
  getProgramDerivedAddress,
  getU16Encoder,
  getU64Encoder,
  getUtf8Encoder,
  type ProgramDerivedAddress,
} from "@solana/kit";

import { CROSS_MARGIN_PROGRAM_ADDRESS } from "./generated/index.js";

export const TOKEN_PROGRAM_ADDRESS = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA" as Address<"TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA">;
export const ASSOCIATED_TOKEN_PROGRAM_ADDRESS = "ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL" as Address<"ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL">;

type Config = { programAddress?: Address };

const utf8 = (s: string) => getUtf8Encoder().encode(s);
const pda = (seeds: Parameters<typeof getProgramDerivedAddress>[0]["seeds"], config?: Config) =>
  getProgramDerivedAddress({ programAddress: config?.programAddress ?? CROSS_MARGIN_PROGRAM_ADDRESS, seeds });

function u16(v: number, what: string): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new RangeError(`${what} must be a u16, got ${v}`);
  return v;
}

export async function findExchangePda(config?: Config): Promise<ProgramDerivedAddress> {
  return pda([utf8("exchange")], config);
}

/** The collateral vault: a token account whose authority is the exchange PDA. */
export async function findVaultPda(config?: Config): Promise<ProgramDerivedAddress> {
  const [exchange] = await findExchangePda(config);
  return pda([utf8("vault"), getAddressEncoder().encode(exchange)], config);
}

export async function findMarketPda(seeds: { marketIndex: number }, config?: Config): Promise<ProgramDerivedAddress> {
  return pda([utf8("market"), getU16Encoder().encode(u16(seeds.marketIndex, "marketIndex"))], config);
}

export async function findMarginAccountPda(seeds: { owner: Address; subAccountId: number }, config?: Config): Promise<ProgramDerivedAddress> {
  return pda([utf8("margin_account"), getAddressEncoder().encode(seeds.owner), getU16Encoder().encode(u16(seeds.subAccountId, "subAccountId"))], config);
}

/** Queued admin change number `actionId` (a `QueuedAction`). */
export async function findQueuedActionPda(seeds: { actionId: number | bigint }, config?: Config): Promise<ProgramDerivedAddress> {
  return pda([utf8("admin_action"), getU64Encoder().encode(seeds.actionId)], config);
}

/** The trigger-order account of a margin account. */
export async function findTriggerOrdersPda(seeds: { marginAccount: Address }, config?: Config): Promise<ProgramDerivedAddress> {
  return pda([utf8("trigger_orders"), getAddressEncoder().encode(seeds.marginAccount)], config);
}

/** A wallet's associated token account for `mint` (a deposit's `depositorToken`): `[owner, token program, mint]`. */
export async function findAssociatedTokenPda(seeds: { owner: Address; mint: Address; tokenProgram?: Address }): Promise<ProgramDerivedAddress> {
  const enc = getAddressEncoder();
  return getProgramDerivedAddress({
    programAddress: ASSOCIATED_TOKEN_PROGRAM_ADDRESS,
    seeds: [enc.encode(seeds.owner), enc.encode(seeds.tokenProgram ?? TOKEN_PROGRAM_ADDRESS), enc.encode(seeds.mint)],
  });
}
