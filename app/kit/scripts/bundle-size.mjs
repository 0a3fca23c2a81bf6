#!/usr/bin/env node
// What a frontend ships: the same minimal app ("build a deposit instruction, decode a margin
// account") bundled for the browser with esbuild (minified, tree-shaken, production), once on
// @crossmargin/client (web3.js 1 + Anchor's coder) and once on @crossmargin/kit (@solana/kit), in
// bytes and gzip bytes, with the largest packages of each. Each app is a fresh folder that
// installs the packed package and its peer from the npm registry, as a frontend would (so the
// dependencies dedupe as in an app, not as in this repository's dev installs):
//   (cd app/ts && npm ci) && (cd app/kit && npm ci && npm run size)
// Needs the registry; not part of `npm test` (test/bundle.test.ts checks offline that the kit
// bundle holds no web3.js 1, Anchor, bn.js or buffer).
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

import { build } from "esbuild";

const kitDir = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const tsDir = resolve(kitDir, "..", "ts");

export const APPS = {
  "web3.js 1 + Anchor (@crossmargin/client)": {
    packageDir: tsDir,
    entry: join(tsDir, "dist", "src", "index.js"),
    alias: "@crossmargin/client",
    peer: "@solana/web3.js@^1.98.0",
    source: `
import { PublicKey } from "@solana/web3.js";
import { decodeMarginAccount, ix } from "@crossmargin/client";

export function depositAndDecode(owner, usdcAta, accountData) {
  const wallet = new PublicKey(owner);
  const deposit = ix.deposit({ depositor: wallet, marginAccount: { owner: wallet, subAccountId: 0 }, depositorToken: new PublicKey(usdcAta), amount: 250_000_000n });
  return { deposit, account: decodeMarginAccount(accountData) };
}
`,
  },
  "@solana/kit (@crossmargin/kit)": {
    packageDir: kitDir,
    entry: join(kitDir, "dist", "src", "index.js"),
    alias: "@crossmargin/kit",
    peer: "@solana/kit@^8.4.0",
    source: `
import { address, createNoopSigner } from "@solana/kit";
import { findMarginAccountPda, getDepositInstructionAsync, getMarginAccountDecoder } from "@crossmargin/kit";

export async function depositAndDecode(owner, usdcAta, accountData) {
  const wallet = createNoopSigner(address(owner)); // a wallet's TransactionSigner in an app
  const [marginAccount] = await findMarginAccountPda({ owner: wallet.address, subAccountId: 0 });
  const deposit = await getDepositInstructionAsync({ depositor: wallet, marginAccount, depositorToken: address(usdcAta), amount: 250_000_000n });
  return { deposit, account: getMarginAccountDecoder().decode(accountData) };
}
`,
  },
};

/**
 * The app bundled as a browser would load it: { bytes, gzip, inputs: [path, bytes][] }. With
 * `installed`, the app folder that has the package installed; otherwise the package is taken
 * from this repository (its build and its dev install's node_modules).
 */
export async function bundle(app, installed) {
  if (installed === undefined && !existsSync(app.entry)) throw new Error(`${app.entry} is missing: build that package first (npm run build)`);
  const dir = installed ?? mkdtempSync(join(tmpdir(), "crossmargin-size-"));
  try {
    const entry = join(dir, "app.js");
    writeFileSync(entry, app.source);
    const local = installed === undefined ? { alias: { [app.alias]: app.entry }, nodePaths: [join(app.packageDir, "node_modules")] } : {};
    const result = await build({
      entryPoints: [entry],
      bundle: true,
      minify: true,
      format: "esm",
      platform: "browser",
      target: "es2022",
      write: false,
      metafile: true,
      legalComments: "none",
      logLevel: "silent",
      define: { "process.env.NODE_ENV": '"production"', global: "globalThis" },
      absWorkingDir: dir,
      ...local,
    });
    const code = result.outputFiles[0].contents;
    const output = Object.values(result.metafile.outputs)[0];
    const inputs = Object.entries(output.inputs)
      .map(([path, i]) => [path, i.bytesInOutput])
      .sort((a, b) => b[1] - a[1]);
    return { bytes: code.length, gzip: gzipSync(code, { level: 9 }).length, inputs };
  } finally {
    if (installed === undefined) rmSync(dir, { recursive: true, force: true });
  }
}

/** A fresh app folder with `app`'s package packed and installed from it, and its peer from the registry. */
export function installApp(app) {
  const dir = mkdtempSync(join(tmpdir(), "crossmargin-app-"));
  execFileSync("npm", ["pack", "--pack-destination", dir, "--silent"], { cwd: app.packageDir, stdio: ["ignore", "ignore", "inherit"] });
  const tarball = readdirSync(dir).find((f) => f.endsWith(".tgz"));
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "size-app", private: true, type: "module" }));
  execFileSync("npm", ["install", "--no-audit", "--no-fund", "--silent", `./${tarball}`, app.peer], { cwd: dir, stdio: ["ignore", "ignore", "inherit"] });
  return dir;
}

/** Input paths grouped by package (node_modules/<name>), the rest under the package's own name. */
export function byPackage(inputs, own) {
  const sums = new Map();
  for (const [path, bytes] of inputs) {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path.replaceAll("\\", "/"));
    const name = m?.[1] ?? own;
    sums.set(name, (sums.get(name) ?? 0) + bytes);
  }
  return [...sums.entries()].sort((a, b) => b[1] - a[1]);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const kb = (n) => `${(n / 1000).toFixed(1)} kB`;
  const results = [];
  for (const [name, app] of Object.entries(APPS)) {
    const dir = installApp(app);
    const r = await bundle(app, dir);
    rmSync(dir, { recursive: true, force: true });
    results.push([name, r]);
    console.log(`${name}: ${r.bytes} bytes (${kb(r.bytes)}), gzip ${r.gzip} bytes (${kb(r.gzip)})`);
    for (const [pkg, bytes] of byPackage(r.inputs, app.alias).slice(0, 8)) console.log(`  ${kb(bytes).padStart(9)}  ${pkg}`);
  }
  const [[, a], [, b]] = results;
  console.log(`the kit client saves ${a.bytes - b.bytes} bytes (${(100 * (1 - b.bytes / a.bytes)).toFixed(0)}%), gzip ${a.gzip - b.gzip} bytes (${(100 * (1 - b.gzip / a.gzip)).toFixed(0)}%)`);
}
