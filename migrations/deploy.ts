// Bootstraps crossmargin on a cluster from a config file through the program's timelock: the
// exchange (signed by the program's upgrade authority), queued listings, then, run again after
// the delay, their execution; what exists is skipped (see app/ts/src/deploy.ts). Build and run
// from app/ts:
//
//   npm run deploy -- --config ../../migrations/config.mainnet.json --keypair ~/.config/solana/id.json \
//       --url https://api.mainnet-beta.solana.com --dry-run
import { deployMain } from "../app/ts/src/deploy.js";

process.exitCode = await deployMain(process.argv.slice(2));
