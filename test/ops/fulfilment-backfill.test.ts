import type { MikroORM } from "@mikro-orm/postgresql";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openOrm } from "../../src/db/orm.js";
import { query } from "../support/db.js";
import { freshDatabase } from "../support/test-app.js";

const BEFORE = "Migration20261204100000_stock_locations";

interface Placed {
  id: string;
  status: string;
  payment: [method: string, status: string];
  /** Item statuses, one item each: a seller-north mug and a seller-south pair of socks. */
  items: [north: string, south: string];
}

/** Orders in every status, placed at the migration before fulfilment's, as the service of that day wrote them. */
const ORDERS: Placed[] = [
  { id: "00000000-0000-4000-8000-000000000001", status: "PENDING", payment: ["CARD", "PENDING"], items: ["PENDING", "PENDING"] },
  { id: "00000000-0000-4000-8000-000000000002", status: "CONFIRMED", payment: ["UPI", "PENDING"], items: ["PENDING", "PENDING"] },
  { id: "00000000-0000-4000-8000-000000000003", status: "PAID", payment: ["CARD", "CAPTURED"], items: ["PENDING", "PENDING"] },
  { id: "00000000-0000-4000-8000-000000000004", status: "PROCESSING", payment: ["CARD", "CAPTURED"], items: ["SHIPPED", "PROCESSING"] },
  { id: "00000000-0000-4000-8000-000000000005", status: "SHIPPED", payment: ["CARD", "CAPTURED"], items: ["DELIVERED", "SHIPPED"] },
  { id: "00000000-0000-4000-8000-000000000006", status: "DELIVERED", payment: ["CARD", "CAPTURED"], items: ["DELIVERED", "DELIVERED"] },
  { id: "00000000-0000-4000-8000-000000000007", status: "CANCELLED", payment: ["CARD", "PENDING"], items: ["CANCELLED", "CANCELLED"] },
  { id: "00000000-0000-4000-8000-000000000008", status: "REFUNDED", payment: ["CARD", "REFUNDED"], items: ["CANCELLED", "CANCELLED"] },
  {
    id: "00000000-0000-4000-8000-000000000009",
    status: "PROCESSING",
    payment: ["CASH_ON_DELIVERY", "PENDING"],
    items: ["PROCESSING", "CANCELLED"],
  },
];

async function place(url: string, order: Placed, n: number): Promise<void> {
  await query(
    url,
    `insert into orders (id, order_number, user_id, customer_email, customer_first_name, customer_last_name, shipping_address, status,
       payment_method, payment_status, currency, subtotal_minor, tax_minor, shipping_minor, total_minor, tracking_number, carrier,
       estimated_delivery_date, reservation_id, version, created_at, updated_at)
     values ($1::uuid, $2, 'user-1', 'a@example.com', 'A', 'B', '{}', $3, $4, $5, 'USD', 300, 0, 0, 300, $6, $7, '2026-12-10', $1::text, 1, now(), now())`,
    [
      order.id,
      `ORD-2026-${String(n).padStart(6, "0")}`,
      order.status,
      ...order.payment,
      ["SHIPPED", "DELIVERED"].includes(order.status) || order.items.includes("SHIPPED") ? "1Z999" : "",
      "UPS",
    ],
  );
  const [north, south] = order.items;
  await query(
    url,
    `insert into order_items (id, order_id, position, product_id, sku, name, quantity, unit_price_minor, status, seller_id)
     values (gen_random_uuid(), $1, 1, 'prod-mug', 'MUG', 'Mug', 2, 100, $2, 'seller-north'),
            (gen_random_uuid(), $1, 2, 'prod-socks', 'SCK-001', 'Socks', 1, 100, $3, 'seller-south')`,
    [order.id, north, south],
  );
}

interface Row {
  order_id: string;
  seller_id: string;
  location_id: string;
  status: string;
  lines: { quantity: number; remaining: number }[];
  holds: { reason: string; releasedAt: string | null }[];
  shipments: { status: string; tracking_number: string; quantity: number }[] | null;
}

describe("the fulfilment migration on a database at the migration before it", () => {
  let orm: MikroORM;
  let url: string;
  let rows: Row[];

  beforeAll(async () => {
    url = await freshDatabase();
    orm = await openOrm({ url, poolMax: 2, log: pino({ level: "silent" }) });
    await orm.migrator.up({ to: BEFORE });
    let n = 0;
    for (const order of ORDERS) await place(url, order, ++n);
    await orm.migrator.up();
    rows = await query<Row>(
      url,
      `select f.order_id, f.seller_id, f.location_id, f.status, f.lines, f.holds,
              (select json_agg(json_build_object('status', s.status, 'tracking_number', s.tracking_number,
                      'quantity', (select sum((l->>'quantity')::int) from jsonb_array_elements(s.lines) l)) order by s.status)
               from shipments s where s.fulfillment_order_id = f.id) as shipments
       from fulfillment_orders f order by f.order_id, f.seller_id`,
    );
  });

  afterAll(() => orm?.close());

  const of = (id: string) => rows.filter((row) => row.order_id === id).map((row) => [row.seller_id, row.location_id, row.status]);

  it("when an order is open, then each seller's live items get a fulfilment order at the seller's first location", () => {
    expect(of(ORDERS[1]!.id)).toEqual([
      ["seller-north", "north-east", "OPEN"],
      ["seller-south", "south-main", "OPEN"],
    ]);
  });

  it("when a card order is not captured and nothing has shipped, then it waits on an AWAITING_PAYMENT hold; a captured one does not", () => {
    expect(of(ORDERS[0]!.id).map(([, , status]) => status)).toEqual(["ON_HOLD", "ON_HOLD"]);
    expect(rows.find((row) => row.order_id === ORDERS[0]!.id)!.holds).toMatchObject([{ reason: "AWAITING_PAYMENT", releasedAt: null }]);
    expect(of(ORDERS[2]!.id).map(([, , status]) => status)).toEqual(["OPEN", "OPEN"]);
  });

  it("when items shipped or were delivered, then they are in shipments of that status with the order's tracking, nothing remaining", () => {
    const processing = rows.filter((row) => row.order_id === ORDERS[3]!.id);
    expect(processing.map((row) => [row.seller_id, row.status, row.lines[0]!.remaining, row.shipments])).toEqual([
      ["seller-north", "CLOSED", 0, [{ status: "IN_TRANSIT", tracking_number: "1Z999", quantity: 2 }]],
      ["seller-south", "OPEN", 1, null],
    ]);
    const shipped = rows.filter((row) => row.order_id === ORDERS[4]!.id);
    expect(shipped.map((row) => row.shipments)).toEqual([
      [{ status: "DELIVERED", tracking_number: "1Z999", quantity: 2 }],
      [{ status: "IN_TRANSIT", tracking_number: "1Z999", quantity: 1 }],
    ]);
  });

  it("when an order is closed (delivered, cancelled, refunded), then it gets none; a cancelled item is left out", () => {
    for (const closed of ORDERS.slice(5, 8)) expect(of(closed.id)).toEqual([]);
    expect(of(ORDERS[8]!.id)).toEqual([["seller-north", "north-east", "OPEN"]]);
  });

  it("remaining plus shipped equals what each live item ordered", () => {
    for (const row of rows) {
      const shipped = (row.shipments ?? []).reduce((sum, shipment) => sum + shipment.quantity, 0);
      const remaining = row.lines.reduce((sum, line) => sum + line.remaining, 0);
      expect(shipped + remaining).toBe(row.lines.reduce((sum, line) => sum + line.quantity, 0));
    }
  });
});
