/**
 * The write floor: CreateOrder as bare as Node does it with the libraries the service uses
 * underneath. The same statements the service sends (test/ops/sql-statements-per-call.test.ts counts them:
 * the idempotency claim, the pending reservation with the order number, then one transaction that
 * in one statement takes the reservation, inserts the order, its items, its history entry, its fulfilment order and
 * its events (OrderCreated, an OrderItemCreated per line, FulfillmentOrderCreated: 1 + N + 1 rows,
 * each numbered by the outbox's sequence trigger and waking the relay's NOTIFY trigger as the
 * service's do) and records the response), sent with `pg`; the same two calls to the
 * reference catalog in its own process (BatchGetProducts, ReserveStock) with a @grpc/grpc-js
 * client; the same response and event encoded with protobuf-es. No auth, validation, logging,
 * metrics, tracing, resilience, cache or ORM.
 *
 *   node dist/bench/floors/write-floor.js <DATABASE_URL> <catalog host:port> <topic>     prints its port
 */
import { randomUUID } from "node:crypto";
import { create, toBinary, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { OrderEventSchema } from "../../gen/shop/order/events/v1/order_events_pb.js";
import {
  CreateOrderResponseSchema,
  ItemStatus,
  OrderStatus,
  PaymentMethodType,
  PaymentStatus,
  type CreateOrderRequest,
} from "../../gen/shop/order/v1/order_pb.js";
import type { BatchGetProductsResponse } from "../../gen/shop/product/v1/product_pb.js";
import {
  writingFloor,
  claimRequest,
  inTransaction,
  money,
  OUTBOX_COLUMNS,
  placeholders,
  serveFloor,
  traceparent,
  unary,
} from "./floor-server.js";

const { topic, db, products, inventory } = writingFloor();

const ORDER_COLUMNS = `id, order_number, user_id, customer_email, customer_first_name, customer_last_name, customer_phone,
  shipping_address, status, payment_method, payment_display, payment_status, currency, subtotal_minor, tax_minor,
  shipping_minor, total_minor, notes, estimated_delivery_date, reservation_id, version, created_at, updated_at, payment_trail`;
const ITEM_COLUMNS = "id, order_id, position, product_id, sku, name, image_url, quantity, unit_price_minor, status";

async function createOrder(request: CreateOrderRequest) {
  const key = `floor:${request.requestId}`;
  const token = await claimRequest(db, key);

  const found = await unary<BatchGetProductsResponse>(products, "batchGetProducts", { ids: request.items.map((i) => i.productId) });
  const byId = new Map(found.products.map((p) => [p.id, p]));
  const orderId = randomUUID();
  const lines = request.items.map((item) => ({ productId: item.productId, quantity: item.quantity }));
  const { rows } = await db.query<{ seq: string }>(
    `with held as (insert into pending_reservations (reservation_id, lease_until) values ($1, now() + make_interval(secs => $2)))
     select nextval('order_number_seq') as seq`,
    [orderId, 12],
  );
  await unary(inventory, "reserveStock", { reservationId: orderId, lines });

  const now = new Date();
  const currency = "USD";
  const c = request.customer!;
  const { $typeName: _, ...address } = request.shippingAddress!;
  const items = request.items.map((input, position) => {
    const product = byId.get(input.productId)!;
    return { id: randomUUID(), position, product, quantity: input.quantity, unit: product.price!.amountMinor };
  });
  const subtotal = items.reduce((sum, item) => sum + item.unit * BigInt(item.quantity), 0n);
  const tax = (subtotal * 800n + 5_000n) / 10_000n;
  const shipping = subtotal >= 5_000n ? 0n : 599n;
  const total = subtotal + tax + shipping;
  const delivery = new Date(now.getTime() + 5 * 86_400_000).toISOString().slice(0, 10);
  const [year, month, day] = delivery.split("-").map(Number);
  const orderNumber = `ORD-${now.getUTCFullYear()}-${rows[0]!.seq.padStart(6, "0")}`;
  const itemProtos = items.map((item) => ({
    id: item.id,
    productId: item.product.id,
    sku: item.product.sku,
    name: item.product.name,
    quantity: item.quantity,
    unitPrice: money(currency, item.unit),
    lineTotal: money(currency, item.unit * BigInt(item.quantity)),
    status: ItemStatus.PENDING,
    imageUrl: item.product.imageUrl,
  }));
  const response = toBinary(
    CreateOrderResponseSchema,
    create(CreateOrderResponseSchema, {
      order: {
        id: orderId,
        orderNumber,
        userId: request.userId,
        customer: request.customer,
        items: itemProtos,
        shippingAddress: address,
        payment: { method: PaymentMethodType.CASH_ON_DELIVERY, status: PaymentStatus.PENDING, amount: money(currency, total) },
        status: OrderStatus.PENDING,
        subtotal: money(currency, subtotal),
        tax: money(currency, tax),
        shipping: money(currency, shipping),
        total: money(currency, total),
        notes: request.notes,
        estimatedDeliveryDate: { year, month, day },
        version: 1n,
        createTime: timestampFromDate(now),
        updateTime: timestampFromDate(now),
      },
    }),
  );
  // The events CreateOrder writes: OrderCreated, one OrderItemCreated per line, FulfillmentOrderCreated.
  const orderEvent = (payload: MessageInitShape<typeof OrderEventSchema>["payload"]) => {
    const eventId = randomUUID();
    const bytes = toBinary(
      OrderEventSchema,
      create(OrderEventSchema, {
        eventId,
        occurTime: timestampFromDate(now),
        orderId,
        orderNumber,
        userId: request.userId,
        orderVersion: 1n,
        payload,
      }),
    );
    return { eventId, type: `shop.order.v1.${payload!.case![0]!.toUpperCase()}${payload!.case!.slice(1)}`, bytes };
  };
  const fulfilmentOrderId = randomUUID();
  const fulfilmentLines = items.map((item) => ({
    id: randomUUID(),
    orderItemId: item.id,
    productId: item.product.id,
    variantId: "",
    quantity: item.quantity,
    remaining: item.quantity,
  }));
  const events = [
    orderEvent({
      case: "orderCreated",
      value: {
        items: itemProtos.map(({ id, ...line }) => ({ itemId: id, ...line })),
        subtotal: money(currency, subtotal),
        tax: money(currency, tax),
        shipping: money(currency, shipping),
        customerEmail: c.email,
        shippingAddress: address,
        estimatedDeliveryDate: { year, month, day },
      },
    }),
    ...itemProtos.map(({ id, lineTotal: _, imageUrl: __, ...line }) =>
      orderEvent({ case: "orderItemCreated", value: { itemId: id, ...line } }),
    ),
    orderEvent({
      case: "fulfillmentOrderCreated",
      value: {
        fulfillmentOrderId: fulfilmentOrderId,
        sellerId: "",
        locationId: "main",
        lines: fulfilmentLines.map(({ orderItemId, productId, variantId, quantity }) => ({ orderItemId, productId, variantId, quantity })),
      },
    }),
  ];

  const orderValues = [
    ...[orderId, orderNumber, request.userId, c.email, c.firstName, c.lastName, c.phone, JSON.stringify(address)],
    ...[
      "PENDING",
      "CASH_ON_DELIVERY",
      "",
      "PENDING",
      currency,
      subtotal,
      tax,
      shipping,
      total,
      request.notes,
      delivery,
      orderId,
      1,
      now,
      now,
      JSON.stringify({ authorizations: [], captures: [] }),
    ],
  ];
  const itemValues = items.flatMap((item) => [
    ...[item.id, orderId, item.position, item.product.id, item.product.sku, item.product.name, item.product.imageUrl],
    ...[item.quantity, item.unit, "PENDING"],
  ]);
  // Its fulfilment order: the bench's products belong to no seller, so all of it ships from "main".
  const historyAt = 1 + orderValues.length + itemValues.length;
  const fulfilmentAt = historyAt + 5;
  const outboxAt = fulfilmentAt + 4;
  const takenAt = outboxAt + events.length * 8;
  await inTransaction(db, async (tx) => {
    const { rows: counts } = await tx.query<{ taken: number; recorded: number }>(
      `with taken as (delete from pending_reservations where reservation_id = $${takenAt} and not abandoned returning 1),
       recorded as (update idempotency_records set response = $${takenAt + 1}, completed_at = now() where key = $${takenAt + 2} and claim_token = $${takenAt + 3} returning 1),
       o as (insert into orders (${ORDER_COLUMNS}) values ${placeholders(1, orderValues.length)}),
       i as (insert into order_items (${ITEM_COLUMNS}) values ${items.map((_, k) => placeholders(1 + orderValues.length + k * 10, 10)).join(", ")}),
       h as (insert into order_status_history (order_id, from_status, to_status, changed_at, actor, reason) values ($${historyAt}, null, $${historyAt + 1}, $${historyAt + 2}, $${historyAt + 3}, $${historyAt + 4})),
       f as (insert into fulfillment_orders (id, order_id, seller_id, location_id, status, fulfill_at, version, created_at, updated_at, lines, holds)
             values ($${fulfilmentAt}, $${fulfilmentAt + 1}, '', 'main', 'OPEN', null, 1, $${fulfilmentAt + 2}, $${fulfilmentAt + 2}, $${fulfilmentAt + 3}::jsonb, '[]')),
       ev as (insert into outbox_events (${OUTBOX_COLUMNS}) values ${events.map((_, k) => placeholders(outboxAt + k * 8, 8)).join(", ")})
       select (select count(*)::int from taken) as taken, (select count(*)::int from recorded) as recorded`,
      [
        ...orderValues,
        ...itemValues,
        ...[orderId, "PENDING", now, request.userId, "placed"],
        ...[fulfilmentOrderId, orderId, now, JSON.stringify(fulfilmentLines)],
        ...events.flatMap((event) => [event.eventId, topic, orderId, event.type, Buffer.from(event.bytes), now, now, traceparent()]),
        ...[orderId, Buffer.from(response), key, token],
      ],
    );
    if (counts[0]!.taken !== 1) throw new Error("reservation lapsed");
    if (counts[0]!.recorded !== 1) throw new Error("claim lost");
  });
  return { order: { id: orderId } };
}

serveFloor({ createOrder });
