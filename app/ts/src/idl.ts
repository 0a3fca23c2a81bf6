// The program's IDL, generated natively by the Rust test suite (tests/suite/idl.rs) and committed;
// that test fails when the program and this file differ, so the coder below always speaks the
// program's current layout.
//
// `toIdl` / `fromIdl` convert between the client's values and what Anchor's coder reads and writes,
// driven by the IDL's types: structs have camelCase fields here (exactly the IDL's fields, so a
// misspelt or missing one is an error rather than a silent zero), 64-bit integers are bigint,
// enums without fields are their variant index (`MarketStatus.Paused` = 2), enums with fields are
// `{ variantName: { ...fields } }` (`{ addMarket: {...} }`), byte arrays are `Uint8Array` (a
// 16-byte `symbol` is its string).
import { BorshCoder, type Idl } from "@coral-xyz/anchor";
import { PublicKey } from "@solana/web3.js";
import BN from "bn.js";

import idlJson from "../idl/cross_margin.json" with { type: "json" };

export const IDL = idlJson as unknown as Idl;

/** Anchor's borsh coder for the IDL: instruction data, account and event layouts. */
export const coder = new BorshCoder(IDL);

/** The IDL's description of one instruction. */
export function idlInstruction(name: string): Idl["instructions"][number] {
  const ix = IDL.instructions.find((i) => i.name === name);
  if (ix === undefined) throw new Error(`the IDL has no instruction ${name}`);
  return ix;
}

/** A type as the IDL spells it. */
export type IdlType = Idl["instructions"][number]["args"][number]["type"];
type Field = { name: string; type: IdlType };
type Variant = { name: string; fields?: readonly (Field | IdlType)[] };
type TypeDef = { name: string; type: { kind: "struct"; fields?: readonly Field[] } | { kind: "enum"; variants: readonly Variant[] } };

export function idlTypeDef(name: string): TypeDef {
  const t = (IDL.types ?? []).find((x) => x.name === name) as TypeDef | undefined;
  if (t === undefined) throw new Error(`the IDL has no type ${name}`);
  return t;
}

/** snake_case -> camelCase */
export const camelCase = (s: string): string => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const lowerFirst = (s: string): string => s.charAt(0).toLowerCase() + s.slice(1);

const INT_BOUNDS: Record<string, [bigint, bigint]> = {
  u8: [0n, 0xffn],
  i8: [-0x80n, 0x7fn],
  u16: [0n, 0xffffn],
  i16: [-0x8000n, 0x7fffn],
  u32: [0n, 0xffff_ffffn],
  i32: [-(1n << 31n), (1n << 31n) - 1n],
  u64: [0n, (1n << 64n) - 1n],
  i64: [-(1n << 63n), (1n << 63n) - 1n],
  u128: [0n, (1n << 128n) - 1n],
  i128: [-(1n << 127n), (1n << 127n) - 1n],
};
const WIDE = new Set(["u64", "i64", "u128", "i128"]);

function fields(def: TypeDef): Field[] {
  if (def.type.kind !== "struct") throw new Error(`${def.name} is not a struct`);
  return [...(def.type.fields ?? [])] as Field[];
}

function variantFields(v: Variant): Field[] {
  return (v.fields ?? []).map((f, i) => (typeof f === "object" && f !== null && "name" in f ? (f as Field) : { name: String(i), type: f as IdlType }));
}

const isUnitEnum = (def: TypeDef): boolean => def.type.kind === "enum" && def.type.variants.every((v) => (v.fields ?? []).length === 0);

function hexBytes(s: string, where: string): number[] {
  const hex = s.startsWith("0x") ? s.slice(2) : s;
  if (!/^([0-9a-fA-F]{2})*$/.test(hex)) throw new RangeError(`${where}: not hex digits: ${s}`);
  return Array.from({ length: hex.length / 2 }, (_, i) => parseInt(hex.slice(2 * i, 2 * i + 2), 16));
}

function structIn(def: TypeDef, fs: Field[], value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new TypeError(`${where}: ${def.name} must be an object`);
  const v = value as Record<string, unknown>;
  const expected = fs.map((f) => camelCase(f.name)).sort();
  const got = Object.keys(v).filter((k) => v[k] !== undefined).sort();
  if (expected.join() !== got.join()) {
    throw new Error(`${where}: ${def.name} has fields ${expected.join(", ") || "none"}, got ${got.join(", ") || "none"}`);
  }
  return Object.fromEntries(fs.map((f) => [f.name, toIdl(f.type, v[camelCase(f.name)], `${where}.${camelCase(f.name)}`, f.name)]));
}

