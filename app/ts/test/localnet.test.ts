// End to end against a running node (`crossmargin localnet`, started here on free ports and
// stopped at the end; or CROSSMARGIN_RPC_URL's, see e2e.ts), through the client's ordinary code
// paths and a web3.js `Connection` (HTTP, and its WebSocket for confirmations): the fetch helpers
// on the bootstrapped exchange; a wallet funded from the faucet and by airdrop creates its margin
// accounts and deposits; a fill co-signed by two wallets as a v0 transaction against the
// exchange's lookup table; a withdrawal and a refused one; events from `getTransaction` logs
// (the client's parser and Anchor's); the risk report. Then request for quote against the
// reference maker (`crossmargin maker run`): a quote verified, signed and sent; the best of
// several makers taken; tampered quotes refused with nothing sent.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

import { BorshCoder, EventParser } from "@coral-xyz/anchor";
import {
  type AddressLookupTableAccount,
  type Connection,
  Keypair,
  PublicKey,
  SendTransactionError,
  sendAndConfirmTransaction,
  SystemProgram,
  Transaction,
  type TransactionInstruction,
  TransactionMessage,
  VersionedTransaction,
} from "@solana/web3.js";

import {
  accountReport,
  ActionStatus,
  associatedTokenAddress,
  buildTransaction,
  chooseQuote,
  computeBudget,
  eventsOf,
  exchangeAddress,
  fetchExchange,
  fetchLookupTables,
  fetchMakerMarkets,
  fetchMarginAccount,
  fetchMarkets,
  fetchPricedMarkets,
  fetchQueuedActions,
  fetchRiskReport,
  fetchSubAccounts,
  fetchTradingState,
  fillHealth,
  formatPrice,
  IDL,
  ix,
  limitPriceFor,
  MakerError,
  marginAccountAddress,
  marketAddress,
  MAX_COMPUTE_UNITS,
  missingSigners,
  NoValidQuote,
  openPositions,
  parseBase,
  parseEvents,
  parseUsdc,
  PROGRAM_ID,
  type QuoteExpectation,
  QuoteRejected,
  requestQuote,
  takeQuote,
  vaultAddress,
  verifyQuoteTransaction,
} from "../src/index.js";
import { airdrop, clientNode, connect, disconnect, faucet, type Node, type RpcLog, spawnMaker, stopAll } from "./e2e.js";

let node: Node | undefined;
let connection: Connection;
let log: RpcLog;
const stops: (() => Promise<void>)[] = [];

before(
  async () => {
    node = await clientNode();
    ({ connection, log } = connect(node.info));
  },
  { timeout: 30_000 },
);

after(
  async () => {
    if (connection !== undefined) await disconnect(connection);
    for (const stop of stops.reverse()) await stop();
    await node?.stop();
    await stopAll();
  },
  { timeout: 30_000 },
);

const sends = () => log.calls.get("sendTransaction") ?? 0;
const ETH = 1;

/** A wallet with SOL (airdrop) and USDC (faucet), and its margin account 0 holding `deposit`. */
async function trader(usdc: string, deposit: string): Promise<{ wallet: Keypair; token: PublicKey; signatures: string[] }> {
  const wallet = Keypair.generate();
  await airdrop(connection, wallet.publicKey, 10);
  const token = await faucet(node as Node, connection, wallet, parseUsdc(usdc));
  const { collateralMint } = await fetchExchange(connection);
  assert.ok(token.equals(associatedTokenAddress(wallet.publicKey, collateralMint)));
  const me = { owner: wallet.publicKey, subAccountId: 0 };
  const tx = new Transaction().add(
    ix.createMarginAccount(me),
    ix.deposit({ depositor: wallet.publicKey, marginAccount: me, depositorToken: token, amount: parseUsdc(deposit) }),
  );
  const signature = await sendAndConfirmTransaction(connection, tx, [wallet]);
  return { wallet, token, signatures: [signature] };
}

