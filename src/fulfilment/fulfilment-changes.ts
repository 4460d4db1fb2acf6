import { FailedPreconditionError, NotFoundError, VersionConflictError } from "../platform/errors/domain-errors.js";
import { newId } from "../platform/clock.js";
import type { FulfilmentOrder } from "./domain/fulfilment-order.js";
import { FulfilmentStatusForbidsError, isAllowedIn } from "./domain/fulfilment-status.js";
import type { FulfilmentContext, FulfilmentMutation } from "./mutate-fulfilment.js";
import type {
  HoldCommand,
  MergeCommand,
  MoveCommand,
  ReleaseCommand,
  ScheduleCommand,
  ShipCommand,
  ShipmentStatusCommand,
  SplitCommand,
  TrackingCommand,
} from "./rpc/requests/fulfilment-requests.js";

/*
 * FulfillmentService's changes, each a FulfilmentMutation run under the order's lock
 * (mutate-fulfilment.ts). A seller names only its own fulfilment orders and shipments: another
 * seller's are NOT_FOUND, before anything moves. Each fills `touched` with the fulfilment orders
 * its answer shows, read after they are stored.
 */

/** Who acts: a seller narrows what exists to its own work; staff see all. */
export interface Actor {
  readonly sellerId?: string;
}

export type Touched = FulfilmentOrder[];

/** Every change of the order's fulfilment orders may make one more, never more than this. */
export const MAX_FULFILMENT_ORDERS = 50;
/** Shipments over all of an order's fulfilment orders: ListShipments answers them all at once. */
export const MAX_ORDER_SHIPMENTS = 100;

export function pick(orders: readonly FulfilmentOrder[], id: string, actor: Actor, expectedVersion?: number): FulfilmentOrder {
  const found = orders.find((order) => order.id === id);
  if (!found || (actor.sellerId !== undefined && found.view.sellerId !== actor.sellerId)) throw new NotFoundError("fulfillment order", id);
  const { version } = found.view;
  if (expectedVersion !== undefined && expectedVersion !== version) {
    throw new VersionConflictError("fulfillment order", id, BigInt(expectedVersion), BigInt(version));
  }
  return found;
}

/** The fulfilment order holding the shipment, checked as `pick` checks it. */
export function pickByShipment(orders: readonly FulfilmentOrder[], shipmentId: string, actor: Actor, expectedVersion?: number) {
  const found = orders.find((order) => order.view.shipments.some((shipment) => shipment.id === shipmentId));
  if (!found || (actor.sellerId !== undefined && found.view.sellerId !== actor.sellerId)) throw new NotFoundError("shipment", shipmentId);
  return pick(orders, found.id, actor, expectedVersion);
}

function addNew(context: FulfilmentContext, made: FulfilmentOrder): void {
  if (context.orders.length >= MAX_FULFILMENT_ORDERS) {
    throw new FailedPreconditionError(
      "TOO_MANY_FULFILLMENT_ORDERS",
      `an order has at most ${MAX_FULFILMENT_ORDERS} fulfillment orders; merge some first`,
    );
  }
  context.orders.push(made);
}

export const hold =
  (command: HoldCommand, actor: Actor, touched: Touched): FulfilmentMutation =>
  (_order, context) => {
    const fulfilment = pick(context.orders, command.fulfillmentOrderId, actor, command.expectedVersion);
    const part = command.lines.size ? { lines: command.lines, newId: newId(), newLineId: newId } : undefined;
    const { reason, note, handle } = command;
    const held = fulfilment.hold({ id: newId(), reason, note, ...(handle ? { handle } : {}) }, context.by, part);
    if (held !== fulfilment) addNew(context, held);
    touched.push(held, ...(held !== fulfilment ? [fulfilment] : []));
  };

export const release =
  (command: ReleaseCommand, actor: Actor, touched: Touched): FulfilmentMutation =>
  (_order, context) => {
    const fulfilment = pick(context.orders, command.fulfillmentOrderId, actor, command.expectedVersion);
    fulfilment.release(command.handles, context.by);
    touched.push(fulfilment);
  };

