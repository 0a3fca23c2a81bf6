// A whole scenario as an operator, frontends, a market maker and a keeper would build it with this
// client, serialized: every transaction's instructions (program, accounts, data) and who signs.
// The Rust suite (tests/suite/frontend/scenario.rs) replays it in program-test, checks every step
// and the end state, and writes the resulting accounts to replay.json.
//
// The operator's part is the deploy planner's, run twice: on the empty cluster (initialize, queue
// the listings and portfolio margin), then a day later on the cluster the first run left
// (execute what is due). Lookup tables are left out: creating one needs a recent slot the
// replay's chain cannot match.
import { Keypair, PublicKey, type TransactionInstruction } from "@solana/web3.js";

import {
  type AdminAction,
  BPF_LOADER_UPGRADEABLE_PROGRAM_ID,
  coder,
  EXCHANGE_SEED,
  exchangeAddress,
  ADMIN_ACTION_SEED,
  ix,
  marginAccountAddress,
  PROGRAM_ID,
  programDataAddress,
  sponsoredFeedAddress,
  toIdl,
  triggerOrdersAddress,
  vaultAddress,
  VAULT_SEED,
  adminActionAddress,
  type AccountLike,
  type MarketParams,
} from "../src/index.js";
import { type DeployConfig, type DeployPlan, planDeployment } from "../src/deploy.js";
import type { AccountReader } from "../src/client.js";
import { MemoryCluster } from "./util.js";

/** Wallets are `Keypair.fromSeed([seed; 32])` (Rust: `keypair_from_seed(&[seed; 32])`). */
export const SEEDS = { admin: 1, alice: 10, bob: 11, liz: 12, bobBot: 13, guardian: 14, mint: 50 } as const;
export type Name = keyof typeof SEEDS;
export const keypair = (name: Name): Keypair => Keypair.fromSeed(new Uint8Array(32).fill(SEEDS[name]));
export const wallet = (name: Name): PublicKey => keypair(name).publicKey;

const USDC = 1_000_000n;
const ONE = 1_000_000_000n; // one whole base unit
const DOLLAR = 1_000_000n; // price precision
const DAY = 86_400;
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
  marginGroup: 1,
  systematicShare: 700_000,
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

const feed = (hex: string) => Uint8Array.from(Buffer.from(hex, "hex"));
/** Pull oracles at the sponsored feed accounts of their feed ids (the only ones the program lists). */
const ORACLES = {
  eth: { feedId: "11".repeat(32), address: sponsoredFeedAddress(feed("11".repeat(32))) },
  btc: { feedId: "22".repeat(32), address: sponsoredFeedAddress(feed("22".repeat(32))) },
};

export const DEPLOY_CONFIG: DeployConfig = {
  collateralMint: wallet("mint"),
  liquidationBuffer: 200_000,
  guardian: wallet("guardian"),
  timelockDelaySecs: DAY,
  markets: [
    { symbol: "ETH-PERP", oracleSource: 0, oracle: ORACLES.eth.address, pythFeedId: feed(ORACLES.eth.feedId), tokensPerContract: 1n, params: ethParams },
    { symbol: "BTC-PERP", oracleSource: 0, oracle: ORACLES.btc.address, pythFeedId: feed(ORACLES.btc.feedId), tokensPerContract: 1n, params: btcParams },
  ],
};

/** A cluster with nothing on it (what `deploy` sees before the first run). */
export const EMPTY: AccountReader = { getMultipleAccountsInfo: async (keys) => keys.map(() => null) };

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/**
 * The cluster as a first deploy run on an empty one leaves it, `queuedAt` its time: the exchange
 * as `initialize_exchange` writes it and each change the run queued (what the planner reads when
 * it runs again; the replay checks the day-later run's transactions against the real program).
 */
export async function clusterAfterFirstRun(config: DeployConfig, admin: PublicKey, plan: DeployPlan, queuedAt: number): Promise<MemoryCluster> {
  const cluster = new MemoryCluster();
  const bump = (k: PublicKey, seeds: Uint8Array[]) => {
    const [found, b] = PublicKey.findProgramAddressSync(seeds, PROGRAM_ID);
    if (!found.equals(k)) throw new Error("seeds");
    return b;
  };
  const exchange = toIdl({ defined: { name: "Exchange" } }, {
    admin,
    pendingAdmin: PublicKey.default,
    guardian: config.guardian,
    collateralMint: config.collateralMint,
    vault: vaultAddress(),
    insuranceBalance: 0n,
    badDebt: 0n,
    socializedLoss: 0n,
    nextActionId: BigInt(plan.queued.length),
    liquidationBuffer: config.liquidationBuffer,
    timelockDelaySecs: config.timelockDelaySecs,
    marketCount: 0,
    portfolioMarginEnabled: false,
    bump: bump(exchangeAddress(), [utf8(EXCHANGE_SEED)]),
    vaultBump: bump(vaultAddress(), [utf8(VAULT_SEED), exchangeAddress().toBytes()]),
    lookupTables: [],
    reserved: new Uint8Array(64),
  }, "exchange");
  cluster.set(exchangeAddress(), PROGRAM_ID, await coder.accounts.encode("Exchange", exchange));
  for (const q of plan.queued) {
    const address = adminActionAddress(q.id);
    const seedId = new Uint8Array(8);
    new DataView(seedId.buffer).setBigUint64(0, q.id, true);
    const value = toIdl({ defined: { name: "QueuedAction" } }, {
      id: q.id,
      proposer: admin,
      queuedAt: BigInt(queuedAt),
      executeAfter: BigInt(queuedAt + config.timelockDelaySecs),
      status: 0,
      resolvedAt: 0n,
      action: q.action satisfies AdminAction,
      bump: bump(address, [utf8(ADMIN_ACTION_SEED), seedId]),
    }, "queued action");
    cluster.set(address, PROGRAM_ID, await coder.accounts.encode("QueuedAction", value));
  }
  return cluster;
}

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

