import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { MoneySchema } from "../../../gen/shop/money/v1/money_pb.js";
import { OrderSchema } from "../../../gen/shop/order/v1/order_pb.js";
import { sum } from "../../money/money.js";
import { lineTotal, storedLine } from "../../money/totals.js";
import { toMoneyProto } from "../../money/money-proto.js";
import { orderToProto } from "./order-mapper.js";
import type { OrderView } from "../domain/order.js";

/** The order narrowed to one seller's items; the rest of it as stored. */
export function sellerItems(order: OrderView, sellerId: string): OrderView {
  return { ...order, items: order.items.filter((item) => item.sellerId === sellerId) };
}

/**
 * An order narrowed to one seller: its own lines, and `subtotal` the sum of them. Which other
 * fields a seller is sent (the customer's name and phone, the address, no payment or totals) is
 * the visibility table's (order-access.ts), applied after this.
 */
export function sellerOrderToProto(order: OrderView, sellerId: string): MessageInitShape<typeof OrderSchema> {
  const own = sellerItems(order, sellerId);
  const subtotal = sum(
    order.currency,
    own.items.map((item) => lineTotal(storedLine(order.currency, item))),
  );
  const shown = create(OrderSchema, orderToProto(own));
  shown.subtotal = create(MoneySchema, toMoneyProto(subtotal));
  return shown;
}
