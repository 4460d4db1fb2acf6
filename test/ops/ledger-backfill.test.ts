import type { MikroORM } from "@mikro-orm/postgresql";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openOrm } from "../../src/db/orm.js";
import { lineTaxes } from "../../src/money/refunds.js";
import { query } from "../support/db.js";
import { freshDatabase } from "../support/test-app.js";

const BEFORE = "Migration20261204200000_fulfilment";

/** Three lines whose tax (101 on 2,100) does not split evenly: 33.67, 33.67, 33.67 of 101 by 700 each, ties to the earlier line. */
const LINES = [
  { quantity: 7, unitPriceMinor: 100n },
  { quantity: 1, unitPriceMinor: 700n },
  { quantity: 2, unitPriceMinor: 350n },
];
const SUBTOTAL = 2100n;
const TAX = 101n;
const SHIPPING = 599n;
const TOTAL = SUBTOTAL + TAX + SHIPPING;

const ORDERS = [
  { id: "00000000-0000-4000-8000-000000000001", status: "PENDING", payment: "PENDING" },
  { id: "00000000-0000-4000-8000-000000000002", status: "PAID", payment: "CAPTURED" },
  { id: "00000000-0000-4000-8000-000000000003", status: "DELIVERED", payment: "CAPTURED" },
  { id: "00000000-0000-4000-8000-000000000004", status: "CANCELLED", payment: "PENDING" },
  { id: "00000000-0000-4000-8000-000000000005", status: "CANCELLED", payment: "REFUNDED" },
  { id: "00000000-0000-4000-8000-000000000006", status: "REFUNDED", payment: "REFUNDED" },
];

/** Orders of LINES as the service stored them before the ledger, cancelled ones with a reason. */
async function seed(url: string, orders: readonly (typeof ORDERS)[number][]): Promise<void> {
  for (const [n, order] of orders.entries()) {
    await query(
      url,
      `insert into orders (id, order_number, user_id, customer_email, customer_first_name, customer_last_name, shipping_address, status,
         payment_method, payment_status, payment_transaction_id, currency, subtotal_minor, tax_minor, shipping_minor, total_minor,
         estimated_delivery_date, reservation_id, version, created_at, updated_at, cancel_reason)
       values ($1::uuid, $2, 'user-1', 'a@example.com', 'A', 'B', '{}', $3, 'CARD', $4, $5, 'USD', $6, $7, $8, $9,
         '2026-12-10', $1::text, 1, now(), now(), 'changed my mind')`,
      [order.id, `ORD-2026-${String(n).padStart(6, "0")}`, order.status, order.payment, `ch_${n}`, SUBTOTAL, TAX, SHIPPING, TOTAL],
    );
    for (const [i, line] of LINES.entries()) {
      await query(
        url,
        `insert into order_items (id, order_id, position, product_id, sku, name, quantity, unit_price_minor, status, seller_id)
         values (gen_random_uuid(), $1, $2, $3, $3, $3, $4, $5, 'PENDING', 'seller-north')`,
        [order.id, i, `prod-${i}`, line.quantity, line.unitPriceMinor],
      );
    }
  }
}

