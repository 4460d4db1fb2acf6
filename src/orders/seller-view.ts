import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { MoneySchema } from "../../gen/shop/money/v1/money_pb.js";
import { CustomerSchema, OrderSchema } from "../../gen/shop/order/v1/order_pb.js";
import { sum } from "../money/money.js";
import { lineTotal, storedLine } from "../money/totals.js";
import { toMoneyProto } from "../money/money-proto.js";
import { orderToProto } from "./order-mapper.js";
import type { OrderView } from "./order.js";

/** The order narrowed to one seller's items; the rest of it as stored. */
export function sellerItems(order: OrderView, sellerId: string): OrderView {
  return { ...order, items: order.items.filter((item) => item.sellerId === sellerId) };
}

/**
 * What a seller sees of an order: its own items, and what shipping them takes (the customer's
 * name and phone, the address, the notes). Never the payment, the customer's email or user id,
 * the order's totals or other sellers' lines; `subtotal` is the sum of the seller's own lines.
 */
export function sellerOrderToProto(order: OrderView, sellerId: string): MessageInitShape<typeof OrderSchema> {
  const own = sellerItems(order, sellerId);
  const shown = create(OrderSchema, orderToProto(own));
  const subtotal = sum(
    order.currency,
    own.items.map((item) => lineTotal(storedLine(order.currency, item))),
  );
  shown.userId = "";
  shown.customer = create(CustomerSchema, {
    firstName: order.customerFirstName,
    lastName: order.customerLastName,
    phone: order.customerPhone,
  });
  shown.payment = undefined;
  shown.subtotal = create(MoneySchema, toMoneyProto(subtotal));
  shown.tax = shown.shipping = shown.total = undefined;
  return shown;
}
