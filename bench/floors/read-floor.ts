/**
 * The read floor: GetOrder as bare as Node does it with the libraries the service uses
 * underneath. The same statement as the service's (taken from order-repository once, at start)
 * sent with `pg`, the row turned into the same GetOrderResponse with protobuf-es, served by
 * @grpc/grpc-js; no auth, logging, metrics, tracing, validation or ORM on the call's path.
 *
 *   node dist/bench/floors/read-floor.js <DATABASE_URL>     prints its port
 */
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { pino } from "pino";
import { ItemStatus, OrderStatus, PaymentMethodType, PaymentStatus, type GetOrderRequest } from "../../gen/shop/order/v1/order_pb.js";
import { openOrm } from "../../src/db/orm.js";
import { selectOrders } from "../../src/orders/store/order-queries.js";
import { money, pool, serveFloor } from "./floor-server.js";

const url = process.argv[2]!;
const orm = await openOrm({ url, poolMax: 1, log: pino({ level: "warn" }) });
let n = 0;
const sql = `${selectOrders(orm.em.fork(), false)} where o.id = ? and o.deleted_at is null`.replace(/\?/g, () => `$${++n}`);
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

serveFloor({
  async getOrder(request: GetOrderRequest) {
    const { rows } = await db.query<Row>(sql, [request.orderId]);
    if (!rows[0]) throw new Error(`order ${request.orderId} not found`);
    return toResponse(rows[0]);
  },
});