async function logsOf(signature: string): Promise<string[]> {
  const got = await connection.getTransaction(signature, { maxSupportedTransactionVersion: 0, commitment: "confirmed" });
  assert.ok(got !== null, `getTransaction ${signature}: not found`);
  assert.equal(got.meta?.err, null);
  return got.meta?.logMessages ?? [];
}

// --------------------------------------------------------------------- the client story

let alice: Awaited<ReturnType<typeof trader>>;
let bob: Awaited<ReturnType<typeof trader>>;
let fillSignature = "";

test("the fetch helpers read the bootstrapped exchange: markets, prices, lookup tables, queued changes", { timeout: 30_000 }, async () => {
  const info = (node as Node).info;
  const ex = await fetchExchange(connection);
  assert.ok(ex.marketCount >= 3, `markets: ${ex.marketCount}`);
  assert.ok(ex.lookupTables.length >= 1, "the exchange lists a lookup table");
  if (info.exchange !== undefined) {
    assert.equal(exchangeAddress().toBase58(), info.exchange);
    assert.equal(vaultAddress().toBase58(), info.vault);
    assert.equal(PROGRAM_ID.toBase58(), info.programId);
    assert.equal(ex.admin.toBase58(), info.admin);
    assert.equal(ex.collateralMint.toBase58(), info.collateralMint);
    assert.deepEqual(
      ex.lookupTables.map((t) => t.toBase58()),
      info.lookupTables,
    );
  }
  const indices = Array.from({ length: ex.marketCount }, (_, i) => i);
  const markets = await fetchMarkets(connection, indices);
  assert.deepEqual(
    markets.map((m) => m.marketIndex),
    indices,
  );
  for (const m of info.markets ?? []) {
    const got = markets[m.index];
    assert.equal(got?.symbol, m.symbol);
    assert.equal(got?.oracle.toBase58(), m.oracle);
    assert.equal(marketAddress(m.index).toBase58(), m.market);
  }
  const clock = Number((await fetchTradingState(connection)).now); // the Clock sysvar
  const priced = await fetchPricedMarkets(connection, indices);
  for (const { market, price } of priced) {
    assert.ok(price.price > 0n, `${market.symbol} has a price`);
    assert.ok(Math.abs(Number(price.publishTime) - clock) < 120, `${market.symbol}'s price is fresh (${price.publishTime} at ${clock})`);
    const start = info.markets?.[market.marketIndex]?.price;
    if (start !== undefined) assert.ok(Math.abs(Number(price.price) / start - 1) < 0.5, `${market.symbol} near its start price`);
  }
  const tables = await fetchLookupTables(connection, ex);
  assert.equal(tables.length, ex.lookupTables.length);
  const held = tables.flatMap((t) => t.state.addresses.map((a) => a.toBase58()));
  for (const k of [exchangeAddress(), vaultAddress(), ex.collateralMint, ...markets.flatMap((m) => [marketAddress(m.marketIndex), m.oracle])]) {
    assert.ok(held.includes(k.toBase58()), `the lookup tables hold ${k.toBase58()}`);
  }
  for (const q of await fetchQueuedActions(connection, ex)) assert.notEqual(q.status, ActionStatus.Queued, `queued change ${q.id} was resolved at bootstrap`);
  // the node answers what a wallet asks first
  assert.equal(typeof (await connection.getVersion())["solana-core"], "string");
  assert.equal(typeof (await connection.getGenesisHash()), "string");
  const epoch = await connection.getEpochInfo();
  assert.ok(epoch.absoluteSlot >= 0 && epoch.blockHeight !== undefined);
});

