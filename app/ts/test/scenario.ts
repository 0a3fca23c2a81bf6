// A whole scenario as a frontend, a market maker, a keeper and an admin would build it with this
// client, serialized: every transaction's instructions (program, accounts, data) and who signs.
// The Rust suite (tests/suite/frontend/scenario.rs) replays it in program-test, checks every step
// and the end state, and writes the resulting accounts to replay.json.
import { Keypair, PublicKey, type TransactionInstruction } from "@solana/web3.js";

import { ix, marginAccountAddress, type AccountLike, type MarketParams } from "../src/index.js";
import { type DeployConfig, planDeployment } from "../src/deploy.js";
import type { AccountReader } from "../src/client.js";

/** Wallets are `Keypair.fromSeed([seed; 32])` (Rust: `keypair_from_seed(&[seed; 32])`). */
export const SEEDS = { admin: 1, alice: 10, bob: 11, bobBot: 13, liz: 12, mint: 50 } as const;
export type Name = keyof typeof SEEDS;
export const wallet = (name: Name): PublicKey => Keypair.fromSeed(new Uint8Array(32).fill(SEEDS[name])).publicKey;

const USDC = 1_000_000n;
const ONE = 1_000_000_000n; // one whole base unit
const DOLLAR = 1_000_000n; // price precision
export const START = 1_750_000_000;

const ethParams: MarketParams = {
  initialMarginRatio: 100_000,
  maintenanceMarginRatio: 50_000,
  liquidationFee: 10_000,
  insuranceFee: 5_000,
  upnlInitialWeight: 800_000,
  takerFee: 500,
  makerFee: -100,
  priceBand: 50_000,
  maxConfRatio: 20_000,
  maxOracleAgeSecs: 60,
  liquidationMaxOracleAgeSecs: 300,
  maxFundingPremium: 20_000,
  fundingPeriodSecs: 3_600,
  baseLotSize: 1_000_000n,
  minPositionBase: 10_000_000n,
  openInterestCap: 10_000n * ONE,
};
const btcParams: MarketParams = {
  ...ethParams,
  initialMarginRatio: 50_000,
  maintenanceMarginRatio: 25_000,
  liquidationFee: 5_000,
  insuranceFee: 2_500,
  baseLotSize: 100_000n,
  minPositionBase: 1_000_000n,
  openInterestCap: 1_000n * ONE,
};

const ORACLES = {
  eth: { address: Keypair.fromSeed(new Uint8Array(32).fill(70)).publicKey, feedId: "11".repeat(32) },
  btc: { address: Keypair.fromSeed(new Uint8Array(32).fill(71)).publicKey, feedId: "22".repeat(32) },
};

export const DEPLOY_CONFIG: DeployConfig = {
  collateralMint: wallet("mint"),
  liquidationBuffer: 200_000,
  markets: [
    { symbol: "ETH-PERP", oracleSource: 0, oracle: ORACLES.eth.address, pythFeedId: Buffer.from(ORACLES.eth.feedId, "hex"), params: ethParams },
    { symbol: "BTC-PERP", oracleSource: 0, oracle: ORACLES.btc.address, pythFeedId: Buffer.from(ORACLES.btc.feedId, "hex"), params: btcParams },
  ],
};

/** A cluster with nothing on it (what `deploy` sees before the first run). */
const EMPTY: AccountReader = { getMultipleAccountsInfo: async (keys) => keys.map(() => null) };

interface Step {
  name: string;
  advanceSecs?: number;
  /** New Pyth prices (published at the step's time), at 1e-6. */
  prices?: { oracle: string; price: string }[];
  signers: Name[];
  instructions: TransactionInstruction[];
  expect: "ok" | { error: string };
}

const oracles = new Map([
  [0, ORACLES.eth.address],
  [1, ORACLES.btc.address],
]);

/** What the frontend knows of each account's open positions (market indices in slot order). */
function account(name: Name, markets: number[]): AccountLike {
  return { owner: wallet(name), subAccountId: 0, positions: markets.map((m) => ({ marketIndex: m, base: 1n })) };
}

const tokenAccount = (name: Name): PublicKey => Keypair.fromSeed(new Uint8Array(32).fill(SEEDS[name] + 100)).publicKey;

const prices = (eth: bigint, btc: bigint) => [
  { oracle: ORACLES.eth.address.toBase58(), price: eth.toString() },
  { oracle: ORACLES.btc.address.toBase58(), price: btc.toString() },
];

