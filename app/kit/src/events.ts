// The program's events from a transaction's log messages. The logs are followed as a stack of
// invocations (as Anchor's parser does, on the validator's form: one `invoke [n]` and one
// `success` / `failed` per invocation), so only `Program data:` lines written while this program
// is the innermost one are read; each starts with its event's discriminator and is decoded by the
// Codama decoder of its fields (events.generated.ts).
import { getBase64Encoder } from "@solana/kit";

import { type EventName, EVENTS, type ProgramEvents } from "./events.generated.js";
import { CROSS_MARGIN_PROGRAM_ADDRESS } from "./generated/index.js";

/** One event: `name` says which and types `data` (`if (e.name === "Filled") e.data.price`). */
export type ProgramEvent = { [K in EventName]: { name: K; data: ProgramEvents[K] } }[EventName];

const NAMES = Object.keys(EVENTS) as EventName[];

/** The event `bytes` (discriminator first) hold; an error for bytes of no event of the program. */
export function decodeEvent(bytes: Uint8Array): ProgramEvent {
  const name = NAMES.find((n) => EVENTS[n].discriminator.every((b, i) => bytes[i] === b));
  if (name === undefined) throw new Error(`no event of the program starts with ${Array.from(bytes.subarray(0, 8)).join(",")}`);
  const [data, end] = EVENTS[name].decoder().read(bytes, 8);
  if (end !== bytes.length) throw new Error(`${name}: ${bytes.length - end} bytes left over after the event`);
  return { name, data } as ProgramEvent;
}

/** Every event of this program in a transaction's log messages, in order. */
export function parseEvents(logs: readonly string[], programAddress: string = CROSS_MARGIN_PROGRAM_ADDRESS): ProgramEvent[] {
  const stack: string[] = [];
  const out: ProgramEvent[] = [];
  const base64 = getBase64Encoder();
  for (const line of logs) {
    const invoke = /^Program (\w+) invoke \[\d+\]$/.exec(line);
    if (invoke !== null) {
      stack.push(invoke[1] as string);
      continue;
    }
    if (/^Program \w+ (success|failed)/.test(line)) {
      stack.pop();
      continue;
    }
    if (line.startsWith("Program data: ") && stack[stack.length - 1] === programAddress) {
      out.push(decodeEvent(Uint8Array.from(base64.encode(line.slice("Program data: ".length)))));
    }
  }
  return out;
}
