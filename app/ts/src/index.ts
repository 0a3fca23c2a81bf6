// @crossmargin/client: instruction builders (PDAs and health accounts derived), v0 transactions
// against the exchange's lookup tables, account decoders, Pyth price parsing, events and the risk
// view of crossmargin margin accounts.
//
// First: the global `Buffer` Anchor's coder needs in a browser (see globals.ts).
import "./globals.js";
export * from "./accounts.js";
export * from "./client.js";
export * from "./constants.js";
export * from "./events.js";
export * from "./health.js";
export { camelCase, coder, fromIdl, IDL, idlInstruction, idlTypeDef, type IdlType, toIdl } from "./idl.js";
export * as ix from "./instructions.js";
export {
  actionAccounts,
  buildInstruction,
  type DelegateLimits,
  feedIdBytes,
  marginAccountKey,
  type MarginAccountRef,
  symbolBytes,
  type TriggerOrderParams,
} from "./instructions.js";
export * from "./math.js";
export * from "./oracle.js";
export * from "./pda.js";
export * from "./rfq.js";
export * from "./risk.js";
export * from "./tx.js";
export * from "./units.js";
