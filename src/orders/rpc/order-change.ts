import { create, type DescMessage, type DescMethodUnary, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import * as pb from "../../../gen/shop/order/v1/order_pb.js";
import { withoutCardData } from "../../payments/card-data.js";
import type { Principal } from "../../platform/auth/principal.js";
import { keepVisible, viewerOf } from "../../platform/auth/visibility.js";
import type { RpcScope } from "../../platform/rpc/rpc-scope.js";
import type { OrderView } from "../domain/order.js";
import { mutateOrder, type OrderMutation } from "../mutate-order.js";
import type { OrderDeps } from "../order-deps.js";
import { assertOrderVisible } from "../store/order-queries.js";
import { ORDER_VISIBILITY } from "./order-access.js";
import { readerOf } from "./order-callers.js";
import { orderToProto } from "./order-mapper.js";
import type { ChangeTarget } from "./requests/field-rules.js";
import { sellerOrderToProto } from "./seller-view.js";

/*
 * What every RPC that changes an order shares, whichever service it is on (OrderService,
 * OrderLedgerService): the order as the caller may see it, and the idempotent, locked change.
 */

/**
 * The order as the caller may see it: narrowed to its own items for a seller, then every field the
 * visibility table (order-access.ts) does not grant the caller's role cleared.
 */
export function present(principal: Principal) {
  const { sellerId } = readerOf(principal);
  const viewer = viewerOf(principal);
  return (order: OrderView) =>
    keepVisible(
      ORDER_VISIBILITY,
      pb.OrderSchema,
      sellerId === undefined ? orderToProto(order) : sellerOrderToProto(order, sellerId),
      viewer,
    );
}

/** How a change runs: mutateOrder, or mutateFulfilment for changes that ship (their stock operations recorded first). */
export type Runner = (
  scope: RpcScope,
  deps: OrderDeps,
  target: Parameters<typeof mutateOrder>[2],
  mutation: OrderMutation,
  beforeCommit: Parameters<typeof mutateOrder>[4],
) => Promise<OrderView>;

export const withOrder = (order: OrderView, principal: Principal) => ({ order: present(principal)(order) });
export const nothing = () => ({});

/**
 * Every change to an existing order, named by its method: idempotent by request id (per RPC,
 * caller and order), then one locked, versioned transaction in which the response is recorded.
 * A stored response is replayed only while the caller may still see the order (a deleted order
 * stays visible to the retry of its own deletion).
 */
export function changeOrder<I extends DescMessage, O extends DescMessage>(
  deps: OrderDeps,
  method: DescMethodUnary<I, O>,
  request: MessageShape<I>,
  scope: RpcScope,
  command: ChangeTarget,
  mutation: OrderMutation,
  respond: (order: OrderView, principal: Principal) => MessageInitShape<O>,
  run: Runner = mutateOrder,
): Promise<MessageShape<O>> {
  const target = { ...command, ...readerOf(scope.principal) };
  const includeDeleted = method === (pb.OrderService.method.deleteOrder as DescMethodUnary);
  const call = {
    rpc: method.name,
    caller: scope.principal.userId,
    parts: [command.orderId, command.requestId],
    requestSchema: method.input,
    request: withoutCardData(method.input, request),
    responseSchema: method.output,
    beforeReplay: () => assertOrderVisible(scope.em, command.orderId, { ...target, includeDeleted }),
  };
  return deps.idempotency.run(scope, call, (record) =>
    run(scope, deps, target, mutation, (tx, changed) => record(tx, create(method.output, respond(changed, scope.principal)))),
  );
}
