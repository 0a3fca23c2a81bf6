// Transactions: v0 messages compiled against the exchange's address lookup tables (legacy where
// there is no table), checked against the packet and account-lock limits before anything is
// signed or sent.
//
// The compilation is the Rust SDK's (`crossmargin_sdk::tx::compile_message`, i.e. solana-message's
// `v0::Message::try_compile` and `Message::new_with_blockhash`), reproduced here byte for byte:
// web3.js's `TransactionMessage.compileToV0Message` orders the keys differently (in the order the
// instructions name them, where Rust's `CompiledKeys` sorts them by their bytes), and its
// serializers stop at 1,232 bytes, so an oversized message could not even be measured. The
// message built here is handed to web3.js as a `VersionedTransaction` for wallets to sign.
import {
  AddressLookupTableAccount,
  ComputeBudgetProgram,
  type Connection,
  PublicKey,
  type TransactionInstruction,
  VersionedMessage,
  VersionedTransaction,
} from "@solana/web3.js";

import type { Exchange } from "./accounts.js";
import { SYSTEM_PROGRAM_ID } from "./constants.js";

/** Bytes a serialized transaction may have (one packet). */
export const PACKET_DATA_SIZE = 1_232;
/** Accounts a transaction may lock (mainnet). */
export const MAX_TX_ACCOUNT_LOCKS = 64;

export class TransactionTooLarge extends Error {
  constructor(readonly size: number) {
    super(`transaction is ${size} bytes, over the ${PACKET_DATA_SIZE}-byte packet limit`);
  }
}

export class TooManyAccountLocks extends Error {
  constructor(readonly locks: number) {
    super(`transaction locks ${locks} accounts, over the limit of ${MAX_TX_ACCOUNT_LOCKS}`);
  }
}

export class CompileError extends Error {}

/** A lookup table: web3.js's `AddressLookupTableAccount` (what `getAddressLookupTable` returns) is one. */
export type LookupTable = Pick<AddressLookupTableAccount, "key"> & { state: { addresses: readonly PublicKey[] } };

export interface MessageHeader {
  numRequiredSignatures: number;
  numReadonlySignedAccounts: number;
  numReadonlyUnsignedAccounts: number;
}

export interface CompiledInstruction {
  programIdIndex: number;
  accountKeyIndexes: number[];
  data: Uint8Array;
}

export interface AddressTableLookup {
  accountKey: PublicKey;
  writableIndexes: number[];
  readonlyIndexes: number[];
}

/** A compiled message, v0 or legacy (a legacy one has no lookups). */
export interface CompiledMessage {
  version: 0 | "legacy";
  header: MessageHeader;
  staticAccountKeys: PublicKey[];
  recentBlockhash: string;
  instructions: CompiledInstruction[];
  addressTableLookups: AddressTableLookup[];
}

interface KeyMeta {
  key: PublicKey;
  bytes: Uint8Array;
  signer: boolean;
  writable: boolean;
  invoked: boolean;
  nonce: boolean;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < 32; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return 0;
}

/** Rust's `CompiledKeys`: every key's flags, iterated in the order of its bytes (a `BTreeMap<Pubkey, _>`). */
class CompiledKeys {
  private readonly map = new Map<string, KeyMeta>();

  constructor(
    instructions: readonly TransactionInstruction[],
    readonly payer: PublicKey,
  ) {
    for (const ix of instructions) {
      this.entry(ix.programId).invoked = true;
      for (const m of ix.keys) {
        const e = this.entry(m.pubkey);
        e.signer ||= m.isSigner;
        e.writable ||= m.isWritable;
      }
    }
    // a durable-nonce transaction: an advance-nonce instruction first (its account is never looked up)
    const first = instructions[0];
    if (first !== undefined && first.programId.equals(SYSTEM_PROGRAM_ID) && first.data.length >= 4 && [4, 0, 0, 0].every((b, i) => first.data[i] === b)) {
      const nonce = first.keys[0];
      if (nonce !== undefined) this.entry(nonce.pubkey).nonce = true;
    }
    const p = this.entry(payer);
    p.signer = true;
    p.writable = true;
  }

  private entry(key: PublicKey): KeyMeta {
    const k = new PublicKey(key.toBytes());
    const id = k.toBase58();
    let e = this.map.get(id);
    if (e === undefined) {
      e = { key: k, bytes: k.toBytes(), signer: false, writable: false, invoked: false, nonce: false };
      this.map.set(id, e);
    }
    return e;
  }

  private sorted(): KeyMeta[] {
    return [...this.map.values()].sort((a, b) => compareBytes(a.bytes, b.bytes));
  }

