// The kit client's browser bundle holds none of web3.js 1, Anchor, bn.js or buffer: the minimal
// app of scripts/bundle-size.mjs (a deposit instruction and a margin account decoded), bundled
// from this package's build with esbuild, offline. `npm run size` measures both clients in fresh
// app installs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

import { PACKAGE_DIR } from "./util.js";

test("the kit bundle has no web3.js 1, Anchor, bn.js or buffer in it", async () => {
  const size = await import(pathToFileURL(join(PACKAGE_DIR, "scripts", "bundle-size.mjs")).href);
  const app = size.APPS["@solana/kit (@crossmargin/kit)"];
  const r = (await size.bundle(app)) as { bytes: number; gzip: number; inputs: [string, number][] };
  const packages = (size.byPackage(r.inputs, "@crossmargin/kit") as [string, number][]).map(([p]) => p);
  for (const banned of ["@solana/web3.js", "@coral-xyz/anchor", "@coral-xyz/borsh", "bn.js", "buffer", "buffer-layout"]) {
    assert.ok(!packages.includes(banned), `${banned} is in the kit bundle`);
  }
  assert.ok(packages.includes("@crossmargin/kit") && packages.some((p) => p.startsWith("@solana/")));
  // generous: the repository's dev install holds three copies of @solana/errors (Codama's older ones)
  assert.ok(r.bytes < 200_000, `${r.bytes} bytes`);
});
