// The taker's checks on a market maker's quote (verifyQuoteTransaction, the Rust SDK's
// verify_quote_transaction): a genuine quote passes; a maker that cheats (another price, market,
// size or counterparty, an extra instruction, compute units or a price the taker did not agree
// to, two fills, itself as fee payer, a forged signature, a foreign lookup table, ...) is refused
// with the check's name. Then requestQuote over HTTP against a scripted maker on localhost: the
// typed answers, the maker's refusals with its status and reason, a garbled or silent maker.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ed25519 } from "@noble/curves/ed25519";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

import {
  AddressLookupTableAccount,
  type AccountMeta,
  ComputeBudgetProgram,
  Keypair,
  MessageV0,
  PublicKey,
  SystemProgram,
  type TransactionInstruction,
  VersionedTransaction,
} from "@solana/web3.js";

import {
  buildTransaction,
  computeBudget,
  decodeQuoteTransaction,
  exchangeAddress,
  expectedFill,
  healthMarketOrder,
  healthMetas,
  ix,
  limitPriceFor,
  MakerError,
  MakerUnavailable,
  marginAccountAddress,
  marketAddress,
  MAX_COMPUTE_UNITS,
  type QuoteExpectation,
  QuoteRejected,
  type QuoteRejectedKind,
  requestQuote,
  verifyQuoteTransaction,
  vaultAddress,
} from "../src/index.js";

const keypair = (seed: number) => Keypair.fromSeed(new Uint8Array(32).fill(seed));
const taker = keypair(31);
const maker = keypair(32);
const stranger = keypair(33);
const oracles = new Map([0, 1, 2].map((i) => [i, keypair(40 + i).publicKey]));
const BLOCKHASH = new PublicKey(new Uint8Array(32).fill(7)).toBase58();
const ORACLE_PRICE = 3_000_000_000n;
const SIZE = 2_000_000_000n;

// the taker holds market 2, the maker market 0; they trade market 1
const takerAccount = { owner: taker.publicKey, subAccountId: 0, positions: [{ marketIndex: 2, base: 5_000_000n }] };
const makerAccount = { owner: maker.publicKey, subAccountId: 0, positions: [{ marketIndex: 0, base: -7_000_000_000n }] };
const health = healthMetas(healthMarketOrder([takerAccount, makerAccount], 1), oracles);

function table(seed: number, addresses: PublicKey[]): AddressLookupTableAccount {
  return new AddressLookupTableAccount({
    key: keypair(seed).publicKey,
    state: { deactivationSlot: (1n << 64n) - 1n, lastExtendedSlot: 0, lastExtendedSlotStartIndex: 0, authority: undefined, addresses },
  });
}
const EXCHANGE_TABLE = table(50, [exchangeAddress(), vaultAddress(), ...[0, 1, 2].flatMap((i) => [marketAddress(i), oracles.get(i) as PublicKey])]);

function expectation(over: Partial<QuoteExpectation> = {}): QuoteExpectation {
  return {
    taker: taker.publicKey,
    takerAccount: marginAccountAddress(taker.publicKey, 0),
    maker: maker.publicKey,
    makerAccount: marginAccountAddress(maker.publicKey, 0),
    marketIndex: 1,
    oracle: oracles.get(1) as PublicKey,
    size: SIZE,
    limitPrice: limitPriceFor(ORACLE_PRICE, SIZE, 50),
    health,
    tables: [EXCHANGE_TABLE],
    maxComputeUnits: MAX_COMPUTE_UNITS,
    maxComputeUnitPrice: 100_000n,
    ...over,
  };
}

/** The fill a maker would quote (the honest one unless told otherwise). */
function fillIx(over: Partial<QuoteExpectation> = {}, price = 3_004_500_000n): TransactionInstruction {
  return expectedFill(expectation(over), price);
}