  private drain(addresses: readonly PublicKey[], filter: (m: KeyMeta) => boolean): { indexes: number[]; keys: PublicKey[] } {
    const indexes: number[] = [];
    const keys: PublicKey[] = [];
    for (const m of this.sorted().filter(filter)) {
      const i = addresses.findIndex((a) => a.equals(m.key));
      if (i < 0) continue;
      if (i > 255) throw new CompileError("address lookup table index overflowed during compilation");
      indexes.push(i);
      keys.push(m.key);
    }
    for (const k of keys) this.map.delete(k.toBase58());
    return { indexes, keys };
  }

  /** `try_extract_table_lookup`: the keys this table holds leave the static list. */
  extractTableLookup(table: LookupTable): { lookup: AddressTableLookup; writable: PublicKey[]; readonly: PublicKey[] } | undefined {
    const lookable = (m: KeyMeta) => !m.signer && !m.invoked && !m.nonce;
    const w = this.drain(table.state.addresses, (m) => lookable(m) && m.writable);
    const r = this.drain(table.state.addresses, (m) => lookable(m) && !m.writable);
    if (w.indexes.length === 0 && r.indexes.length === 0) return undefined;
    return {
      lookup: { accountKey: new PublicKey(table.key.toBytes()), writableIndexes: w.indexes, readonlyIndexes: r.indexes },
      writable: w.keys,
      readonly: r.keys,
    };
  }

  /** `try_into_message_components`: the header and the static keys (payer first). */
  messageComponents(): { header: MessageHeader; keys: PublicKey[] } {
    const rest = this.sorted().filter((m) => !m.key.equals(this.payer));
    const pick = (signer: boolean, writable: boolean) => rest.filter((m) => m.signer === signer && m.writable === writable).map((m) => m.key);
    const writableSigners = [new PublicKey(this.payer.toBytes()), ...pick(true, true)];
    const readonlySigners = pick(true, false);
    const writableNonSigners = pick(false, true);
    const readonlyNonSigners = pick(false, false);
    const u8 = (n: number): number => {
      if (n > 255) throw new CompileError("account index overflowed during compilation");
      return n;
    };
    return {
      header: {
        numRequiredSignatures: u8(writableSigners.length + readonlySigners.length),
        numReadonlySignedAccounts: u8(readonlySigners.length),
        numReadonlyUnsignedAccounts: u8(readonlyNonSigners.length),
      },
      keys: [...writableSigners, ...readonlySigners, ...writableNonSigners, ...readonlyNonSigners],
    };
  }
}

function compileInstructions(instructions: readonly TransactionInstruction[], keys: readonly PublicKey[]): CompiledInstruction[] {
  const ids = keys.map((k) => k.toBase58());
  const index = (k: PublicKey): number => {
    const i = ids.indexOf(k.toBase58());
    if (i < 0) throw new CompileError(`encountered unknown account key \`${k.toBase58()}\` during instruction compilation`);
    if (i > 255) throw new CompileError("account index overflowed during compilation");
    return i;
  };
  return instructions.map((ix) => ({
    programIdIndex: index(ix.programId),
    accountKeyIndexes: ix.keys.map((m) => index(m.pubkey)),
    data: Uint8Array.from(ix.data),
  }));
}

/**
 * The message for `instructions` paid by `payer`: v0 against `lookupTables` when there are any
 * (the tables that hold none of its keys are left out), else legacy. As the Rust SDK compiles it.
 */
export function compileMessage(a: {
  payer: PublicKey;
  instructions: readonly TransactionInstruction[];
  lookupTables?: readonly LookupTable[];
  blockhash: string;
}): CompiledMessage {
  const tables = a.lookupTables ?? [];
  const keys = new CompiledKeys(a.instructions, a.payer);
  const lookups: AddressTableLookup[] = [];
  const loadedWritable: PublicKey[] = [];
  const loadedReadonly: PublicKey[] = [];
  for (const t of tables) {
    const found = keys.extractTableLookup(t);
    if (found === undefined) continue;
    lookups.push(found.lookup);
    loadedWritable.push(...found.writable);
    loadedReadonly.push(...found.readonly);
  }
  const { header, keys: staticKeys } = keys.messageComponents();
  return {
    version: tables.length === 0 ? "legacy" : 0,
    header,
    staticAccountKeys: staticKeys,
    recentBlockhash: new PublicKey(a.blockhash).toBase58(),
    instructions: compileInstructions(a.instructions, [...staticKeys, ...loadedWritable, ...loadedReadonly]),
    addressTableLookups: lookups,
  };
}

function shortVec(n: number): number[] {
  const out: number[] = [];
  let v = n;
  for (;;) {
    let b = v & 0x7f;
    v >>= 7;
    if (v === 0) {
      out.push(b);
      return out;
    }
    b |= 0x80;
    out.push(b);
  }
}

