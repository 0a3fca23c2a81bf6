// The program's IDL, generated natively by the Rust test suite (tests/suite/idl.rs) and committed;
// that test fails when the program and this file differ, so the coder below always speaks the
// program's current layout.
import { BorshCoder, type Idl } from "@coral-xyz/anchor";
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
