// TypeScript -> Rust: the scenario this client builds must be the committed one, which the Rust
// suite replays in program-test (CM_UPDATE_VECTORS=1 rewrites it).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

import { buildScenario } from "./scenario.js";
import { VECTORS_DIR } from "./util.js";

test("the scenario the client builds is the one the Rust suite replays", async () => {
  const text = JSON.stringify(await buildScenario(), null, 2) + "\n";
  const path = join(VECTORS_DIR, "scenario.json");
  if (process.env.CM_UPDATE_VECTORS !== undefined) writeFileSync(path, text);
  assert.ok(
    readFileSync(path, "utf8") === text,
    "test/vectors/scenario.json differs from what the client builds: run CM_UPDATE_VECTORS=1 npm test, then the Rust suite (cargo test -p cross-margin-tests frontend), and commit",
  );
});