/** The message's wire bytes (what signatures sign). */
export function serializeMessage(m: CompiledMessage): Uint8Array {
  const out: number[] = [];
  if (m.version === 0) out.push(0x80);
  out.push(m.header.numRequiredSignatures, m.header.numReadonlySignedAccounts, m.header.numReadonlyUnsignedAccounts);
  out.push(...shortVec(m.staticAccountKeys.length));
  for (const k of m.staticAccountKeys) out.push(...k.toBytes());
  out.push(...new PublicKey(m.recentBlockhash).toBytes());
  out.push(...shortVec(m.instructions.length));
  for (const ix of m.instructions) {
    out.push(ix.programIdIndex, ...shortVec(ix.accountKeyIndexes.length), ...ix.accountKeyIndexes, ...shortVec(ix.data.length), ...ix.data);
  }
  if (m.version === 0) {
    out.push(...shortVec(m.addressTableLookups.length));
    for (const l of m.addressTableLookups) {
      out.push(...l.accountKey.toBytes(), ...shortVec(l.writableIndexes.length), ...l.writableIndexes, ...shortVec(l.readonlyIndexes.length), ...l.readonlyIndexes);
    }
  }
  return Uint8Array.from(out);
}

/** How many accounts the message locks: its static keys and every address it loads from tables. */
export function accountLocks(m: CompiledMessage): number {
  return m.staticAccountKeys.length + m.addressTableLookups.reduce((n, l) => n + l.writableIndexes.length + l.readonlyIndexes.length, 0);
}

/** The size of the transaction for `m`, every signature included. */
export function serializedSize(m: CompiledMessage): number {
  const n = m.header.numRequiredSignatures;
  return shortVec(n).length + 64 * n + serializeMessage(m).length;
}

/** Refuses a message whose transaction is over the packet limit, or that locks too many accounts. */
export function checkLimits(m: CompiledMessage): void {
  const size = serializedSize(m);
  if (size > PACKET_DATA_SIZE) throw new TransactionTooLarge(size);
  const locks = accountLocks(m);
  if (locks > MAX_TX_ACCOUNT_LOCKS) throw new TooManyAccountLocks(locks);
}

/** web3.js's `MessageV0` (or legacy `Message`) for a compiled message (within the limits). */
export function toVersionedMessage(m: CompiledMessage): VersionedMessage {
  return VersionedMessage.deserialize(serializeMessage(m));
}

/**
 * A transaction ready to sign: compiled as the Rust SDK compiles it (v0 against the tables, legacy
 * without), refused with `TransactionTooLarge` or `TooManyAccountLocks` when over a limit. Every
 * signature slot is empty: `tx.sign([keypair])` fills those it can (a co-signed fill is signed by
 * its two parties apart), a wallet adapter the rest.
 */
export function buildTransaction(a: {
  payer: PublicKey;
  instructions: readonly TransactionInstruction[];
  lookupTables?: readonly LookupTable[];
  blockhash: string;
}): VersionedTransaction {
  const m = compileMessage(a);
  checkLimits(m);
  return new VersionedTransaction(toVersionedMessage(m));
}

/** The keys that must sign `tx` and have not. */
export function missingSigners(tx: VersionedTransaction): PublicKey[] {
  const n = tx.message.header.numRequiredSignatures;
  return tx.message.staticAccountKeys.slice(0, n).filter((_, i) => (tx.signatures[i] ?? new Uint8Array(64)).every((b) => b === 0));
}

/** The compute-budget instructions our clients' transactions start with. */
export function computeBudget(unitLimit: number, microLamports: bigint): TransactionInstruction[] {
  return [ComputeBudgetProgram.setComputeUnitLimit({ units: unitLimit }), ComputeBudgetProgram.setComputeUnitPrice({ microLamports })];
}

/** A lookup table from its account data. */
export function decodeLookupTable(key: PublicKey, data: Uint8Array): AddressLookupTableAccount {
  return new AddressLookupTableAccount({ key, state: AddressLookupTableAccount.deserialize(data) });
}

/**
 * The exchange's lookup tables (`exchange.lookupTables`, or the given keys) as web3.js
 * `AddressLookupTableAccount`s, in order; a table that no longer exists or is deactivated is
 * skipped (the message is then compiled without it).
 */
export async function fetchLookupTables(
  connection: Pick<Connection, "getAddressLookupTable">,
  tables: Pick<Exchange, "lookupTables"> | readonly PublicKey[],
): Promise<AddressLookupTableAccount[]> {
  const keys = "lookupTables" in tables ? tables.lookupTables : tables;
  const out: AddressLookupTableAccount[] = [];
  for (const k of keys) {
    const t = (await connection.getAddressLookupTable(k)).value;
    if (t !== null && t.isActive()) out.push(t);
  }
  return out;
}