/** What a maker returns: these instructions, compiled for `payer` against `tables`, signed by `signers` (the maker by default). */
function quoted(
  instructions: TransactionInstruction[],
  o: { payer?: PublicKey; tables?: AddressLookupTableAccount[]; signers?: Keypair[] } = {},
): VersionedTransaction {
  const tx = buildTransaction({ payer: o.payer ?? taker.publicKey, instructions, lookupTables: o.tables ?? [EXCHANGE_TABLE], blockhash: BLOCKHASH });
  tx.sign(o.signers ?? [maker]);
  return tx;
}

const honest = (over: Partial<QuoteExpectation> = {}, price?: bigint) => quoted([...computeBudget(400_000, 5_000n), fillIx(over, price)]);

function refused(tx: VersionedTransaction, kind: QuoteRejectedKind, message: RegExp, e: QuoteExpectation = expectation()): void {
  assert.throws(
    () => verifyQuoteTransaction(tx, e),
    (err: unknown) => {
      assert.ok(err instanceof QuoteRejected, `not a QuoteRejected: ${String(err)}`);
      assert.equal(err.kind, kind, err.message);
      assert.match(err.message, message);
      return true;
    },
  );
}

test("a genuine quote passes (v0 against the exchange's table, and legacy), and its price comes back", () => {
  const tx = honest();
  assert.equal(tx.version, 0);
  assert.equal(tx.message.addressTableLookups.length, 1);
  assert.equal(verifyQuoteTransaction(tx, expectation()), 3_004_500_000n);
  // the taker's slot stays empty: the checks sign nothing
  assert.ok((tx.signatures[0] as Uint8Array).every((b) => b === 0));
  const legacy = quoted([...computeBudget(400_000, 5_000n), fillIx()], { tables: [] });
  assert.equal(legacy.version, "legacy");
  assert.equal(verifyQuoteTransaction(legacy, expectation({ tables: [] })), 3_004_500_000n);
  // a better price than the limit, no compute-budget instructions at all, a sell at or above its limit
  assert.equal(verifyQuoteTransaction(quoted([fillIx({}, 2_990_000_000n)]), expectation()), 2_990_000_000n);
  const sell = expectation({ size: -SIZE, limitPrice: limitPriceFor(ORACLE_PRICE, -SIZE, 50) });
  assert.equal(sell.limitPrice, 2_985_000_000n);
  assert.equal(verifyQuoteTransaction(quoted([fillIx({ size: -SIZE }, 2_985_000_000n)]), sell), 2_985_000_000n);
  // then the taker signs and the transaction is complete
  tx.sign([taker]);
  assert.ok(tx.signatures.every((s) => s.some((b) => b !== 0)));
});

test("a maker that changes the price, market or size is refused", () => {
  // the taker buys: 3,015 is over the 50 bps limit from 3,000
  refused(honest({}, 3_015_000_001n), "Price", /fill price 3015000001 is worse than the limit 3015000000/);
  refused(
    quoted([fillIx({ size: -SIZE }, 2_984_999_999n)]),
    "Price",
    /worse than the limit 2985000000/,
    expectation({ size: -SIZE, limitPrice: 2_985_000_000n }),
  );
  refused(honest({ size: -SIZE }, 0n), "Price", /fill price 0/, expectation({ size: -SIZE, limitPrice: 0n }));
  refused(honest({ marketIndex: 0, oracle: oracles.get(0) as PublicKey }), "Market", /market 0, not the one asked for/);
  refused(honest({ size: SIZE * 2n }), "Size", /trades 4000000000, not the size asked for/);
  refused(honest({ size: -SIZE }), "Size", /trades -2000000000/);
});

test("an extra instruction is refused: a SOL transfer out of the taker's wallet, another program, another crossmargin instruction", () => {
  const drain = SystemProgram.transfer({ fromPubkey: taker.publicKey, toPubkey: maker.publicKey, lamports: 1_000_000_000 });
  refused(quoted([...computeBudget(400_000, 5_000n), fillIx(), drain]), "ExtraInstruction", /program 11111111111111111111111111111111 that is neither/);
  // a crossmargin instruction other than the fill (a deposit the maker signs) next to the fill: two of the program's
  const deposit = ix.deposit({
    depositor: maker.publicKey,
    marginAccount: marginAccountAddress(maker.publicKey, 0),
    depositorToken: stranger.publicKey,
    amount: 1n,
  });
  refused(quoted([fillIx(), deposit]), "FillCount", /^2 fill instructions/);
  // alone, it is no fill at all
  refused(quoted([deposit]), "FillCount", /^0 fill instructions/);
});