test("a wallet funded by the faucet and an airdrop creates two sub-accounts and deposits (sendAndConfirmTransaction)", { timeout: 30_000 }, async () => {
  alice = await trader("10000", "5000");
  const me = alice.wallet.publicKey;
  const second = new Transaction().add(
    ix.createMarginAccount({ owner: me, subAccountId: 1 }),
    ix.deposit({ depositor: me, marginAccount: { owner: me, subAccountId: 1 }, depositorToken: alice.token, amount: parseUsdc("250") }),
  );
  alice.signatures.push(await sendAndConfirmTransaction(connection, second, [alice.wallet]));
  const balance = await connection.getTokenAccountBalance(alice.token);
  assert.equal(balance.value.amount, parseUsdc("4750").toString());
  assert.equal(balance.value.decimals, 6);
  assert.ok((await connection.getBalance(me)) > 9e9, "the airdrop landed (less fees and rent)");
  const subs = await fetchSubAccounts(connection, me);
  assert.deepEqual(
    subs.map((s) => [s.account.subAccountId, s.address.toBase58(), s.account.collateral]),
    [
      [0, marginAccountAddress(me, 0).toBase58(), parseUsdc("5000")],
      [1, marginAccountAddress(me, 1).toBase58(), parseUsdc("250")],
    ],
  );
  const account = await fetchMarginAccount(connection, marginAccountAddress(me, 0));
  assert.ok(account.owner.equals(me));
  assert.equal(account.totalDeposits, parseUsdc("5000"));
  // the events of the first transaction, from its logs
  const events = parseEvents(await logsOf(alice.signatures[0] as string));
  assert.deepEqual(
    events.map((e) => e.name),
    ["MarginAccountCreated", "Deposited"],
  );
  const deposited = events[1];
  assert.ok(deposited?.name === "Deposited");
  assert.equal(deposited.data.amount, parseUsdc("5000"));
  assert.ok(deposited.data.marginAccount.equals(marginAccountAddress(me, 0)));
  assert.equal(deposited.data.collateralAfter, parseUsdc("5000"));
});

test(
  "a fill co-signed by two wallets, as a v0 transaction against the exchange's lookup table, confirmed over the WebSocket",
  { timeout: 30_000 },
  async () => {
    bob = await trader("10000", "5000");
    const ex = await fetchExchange(connection);
    const tables = await fetchLookupTables(connection, ex);
    const taker = await fetchMarginAccount(connection, marginAccountAddress(alice.wallet.publicKey, 0));
    const maker = await fetchMarginAccount(connection, marginAccountAddress(bob.wallet.publicKey, 0));
    const priced = await fetchPricedMarkets(connection, [0, 1, 2]);
    const price = (priced[ETH]?.price.price as bigint) + 1_000_000n;
    const fill = ix.fill({ taker, maker, marketIndex: ETH, takerBaseDelta: parseBase("0.5"), price, oracles: priced.map((p) => p.market) });
    const latest = await connection.getLatestBlockhash();
    const tx = buildTransaction({
      payer: alice.wallet.publicKey,
      instructions: [...computeBudget(200_000, 1_000n), fill],
      lookupTables: tables,
      blockhash: latest.blockhash,
    });
    assert.equal(tx.version, 0);
    assert.equal(tx.message.addressTableLookups.length, 1);
    assert.deepEqual(
      missingSigners(tx).map((k) => k.toBase58()),
      [alice.wallet.publicKey, bob.wallet.publicKey].map((k) => k.toBase58()),
    );
    tx.sign([bob.wallet]); // the counterparty signs apart
    assert.deepEqual(
      missingSigners(tx).map((k) => k.toBase58()),
      [alice.wallet.publicKey.toBase58()],
    );
    tx.sign([alice.wallet]);
    fillSignature = await connection.sendTransaction(tx);
    const confirmed = await connection.confirmTransaction({ signature: fillSignature, ...latest }, "confirmed");
    assert.equal(confirmed.value.err, null);

    const got = await connection.getTransaction(fillSignature, { maxSupportedTransactionVersion: 0, commitment: "confirmed" });
    assert.equal(got?.version, 0);
    const loaded = [...(got?.meta?.loadedAddresses?.writable ?? []), ...(got?.meta?.loadedAddresses?.readonly ?? [])].map((k) => k.toBase58());
    assert.ok(loaded.includes(marketAddress(ETH).toBase58()), "the market came from the lookup table");
    const logs = got?.meta?.logMessages ?? [];
    const [filled] = eventsOf(logs, "Filled");
    assert.ok(filled !== undefined);
    assert.equal(filled.marketIndex, ETH);
    assert.ok(filled.taker.equals(marginAccountAddress(alice.wallet.publicKey, 0)));
    assert.ok(filled.maker.equals(marginAccountAddress(bob.wallet.publicKey, 0)));
    assert.equal(filled.takerBaseDelta, parseBase("0.5"));
    assert.equal(filled.price, price);
    assert.equal(filled.takerBaseAfter, parseBase("0.5"));
    // Anchor's own parser reads the same event off the same logs
    const anchorEvents = [...new EventParser(PROGRAM_ID, new BorshCoder(IDL)).parseLogs(logs)];
    assert.deepEqual(
      anchorEvents.map((e) => e.name),
      ["Filled"],
    );
    const raw = anchorEvents[0]?.data as Record<string, { toString(): string }>;
    assert.equal((raw.taker_base_delta ?? raw.takerBaseDelta)?.toString(), parseBase("0.5").toString());
    assert.equal(raw.price?.toString(), price.toString());

    const after = await fetchMarginAccount(connection, marginAccountAddress(alice.wallet.publicKey, 0));
    assert.deepEqual(
      openPositions(after).map((p) => [p.marketIndex, p.base]),
      [[ETH, parseBase("0.5")]],
    );
    const other = await fetchMarginAccount(connection, marginAccountAddress(bob.wallet.publicKey, 0));
    assert.deepEqual(
      openPositions(other).map((p) => [p.marketIndex, p.base]),
      [[ETH, -parseBase("0.5")]],
    );
  },
);

