// Events from transaction logs: the program emits one for every state change (`Filled`,
// `Liquidated`, `FundingUpdated`, `Bankruptcy`, ...). Anchor's parser follows the invoke stack, so
// only this program's `Program data:` lines are read; fields come out camelCase, integers as bigint.
import { EventParser } from "@coral-xyz/anchor";
import { PublicKey } from "@solana/web3.js";

import { PROGRAM_ID } from "./constants.js";
import { coder } from "./idl.js";

export interface ProgramEvent {
  /** The event's name in the IDL (`Filled`, `Liquidated`, ...). */
  name: string;
  data: Record<string, unknown>;
}

const camel = (s: string): string => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

function convert(v: unknown): unknown {
  if (v instanceof PublicKey || typeof v !== "object" || v === null) return v;
  // bn.js values (Anchor decodes every 64-bit integer as one)
  if ("toTwos" in v && "toString" in v) return BigInt((v as { toString(): string }).toString());
  if (Array.isArray(v)) return v.map(convert);
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [camel(k), convert(x)]));
}

/** Every event of this program in a transaction's log messages, in order. */
export function parseEvents(logs: readonly string[]): ProgramEvent[] {
  const parser = new EventParser(PROGRAM_ID, coder);
  return [...parser.parseLogs([...logs])].map((e) => ({ name: e.name, data: convert(e.data) as Record<string, unknown> }));
}
