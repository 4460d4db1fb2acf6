import { create, type DescMessage, type DescMethodUnary, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import * as pb from "../../../gen/shop/order/v1/fulfillment_pb.js";
import type { OrderDeps } from "../../orders/order-deps.js";
import { readerOf } from "../../orders/rpc/order-callers.js";
import { assertOrderVisible } from "../../orders/store/order-queries.js";
import type { Principal } from "../../platform/auth/principal.js";
import { keepVisible, viewerOf } from "../../platform/auth/visibility.js";
import type { ScopedImpl } from "../../platform/rpc/rpc-chain.js";
import type { RpcScope } from "../../platform/rpc/rpc-scope.js";
import type { FulfilmentOrder } from "../domain/fulfilment-order.js";
import * as changes from "../fulfilment-changes.js";
import { listFulfilment } from "../list-fulfilment.js";
import { mutateFulfilment, type FulfilmentMutation } from "../mutate-fulfilment.js";
import { findShipments, orderOfFulfilment, orderOfShipment } from "../store/fulfilment-queries.js";
import { FULFILLMENT_VISIBILITY } from "./fulfilment-access.js";
import { fulfilmentToProto, shipmentToProto } from "./fulfilment-mapper.js";
import * as parse from "./requests/fulfilment-requests.js";

/** The seller a caller acts as: its own work only; staff act on all. */
function actorOf(principal: Principal): changes.Actor {
  const { sellerId } = readerOf(principal);
  return sellerId === undefined ? {} : { sellerId };
}

/**
 * Thin handlers: proto in, use case, proto out. Who may call each is FULFILLMENT_ACCESS, checked by
 * the call chain; every answer is cleared of what FULFILLMENT_VISIBILITY does not grant the caller.
 */
export function fulfilmentService(deps: OrderDeps): ScopedImpl<typeof pb.FulfillmentService> {
  const shown = <D extends DescMessage>(desc: D, message: MessageInitShape<D>, principal: Principal): MessageShape<D> =>
    keepVisible(FULFILLMENT_VISIBILITY, desc, create(desc, message), viewerOf(principal));
  const fo = (order: FulfilmentOrder | undefined) => order && fulfilmentToProto(order.view);

  /**
   * A change, named by its method: idempotent by request id (per RPC, caller and the fulfilment
   * order or shipment it names), then one locked transaction of the order (mutate-fulfilment.ts)
   * in which the answer is recorded. `orderOf` finds the order, NOT_FOUND for another seller's.
   */
  function change<
    I extends DescMessage,
    O extends DescMessage,
    C extends { requestId: string; fulfillmentOrderId?: string; shipmentId?: string },
  >(
    method: DescMethodUnary<I, O>,
    request: MessageShape<I>,
    scope: RpcScope,
    command: C,
    use: (command: C, actor: changes.Actor, touched: changes.Touched) => FulfilmentMutation,
    respond: (touched: changes.Touched) => MessageInitShape<O>,
  ): Promise<MessageShape<O>> {
    const actor = actorOf(scope.principal);
    const named = command.fulfillmentOrderId ?? command.shipmentId!;
    const orderOf = () =>
      command.fulfillmentOrderId
        ? orderOfFulfilment(scope.em, command.fulfillmentOrderId, actor.sellerId)
        : orderOfShipment(scope.em, command.shipmentId!, actor.sellerId);
    const call = {
      rpc: method.name,
      caller: scope.principal.userId,
      parts: [named, command.requestId],
      requestSchema: method.input,
      request,
      responseSchema: method.output,
      beforeReplay: () => orderOf().then(() => undefined),
    };
    return deps.idempotency.run(scope, call, async (record) => {
      const orderId = await orderOf();
      const touched: changes.Touched = [];
      await mutateFulfilment(scope, deps, { orderId, ...readerOf(scope.principal) }, use(command, actor, touched), (tx) =>
        record(tx, shown(method.output, respond(touched), scope.principal)),
      );
    });
  }

  return {
    async listFulfillmentOrders(request, scope) {
      const query = parse.parseListFulfilment(request);
      const { sellerId } = actorOf(scope.principal);
      if (query.orderId) await assertOrderVisible(scope.em, query.orderId, readerOf(scope.principal));
      const page = await listFulfilment(scope.em, { ...query, ...(sellerId === undefined ? {} : { sellerId }) });
      return shown(
        pb.ListFulfillmentOrdersResponseSchema,
        { fulfillmentOrders: page.orders.map(fulfilmentToProto), nextPageToken: page.nextPageToken },
        scope.principal,
      );
    },

    async holdFulfillmentOrder(request, scope) {
      return change(
        pb.FulfillmentService.method.holdFulfillmentOrder,
        request,
        scope,
        parse.parseHold(request),
        changes.hold,
        ([held, remainder]) => ({ held: fo(held), remainder: fo(remainder) }),
      );
    },

    async releaseFulfillmentOrder(request, scope) {
      return change(
        pb.FulfillmentService.method.releaseFulfillmentOrder,
        request,
        scope,
        parse.parseRelease(request),
        changes.release,
        ([released]) => ({ fulfillmentOrder: fo(released) }),
      );
    },

    async splitFulfillmentOrder(request, scope) {
      return change(
        pb.FulfillmentService.method.splitFulfillmentOrder,
        request,
        scope,
        parse.parseSplit(request),
        changes.split,
        ([remainder, split]) => ({ remainder: fo(remainder), split: fo(split) }),
      );
    },

    async mergeFulfillmentOrders(request, scope) {
      return change(
        pb.FulfillmentService.method.mergeFulfillmentOrders,
        request,
        scope,
        parse.parseMerge(request),
        changes.merge,
        ([merged]) => ({ fulfillmentOrder: fo(merged) }),
      );
    },

    async moveFulfillmentOrder(request, scope) {
      return change(
        pb.FulfillmentService.method.moveFulfillmentOrder,
        request,
        scope,
        parse.parseMove(request),
        changes.move,
        ([moved]) => ({ fulfillmentOrder: fo(moved) }),
      );
    },

    async scheduleFulfillmentOrder(request, scope) {
      return change(
        pb.FulfillmentService.method.scheduleFulfillmentOrder,
        request,
        scope,
        parse.parseSchedule(request),
        changes.schedule,
        ([scheduled]) => ({ fulfillmentOrder: fo(scheduled) }),
      );
    },

    async createShipment(request, scope) {
      const made: { shipmentId?: string } = {};
      const use = (command: parse.ShipCommand, actor: changes.Actor, touched: changes.Touched) =>
        changes.ship(command, actor, touched, made);
      return change(pb.FulfillmentService.method.createShipment, request, scope, parse.parseShip(request), use, ([shipped]) => ({
        shipment: shipmentOf(shipped, made.shipmentId),
        fulfillmentOrder: fo(shipped),
      }));
    },

    async updateShipmentStatus(request, scope) {
      const command = parse.parseShipmentStatus(request);
      return change(pb.FulfillmentService.method.updateShipmentStatus, request, scope, command, changes.moveShipment, ([moved]) => ({
        shipment: shipmentOf(moved, command.shipmentId),
        fulfillmentOrder: fo(moved),
      }));
    },

    async updateShipmentTracking(request, scope) {
      const command = parse.parseTracking(request);
      return change(
        pb.FulfillmentService.method.updateShipmentTracking,
        request,
        scope,
        command,
        changes.correctTracking,
        ([corrected]) => ({ shipment: shipmentOf(corrected, command.shipmentId) }),
      );
    },

    async listShipments(request, scope) {
      const orderId = parse.parseListShipments(request);
      await assertOrderVisible(scope.em, orderId, readerOf(scope.principal));
      const { sellerId } = actorOf(scope.principal);
      const shipments = await findShipments(scope.em, orderId, sellerId);
      return shown(
        pb.ListShipmentsResponseSchema,
        { shipments: shipments.map((shipment) => shipmentToProto(shipment, shipment)) },
        scope.principal,
      );
    },
  };
}

function shipmentOf(order: FulfilmentOrder | undefined, shipmentId: string | undefined) {
  const shipment = order?.view.shipments.find((candidate) => candidate.id === shipmentId);
  const view = order?.view;
  return shipment && view
    ? shipmentToProto(shipment, { orderId: view.orderId, fulfillmentOrderId: view.id, sellerId: view.sellerId })
    : undefined;
}