/** The client's value of `type` as Anchor's coder encodes it (see the top of this file). */
export function toIdl(type: IdlType, value: unknown, where: string, fieldName?: string): unknown {
  if (typeof type === "string") {
    const bounds = INT_BOUNDS[type];
    if (bounds !== undefined) {
      if (!(typeof value === "bigint" || (typeof value === "number" && Number.isSafeInteger(value)))) {
        throw new TypeError(`${where}: a ${type} must be an integer${WIDE.has(type) ? " (bigint)" : ""}, got ${String(value)}`);
      }
      const b = BigInt(value);
      if (b < bounds[0] || b > bounds[1]) throw new RangeError(`${where}: ${b} is not a ${type}`);
      return WIDE.has(type) ? new BN(b.toString()) : Number(b);
    }
    if (type === "bool") {
      if (typeof value !== "boolean") throw new TypeError(`${where}: must be a boolean`);
      return value;
    }
    if (type === "pubkey") {
      if (typeof value === "string") return new PublicKey(value);
      if (typeof value === "object" && value !== null && "toBytes" in value) {
        // structural: an app may hold PublicKeys from another copy of web3.js
        return new PublicKey((value as { toBytes(): Uint8Array }).toBytes());
      }
      throw new TypeError(`${where}: must be a public key`);
    }
    throw new Error(`${where}: type ${type} is not used by this program`);
  }
  if ("option" in type) return value === null || value === undefined ? null : toIdl(type.option, value, where, fieldName);
  if ("vec" in type) {
    if (!Array.isArray(value)) throw new TypeError(`${where}: must be an array`);
    return value.map((x, i) => toIdl(type.vec, x, `${where}[${i}]`));
  }
  if ("array" in type) {
    const [inner, len] = type.array as [IdlType, number];
    if (inner === "u8") {
      let bytes: number[];
      if (typeof value === "string") {
        if (fieldName === "symbol") {
          bytes = [...new TextEncoder().encode(value)];
          if (bytes.length === 0 || bytes.length > len) throw new RangeError(`${where}: a symbol is 1 to ${len} bytes: ${value}`);
          bytes = [...bytes, ...new Array<number>(len - bytes.length).fill(0)];
        } else bytes = hexBytes(value, where);
      } else if (value instanceof Uint8Array || Array.isArray(value)) bytes = Array.from(value as ArrayLike<number>);
      else throw new TypeError(`${where}: must be ${len} bytes`);
      if (bytes.length !== len || !bytes.every((b) => Number.isInteger(b) && b >= 0 && b <= 255)) {
        throw new RangeError(`${where}: must be ${len} bytes, got ${bytes.length}`);
      }
      return bytes;
    }
    if (!Array.isArray(value) || value.length !== len) throw new RangeError(`${where}: must be an array of ${len}`);
    return value.map((x, i) => toIdl(inner, x, `${where}[${i}]`));
  }
  if ("defined" in type) {
    const def = idlTypeDef(type.defined.name);
    if (def.type.kind === "struct") return structIn(def, fields(def), value, where);
    const variants = def.type.variants;
    if (isUnitEnum(def)) {
      const v =
        typeof value === "number"
          ? variants[value]
          : typeof value === "string"
            ? variants.find((x) => x.name === value || lowerFirst(x.name) === value)
            : undefined;
      if (v === undefined || (typeof value === "number" && !Number.isInteger(value))) {
        throw new RangeError(`${where}: ${String(value)} is not a ${def.name} (${variants.map((x, i) => `${i} ${x.name}`).join(", ")})`);
      }
      return { [v.name]: {} };
    }
    if (typeof value !== "object" || value === null) throw new TypeError(`${where}: a ${def.name} is { variant: { ...fields } }`);
    const keys = Object.keys(value);
    const v = keys.length === 1 ? variants.find((x) => lowerFirst(x.name) === keys[0]) : undefined;
    if (v === undefined) {
      throw new Error(`${where}: a ${def.name} is one of ${variants.map((x) => lowerFirst(x.name)).join(", ")}, got ${keys.join(", ") || "nothing"}`);
    }
    const body = (value as Record<string, unknown>)[keys[0] as string];
    return { [v.name]: structIn({ name: `${def.name}::${v.name}`, type: { kind: "struct" } }, variantFields(v), body ?? {}, `${where}.${keys[0]}`) };
  }
  throw new Error(`${where}: unsupported IDL type ${JSON.stringify(type)}`);
}

/** What Anchor's coder decoded for `type`, as the client's value (the inverse of `toIdl`). */
export function fromIdl(type: IdlType, value: unknown, fieldName?: string): unknown {
  if (typeof type === "string") {
    if (WIDE.has(type)) return BigInt((value as BN).toString());
    if (type === "pubkey") return new PublicKey((value as PublicKey).toBytes());
    return value;
  }
  if ("option" in type) return value === null || value === undefined ? undefined : fromIdl(type.option, value, fieldName);
  if ("vec" in type) return (value as unknown[]).map((x) => fromIdl(type.vec, x));
  if ("array" in type) {
    const [inner] = type.array as [IdlType, number];
    if (inner === "u8") {
      const bytes = Uint8Array.from(value as number[]);
      if (fieldName !== "symbol") return bytes;
      const end = bytes.indexOf(0);
      return new TextDecoder().decode(end < 0 ? bytes : bytes.subarray(0, end));
    }
    return (value as unknown[]).map((x) => fromIdl(inner, x));
  }
  if ("defined" in type) {
    const def = idlTypeDef(type.defined.name);
    const v = value as Record<string, unknown>;
    if (def.type.kind === "struct") {
      return Object.fromEntries(fields(def).map((f) => [camelCase(f.name), fromIdl(f.type, v[f.name], f.name)]));
    }
    const key = Object.keys(v)[0] as string;
    const index = def.type.variants.findIndex((x) => x.name === key);
    const variant = def.type.variants[index];
    if (variant === undefined) throw new Error(`unknown ${def.name} variant ${key}`);
    if (isUnitEnum(def)) return index;
    const body = (v[key] ?? {}) as Record<string, unknown>;
    return {
      [lowerFirst(key)]: Object.fromEntries(variantFields(variant).map((f) => [camelCase(f.name), fromIdl(f.type, body[f.name], f.name)])),
    };
  }
  throw new Error(`unsupported IDL type ${JSON.stringify(type)}`);
}
