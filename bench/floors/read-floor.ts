/**
 * The read floor: GetOrder and ListOrders (a buyer's first page) as bare as Node does them with the libraries the service uses
 * underneath. The same statements as the service's (taken from order-queries.ts once, at start)
 * sent with `pg`, the row turned into the same GetOrderResponse with protobuf-es, served by
 * @grpc/grpc-js; no auth, logging, metrics, tracing, validation or ORM on the call's path.
 *
 *   node dist/bench/floors/read-floor.js <DATABASE_URL>     prints its port
 */
import { createHash } from "node:crypto";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { pino } from "pino";
import {
  ItemStatus,
  OrderStatus,
  PaymentMethodType,
  PaymentStatus,
  type GetOrderRequest,
  type ListOrdersRequest,
} from "../../gen/shop/order/v1/order_pb.js";
import { openOrm } from "../../src/db/orm.js";
import { selectOrders } from "../../src/orders/store/order-queries.js";
import { money, pool, serveFloor } from "./floor-server.js";

const url = process.argv[2]!;
const orm = await openOrm({ url, poolMax: 1, log: pino({ level: "warn" }) });
/** The service's statement with pg's numbered placeholders. */
const numbered = (sql: string) => {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
};
const select = selectOrders(orm.em.fork(), false);
const sql = numbered(`${select} where o.id = ? and o.deleted_at is null`);
// ListOrders' first page of a buyer's orders, newest first (order-queries.ts, findOrderPage).
const pageSql = numbered(`${select} where o.deleted_at is null and o.user_id = ? order by o.created_at desc, o.id desc limit ?`);
await orm.close();
const db = pool(url);

// A row is whatever PostgreSQL sent; the floor trusts it, as a floor checks nothing.
type Row = Record<string, any>;
const statusOf = <E extends Record<string, unknown>>(values: E, name: string) => values[name as keyof E];

function toResponse(row: Row) {
  const currency: string = row.currency;
  const amount = (minor: string) => money(currency, BigInt(minor));
  const items = (typeof row.items === "string" ? JSON.parse(row.items) : row.items) as Row[];
  const [year, month, day] = (row.estimated_delivery_date as string).split("-").map(Number);
  return {
    order: {
      id: row.id,
      orderNumber: row.order_number,
      userId: row.user_id,
      customer: {
        email: row.customer_email,
        firstName: row.customer_first_name,
        lastName: row.customer_last_name,
        phone: row.customer_phone,
      },
      items: items.map((item) => {
        const unit = BigInt(item.unit_price_minor);
        return {
          id: item.id,
          productId: item.product_id,
          sku: item.sku,
          name: item.name,
          quantity: item.quantity,
          unitPrice: money(currency, unit),
          lineTotal: money(currency, unit * BigInt(item.quantity)),
          status: statusOf(ItemStatus, item.status),
          imageUrl: item.image_url,
        };
      }),
      shippingAddress: row.shipping_address,
      payment: {
        method: statusOf(PaymentMethodType, row.payment_method),
        status: statusOf(PaymentStatus, row.payment_status),
        display: row.payment_display,
        transactionId: row.payment_transaction_id,
        amount: amount(row.total_minor),
        failureReason: row.payment_failure_reason,
        updateTime: row.payment_updated_at ? timestampFromDate(row.payment_updated_at) : undefined,
      },
      status: statusOf(OrderStatus, row.status),
      subtotal: amount(row.subtotal_minor),
      tax: amount(row.tax_minor),
      shipping: amount(row.shipping_minor),
      total: amount(row.total_minor),
      notes: row.notes,
      trackingNumber: row.tracking_number,
      carrier: row.carrier,
      estimatedDeliveryDate: { year, month, day },
      cancelReason: row.cancel_reason,
      version: BigInt(row.version),
      createTime: timestampFromDate(row.created_at),
      updateTime: timestampFromDate(row.updated_at),
    },
  };
}

/** The next page's token as the service makes it: the keyset of the page's last order and the filters' hash. */
function pageToken(last: Row, userId: string): string {
  const filters = createHash("sha256")
    .update(JSON.stringify({ statuses: [], userId }))
    .digest("base64url")
    .slice(0, 16);
  return Buffer.from(JSON.stringify({ c: new Date(last.created_at).toISOString(), i: last.id, f: filters })).toString("base64url");
}

serveFloor({
  async getOrder(request: GetOrderRequest) {
    const { rows } = await db.query<Row>(sql, [request.orderId]);
    if (!rows[0]) throw new Error(`order ${request.orderId} not found`);
    return toResponse(rows[0]);
  },
  async listOrders(request: ListOrdersRequest) {
    // One more row than the page, to know whether there is a next one.
    const { rows } = await db.query<Row>(pageSql, [request.userId, request.pageSize + 1]);
    const page = rows.slice(0, request.pageSize);
    return {
      orders: page.map((row) => toResponse(row).order),
      nextPageToken: rows.length > request.pageSize ? pageToken(page.at(-1)!, request.userId) : "",
    };
  },
});