test("two fills, and compute-budget instructions the taker did not agree to, are refused", () => {
  refused(quoted([fillIx(), fillIx()]), "FillCount", /^2 fill instructions, not exactly one/);
  refused(quoted([...computeBudget(400_000, 50_000_000n), fillIx()]), "ComputeUnitPrice", /compute-unit price 50000000 over the taker's 100000 micro-lamports/);
  refused(quoted([ComputeBudgetProgram.setComputeUnitLimit({ units: 1_400_001 }), fillIx()]), "ComputeUnits", /limit 1400001 over the taker's 1400000/);
  const price = ComputeBudgetProgram.setComputeUnitPrice({ microLamports: 1n });
  refused(quoted([price, price, fillIx()]), "ComputeBudget", /other than one unit limit and one unit price/);
  refused(quoted([ComputeBudgetProgram.requestHeapFrame({ bytes: 64 * 1024 }), fillIx()]), "ComputeBudget", /other than one unit limit/);
  // the price at the taker's bound passes
  assert.equal(verifyQuoteTransaction(quoted([...computeBudget(MAX_COMPUTE_UNITS, 100_000n), fillIx()]), expectation()), 3_004_500_000n);
});

test("another counterparty account, missing health accounts or other flags are refused", () => {
  // the maker's sub-account 1 (an empty one it does not care about) takes the other side
  refused(honest({ makerAccount: marginAccountAddress(maker.publicKey, 1) }), "Accounts", /account 6 is .* not .*/);
  // the taker's other sub-account
  refused(honest({ takerAccount: marginAccountAddress(taker.publicKey, 3) }), "Accounts", /account 5 is/);
  refused(honest({ health: [] }), "Accounts", /7 accounts, not 11/);
  refused(honest({ health: health.slice(0, 2).reverse() }), "Accounts", /9 accounts, not 11/);
  // the market's oracle swapped for another market's
  refused(honest({ oracle: oracles.get(0) as PublicKey }), "Accounts", /account 4 is/);
  // a health account marked writable
  const flagged: AccountMeta[] = health.map((m, i) => ({ ...m, isWritable: i === 1 }));
  refused(honest({ health: flagged }), "Accounts", /account 8 .* writable true\), not .* writable false\)/);
});

