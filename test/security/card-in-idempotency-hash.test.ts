import { createHash, createHmac } from "node:crypto";
import { create, toBinary } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CreateOrderRequestSchema, OrderService } from "../../gen/shop/order/v1/order_pb.js";
import { query } from "../support/db.js";
import { createOrderRequest, type CreateOrderInit } from "../support/fixtures.js";
import { startTestApp, type TestApp } from "../support/test-app.js";

const HASH_KEY = "idempotency-hash-key-for-tests-0123456789";

const binary = (init: CreateOrderInit) => toBinary(CreateOrderRequestSchema, create(CreateOrderRequestSchema, init));
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
const hmac = (bytes: Uint8Array) => createHmac("sha256", HASH_KEY).update(bytes).digest("hex");

async function storedHash(databaseUrl: string, requestId: string): Promise<string | undefined> {
  const rows = await query<{ request_hash: string }>(databaseUrl, `select request_hash from idempotency_records where key like $1`, [`%${requestId}%`]);
  return rows[0]?.request_hash;
}

describe("attack: recovering a card number from the idempotency records", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ IDEMPOTENCY_HASH_KEY: HASH_KEY });
  });
  afterAll(() => app?.stop());

  it("when someone with the database guesses card numbers against a stored request hash, then no guess matches, and the hash is a keyed HMAC of the request without card data", async () => {
    const card = { number: "4242424242424242", expiryMonth: 12, expiryYear: 2030, cvv: "123" };
    const request = createOrderRequest({ paymentMethod: { method: { case: "card", value: card } } });
    await app.connect(OrderService).createOrder(request);
    const stored = await storedHash(app.databaseUrl, request.requestId!);
    expect(stored).toBeDefined();

    const guesses = ["4111111111111111", "4000000000000002", card.number].flatMap((number) =>
      ["000", "123", "999"].map((cvv) => binary({ ...request, paymentMethod: { method: { case: "card", value: { ...card, number, cvv } } } })),
    );
    for (const guess of guesses) expect(stored).not.toBe(sha256(guess));
    expect(stored).not.toBe(hmac(binary(request)));
    const withoutCard = binary({ ...request, paymentMethod: { method: { case: "card", value: {} } } });
    expect(stored).toBe(hmac(withoutCard));
  });

  it("when the same request id comes back with another card, then it is the same request (card data is not part of it)", async () => {
    const request = createOrderRequest();
    const first = await app.connect(OrderService).createOrder(request);
    const otherCard = { number: "5555555555554444", expiryMonth: 1, expiryYear: 2031, cvv: "456" };
    const retry = await app.connect(OrderService).createOrder({ ...request, paymentMethod: { method: { case: "card", value: otherCard } } });
    expect(retry.order?.id).toBe(first.order?.id);
  });
});

describe("idempotency records are not kept forever", () => {
  it("when a record is older than IDEMPOTENCY_RETENTION_MS, then the periodic purge deletes it", async () => {
    const app = await startTestApp({ IDEMPOTENCY_HASH_KEY: HASH_KEY, IDEMPOTENCY_RETENTION_MS: "1000", IDEMPOTENCY_PURGE_INTERVAL_MS: "200" });
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
