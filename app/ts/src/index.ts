// @crossmargin/client: instruction builders (PDAs and health accounts derived), account
// decoders, Pyth price parsing and the risk view of crossmargin margin accounts.
export * from "./accounts.js";
export * from "./client.js";
export * from "./constants.js";
export * from "./events.js";
export * from "./health.js";
export { coder, IDL, idlInstruction } from "./idl.js";
export * as ix from "./instructions.js";
export { buildInstruction, feedIdBytes, marginAccountKey, type MarginAccountRef, symbolBytes } from "./instructions.js";
export * from "./math.js";
export * from "./oracle.js";
export * from "./pda.js";
export * from "./risk.js";
