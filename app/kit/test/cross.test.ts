// The kit client against @crossmargin/client (web3.js 1 + Anchor's coder), on the accounts and
// logs the program wrote when it replayed the TS scenario (replay.json): every account decodes to
// the same values, every event to the same data. Reads the sibling package's build
// (app/ts/dist: `npm ci && npm test` in app/ts first, as CI does).
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

import {
  CrossMarginAccount,
  getExchangeDecoder,
  getMarginAccountDecoder,
  getMarketDecoder,
  getQueuedActionDecoder,
  getTriggerOrdersDecoder,
  identifyCrossMarginAccount,
  parseEvents,
} from "../src/index.js";
import { fromB64, type Json, likeExpected, PACKAGE_DIR, readVectors } from "./util.js";

const CLIENT = join(PACKAGE_DIR, "..", "ts", "dist", "src", "index.js");

async function client(): Promise<Json> {
  if (!existsSync(CLIENT)) throw new Error(`${CLIENT} is missing: build @crossmargin/client first (cd app/ts && npm ci && npm test)`);
  return import(pathToFileURL(CLIENT).href);
}

/** @crossmargin/client's values in the vectors' JSON shape (its tests' `normalize`). */
function normalize(v: unknown): unknown {
  if (typeof v === "bigint") return v.toString();
  if (v === undefined) return null;
  if (v !== null && typeof v === "object" && "toBase58" in v && typeof (v as { toBase58: unknown }).toBase58 === "function") return (v as { toBase58(): string }).toBase58();
  if (v instanceof Uint8Array) return Buffer.from(v).toString("hex");
  if (Array.isArray(v)) return v.map(normalize);
  if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalize(x)]));
  return v;
}

test("every account of the replay (and of vectors.json) decodes as @crossmargin/client decodes it", async () => {
  const c = await client();
  const replay = readVectors("replay.json");
  const v = readVectors("vectors.json");
  const kit = {
    [CrossMarginAccount.Exchange]: [getExchangeDecoder(), c.decodeExchange],
    [CrossMarginAccount.Market]: [getMarketDecoder(), c.decodeMarket],
    [CrossMarginAccount.MarginAccount]: [getMarginAccountDecoder(), c.decodeMarginAccount],
    [CrossMarginAccount.TriggerOrders]: [getTriggerOrdersDecoder(), c.decodeTriggerOrders],
    [CrossMarginAccount.QueuedAction]: [getQueuedActionDecoder(), c.decodeQueuedAction],
  } as const;
  const all = [
    replay.exchange,
    ...replay.markets,
    ...replay.marginAccounts,
    ...(replay.queuedActions ?? []),
    ...(replay.triggerOrders ?? []),
    v.exchange,
    ...v.markets,
    ...v.marginAccounts,
    v.triggerOrders,
    ...v.queuedActions,
  ];
  const kinds = new Set<CrossMarginAccount>();
  for (const a of all) {
    const data = fromB64(a.data);
    const kind = identifyCrossMarginAccount(data);
    kinds.add(kind);
    const [decoder, decode] = kit[kind];
    const expected = normalize(decode(data));
    assert.deepEqual(likeExpected(expected, decoder.decode(data), CrossMarginAccount[kind]), expected, `${CrossMarginAccount[kind]} ${a.address ?? ""}`);
  }
  assert.equal(kinds.size, 5);
});

test("every replayed transaction's events decode as @crossmargin/client's parseEvents decodes them", async () => {
  const c = await client();
  const replay = readVectors("replay.json");
  let n = 0;
  for (const step of replay.steps) {
    const theirs = c.parseEvents(step.logs) as { name: string; data: unknown }[];
    const ours = parseEvents(step.logs);
    assert.deepEqual(ours.map((e) => e.name), theirs.map((e) => e.name), step.step);
    ours.forEach((e, i) => {
      const expected = normalize(theirs[i]?.data);
      assert.deepEqual(likeExpected(expected, e.data, `${step.step}: ${e.name}`), expected, `${step.step}: ${e.name}`);
      n += 1;
    });
  }
  assert.ok(n >= 20, `${n} events`);
});
