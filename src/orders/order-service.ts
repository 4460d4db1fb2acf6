import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import {
  CreateOrderRequestSchema,
  CreateOrderResponseSchema,
  type OrderService,
} from "../../gen/shop/order/v1/order_pb.js";
import { idempotent } from "../idempotency/idempotency.js";
import { scopeOf } from "../platform/rpc-scope.js";
import type { OrderDeps } from "./order-deps.js";
import { orderToProto, trackingToProto } from "./order-mapper.js";
import { listOrders, parseListOrders } from "./list-orders.js";
import { getOrder, parseOrderId } from "./get-order.js";
import { parsePlaceOrder } from "./place-order-input.js";
import { placeOrder } from "./place-order.js";
import type { Order } from "./order.entity.js";

const createOrderResponse = (order: Order) => create(CreateOrderResponseSchema, { order: orderToProto(order) });

/** Thin handlers: proto in, use case, proto out. Errors are mapped by the RPC scope. */
export function orderService(deps: OrderDeps): Partial<ServiceImpl<typeof OrderService>> {
  return {
    async createOrder(request, context) {
      const scope = scopeOf(context);
      const command = parsePlaceOrder(request, deps.pricing.currency, deps.clock.now());
      const call = {
        key: `CreateOrder:${command.userId}:${command.requestId}`,
        requestSchema: CreateOrderRequestSchema,
        request,
        responseSchema: CreateOrderResponseSchema,
      };
      return idempotent(scope.em, call, scope.signal, async (record) =>
        createOrderResponse(await placeOrder(command, scope, deps, (tx, order) => record(tx, createOrderResponse(order)))),
      );
    },

    async getOrder(request, context) {
      const order = await getOrder(scopeOf(context).em, parseOrderId(request.orderId));
      return { order: orderToProto(order) };
    },

    async listOrders(request, context) {
      const page = await listOrders(scopeOf(context).em, parseListOrders(request));
      return { orders: page.orders.map(orderToProto), nextPageToken: page.nextPageToken, totalSize: page.totalSize };
    },

    async getOrderStatus(request, context) {
      const order = await getOrder(scopeOf(context).em, parseOrderId(request.orderId), { withHistory: true });
      return trackingToProto(order);
    },
  };
}