/** The deploy plans: the first run on the empty cluster, the second a day later. */
export async function deployPlans(): Promise<{ first: DeployPlan; second: DeployPlan }> {
  const admin = wallet("admin");
  const first = await planDeployment(EMPTY, DEPLOY_CONFIG, admin, { skipLookupTables: true });
  const after = await clusterAfterFirstRun(DEPLOY_CONFIG, admin, first, START);
  const second = await planDeployment(after, DEPLOY_CONFIG, admin, { now: BigInt(START + DAY), skipLookupTables: true });
  return { first, second };
}

export async function buildScenario(): Promise<unknown> {
  const steps: Step[] = [];
  // 1. the operator's deploy script on an empty cluster, signed by the program's upgrade authority
  const { first, second } = await deployPlans();
  for (const s of first.steps) steps.push({ name: `deploy: ${s.label}`, signers: ["admin"], instructions: s.instructions, expect: "ok" });
  // 2. a day later (fresh prices), the same script executes what the timelock released
  second.steps.forEach((s, i) =>
    steps.push({
      name: `a day later, deploy again: ${s.label}`,
      advanceSecs: i === 0 ? DAY : 0,
      prices: i === 0 ? prices(3_000n * DOLLAR, 60_000n * DOLLAR) : [],
      signers: ["admin"],
      instructions: s.instructions,
      expect: "ok",
    }),
  );

  // 3. three users open margin accounts and deposit
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
    name: "bob lets his quoting bot trade for his account: within 1% of the oracle, at most 1,000 USDC of cost a day",
    signers: ["bob"],
    instructions: [
      ix.setDelegate({
        owner: wallet("bob"),
        subAccountId: 0,
        delegate: wallet("bobBot"),
        limits: { maxPriceDeviation: 10_000, lossBudget: 1_000n * USDC, periodSecs: DAY, reduceOnly: false },
      }),
    ],
    expect: "ok",
  });

  // 4. alice trades against bob's quotes, both signing each fill
  steps.push({
    name: "alice buys 10 ETH from bob at $3,030 (oracle: $3,000)",
    signers: ["alice", "bob"],
    instructions: [ix.fill({ taker: account("alice", []), maker: account("bob", []), marketIndex: 0, takerBaseDelta: 10n * ONE, price: 3_030n * DOLLAR, oracles })],
    expect: "ok",
  });
  steps.push({
    name: "alice sells 0.5 BTC to bob's bot at $60,000, the oracle price (within the bot's limits)",
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

  // 5. a stop-loss on alice's BTC short: buy it back if BTC reaches $66,000, paying at most $67,000
  steps.push({
    name: "alice places a stop-loss on her BTC short at $66,000 (limit $67,000, 0.2% to the executor)",
    signers: ["alice"],
    instructions: [
      ix.createTriggerOrders({ authority: wallet("alice"), marginAccount: { owner: wallet("alice"), subAccountId: 0 } }),
      ix.placeTriggerOrder({
        authority: wallet("alice"),
        marginAccount: { owner: wallet("alice"), subAccountId: 0 },
        marketIndex: 1,
        params: { kind: 0, triggerPrice: 66_000n * DOLLAR, limitPrice: 67_000n * DOLLAR, size: 0n, expiry: BigInt(START + 31 * DAY), premium: 2_000 },
        oracles,
      }),
    ],
    expect: "ok",
  });

  // 6. withdrawals: within free collateral, then beyond it
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

  // 7. an hour later a keeper cranks funding and settles alice
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

  // 8. ETH falls; liz liquidates alice's ETH position
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
  const traders: Name[] = ["alice", "bob", "liz"];
  return {
    description: "Built by app/ts/test/scenario.ts with the TypeScript client; replayed by tests/suite/frontend/scenario.rs.",
    startTime: START,
    wallets: names.filter((n) => n !== "mint").map((n) => ({ name: n, seed: SEEDS[n], pubkey: wallet(n).toBase58() })),
    mint: { address: wallet("mint").toBase58(), decimals: 6 },
    // the program's ProgramData (owned by the upgradeable loader): its upgrade authority initializes the exchange
    programData: { address: programDataAddress().toBase58(), owner: BPF_LOADER_UPGRADEABLE_PROGRAM_ID.toBase58(), upgradeAuthority: "admin" },
    tokenAccounts: deposits.map(([name, amount]) => ({
      name,
      address: tokenAccount(name).toBase58(),
      owner: wallet(name).toBase58(),
      amount: (amount + 1_000n * USDC).toString(),
    })),
    // sponsored pull feeds: each account is its own write authority
    oracles: [
      { address: ORACLES.eth.address.toBase58(), feedId: ORACLES.eth.feedId, price: (3_000n * DOLLAR).toString() },
      { address: ORACLES.btc.address.toBase58(), feedId: ORACLES.btc.feedId, price: (60_000n * DOLLAR).toString() },
    ],
    marginAccounts: traders.map((n) => ({ name: n, address: marginAccountAddress(wallet(n), 0).toBase58() })),
    // accounts the replay writes to replay.json besides the exchange, markets, oracles and margin accounts
    adminActions: first.queued.map((q) => ({ id: q.id.toString(), address: adminActionAddress(q.id).toBase58() })),
    triggerOrders: [{ name: "alice", address: triggerOrdersAddress(marginAccountAddress(wallet("alice"), 0)).toBase58() }],
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
