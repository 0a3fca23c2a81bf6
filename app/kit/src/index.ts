// @crossmargin/kit: the @solana/kit client of the crossmargin program. src/generated/ is Codama's
// output from the program's IDL (accounts: `decodeMarket`, `fetchMarginAccount`, ...; instructions:
// `getDepositInstruction(Async)`, ...; types, errors, the program address), committed and checked
// against a fresh generation in the tests; the rest is written here: PDAs, health accounts, events.
export * from "./generated/index.js";
export { EVENTS, type EventName, type ProgramEvents } from "./events.generated.js";
export * from "./events.js";
export * from "./health.js";
export * from "./pdas.js";
export * from "./values.js";
