/**
 * The write floor: CreateOrder as bare as Node does it with the libraries the service uses
 * underneath. The same statements the service sends (test/sql-statements.test.ts counts them:
 * the idempotency claim, the pending reservation with the order number, then one transaction that
 * takes the reservation, inserts the order, its items, its history entry and its OrderCreated
 * event in one statement and records the response), sent with `pg`; the same two calls to the
 * reference catalog in its own process (BatchGetProducts, ReserveStock) with a @grpc/grpc-js
 * client; the same response and event encoded with protobuf-es. No auth, validation, logging,
 * metrics, tracing, resilience, cache or ORM.
 *
 *   node dist/bench/floors/write-floor.js <DATABASE_URL> <catalog host:port> <topic>     prints its port
 */
import { randomUUID } from "node:crypto";
import { create, toBinary } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import * as grpc from "@grpc/grpc-js";
import { InventoryService } from "../../gen/shop/inventory/v1/inventory_pb.js";
import { OrderEventSchema } from "../../gen/shop/order/events/v1/order_events_pb.js";
import {
  CreateOrderResponseSchema,
  ItemStatus,
  OrderStatus,
  PaymentMethodType,
  PaymentStatus,
  type CreateOrderRequest,
} from "../../gen/shop/order/v1/order_pb.js";
import { ProductService, type BatchGetProductsResponse } from "../../gen/shop/product/v1/product_pb.js";
import { grpcServiceDefinition } from "../../src/platform/transport/grpc-adapter.js";
import { money, pool, serveFloor } from "./floor-server.js";

const [url, catalogAddress, topic] = process.argv.slice(2) as [string, string, string];
const db = pool(url);
const connect = (service: typeof ProductService | typeof InventoryService) => {
  const Client = grpc.makeGenericClientConstructor(grpcServiceDefinition(service), service.name);
  return new Client(catalogAddress, grpc.credentials.createInsecure());
};
const products = connect(ProductService);
const inventory = connect(InventoryService);
const unary = <T>(client: grpc.Client, method: string, request: unknown) =>
  new Promise<T>((resolve, reject) =>
    (client as unknown as Record<string, grpc.requestCallback<T> & ((...args: unknown[]) => void)>)[method]!(
      request,
      { deadline: Date.now() + 2_000 },
      (error: grpc.ServiceError | null, response: T) => (error ? reject(error) : resolve(response)),
    ),
  );

const ORDER_COLUMNS = `id, order_number, user_id, customer_email, customer_first_name, customer_last_name, customer_phone,
  shipping_address, status, payment_method, payment_display, payment_status, currency, subtotal_minor, tax_minor,
  shipping_minor, total_minor, notes, estimated_delivery_date, reservation_id, version, created_at, updated_at, payment_trail`;
const ITEM_COLUMNS = "id, order_id, position, product_id, sku, name, image_url, quantity, unit_price_minor, status";
const placeholders = (from: number, count: number) => `(${Array.from({ length: count }, (_, k) => `$${from + k}`).join(", ")})`;

async function createOrder(request: CreateOrderRequest) {
  const key = `floor:${request.requestId}`;
  const token = randomUUID();
  const claimed = await db.query(
    `insert into idempotency_records (key, request_hash, created_at, claim_token, lease_until)
     values ($1, $2, now(), $3, now() + make_interval(secs => $4))
     on conflict (key) do update
       set request_hash = excluded.request_hash, created_at = now(), claim_token = excluded.claim_token, lease_until = excluded.lease_until
       where idempotency_records.completed_at is null
         and coalesce(idempotency_records.lease_until, idempotency_records.created_at + interval '60 seconds') < now()
     returning key`,
    [key, "floor", token, 12],
  );
  if (claimed.rowCount !== 1) throw new Error("request id in use");

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
  const eventId = randomUUID();
  const event = toBinary(
    OrderEventSchema,
    create(OrderEventSchema, {
      eventId,
      occurTime: timestampFromDate(now),
      orderId,
      orderNumber,
      userId: request.userId,
      orderVersion: 1n,
      payload: {
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
      },
    }),
  );

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
  const fulfilmentLines = items.map((item) => ({
    id: randomUUID(),
    orderItemId: item.id,
    productId: item.product.id,
    variantId: "",
    quantity: item.quantity,
    remaining: item.quantity,
  }));
  const historyAt = 1 + orderValues.length + itemValues.length;
  const fulfilmentAt = historyAt + 5;
  const outboxAt = fulfilmentAt + 4;
  const tx = await db.connect();
  try {
    await tx.query("begin");
    const taken = await tx.query(`delete from pending_reservations where reservation_id = $1 and not abandoned returning 1`, [orderId]);
    if (taken.rowCount !== 1) throw new Error("reservation lapsed");
    await tx.query(
      `with o as (insert into orders (${ORDER_COLUMNS}) values ${placeholders(1, orderValues.length)}),
       i as (insert into order_items (${ITEM_COLUMNS}) values ${items.map((_, k) => placeholders(1 + orderValues.length + k * 10, 10)).join(", ")}),
       h as (insert into order_status_history (order_id, from_status, to_status, changed_at, actor, reason) values ($${historyAt}, null, $${historyAt + 1}, $${historyAt + 2}, $${historyAt + 3}, $${historyAt + 4})),
       f as (insert into fulfillment_orders (id, order_id, seller_id, location_id, status, fulfill_at, version, created_at, updated_at, lines, holds)
             values ($${fulfilmentAt}, $${fulfilmentAt + 1}, '', 'main', 'OPEN', null, 1, $${fulfilmentAt + 2}, $${fulfilmentAt + 2}, $${fulfilmentAt + 3}::jsonb, '[]'))
       insert into outbox_events (event_id, topic, aggregate_id, event_type, payload, occurred_at, next_attempt_at, trace_parent)
       values (${Array.from({ length: 8 }, (_, k) => `$${outboxAt + k}`).join(", ")}), (${Array.from({ length: 8 }, (_, k) => `$${outboxAt + 8 + k}`).join(", ")})`,
      [
        ...orderValues,
        ...itemValues,
        ...[orderId, "PENDING", now, request.userId, "placed"],
        ...[randomUUID(), orderId, now, JSON.stringify(fulfilmentLines)],
        ...[eventId, topic, orderId, "shop.order.v1.OrderCreated", Buffer.from(event), now, now, null],
        ...[randomUUID(), topic, orderId, "shop.order.v1.FulfillmentOrderCreated", Buffer.from(event.subarray(0, 200)), now, now, null],
      ],
    );
    const stored = await tx.query(
      `update idempotency_records set response = $1, completed_at = now() where key = $2 and claim_token = $3 returning 1`,
      [Buffer.from(response), key, token],
    );
    if (stored.rowCount !== 1) throw new Error("claim lost");
    await tx.query("commit");
  } catch (error) {
    await tx.query("rollback");
    throw error;
  } finally {
    tx.release();
  }
  return { order: { id: orderId } };
}

serveFloor({ createOrder });
