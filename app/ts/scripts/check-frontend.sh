#!/usr/bin/env bash
# The READMEs' frontend steps, as a new frontend developer follows them: a fresh Vite + TypeScript
# app (create-vite's vanilla-ts template, its tsconfig as generated) installs the packed client
# and its peer, gets each ```ts example of the README pasted as it is into a module of its own,
# and must type-check and build (`npm run build`: `tsc && vite build`). Done twice: for
# @crossmargin/client (app/ts/README.md, with @solana/web3.js 1) and for @crossmargin/kit
# (app/kit/README.md, with @solana/kit). The examples' free variables (the page's `connection` or
# `rpc`, the `wallet`, the market maker's keys) are declared in a readme-globals.d.ts: the only
# file added besides the examples. Nothing polyfills Buffer.
#
#   bash app/ts/scripts/check-frontend.sh        (KEEP=1 keeps the apps; CREATE_VITE sets the create-vite version)
#
# Needs the npm registry (create-vite, vite, typescript, the peers); not part of `npm test`.
set -euo pipefail

app_dir="$(cd "$(dirname "$0")/../.." && pwd)" # app/
create_vite="create-vite@${CREATE_VITE:-9.3.0}"
work="$(mktemp -d "${TMPDIR:-/tmp}/crossmargin-frontend.XXXXXX")"
if [ "${KEEP:-}" = "" ]; then trap 'rm -rf "$work"' EXIT; else echo "apps kept in $work"; fi
npm_q=(--no-audit --no-fund --loglevel=error)

# Each ```ts block of a markdown file into out/readme-N.ts, and a main.ts importing them all.
paste_examples() {
  local readme="$1" out="$2"
  node --input-type=module - "$readme" "$out" <<'EOF'
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
const [readme, out] = process.argv.slice(2);
const blocks = [...readFileSync(readme, "utf8").matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
if (blocks.length === 0) throw new Error(`${readme} has no ts example`);
blocks.forEach((b, i) => writeFileSync(join(out, `readme-${i + 1}.ts`), b));
writeFileSync(join(out, "main.ts"), blocks.map((_, i) => `import "./readme-${i + 1}.ts";\n`).join(""));
console.log(`${blocks.length} examples from ${readme}`);
EOF
}

# check NAME TARBALL_DIR README PEER GLOBALS
check() {
  local name="$1" pkg="$2" readme="$3" peer="$4" globals="$5"
  echo "== $name"
  (cd "$pkg" && { [ -d node_modules ] || npm ci --include=dev "${npm_q[@]}"; } && npm pack --pack-destination "$work" --silent >/dev/null)
  local tarball
  tarball="$(cd "$work" && ls -t ./*.tgz | head -1)"
  (cd "$work" && npx --yes "$create_vite" "$name" --template vanilla-ts --no-interactive --no-immediate >/dev/null)
  cd "$work/$name"
  npm install "${npm_q[@]}"
  npm install "${npm_q[@]}" "../$tarball" "$peer"
  rm -f src/counter.ts src/style.css src/typescript.svg
  rm -rf src/assets
  paste_examples "$readme" src
  printf '%s\n' "$globals" > src/readme-globals.d.ts
  echo "installed: $(npm ls --depth=0 2>/dev/null | tail -n +2 | tr -s ' \n' ' ')"
  npm run build
  cd "$work"
}

check web3-app "$app_dir/ts" "$app_dir/ts/README.md" "@solana/web3.js@^1.98.0" '// The page around the README examples: its connection, the wallet adapter, the maker.
import type { Connection, Keypair, PublicKey, Transaction, VersionedTransaction } from "@solana/web3.js";

declare global {
  const connection: Connection;
  /** What @solana/wallet-adapter-react'"'"'s useWallet() gives once connected. */
  const wallet: {
    publicKey: PublicKey;
    sendTransaction(tx: Transaction | VersionedTransaction, connection: Connection): Promise<string>;
    signTransaction<T extends Transaction | VersionedTransaction>(tx: T): Promise<T>;
  };
  /** Market makers'"'"' quote servers (crossmargin maker run). */
  const makerUrls: string[];
  const makerAccount: PublicKey;
  const makerBot: PublicKey;
  const makerKeypair: Keypair;
  const signature: string;
}
export {};'

check kit-app "$app_dir/kit" "$app_dir/kit/README.md" "@solana/kit@^8.4.0" '// The page around the README examples: its RPC, the wallet signer, the maker.
import type { Address, createSolanaRpc, Signature, TransactionSigner } from "@solana/kit";

declare global {
  const rpc: ReturnType<typeof createSolanaRpc>;
  /** What @solana/react'"'"'s useWalletAccountTransactionSigner() gives. */
  const wallet: TransactionSigner;
  const marginAccount: Address;
  const makerAccount: Address;
  const makerBot: TransactionSigner;
  const makerServer: string;
  const signature: Signature;
}
export {};'

echo "== both apps type-check and build"