describe("the money ledger migration on a database at the migration before it", () => {
  let orm: MikroORM;
  let url: string;

  beforeAll(async () => {
    url = await freshDatabase();
    orm = await openOrm({ url, poolMax: 2, log: pino({ level: "silent" }) });
    await orm.migrator.up({ to: BEFORE });
    await seed(url, ORDERS);
    await orm.migrator.up();
  });
  afterAll(() => orm?.close());

  const sums = (id: string) =>
    query<Record<string, string>>(
      url,
      `select authorized_minor::text a, captured_minor::text c, refunded_minor::text r, credited_minor::text cr, ledger_entries::text n
       from orders where id = $1`,
      [id],
    ).then((rows) => rows[0]!);
  const entries = (id: string) =>
    query<{ position: number; kind: string; amount_minor: string; reference: string; idempotency_key: string; breakdown: unknown }>(
      url,
      `select position, kind, amount_minor::text, reference, idempotency_key, breakdown from order_ledger_entries where order_id = $1 order by position`,
      [id],
    );

  it("when an order was never paid, then it has no rows; cancelled, it costs nothing", async () => {
    expect(await entries(ORDERS[0]!.id)).toEqual([]);
    expect(await sums(ORDERS[0]!.id)).toEqual({ a: "0", c: "0", r: "0", cr: "0", n: "0" });
    expect(await sums(ORDERS[3]!.id)).toEqual({ a: "0", c: "0", r: "0", cr: String(TOTAL), n: "0" });
  });

  it("when an order was captured, then an authorization and a capture of its total, under its transaction id", async () => {
    for (const order of [ORDERS[1]!, ORDERS[2]!]) {
      const rows = await entries(order.id);
      expect(rows.map((row) => [row.position, row.kind, row.amount_minor])).toEqual([
        [1, "AUTHORIZATION", String(TOTAL)],
        [2, "CAPTURE", String(TOTAL)],
      ]);
      expect(rows[1]!.reference).toMatch(/^ch_/);
      expect(await sums(order.id)).toEqual({ a: String(TOTAL), c: String(TOTAL), r: "0", cr: "0", n: "2" });
    }
  });

  it("when an order was refunded, then a whole-order refund under the service's key, each line at its price plus its tax share as the service splits it", async () => {
    const expectedTaxes = lineTaxes(LINES, TAX);
    for (const order of [ORDERS[4]!, ORDERS[5]!]) {
      const rows = await entries(order.id);
      expect(rows.map((row) => row.kind)).toEqual(["AUTHORIZATION", "CAPTURE", "REFUND"]);
      expect(rows[2]).toMatchObject({ amount_minor: String(TOTAL), idempotency_key: `refund:${order.id}` });
      const breakdown = rows[2]!.breakdown as {
        lines: { amountMinor: string; taxMinor: string; quantity: number }[];
        shippingMinor: string;
      };
      expect(breakdown.lines.map((line) => BigInt(line.taxMinor))).toEqual(expectedTaxes);
      expect(breakdown.lines.reduce((sum, line) => sum + BigInt(line.amountMinor), 0n) + BigInt(breakdown.shippingMinor)).toBe(TOTAL);
      expect(await sums(order.id)).toEqual({ a: String(TOTAL), c: String(TOTAL), r: String(TOTAL), cr: String(TOTAL), n: "3" });
      const items = await query<{ refunded_quantity: number; quantity: number; refunded_minor: string }>(
        url,
        `select quantity, refunded_quantity, refunded_minor::text from order_items where order_id = $1 order by position`,
        [order.id],
      );
      expect(items.map((item) => [item.refunded_quantity, BigInt(item.refunded_minor)])).toEqual(
        LINES.map((line, i) => [line.quantity, line.unitPriceMinor * BigInt(line.quantity) + expectedTaxes[i]!]),
      );
    }
  });
});

describe("the payment trail migration, after the ledger's backfill", () => {
  let orm: MikroORM;
  let url: string;
  const paid = ORDERS[1]!;
  const refunded = ORDERS[5]!;

  beforeAll(async () => {
    url = await freshDatabase();
    orm = await openOrm({ url, poolMax: 2, log: pino({ level: "silent" }) });
    await orm.migrator.up({ to: BEFORE });
    await seed(url, [paid, refunded]);
    await orm.migrator.up();
  });
  afterAll(() => orm?.close());

  const trailOf = async (id: string) =>
    (await query<{ payment_trail: unknown }>(url, `select payment_trail from orders where id = $1`, [id]))[0]!.payment_trail;

  it("when lines were priced before, then each keeps the tax share the service gives it", async () => {
    const items = await query<{ tax_minor: string }>(url, `select tax_minor::text from order_items where order_id = $1 order by position`, [
      paid.id,
    ]);
    expect(items.map((item) => BigInt(item.tax_minor))).toEqual(lineTaxes(LINES, TAX));
  });

  it("when an order was captured and refunded, then its trail holds the capture, what was taken of the authorization and given back", async () => {
    const whole = String(TOTAL);
    expect(await trailOf(paid.id)).toEqual({
      authorizations: [{ id: "", amountMinor: whole, capturedMinor: whole, voidedMinor: "0" }],
      captures: [{ id: "ch_0", authorizationId: "", amountMinor: whole, refundedMinor: "0" }],
    });
    expect(await trailOf(refunded.id)).toMatchObject({ captures: [{ id: "ch_1", amountMinor: whole, refundedMinor: whole }] });
  });
});