test(
  "a withdrawal (health accounts for the open position), and one over the free collateral refused in preflight with the program's logs",
  { timeout: 30_000 },
  async () => {
    const me = alice.wallet.publicKey;
    const account = await fetchMarginAccount(connection, marginAccountAddress(me, 0));
    const markets = await fetchMarkets(connection, [0, 1, 2]);
    const before = BigInt((await connection.getTokenAccountBalance(alice.token)).value.amount);
    const w = ix.withdraw({ account, destination: alice.token, amount: parseUsdc("100"), oracles: markets });
    assert.equal(w.keys.length, 6 + 2, "the withdrawal names the position's market and oracle");
    const signature = await sendAndConfirmTransaction(connection, new Transaction().add(w), [alice.wallet]);
    const after = BigInt((await connection.getTokenAccountBalance(alice.token)).value.amount);
    assert.equal(after - before, parseUsdc("100"));
    const [withdrawn] = eventsOf(await logsOf(signature), "Withdrawn");
    assert.equal(withdrawn?.amount, parseUsdc("100"));
    assert.ok(withdrawn?.destination.equals(alice.token));
    const now = await fetchMarginAccount(connection, marginAccountAddress(me, 0));
    assert.equal(now.collateral, withdrawn?.collateralAfter);

    const sent = sends();
    const tooMuch = ix.withdraw({ account: now, destination: alice.token, amount: parseUsdc("100000"), oracles: markets });
    await assert.rejects(sendAndConfirmTransaction(connection, new Transaction().add(tooMuch), [alice.wallet]), (e: unknown) => {
      assert.ok(e instanceof SendTransactionError, String(e));
      assert.match(e.message, /custom program error/);
      assert.ok(
        (e.logs ?? []).some((l) => l.startsWith(`Program ${PROGRAM_ID.toBase58()} failed`)),
        JSON.stringify(e.logs),
      );
      return true;
    });
    assert.equal(sends(), sent + 1, "sent once, refused in preflight");
    assert.equal((await fetchMarginAccount(connection, marginAccountAddress(me, 0))).collateral, now.collateral);
  },
);