export const split =
  (command: SplitCommand, actor: Actor, touched: Touched): FulfilmentMutation =>
  (_order, context) => {
    const fulfilment = pick(context.orders, command.fulfillmentOrderId, actor, command.expectedVersion);
    const made = fulfilment.split(command.lines, newId(), newId, context.by);
    addNew(context, made);
    touched.push(fulfilment, made);
  };

export const merge =
  (command: MergeCommand, actor: Actor, touched: Touched): FulfilmentMutation =>
  (_order, context) => {
    const fulfilment = pick(context.orders, command.fulfillmentOrderId, actor, command.expectedVersion);
    // This one's state first: one that may not merge says so before the other is looked for.
    if (!isAllowedIn(fulfilment.status, "merge")) throw new FulfilmentStatusForbidsError(fulfilment.id, fulfilment.status, "merge");
    fulfilment.merge(pick(context.orders, command.otherFulfillmentOrderId, actor), context.by);
    touched.push(fulfilment);
  };

export const move =
  (command: MoveCommand, actor: Actor, touched: Touched): FulfilmentMutation =>
  async (_order, context) => {
    const fulfilment = pick(context.orders, command.fulfillmentOrderId, actor, command.expectedVersion);
    const locations = await context.deps.inventory.locations(fulfilment.view.sellerId, context.signal);
    if (!locations.some((location) => location.id === command.locationId)) throw new NotFoundError("location", command.locationId);
    context.stock(fulfilment.moveTo(command.locationId, context.by));
    touched.push(fulfilment);
  };

export const schedule =
  (command: ScheduleCommand, actor: Actor, touched: Touched): FulfilmentMutation =>
  (_order, context) => {
    const fulfilment = pick(context.orders, command.fulfillmentOrderId, actor, command.expectedVersion);
    fulfilment.schedule(command.fulfillAt, context.by);
    touched.push(fulfilment);
  };

/** A shipment of the named line quantities, or of everything remaining; `shipmentId` is set to the new shipment's. */
export const ship =
  (command: ShipCommand, actor: Actor, touched: Touched, made: { shipmentId?: string }): FulfilmentMutation =>
  (order, context) => {
    const fulfilment = pick(context.orders, command.fulfillmentOrderId, actor, command.expectedVersion);
    order.checkShippable();
    const shipments = context.orders.reduce((sum, each) => sum + each.view.shipments.length, 0);
    if (shipments >= MAX_ORDER_SHIPMENTS) {
      throw new FailedPreconditionError("TOO_MANY_SHIPMENTS", `an order has at most ${MAX_ORDER_SHIPMENTS} shipments`);
    }
    const lines = command.lines.size
      ? command.lines
      : new Map(fulfilment.view.lines.filter((line) => line.remaining > 0).map((line) => [line.id, line.remaining]));
    made.shipmentId = newId();
    const { carrier, trackingNumber, trackingUrl, handedOver } = command;
    context.stock(fulfilment.ship({ id: made.shipmentId, lines, carrier, trackingNumber, trackingUrl, handedOver }, context.by));
    touched.push(fulfilment);
  };

export const moveShipment =
  (command: ShipmentStatusCommand, actor: Actor, touched: Touched): FulfilmentMutation =>
  (_order, context) => {
    const fulfilment = pickByShipment(context.orders, command.shipmentId, actor, command.expectedVersion);
    context.stock(fulfilment.moveShipment(command.shipmentId, command.status, command.reason, context.by));
    touched.push(fulfilment);
  };

export const correctTracking =
  (command: TrackingCommand, actor: Actor, touched: Touched): FulfilmentMutation =>
  (_order, context) => {
    const fulfilment = pickByShipment(context.orders, command.shipmentId, actor, command.expectedVersion);
    const { carrier, trackingNumber, trackingUrl } = command;
    fulfilment.correctTracking(command.shipmentId, { carrier, trackingNumber, trackingUrl }, context.by);
    touched.push(fulfilment);
  };
