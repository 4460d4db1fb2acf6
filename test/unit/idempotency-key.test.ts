import { createHmac } from "node:crypto";
import { create, toBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { CreateOrderRequestSchema, PayOrderRequestSchema } from "../../gen/shop/order/v1/order_pb.js";
import { idempotencyKey, requestHash } from "../../src/idempotency/request-key.js";
import { withoutCardData } from "../../src/payments/card-data.js";

const key = new TextEncoder().encode("k".repeat(32));
const card = { paymentToken: "tok_1N3T00LkdIwHu7ix", brand: "VISA", last4: "4242" };

describe("idempotency keys", () => {
  it("when two callers use the same request id, then their keys differ, and no choice of parts makes two keys meet", () => {
    expect(idempotencyKey("CancelOrder", "alice", ["o-1", "r-1"])).not.toBe(idempotencyKey("CancelOrder", "bob", ["o-1", "r-1"]));
    expect(idempotencyKey("CancelOrder", "a:b", ["c"])).not.toBe(idempotencyKey("CancelOrder", "a", ["b:c"]));
    expect(idempotencyKey("CancelOrder", "a", ["b", "c"])).not.toBe(idempotencyKey("CancelOrder", "a", ["b,c"]));
    expect(idempotencyKey("PayOrder", "alice", ["o-1", "r-1"])).toBe('["PayOrder","alice","o-1","r-1"]');
  });
});

describe("request hashes", () => {
  const request = create(CreateOrderRequestSchema, { requestId: "r-1", notes: "x" });

  it("when a request is hashed, then it is HMAC-SHA-256 of its encoding with the deploy's key, and another key gives another hash", () => {
    const expected = createHmac("sha256", key).update(toBinary(CreateOrderRequestSchema, request)).digest("hex");
    expect(requestHash(key, CreateOrderRequestSchema, request)).toBe(expected);
    expect(requestHash(new TextEncoder().encode("o".repeat(32)), CreateOrderRequestSchema, request)).not.toBe(expected);
    expect(requestHash(key, CreateOrderRequestSchema, create(CreateOrderRequestSchema, { requestId: "r-1", notes: "y" }))).not.toBe(
      expected,
    );
  });
});

describe("card data kept out of what is hashed", () => {
  it("when a request pays by card, then its token, brand and last four are emptied in a copy and the card stays named", () => {
    const paying = create(PayOrderRequestSchema, {
      requestId: "r-1",
      orderId: "o-1",
      paymentMethod: { method: { case: "card", value: card } },
    });
    const stripped = withoutCardData(PayOrderRequestSchema, paying);
    expect(stripped.paymentMethod?.method).toEqual({
      case: "card",
      value: expect.objectContaining({ paymentToken: "", brand: "", last4: "" }),
    });
    expect(stripped.requestId).toBe("r-1");
    expect(paying.paymentMethod?.method.value).toMatchObject(card);
  });

  it("when a request pays otherwise, or names no payment, then it is returned as it is", () => {
    const upi = create(PayOrderRequestSchema, { requestId: "r-1", paymentMethod: { method: { case: "upi", value: { vpa: "ann@bank" } } } });
    expect(withoutCardData(PayOrderRequestSchema, upi)).toBe(upi);
    const plain = create(CreateOrderRequestSchema, { requestId: "r-2" });
    expect(withoutCardData(CreateOrderRequestSchema, plain)).toBe(plain);
  });
});
