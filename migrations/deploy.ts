// Bootstraps crossmargin on a cluster from a config file: the exchange, then each market in
// order, skipping what exists (see app/ts/src/deploy.ts). Build and run from app/ts:
//
//   npm run deploy -- --config ../../migrations/config.devnet.json --keypair ~/.config/solana/id.json \
//       --url https://api.devnet.solana.com --dry-run
import { deployMain } from "../app/ts/src/deploy.js";

process.exitCode = await deployMain(process.argv.slice(2));
