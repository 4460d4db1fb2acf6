import type { ServiceImpl } from "@connectrpc/connect";
import type { OrderService } from "../../gen/shop/order/v1/order_pb.js";
import { scopeOf } from "../platform/rpc-scope.js";
import type { OrderDeps } from "./order-deps.js";
import { orderToProto } from "./order-mapper.js";
import { getOrder, parseOrderId } from "./get-order.js";
import { parsePlaceOrder } from "./place-order-input.js";
import { placeOrder } from "./place-order.js";

/** Thin handlers: proto in, use case, proto out. Errors are mapped by the RPC scope. */
export function orderService(deps: OrderDeps): Partial<ServiceImpl<typeof OrderService>> {
  return {
    async createOrder(request, context) {
      const command = parsePlaceOrder(request, deps.pricing.currency, deps.clock.now());
      const order = await placeOrder(command, scopeOf(context), deps);
      return { order: orderToProto(order) };
    },

    async getOrder(request, context) {
      const order = await getOrder(scopeOf(context).em, parseOrderId(request.orderId));
      return { order: orderToProto(order) };
    },
  };
}
