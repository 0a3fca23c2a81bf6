// The committed client is what Codama generates from the committed IDL: regenerate into a
// temporary folder with the pinned generator (scripts/generate.mjs, no network) and compare.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";

import { PACKAGE_DIR } from "./util.js";

function tree(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const f of readdirSync(d).sort()) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(relative(dir, p), readFileSync(p, "utf8"));
    }
  };
  walk(dir);
  return out;
}

test("src/generated and src/events.generated.ts are what `npm run generate:kit` writes from the IDL", () => {
  const out = mkdtempSync(join(tmpdir(), "crossmargin-kit-"));
  try {
    execFileSync(process.execPath, [join(PACKAGE_DIR, "scripts", "generate.mjs"), "--out", out], { cwd: PACKAGE_DIR, encoding: "utf8" });
    const fresh = tree(out);
    const committed = tree(join(PACKAGE_DIR, "src", "generated"));
    committed.set("events.generated.ts", readFileSync(join(PACKAGE_DIR, "src", "events.generated.ts"), "utf8"));
    const freshNames = [...fresh.keys()].map((k) => k.replace(/^generated[\\/]/, "")).sort();
    assert.deepEqual(freshNames, [...committed.keys()].sort(), "the generated files differ: run `npm run generate:kit` in app/kit and commit");
    for (const [name, text] of fresh) {
      const key = name.replace(/^generated[\\/]/, "");
      assert.ok(committed.get(key) === text, `${key} differs from what Codama generates: run \`npm run generate:kit\` in app/kit and commit`);
    }
    assert.ok(fresh.size > 70);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