test("the risk report of the account after the fill and the withdrawal", { timeout: 30_000 }, async () => {
  const address = marginAccountAddress(alice.wallet.publicKey, 0);
  const { account, markets, orders, report } = await fetchRiskReport(connection, address);
  assert.equal(orders, null);
  assert.deepEqual(
    markets.map((m) => m.market.marketIndex),
    [ETH],
  );
  assert.equal(report.positions.length, 1);
  const [p] = report.positions;
  assert.equal(p?.symbol, "ETH-PERP");
  assert.equal(p?.base, parseBase("0.5"));
  assert.equal(report.liquidatable, false);
  assert.ok(report.equity > 0n && report.freeCollateral > 0n);
  assert.ok(report.maintenanceRequirement > 0n && report.maintenanceRequirement < report.initialRequirement);
  // the same figures from the pieces it fetched
  assert.deepEqual(accountReport(account, markets, orders), report);
  // equity is the collateral plus the position's pnl at the oracle
  const pnl = ((p?.base as bigint) * (markets[0]?.price.price as bigint)) / 1_000_000_000n + (account.positions.find((x) => x.base !== 0n)?.quote as bigint);
  const diff = report.equity - (account.collateral + pnl);
  assert.ok(diff >= -1_000_000n && diff <= 1_000_000n, `equity ${report.equity} vs ${account.collateral} + ${pnl} (unsettled funding at most 1 USDC)`);
});

// --------------------------------------------------------------------- request for quote

const MAKER_CONFIG = {
  markets: [
    { marketIndex: 0, spreadBps: 10, maxSize: "100", maxInventory: "1000", skewBps: 20 },
    { marketIndex: ETH, spreadBps: 10, maxSize: "10", maxInventory: "100", skewBps: 20 },
  ],
  // the whole of a blockhash's life: the maker signs against the newest one. The local node's
  // bank (solana-program-test) registers a blockhash every 6.4 ms of wall time besides one per
  // block, so a blockhash there lives about a second whatever its block count says;
  // these tests run on loaded CI machines (the reuse rule and the runtime check behind it:
  // maker::a_quote_expires_with_its_blockhash, maker::after_a_quiet_spell_...)
  quoteBlocks: 150,
  computeUnitPrice: 5000,
};
/** Prices walk up to 0.3% a tick (400 ms): the taker's bound leaves room for a few ticks between quote and check. */
const SLIPPAGE_BPS = 300;

let carol: Awaited<ReturnType<typeof trader>>;
let makerUrl = "";