test("the fee payer must be the taker, the signers exactly the taker and the maker, the maker's signature real", () => {
  refused(quoted([fillIx()], { payer: maker.publicKey }), "FeePayer", new RegExp(`the fee payer is ${maker.publicKey.toBase58()}, not the taker`));
  // a third signer the taker would have to find
  const withStranger = expectedFill(expectation(), 3_004_500_000n);
  withStranger.keys.push({ pubkey: stranger.publicKey, isSigner: true, isWritable: false });
  refused(quoted([withStranger], { signers: [maker, stranger] }), "Signers", /not exactly the taker and the maker/);
  // the maker's key, someone else's signature (over the very message) in its slot
  const forged = honest();
  forged.signatures[1] = ed25519.sign(forged.message.serialize(), stranger.secretKey.slice(0, 32));
  refused(forged, "MakerSignature", /the maker's signature does not verify/);
  // a genuine signature over another message (the price changed after signing)
  const changed = honest();
  const moved = honest({}, 2_000_000_000n);
  changed.signatures[1] = moved.signatures[1] as Uint8Array;
  refused(changed, "MakerSignature", /does not verify/);
  // no signature at all
  const unsigned = quoted([fillIx()], { signers: [] });
  refused(unsigned, "MakerSignature", /does not verify/);
  // the taker's slot already filled (a transaction someone signed for the taker)
  const presigned = honest();
  presigned.sign([taker]);
  refused(presigned, "TakerSigned", /already filled/);
});

test("only the exchange's lookup tables may resolve addresses; a malformed transaction is refused", () => {
  // the same addresses in a table of the maker's
  const foreign = table(51, EXCHANGE_TABLE.state.addresses);
  refused(quoted([fillIx()], { tables: [foreign] }), "UnknownTable", new RegExp(`lookup table ${foreign.key.toBase58()} is not one of the exchange's`));
  // the exchange's table as the taker reads it has fewer addresses than the message indexes
  const short = new AddressLookupTableAccount({
    key: EXCHANGE_TABLE.key,
    state: { ...EXCHANGE_TABLE.state, addresses: EXCHANGE_TABLE.state.addresses.slice(0, 2) },
  });
  refused(honest(), "Malformed", /lookup index out of range/, expectation({ tables: [short] }));
  // sanitize: an instruction whose program is the fee payer, a lookup that loads nothing
  const good = honest().message as MessageV0;
  const asPayer = new MessageV0({
    header: good.header,
    staticAccountKeys: good.staticAccountKeys,
    recentBlockhash: good.recentBlockhash,
    compiledInstructions: good.compiledInstructions.map((c, i) => (i === 2 ? { ...c, programIdIndex: 0 } : c)),
    addressTableLookups: good.addressTableLookups,
  });
  refused(new VersionedTransaction(asPayer), "Malformed", /does not decode: index out of bounds/);
  const emptyLookup = new MessageV0({
    ...good,
    addressTableLookups: [...good.addressTableLookups, { accountKey: EXCHANGE_TABLE.key, writableIndexes: [], readonlyIndexes: [] }],
  });
  refused(new VersionedTransaction(emptyLookup), "Malformed", /does not decode: invalid value/);
  // a fill whose data is cut short
  const cut = fillIx();
  const shortData = { ...cut, data: cut.data.subarray(0, 12) } as TransactionInstruction;
  refused(quoted([shortData]), "Malformed", /does not decode/);
  assert.throws(
    () => decodeQuoteTransaction("not base64 at all!"),
    (e: unknown) => e instanceof QuoteRejected && e.kind === "Malformed",
  );
  assert.throws(
    () => decodeQuoteTransaction(Buffer.from([1, 2, 3]).toString("base64")),
    (e: unknown) => e instanceof QuoteRejected && e.kind === "Malformed",
  );
  // the wire form of a genuine quote decodes to the same transaction
  const wire = Buffer.from(honest().serialize()).toString("base64");
  assert.deepEqual(decodeQuoteTransaction(wire).serialize(), honest().serialize());
});

// ------------------------------------------------------------------------------- HTTP

/** A scripted maker on a free localhost port; `handler` answers each request. */
async function scriptedMaker(
  handler: (req: IncomingMessage, body: string, res: ServerResponse) => void,
): Promise<{ url: string; requests: { method: string; path: string; body: string }[]; close(): Promise<void> }> {
  const requests: { method: string; path: string; body: string }[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => (body += d.toString()));
    req.on("end", () => {
      requests.push({ method: req.method ?? "", path: req.url ?? "", body });
      handler(req, body, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const MARKETS = {
  maker: maker.publicKey.toBase58(),
  makerAccount: marginAccountAddress(maker.publicKey, 0).toBase58(),
  markets: [{ marketIndex: 1, symbol: "ETH-PERP", maxSize: "10000000000", spreadBps: 10, bid: "2997000000", ask: "3003000000", inventory: "0" }],
};

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

test("requestQuote: GET /markets then POST /quote, typed; the transaction decoded, not yet trusted", async () => {
  const tx = honest();
  const m = await scriptedMaker((req, _body, res) => {
    if (req.url === "/markets") json(res, 200, MARKETS);
    else
      json(res, 200, {
        marketIndex: 1,
        size: SIZE.toString(),
        price: "3004500000",
        oraclePrice: "3000000000",
        maker: MARKETS.maker,
        makerAccount: MARKETS.makerAccount,
        lastValidBlockHeight: 180,
        expiresAt: 1_800_000_000,
        transaction: Buffer.from(tx.serialize()).toString("base64"),
      });
  });
  try {
    const q = await requestQuote(`${m.url}/`, { taker: taker.publicKey, marketIndex: 1, size: SIZE });
    assert.deepEqual(
      m.requests.map((r) => [r.method, r.path]),
      [
        ["GET", "/markets"],
        ["POST", "/quote"],
      ],
    );
    assert.deepEqual(JSON.parse(m.requests[1]?.body ?? ""), { taker: taker.publicKey.toBase58(), subAccount: 0, marketIndex: 1, size: "2000000000" });
    assert.equal(q.url, m.url);
    assert.ok(q.maker.equals(maker.publicKey) && q.makerAccount.equals(marginAccountAddress(maker.publicKey, 0)));
    assert.equal(q.markets.markets[0]?.symbol, "ETH-PERP");
    assert.equal(q.response.lastValidBlockHeight, 180);
    assert.deepEqual(q.transaction.serialize(), tx.serialize());
    assert.equal(verifyQuoteTransaction(q.transaction, expectation({ maker: q.maker, makerAccount: q.makerAccount })), 3_004_500_000n);
  } finally {
    await m.close();
  }
});

test("requestQuote: the maker's refusals carry its status and reason; garbled, silent and absent makers are MakerUnavailable", async () => {
  let mode = "refuse";
  const m = await scriptedMaker((req, _body, res) => {
    if (req.url === "/markets") return json(res, 200, MARKETS);
    if (mode === "refuse") return json(res, 404, { error: "this maker does not quote market 2", reason: "unknown_market" });
    if (mode === "html") {
      res.writeHead(502, { "content-type": "text/html" });
      return res.end("<html>bad gateway</html>");
    }
    if (mode === "garbled") return json(res, 200, { marketIndex: 1, price: 3 });
    if (mode === "bad-tx")
      return json(res, 200, {
        marketIndex: 1,
        size: "1",
        price: "1",
        oraclePrice: "1",
        maker: MARKETS.maker,
        makerAccount: MARKETS.makerAccount,
        lastValidBlockHeight: 1,
        expiresAt: 1,
        transaction: "AAAA",
      });
    // silent: never answers
  });
  const ask = () => requestQuote(m.url, { taker: taker.publicKey, subAccountId: 2, marketIndex: 2, size: -5n }, { timeoutMs: 300 });
  try {
    await assert.rejects(ask(), (e: unknown) => {
      assert.ok(e instanceof MakerError);
      assert.equal(e.status, 404);
      assert.equal(e.reason, "unknown_market");
      assert.equal(e.error, "this maker does not quote market 2");
      assert.equal(e.url, `${m.url}/quote`);
      return true;
    });
    assert.deepEqual(JSON.parse(m.requests[1]?.body ?? ""), { taker: taker.publicKey.toBase58(), subAccount: 2, marketIndex: 2, size: "-5" });
    mode = "html";
    await assert.rejects(ask(), (e: unknown) => e instanceof MakerError && e.status === 502 && e.reason === "unknown" && /bad gateway/.test(e.error));
    mode = "garbled";
    await assert.rejects(ask(), (e: unknown) => e instanceof MakerUnavailable && /POST \/quote: size is not a string/.test(e.message));
    mode = "bad-tx";
    await assert.rejects(ask(), (e: unknown) => e instanceof QuoteRejected && e.kind === "Malformed");
    mode = "silent";
    const t0 = Date.now();
    await assert.rejects(ask(), (e: unknown) => e instanceof MakerUnavailable && /no answer within 300 ms/.test(e.message));
    assert.ok(Date.now() - t0 < 3_000);
  } finally {
    await m.close();
  }
  // nothing listens there any more
  await assert.rejects(
    requestQuote(m.url, { taker: taker.publicKey, marketIndex: 1, size: 1n }, { timeoutMs: 1_000 }),
    (e: unknown) => e instanceof MakerUnavailable && /unreachable/.test(e.message),
  );
});
