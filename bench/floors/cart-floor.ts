/**
 * The AddItem floor: Cart AddItem as bare as Node does it with the libraries the service uses
 * underneath. The service's statements (test/ops/sql-statements-per-call.test.ts counts them: the
 * idempotency claim, then one transaction that creates the cart if missing, locks it, reads it
 * with its lines, writes the line, its CartItemAdded event and the cart's new version and hold in
 * one statement, and records the response), sent with `pg`; the product looked up
 * (BatchGetProducts) and the cart's lines held again at Inventory (ReserveStock taking the old
 * hold over, 15 minutes: the service's default) with @grpc/grpc-js clients; the response and event
 * encoded with protobuf-es. No auth, validation, logging, metrics, tracing, resilience, cache or ORM.
 *
 *   node dist/bench/floors/cart-floor.js <DATABASE_URL> <catalog host:port> <topic>     prints its port
 */
import { randomUUID } from "node:crypto";
import { create, toBinary } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { pino } from "pino";
import { CartEventSchema } from "../../gen/shop/cart/events/v1/cart_events_pb.js";
import { AddItemResponseSchema, CartStatus, type AddItemRequest } from "../../gen/shop/cart/v1/cart_pb.js";
import type { BatchGetProductsResponse } from "../../gen/shop/product/v1/product_pb.js";
import { openOrm } from "../../src/db/orm.js";
import { cartCodecs } from "../../src/cart/store/cart-codecs.js";
import * as floor from "./floor-server.js";

const { url, topic, db, products, inventory } = floor.writingFloor();
const TTL_MS = 30 * 24 * 3_600_000;
const HOLD_MS = 15 * 60_000;
const CURRENCY = "USD";

const orm = await openOrm({ url, poolMax: 1, log: pino({ level: "warn" }) });
const { carts, lines } = cartCodecs(orm.em.fork());
// The service's read of a cart with its lines (cart-queries.ts).
const selectCart = `select c.*, ${lines.jsonArray("i", "i.cart_user_id = c.user_id", "i.id")} as lines from ${carts.table} c where c.user_id = $1`;
await orm.close();

interface Line {
  product_id: string;
  variant_id: string;
  sku: string;
  name: string;
  image_url: string;
  quantity: number;
  unit_price_minor: string | number;
  seller_id: string;
}

const LINE_COLUMNS =
  "cart_user_id, product_id, variant_id, sku, name, image_url, quantity, unit_price_minor, seller_id, variant_attributes";

async function addItem(request: AddItemRequest) {
  const key = `floor:${request.requestId}`;
  const token = await floor.claimRequest(db, key);
  const found = await floor.unary<BatchGetProductsResponse>(products, "batchGetProducts", { ids: [request.productId] });
  const product = found.products[0];
  if (!product) throw new Error(`no product ${request.productId}`);
  const userId = request.userId;
  return floor.inTransaction(db, async (tx) => {
    const now = new Date();
    const expiresAt = new Date(now.getTime() + TTL_MS);
    const holdsUntil = new Date(now.getTime() + HOLD_MS);
    await tx.query(
      `insert into carts (user_id, currency, version, created_at, updated_at, expires_at) values ($1, $2, 0, $3, $3, $4) on conflict (user_id) do nothing`,
      [userId, CURRENCY, now, expiresAt],
    );
    await tx.query(`select 1 from carts where user_id = $1 for update`, [userId]);
    const { rows } = await tx.query<{ version: number; reservation_id: string; lines: Line[] | string }>(selectCart, [userId]);
    const cart = rows[0]!;
    const cartLines = (typeof cart.lines === "string" ? JSON.parse(cart.lines) : cart.lines) as Line[];
    let line = cartLines.find((candidate) => candidate.product_id === product.id && candidate.variant_id === "");
    if (line) line.quantity += request.quantity;
    else {
      line = {
        product_id: product.id,
        variant_id: "",
        sku: product.sku,
        name: product.name,
        image_url: product.imageUrl,
        quantity: request.quantity,
        unit_price_minor: String(product.price!.amountMinor),
        seller_id: product.sellerId,
      };
      cartLines.push(line);
    }
    const holdId = randomUUID();
    await floor.unary(inventory, "reserveStock", {
      reservationId: holdId,
      lines: cartLines.map((held) => ({ productId: held.product_id, variantId: held.variant_id, quantity: held.quantity })),
      sourceReservationIds: cart.reservation_id ? [cart.reservation_id] : [],
      expireTime: timestampFromDate(holdsUntil),
    });

    const version = cart.version + 1;
    const unit = BigInt(line.unit_price_minor);
    const eventId = randomUUID();
    const event = toBinary(
      CartEventSchema,
      create(CartEventSchema, {
        eventId,
        occurTime: timestampFromDate(now),
        cartId: userId,
        userId,
        cartVersion: BigInt(version),
        payload: {
          case: "cartItemAdded",
          value: {
            line: {
              productId: line.product_id,
              sku: line.sku,
              name: line.name,
              quantity: line.quantity,
              unitPrice: floor.money(CURRENCY, unit),
            },
            addedQuantity: request.quantity,
          },
        },
      }),
    );
    await tx.query(
      `with put as (insert into cart_items (${LINE_COLUMNS}) values ${floor.placeholders(1, 10)}
         on conflict (cart_user_id, product_id, variant_id) do update set quantity = excluded.quantity, unit_price_minor = excluded.unit_price_minor),
       ev as (insert into outbox_events (${floor.OUTBOX_COLUMNS}) values ${floor.placeholders(11, 8)})
       update carts set version = version + 1, updated_at = $19, expires_at = $20, reservation_id = $21, holds_until = $22 where user_id = $23`,
      [
        ...[userId, line.product_id, "", line.sku, line.name, line.image_url, line.quantity, line.unit_price_minor, line.seller_id, "{}"],
        ...[eventId, topic, userId, "shop.cart.v1.CartItemAdded", Buffer.from(event), now, now, floor.traceparent()],
        ...[now, expiresAt, holdId, holdsUntil, userId],
      ],
    );

    let subtotal = 0n;
    const items = cartLines.map((held) => {
      const price = BigInt(held.unit_price_minor);
      subtotal += price * BigInt(held.quantity);
      return {
        productId: held.product_id,
        sku: held.sku,
        name: held.name,
        quantity: held.quantity,
        unitPrice: floor.money(CURRENCY, price),
        lineTotal: floor.money(CURRENCY, price * BigInt(held.quantity)),
        imageUrl: held.image_url,
        sellerId: held.seller_id,
      };
    });
    const tax = (subtotal * 800n + 5_000n) / 10_000n;
    const shipping = subtotal >= 5_000n ? 0n : 599n;
    const response = create(AddItemResponseSchema, {
      cart: {
        userId,
        cartId: userId,
        status: CartStatus.OPEN,
        items,
        subtotal: floor.money(CURRENCY, subtotal),
        tax: floor.money(CURRENCY, tax),
        shipping: floor.money(CURRENCY, shipping),
        total: floor.money(CURRENCY, subtotal + tax + shipping),
        itemCount: cartLines.reduce((count, held) => count + held.quantity, 0),
        version: BigInt(version),
        updateTime: timestampFromDate(now),
        expireTime: timestampFromDate(expiresAt),
        holdExpireTime: timestampFromDate(holdsUntil),
      },
    });
    await floor.storeResponse(tx, key, token, toBinary(AddItemResponseSchema, response));
    return response;
  });
}

floor.serveFloor({ addItem });