/** A maker that relays the reference maker's quote after `tamper` changed it, re-signed with the maker's key (a cheating maker). */
async function cheater(tamper: (tx: VersionedTransaction) => VersionedTransaction): Promise<string> {
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => (body += d.toString()));
    req.on("end", async () => {
      try {
        const upstream = await fetch(`${makerUrl}${req.url}`, {
          method: req.method ?? "GET",
          headers: { "content-type": "application/json" },
          ...(req.method === "POST" ? { body } : {}),
        });
        const json = (await upstream.json()) as Record<string, unknown>;
        if (typeof json.transaction === "string") {
          const tx = tamper(VersionedTransaction.deserialize(Buffer.from(json.transaction, "base64")));
          json.transaction = Buffer.from(tx.serialize()).toString("base64");
        }
        res.writeHead(upstream.status, { "content-type": "application/json" });
        res.end(JSON.stringify(json));
      } catch (e) {
        res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: String(e), reason: "internal" }));
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  stops.push(
    () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** The quote's transaction rebuilt with the fill's price (bytes 18..26 of its data) replaced, and re-signed by the maker. */
function withPrice(price: bigint): (tx: VersionedTransaction) => VersionedTransaction {
  return (tx) => {
    const fill = tx.message.compiledInstructions.find((c) => tx.message.staticAccountKeys[c.programIdIndex]?.equals(PROGRAM_ID));
    assert.ok(fill !== undefined);
    const data = Buffer.from(fill.data);
    data.writeBigInt64LE(price, 18);
    fill.data = data;
    const out = new VersionedTransaction(tx.message);
    out.sign([carol.wallet]);
    return out;
  };
}

let tradingTables: AddressLookupTableAccount[] = [];

/** The quote's instructions (decompiled against the exchange's tables), changed by `change`, compiled again and signed by the maker. */
function rebuilt(tx: VersionedTransaction, change: (ixs: TransactionInstruction[]) => TransactionInstruction[]): VersionedTransaction {
  const message = TransactionMessage.decompile(tx.message, { addressLookupTableAccounts: tradingTables });
  const out = buildTransaction({
    payer: message.payerKey,
    instructions: change(message.instructions),
    lookupTables: tradingTables,
    blockhash: message.recentBlockhash,
  });
  out.sign([carol.wallet]);
  return out;
}

/** The quote with a SOL transfer from the taker to the maker appended, re-signed by the maker. */
function withTransfer(taker: PublicKey): (tx: VersionedTransaction) => VersionedTransaction {
  const transfer = SystemProgram.transfer({ fromPubkey: taker, toPubkey: carol.wallet.publicKey, lamports: 1_000_000_000 });
  return (tx) => rebuilt(tx, (ixs) => [...ixs, transfer]);
}

test(
  "request for quote: the reference maker's quote verified against the chain, signed by the taker and sent; the position opens",
  { timeout: 30_000 },
  async () => {
    carol = await trader("100000", "50000");
    const maker = await spawnMaker((node as Node).info.rpcUrl, carol.wallet, MAKER_CONFIG);
    stops.push(maker.stop);
    makerUrl = maker.url;
    assert.equal(maker.maker, carol.wallet.publicKey.toBase58());
    assert.equal(maker.makerAccount, marginAccountAddress(carol.wallet.publicKey, 0).toBase58());
    const markets = await fetchMakerMarkets(makerUrl);
    assert.deepEqual(
      markets.markets.map((m) => [m.marketIndex, m.symbol, m.maxSize]),
      [
        [0, "SOL-PERP", "100000000000"],
        [ETH, "ETH-PERP", "10000000000"],
      ],
    );
    const eth = markets.markets[1];
    assert.ok(eth !== undefined && eth.bid !== null && eth.ask !== null && BigInt(eth.bid) < BigInt(eth.ask));

    // the taker's side, step by step
    const taker = alice.wallet.publicKey;
    const size = parseBase("1");
    const quote = await requestQuote(makerUrl, { taker, marketIndex: ETH, size });
    assert.equal(quote.response.size, size.toString());
    const state = await fetchTradingState(connection);
    tradingTables = state.tables;
    const oracle = state.markets.get(ETH)?.price;
    assert.ok(oracle !== undefined, "ETH's oracle is valid for trading");
    const expected: QuoteExpectation = {
      taker,
      takerAccount: marginAccountAddress(taker, 0),
      maker: quote.maker,
      makerAccount: quote.makerAccount,
      marketIndex: ETH,
      oracle: state.markets.get(ETH)?.market.oracle as PublicKey,
      size,
      limitPrice: limitPriceFor(oracle.price, size, SLIPPAGE_BPS),
      health: fillHealth(
        await fetchMarginAccount(connection, marginAccountAddress(taker, 0)),
        await fetchMarginAccount(connection, quote.makerAccount),
        ETH,
        state,
      ),
      tables: state.tables,
      maxComputeUnits: MAX_COMPUTE_UNITS,
      maxComputeUnitPrice: 100_000n,
    };
    const price = verifyQuoteTransaction(quote.transaction, expected);
    assert.equal(price.toString(), quote.response.price);
    quote.transaction.sign([alice.wallet]);
    const signature = await connection.sendRawTransaction(quote.transaction.serialize());
    const r = await connection.confirmTransaction(
      { signature, blockhash: quote.transaction.message.recentBlockhash, lastValidBlockHeight: quote.response.lastValidBlockHeight },
      "confirmed",
    );
    assert.equal(r.value.err, null);
    const [filled] = eventsOf(await logsOf(signature), "Filled");
    assert.ok(filled?.maker.equals(quote.makerAccount));
    assert.equal(filled?.price, price);
    assert.equal(filled?.takerBaseDelta, size);
    const after = await fetchMarginAccount(connection, marginAccountAddress(taker, 0));
    assert.deepEqual(
      openPositions(after).map((p) => [p.marketIndex, p.base]),
      [[ETH, parseBase("1.5")]],
    );

    // the maker's refusals reach the taker typed
    await assert.rejects(
      requestQuote(makerUrl, { taker, marketIndex: 2, size }),
      (e: unknown) => e instanceof MakerError && e.status === 404 && e.reason === "unknown_market",
    );
    await assert.rejects(
      requestQuote(makerUrl, { taker, marketIndex: ETH, size: parseBase("11") }),
      (e: unknown) => e instanceof MakerError && e.status === 422 && e.reason === "size_over_limit",
    );
    await assert.rejects(
      requestQuote(makerUrl, { taker: Keypair.generate().publicKey, marketIndex: ETH, size }),
      (e: unknown) => e instanceof MakerError && e.reason === "taker_account_missing",
    );
  },
);

test("request for quote: tampered quotes are refused and nothing is sent; takeQuote takes the best valid one among makers", { timeout: 30_000 }, async () => {
  const taker = alice.wallet.publicKey;
  const before = openPositions(await fetchMarginAccount(connection, marginAccountAddress(taker, 0)));
  const oracle = (await fetchTradingState(connection)).markets.get(ETH)?.price?.price as bigint;
  const greedy = await cheater(withPrice((oracle * 110n) / 100n));
  const drain = await cheater(withTransfer(taker));
  const sent = sends();

  // every maker cheats: nothing passes, nothing is signed or sent
  const req = { marketIndex: ETH, size: parseBase("1"), maxSlippageBps: SLIPPAGE_BPS, makers: [greedy, drain] };
  const choice = await chooseQuote(connection, taker, req);
  assert.equal(choice.best, undefined);
  const why = Object.fromEntries(choice.offers.map((o) => [o.url, o.valid ? "valid" : (o.error as QuoteRejected).kind]));
  assert.deepEqual(why, { [greedy]: "Price", [drain]: "ExtraInstruction" });
  for (const o of choice.offers) assert.ok(!o.valid && o.error instanceof QuoteRejected);
  await assert.rejects(takeQuote(connection, alice.wallet, req), (e: unknown) => e instanceof NoValidQuote && e.offers.length === 2);
  assert.equal(sends(), sent, "no transaction was sent");
  assert.deepEqual(openPositions(await fetchMarginAccount(connection, marginAccountAddress(taker, 0))), before);

  // with the honest maker among them, its quote is taken; the cheaters' are not
  const report = await takeQuote(connection, alice.wallet, { ...req, makers: [greedy, makerUrl, drain, "http://127.0.0.1:9"], timeoutMs: 5_000 });
  assert.equal(report.best.url, makerUrl);
  assert.deepEqual(
    report.offers.map((o) => o.valid),
    [false, true, false, false],
  );
  assert.equal(sends(), sent + 1, "exactly one transaction sent: the honest quote");
  const [filled] = eventsOf(await logsOf(report.signature), "Filled");
  assert.equal(filled?.price, report.best.price);
  assert.ok(report.best.price <= report.limitPrice);
  // sell it all back through the maker: the position is closed
  const closing = await takeQuote(connection, alice.wallet, { marketIndex: ETH, size: -parseBase("2.5"), maxSlippageBps: SLIPPAGE_BPS, makers: [makerUrl] });
  assert.ok(closing.best.price >= closing.limitPrice);
  assert.deepEqual(openPositions(await fetchMarginAccount(connection, marginAccountAddress(taker, 0))), []);
});

test("README: trade through market makers with takeQuote, and step by step (verify, then sign with the wallet)", { timeout: 30_000 }, async () => {
  // the README's free variables: the page's connection, the wallet adapter, the makers' URLs
  const me = alice.wallet;
  const wallet = {
    publicKey: me.publicKey,
    async signTransaction<T extends Transaction | VersionedTransaction>(tx: T): Promise<T> {
      if (tx instanceof VersionedTransaction) tx.sign([me]);
      else tx.partialSign(me);
      return tx;
    },
  };
  const makerUrls = [makerUrl];
  const lines: string[] = [];
  const console = { log: (...a: unknown[]) => lines.push(a.map(String).join(" ")) };
  // prices walk up to 0.3% a tick: against the README's 50 bps a quote can be refused as the price
  // moves between the maker's read and the taker's; the app asks again
  for (let attempt = 1; lines.length === 0 || (attempt <= 3 && !lines[0]?.startsWith("bought")); attempt++) {
    lines.length = 0;
    // ---- README
    try {
      // wallet: a Keypair, or the { publicKey, signTransaction } of a wallet adapter
      const r = await takeQuote(connection, wallet, {
        marketIndex: 1,
        size: parseBase("0.5"), // buy 0.5 ETH (a sell: parseBase("-0.5", { signed: true }))
        maxSlippageBps: 50, // the worst price accepted, from the oracle price (default 50)
        maxComputeUnitPrice: 100_000n, // micro-lamports a maker may make you pay (default)
        makers: makerUrls, // e.g. ["http://127.0.0.1:8080", "https://mm.example.com"]
      });
      console.log(`bought at ${formatPrice(r.best.price)} from ${r.best.url}: ${r.signature}`);
    } catch (e) {
      if (e instanceof NoValidQuote) for (const o of e.offers) console.log(o.url, o.valid ? "valid" : o.why);
      else throw e;
    }
    // ----
  }
  assert.match(lines[0] ?? "", new RegExp(`^bought at \\d+\\.\\d+ from ${makerUrl}: \\w+$`));
  for (let attempt = 1; ; attempt++) {
    try {
      // ---- README
      const size = parseBase("0.5");
      const quote = await requestQuote(makerUrls[0] ?? "http://127.0.0.1:8080", { taker: wallet.publicKey, marketIndex: 1, size }); // MakerError: its status, error, reason
      const state = await fetchTradingState(connection); // markets with their trading prices, lookup tables, clock
      const eth = state.markets.get(1);
      if (eth?.price === undefined) throw new Error("ETH's oracle is not valid for trading now");
      const takerAccount = marginAccountAddress(wallet.publicKey, 0);
      const price = verifyQuoteTransaction(quote.transaction, {
        taker: wallet.publicKey,
        takerAccount,
        maker: quote.maker,
        makerAccount: quote.makerAccount,
        marketIndex: 1,
        oracle: eth.market.oracle,
        size,
        limitPrice: limitPriceFor(eth.price.price, size, 50),
        health: fillHealth(await fetchMarginAccount(connection, takerAccount), await fetchMarginAccount(connection, quote.makerAccount), 1, state),
        tables: state.tables,
        maxComputeUnits: MAX_COMPUTE_UNITS,
        maxComputeUnitPrice: 100_000n,
      }); // throws QuoteRejected; nothing is signed
      console.log(`${formatPrice(price)} (oracle ${formatPrice(eth.price.price)}), valid until block ${quote.response.lastValidBlockHeight}`);
      const signed = await wallet.signTransaction(quote.transaction); // sign only: a wallet that adds instructions voids the maker's signature
      const signature = await connection.sendRawTransaction(signed.serialize());
      await connection.confirmTransaction({ signature, blockhash: signed.message.recentBlockhash, lastValidBlockHeight: quote.response.lastValidBlockHeight });
      // ----
      assert.equal(eventsOf(await logsOf(signature), "Filled")[0]?.price, price);
      break;
    } catch (e) {
      if (!(e instanceof QuoteRejected && e.kind === "Price" && attempt < 3)) throw e;
    }
  }
  assert.match(lines.at(-1) ?? "", /^\d+\.\d+ \(oracle \d+(\.\d+)?\), valid until block \d+$/);
  assert.deepEqual(
    openPositions(await fetchMarginAccount(connection, marginAccountAddress(me.publicKey, 0))).map((p) => [p.marketIndex, p.base]),
    [[ETH, parseBase("1")]],
  );
});
