import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { fromBinary } from "@bufbuild/protobuf";
import { inject, afterAll, beforeAll, describe, expect, it } from "vitest";
import { CartEventSchema, type CartEvent } from "../../gen/shop/cart/events/v1/cart_events_pb.js";
import { CartService, MergeMode } from "../../gen/shop/cart/v1/cart_pb.js";
import { checkoutRequest } from "../support/cart-fixtures.js";
import { FakeClock } from "../support/fake-clock.js";
import { startConsumer, type Received } from "../support/kafka-consumer.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { token } from "../support/tokens.js";

const decode = (record: Received): CartEvent => fromBinary(CartEventSchema, record.value);
const ofCart = (records: Received[], cartId: string) => records.filter((r) => r.key === cartId).map(decode);
const cases = (events: CartEvent[]) => events.map((e) => e.payload.case);

/** Cart events on their own topic, through the outbox, as CloudEvents; consumed from a real Kafka broker. */
describe("cart events", () => {
  const clock = new FakeClock();
  let app: TestApp;
  let consumer: Awaited<ReturnType<typeof startConsumer>>;
  beforeAll(async () => {
    app = await startTestApp({ CART_HOLD_SWEEP_MS: "100", CART_RESERVATION_MINUTES: "15" }, { clock });
    consumer = await startConsumer(inject("kafkaBrokers"), app.cartTopic);
  });
  afterAll(async () => {
    await consumer?.stop();
    await app?.stop();
  });

  it("when a shopper adds, lowers and checks out, and a guest cart is merged, then each change is one event keyed by its cart, and no token is in any", async () => {
    const buyer = `events-${randomUUID().slice(0, 8)}`;
    const carts = app.connect(CartService, await token(buyer));
    await carts.addItem({ requestId: randomUUID(), productId: "prod-mug", quantity: 2 });
    await carts.updateItemQuantity({ requestId: randomUUID(), productId: "prod-mug", quantity: 1 });
    const { order } = await carts.checkout(checkoutRequest(""));

    const merger = `merger-${randomUUID().slice(0, 8)}`;
    const guest = await app.connect(CartService, "").createGuestCart({});
    await app.connect(CartService, guest.cartToken).addItem({ requestId: randomUUID(), productId: "prod-tee", quantity: 1 });
    await app
      .connect(CartService, await token(merger))
      .mergeCart({ requestId: randomUUID(), guestCartToken: guest.cartToken, mode: MergeMode.SUM });

    const records = await consumer.until((all) => ofCart(all, buyer).length >= 3 && ofCart(all, merger).length >= 1);
    const bought = ofCart(records, buyer);
    expect(cases(bought)).toEqual(["cartItemAdded", "cartItemRemoved", "cartCheckedOut"]);
    expect(bought.map((e) => e.cartVersion)).toEqual([1n, 2n, 3n]);
    // The cart's own stream, apart from the order's.
    expect(bought.map((e) => e.sequence)).toEqual([1n, 2n, 3n]);
    expect(bought[0]!.payload.value).toMatchObject({ addedQuantity: 2, line: { productId: "prod-mug", quantity: 2, sku: "MUG-001" } });
    expect(bought[1]!.payload.value).toMatchObject({ productId: "prod-mug", removedQuantity: 1, remainingQuantity: 1 });
    expect(bought[2]!.payload.value).toMatchObject({
      orderId: order!.id,
      lines: [expect.objectContaining({ productId: "prod-mug", quantity: 1 })],
    });
    expect(bought[0]).toMatchObject({ cartId: buyer, userId: buyer, guest: false });

    const guestEvents = ofCart(records, guest.cart!.cartId);
    expect(cases(guestEvents)).toEqual(["cartItemAdded"]);
    expect(guestEvents[0]).toMatchObject({ guest: true, userId: "" });
    const [merged] = ofCart(records, merger);
    expect(merged!.payload).toMatchObject({ case: "cartMerged", value: { guestCartId: guest.cart!.cartId, mode: "SUM" } });

    const record = records.find((r) => r.key === buyer)!;
    expect(record.headers).toMatchObject({
      ce_specversion: "1.0",
      ce_type: "shop.cart.v1.CartItemAdded",
      ce_subject: buyer,
      ce_dataschema: "urn:proto:shop.cart.events.v1.CartEvent",
      "content-type": "application/protobuf; proto=shop.cart.events.v1.CartEvent",
    });
    for (const r of records) expect(r.value.toString("latin1")).not.toContain(guest.cartToken.split(".")[2]!);
  });

  it("when a hold lapses, then the sweeper releases it and says CartReservationExpired with the lines that stay", async () => {
    const shopper = `lapse-${randomUUID().slice(0, 8)}`;
    await app.connect(CartService, await token(shopper)).addItem({ requestId: randomUUID(), productId: "prod-cap", quantity: 2 });
    clock.offsetMs += 16 * 60_000;
    const records = await consumer.until((all) => ofCart(all, shopper).some((e) => e.payload.case === "cartReservationExpired"));
    const expired = ofCart(records, shopper).find((e) => e.payload.case === "cartReservationExpired")!;
    expect(expired.payload.value).toMatchObject({ lines: [expect.objectContaining({ productId: "prod-cap", quantity: 2 })] });
    expect(expired.payload.case === "cartReservationExpired" && expired.payload.value.holdExpireTime).toBeTruthy();
  });
});

describe("abandoned carts", () => {
  it("when two instances watch an idle cart, then exactly one CartAbandoned per idle period, with the guest's email", async () => {
    const env = { CART_ABANDONED_AFTER: "1s", CART_ABANDONED_SWEEP_MS: "50" };
    const first = await startTestApp(env);
    const second = await startTestApp(
      { ...env, KAFKA_TOPIC: first.topic, CART_EVENTS_TOPIC: first.cartTopic },
      { databaseUrl: first.databaseUrl },
    );
    const consumer = await startConsumer(inject("kafkaBrokers"), first.cartTopic);
    try {
      const guest = await first.connect(CartService, "").createGuestCart({ email: "leaving@example.com" });
      const cart = first.connect(CartService, guest.cartToken);
      await cart.addItem({ requestId: randomUUID(), productId: "prod-lamp", quantity: 1 });
      const abandoned = (all: Received[]) => ofCart(all, guest.cart!.cartId).filter((e) => e.payload.case === "cartAbandoned");
      await consumer.until((all) => abandoned(all).length >= 1);
      await sleep(1_500);
      expect(abandoned(consumer.received)).toHaveLength(1);
      expect(abandoned(consumer.received)[0]!.payload.value).toMatchObject({
        email: "leaving@example.com",
        lines: [expect.objectContaining({ productId: "prod-lamp", quantity: 1 })],
        subtotal: { currencyCode: "USD", amountMinor: 4599n },
      });

      await second.connect(CartService, guest.cartToken).addItem({ requestId: randomUUID(), productId: "prod-lamp", quantity: 1 });
      await consumer.until((all) => abandoned(all).length >= 2);
      await sleep(1_500);
      expect(abandoned(consumer.received)).toHaveLength(2);
    } finally {
      await consumer.stop();
      await second.stop();
      await first.stop();
    }
  });
});