export async function buildScenario(): Promise<unknown> {
  const steps: Step[] = [];
  // 1. the admin's deploy script, on an empty cluster
  const plan = await planDeployment(EMPTY, DEPLOY_CONFIG, wallet("admin"));
  for (const s of plan.steps) steps.push({ name: `deploy: ${s.label}`, signers: ["admin"], instructions: s.instructions, expect: "ok" });

  // 2. three users open margin accounts and deposit
  const deposits: [Name, bigint][] = [
    ["alice", 10_000n * USDC],
    ["bob", 1_000_000n * USDC],
    ["liz", 100_000n * USDC],
  ];
  for (const [name, amount] of deposits) {
    steps.push({
      name: `${name} opens margin account 0 and deposits ${amount / USDC} USDC`,
      signers: [name],
      instructions: [
        ix.createMarginAccount({ owner: wallet(name), subAccountId: 0 }),
        ix.deposit({ depositor: wallet(name), marginAccount: { owner: wallet(name), subAccountId: 0 }, depositorToken: tokenAccount(name), amount }),
      ],
      expect: "ok",
    });
  }
  steps.push({
    name: "bob lets his quoting bot trade for his account",
    signers: ["bob"],
    instructions: [ix.setDelegate({ owner: wallet("bob"), subAccountId: 0, delegate: wallet("bobBot") })],
    expect: "ok",
  });

  // 3. alice trades against bob's quotes, both signing each fill
  steps.push({
    name: "alice buys 10 ETH from bob at $3,030 (oracle: $3,000)",
    signers: ["alice", "bob"],
    instructions: [ix.fill({ taker: account("alice", []), maker: account("bob", []), marketIndex: 0, takerBaseDelta: 10n * ONE, price: 3_030n * DOLLAR, oracles })],
    expect: "ok",
  });
  steps.push({
    name: "alice sells 0.5 BTC to bob's bot at $60,000",
    signers: ["alice", "bobBot"],
    instructions: [
      ix.fill({
        taker: account("alice", [0]),
        maker: account("bob", [0]),
        makerAuthority: wallet("bobBot"),
        marketIndex: 1,
        takerBaseDelta: -ONE / 2n,
        price: 60_000n * DOLLAR,
        oracles,
      }),
    ],
    expect: "ok",
  });

  // 4. withdrawals: within free collateral, then beyond it
  steps.push({
    name: "alice withdraws 2,000 USDC",
    signers: ["alice"],
    instructions: [ix.withdraw({ account: account("alice", [0, 1]), destination: tokenAccount("alice"), amount: 2_000n * USDC, oracles })],
    expect: "ok",
  });
  steps.push({
    name: "alice tries to withdraw 6,000 USDC more than her initial margin allows",
    signers: ["alice"],
    instructions: [ix.withdraw({ account: account("alice", [0, 1]), destination: tokenAccount("alice"), amount: 6_000n * USDC, oracles })],
    expect: { error: "InitialMarginViolated" },
  });

  // 5. an hour later a keeper cranks funding and settles alice
  steps.push({
    name: "an hour later a keeper updates ETH funding: its last fill traded 1% above the oracle",
    advanceSecs: 3_600,
    prices: prices(3_000n * DOLLAR, 60_000n * DOLLAR),
    signers: [],
    instructions: [ix.updateFunding({ marketIndex: 0, oracles })],
    expect: "ok",
  });
  steps.push({
    name: "funding is settled into alice's collateral",
    signers: [],
    instructions: [ix.settleFunding({ account: account("alice", [0, 1]) })],
    expect: "ok",
  });

  // 6. ETH falls; liz liquidates alice's ETH position
  steps.push({
    name: "ETH falls to $2,400: liz liquidates part of alice's ETH position",
    advanceSecs: 30,
    prices: prices(2_400n * DOLLAR, 60_000n * DOLLAR),
    signers: ["liz"],
    instructions: [
      ix.liquidate({
        liquidator: account("liz", []),
        liquidatee: account("alice", [0, 1]),
        marketIndex: 0,
        maxBase: 10n * ONE,
        limitPrice: (1n << 63n) - 1n,
        oracles,
      }),
    ],
    expect: "ok",
  });

  const json = (ixs: TransactionInstruction[]) =>
    ixs.map((i) => ({
      programId: i.programId.toBase58(),
      accounts: i.keys.map((k) => ({ pubkey: k.pubkey.toBase58(), isSigner: k.isSigner, isWritable: k.isWritable })),
      data: Buffer.from(i.data).toString("base64"),
    }));
  const names = Object.keys(SEEDS) as Name[];
  return {
    description: "Built by app/ts/test/scenario.ts with the TypeScript client; replayed by tests/suite/frontend/scenario.rs.",
    startTime: START,
    wallets: names.filter((n) => n !== "mint").map((n) => ({ name: n, seed: SEEDS[n], pubkey: wallet(n).toBase58() })),
    mint: { address: wallet("mint").toBase58(), decimals: 6 },
    tokenAccounts: deposits.map(([name, amount]) => ({
      name,
      address: tokenAccount(name).toBase58(),
      owner: wallet(name).toBase58(),
      amount: (amount + 1_000n * USDC).toString(),
    })),
    oracles: [
      { address: ORACLES.eth.address.toBase58(), feedId: ORACLES.eth.feedId, price: (3_000n * DOLLAR).toString() },
      { address: ORACLES.btc.address.toBase58(), feedId: ORACLES.btc.feedId, price: (60_000n * DOLLAR).toString() },
    ],
    marginAccounts: ["alice", "bob", "liz"].map((n) => ({ name: n, address: marginAccountAddress(wallet(n as Name), 0).toBase58() })),
    steps: steps.map((s) => ({
      name: s.name,
      advanceSecs: s.advanceSecs ?? 0,
      prices: s.prices ?? [],
      signers: s.signers,
      instructions: json(s.instructions),
      expect: s.expect,
    })),
  };
}
