import { createHash, createHmac } from "node:crypto";
import { create, toBinary } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CardPaymentSchema, CreateOrderRequestSchema, OrderService } from "../../gen/shop/order/v1/order_pb.js";
import { query } from "../support/db.js";
import { createOrderRequest, type CreateOrderInit } from "../support/fixtures.js";
import { startTestApp, type TestApp } from "../support/test-app.js";

const HASH_KEY = "idempotency-hash-key-for-tests-0123456789";

const binary = (init: CreateOrderInit) => toBinary(CreateOrderRequestSchema, create(CreateOrderRequestSchema, init));
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
const hmac = (bytes: Uint8Array) => createHmac("sha256", HASH_KEY).update(bytes).digest("hex");

async function storedHash(databaseUrl: string, requestId: string): Promise<string | undefined> {
  const rows = await query<{ request_hash: string }>(databaseUrl, `select request_hash from idempotency_records where key like $1`, [
    `%${requestId}%`,
  ]);
  return rows[0]?.request_hash;
}

describe("attack: linking the idempotency records to a card", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ IDEMPOTENCY_HASH_KEY: HASH_KEY });
  });
  afterAll(() => app?.stop());

  it("when someone with the database hashes requests with guessed card tokens and last fours, then no guess matches, and the hash is a keyed HMAC of the request without card data", async () => {
    const card = { paymentToken: "tok_1N3T00LkdIwHu7ix", brand: "VISA", last4: "4242" };
    const request = createOrderRequest({ paymentMethod: { method: { case: "card", value: card } } });
    await app.connect(OrderService).createOrder(request);
    const stored = await storedHash(app.databaseUrl, request.requestId!);
    expect(stored).toBeDefined();

    const guesses = ["tok_1N3T00LkdIwHu7ix", "tok_visa"].flatMap((paymentToken) =>
      ["4242", "0000"].map((last4) =>
        binary({ ...request, paymentMethod: { method: { case: "card", value: { ...card, paymentToken, last4 } } } }),
      ),
    );
    for (const guess of guesses) expect(stored).not.toBe(sha256(guess));
    expect(stored).not.toBe(hmac(binary(request)));
    const withoutCard = binary({ ...request, paymentMethod: { method: { case: "card", value: create(CardPaymentSchema) } } });
    expect(stored).toBe(hmac(withoutCard));
  });

  it("when the same request id comes back with a new token (tokens are single use), then it is the same request", async () => {
    const request = createOrderRequest();
    const first = await app.connect(OrderService).createOrder(request);
    const retry = await app.connect(OrderService).createOrder({
      ...request,
      paymentMethod: { method: { case: "card", value: { paymentToken: "tok_retry", brand: "VISA", last4: "4242" } } },
    });
    expect(retry.order?.id).toBe(first.order?.id);
  });
});

describe("idempotency records are not kept forever", () => {
  it("when a record is older than IDEMPOTENCY_RETENTION_MS, then the periodic purge deletes it", async () => {
    const app = await startTestApp({
      IDEMPOTENCY_HASH_KEY: HASH_KEY,
      IDEMPOTENCY_RETENTION_MS: "1000",
      IDEMPOTENCY_PURGE_INTERVAL_MS: "200",
    });
    try {
      const request = createOrderRequest();
      await app.connect(OrderService).createOrder(request);
      expect(await storedHash(app.databaseUrl, request.requestId!)).toBeDefined();
      await expect.poll(() => storedHash(app.databaseUrl, request.requestId!), { timeout: 5_000, interval: 200 }).toBeUndefined();
    } finally {
      await app.stop();
    }
  });
});
