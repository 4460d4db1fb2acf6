import type { StockLine } from "../../catalog/catalog-ports.js";
import { lineKey } from "../../catalog/sellable.js";
import { money, type Money } from "../../money/money.js";
import { computeTotals, storedLine, type PricingPolicy, type Totals } from "../../money/totals.js";
import type { PaymentMethod } from "../../payments/payment-method.js";
import { AlreadyExistsError, FailedPreconditionError, InvalidArgumentError, NotFoundError } from "../../platform/errors/domain-errors.js";
import type { LedgerEntryFields } from "../../ledger/domain/ledger-data.js";
import {
  amountRefund,
  balanceOf,
  balancePlan,
  splitBreakdown,
  unitsRefundPlan,
  wholeOrderRefund,
  type RefundPlan,
} from "../../ledger/domain/ledger.js";
import { addTo, captureParts, EMPTY_TRAIL, openMinor, openOf, refundParts } from "../../ledger/domain/payment-trail.js";
import { lineTaxes, unitsRefund } from "../../money/refunds.js";
import { newId } from "../../platform/clock.js";
import type { AuditStamp } from "./audit-stamp.js";
import { isFinalItem, transitionItem, type ItemStatus } from "./item-status.js";
import type { OrderFields, OrderItemFields, StatusChangeFields } from "./order-data.js";
import { canTransition, isAllowed, StatusForbidsError, transition, type OrderAction, type OrderStatus } from "./order-status.js";

export type OrderItemView = Readonly<OrderItemFields>;
export type StatusChangeView = Readonly<StatusChangeFields>;
/** An order as readers see it; `history` only where it was read. */
export type OrderView = Readonly<OrderFields> & {
  readonly items: readonly OrderItemView[];
  readonly history?: readonly StatusChangeView[];
};

/** What a change needs done outside the order, in this order; the use case does it. */
export type Effect =
  | { readonly kind: "release stock"; readonly reservationId: string }
  /** `previous` is set again if the change does not commit. */
  | { readonly kind: "adjust stock"; readonly reservationId: string; readonly lines: StockLine[]; readonly previous: StockLine[] }
  /** `entryId` is the ledger row that records it; the Payment service's refund id goes into it (`refundIssued`). */
  | {
      readonly kind: "refund payment";
      readonly orderId: string;
      readonly transactionId: string;
      readonly amount: Money;
      readonly idempotencyKey: string;
      readonly entryId: string;
    }
  /** `entryId` is the CAPTURE row; the transaction id goes into it (`captureTaken`). Undone by a refund if the change does not commit. */
  | {
      readonly kind: "capture payment";
      readonly authorizationId: string;
      readonly amount: Money;
      readonly idempotencyKey: string;
      readonly entryId: string;
    }
  | { readonly kind: "void authorization"; readonly authorizationId: string; readonly amount: Money; readonly idempotencyKey: string };

/** What happened to the order, in its own terms; the outbox adapter writes them as shop.order.events.v1. */
export type OrderEvent =
  | { readonly type: "OrderCreated" }
  | { readonly type: "OrderItemCreated"; readonly itemId: string }
  | { readonly type: "OrderStatusChanged"; readonly from: OrderStatus; readonly to: OrderStatus; readonly reason: string }
  | { readonly type: "OrderShipped"; readonly trackingNumber: string; readonly carrier: string }
  | { readonly type: "OrderDelivered" }
  | { readonly type: "OrderCompleted" }
  | { readonly type: "OrderCancelled"; readonly reason: string; readonly refunded: boolean }
  | { readonly type: "OrderRefunded"; readonly reason: string; readonly amount: Money }
  | { readonly type: "OrderPaid"; readonly amount: Money }
  | { readonly type: "PaymentCaptured"; readonly amount: Money; readonly transactionId: string }
  /** Held more (a difference authorized) or less (what was not captured, released); `held` is what is held now. */
  | { readonly type: "AuthorizationAdjusted"; readonly change: Money; readonly held: Money; readonly reason: string }
  | { readonly type: "RefundIssued"; readonly refund: RefundPlan; readonly reason: string }
  | { readonly type: "OrderPaymentFailed"; readonly declineCode: string }
  | { readonly type: "OrderItemsChanged"; readonly totals: Totals }
  | { readonly type: "OrderItemStatusChanged"; readonly itemId: string; readonly from: ItemStatus; readonly to: ItemStatus }
  | { readonly type: "OrderUpdated"; readonly changedFields: string[] }
  | { readonly type: "OrderDeleted"; readonly reason: string };

/** Units of each item handed to a carrier and delivered, over every shipment of the order (fulfilment/fulfilment-progress.ts). */
export type ItemProgress = ReadonlyMap<string, { readonly shipped: number; readonly delivered: number }>;

/** Some units of a live item are with a carrier while the order has not shipped as a whole. */
export function partiallyShipped(order: Pick<OrderView, "status" | "items">): boolean {
  return (
    (order.status === "PROCESSING" || order.status === "PAID" || order.status === "CONFIRMED") &&
    order.items.some((item) => item.status !== "CANCELLED" && item.shippedQuantity > 0)
  );
}

/**
 * Parcels wait for money (an AWAITING_PAYMENT hold): a card order nothing was paid for yet, or any
 * order paid before that an edit or an exchange made cost more than is captured or held.
 */
export function awaitsPayment(order: OrderView): boolean {
  const unpaid = order.paymentStatus === "PENDING" || order.paymentStatus === "FAILED";
  return unpaid ? order.paymentMethod === "CARD" : balanceOf(order).dueMinor > 0n;
}

/** A line priced from the catalog, frozen into the order. */
export interface NewItem {
  readonly id: string;
  readonly productId: string;
  readonly sku: string;
  readonly name: string;
  readonly imageUrl: string;
  readonly quantity: number;
  readonly unitPrice: Money;
  readonly sellerId: string;
  /** '' for products without variants; sku is then the product's. */
  readonly variantId: string;
  readonly variantAttributes: Readonly<Record<string, string>>;
}

export interface NewOrder {
  readonly id: string;
  readonly orderNumber: string;
  readonly userId: string;
  readonly customer: { readonly email: string; readonly firstName: string; readonly lastName: string; readonly phone: string };
  readonly shippingAddress: OrderFields["shippingAddress"];
  readonly payment: PaymentMethod;
  readonly currency: string;
  readonly notes: string;
  readonly estimatedDeliveryDate: string;
  readonly items: readonly NewItem[];
}

export interface DetailsUpdate {
  readonly notes?: string;
  readonly trackingNumber?: string;
  readonly carrier?: string;
  readonly shippingAddress?: OrderFields["shippingAddress"];
}

/** An order's ledger holds at most this many rows: payment attempts and refunds end there. */
export const MAX_LEDGER_ENTRIES = 200;

/** What PayOrder got from the Payment service, to be recorded: an authorization, and its capture unless CAPTURE_ON=shipment. */
export interface AuthorizedPayment {
  readonly authorizationId: string;
  readonly authorizeKey: string;
  readonly amount: Money;
  readonly capture?: { readonly transactionId: string; readonly captureKey: string };
}

/** An order holds at most this many lines, */
export const MAX_ITEMS = 50;
/** of at most this many units each. */
export const MAX_QUANTITY = 999;

/**
 * The order aggregate: its methods are the only way an order changes. Each checks its guards
 * against the status table (order-status.ts), records what happened as events and status
 * history, and returns what must be done outside (stock, money) instead of doing it.
 */
export class Order {
  readonly #data: OrderFields;
  readonly #items: OrderItemFields[];
  readonly #history: StatusChangeView[];
  readonly #changes: StatusChangeView[] = [];
  readonly #events: OrderEvent[] = [];
  readonly #entries: LedgerEntryFields[] = [];
  #removed: string[] = [];

  private constructor(view: OrderView) {
    const { items, history, ...data } = view;
    this.#data = { ...data };
    this.#items = items.map((item) => ({ ...item }));
    this.#history = [...(history ?? [])];
  }

  /** A new order, PENDING, priced with `pricing`; its first history entry is "placed". */
  static place(order: NewOrder, pricing: PricingPolicy, by: AuditStamp): Order {
    const totals = computeTotals(
      order.items.map((item) => ({ unitPrice: item.unitPrice, quantity: item.quantity })),
      pricing,
    );
    const placed = new Order({
      id: order.id,
      orderNumber: order.orderNumber,
      userId: order.userId,
      customerEmail: order.customer.email,
      customerFirstName: order.customer.firstName,
      customerLastName: order.customer.lastName,
      customerPhone: order.customer.phone,
      shippingAddress: order.shippingAddress,
      status: "PENDING",
      paymentMethod: order.payment.type,
      paymentDisplay: order.payment.display,
      paymentStatus: "PENDING",
      paymentTransactionId: "",
      paymentFailureReason: "",
      paymentUpdatedAt: null,
      currency: order.currency,
      ...totalsFields(totals),
      authorizedMinor: 0n,
      capturedMinor: 0n,
      refundedMinor: 0n,
      creditedMinor: 0n,
      refundedShippingMinor: 0n,
      refundedTaxMinor: 0n,
      voidedMinor: 0n,
      paymentTrail: EMPTY_TRAIL,
      ledgerEntries: 0,
      notes: order.notes,
      trackingNumber: "",
      carrier: "",
      estimatedDeliveryDate: order.estimatedDeliveryDate,
      cancelReason: "",
      reservationId: order.id,
      version: 1,
      createdAt: by.at,
      updatedAt: by.at,
      deletedAt: null,
      items: withTaxes(
        order.items.map((item, position) => ({ ...itemFields(item), position })),
        totals.tax.amountMinor,
      ),
    });
    placed.#changes.push({ fromStatus: null, toStatus: "PENDING", changedAt: by.at, actor: by.actor, reason: "placed" });
    placed.#events.push({ type: "OrderCreated" }, ...order.items.map((item) => ({ type: "OrderItemCreated" as const, itemId: item.id })));
    return placed;
  }

  /** An order as it was stored. */
  static restore(view: OrderView): Order {
    return new Order(view);
  }

  get id(): string {
    return this.#data.id;
  }

  get status(): OrderStatus {
    return this.#data.status;
  }

  /** The order now, read-only: for responses, events and the repository. */
  get view(): OrderView {
    return { ...this.#data, items: this.#items.map((item) => ({ ...item })), history: [...this.#history, ...this.#changes] };
  }

  /** What happened since it was placed or restored, each once: the repository writes them with the order. */
  takeEvents(): {
    readonly events: OrderEvent[];
    readonly statusChanges: StatusChangeView[];
    readonly removedItemIds: string[];
    readonly ledgerEntries: LedgerEntryFields[];
  } {
    const taken = {
      events: this.#events.splice(0),
      statusChanges: this.#changes.splice(0),
      removedItemIds: this.#removed,
      ledgerEntries: this.#entries.splice(0),
    };
    this.#history.push(...taken.statusChanges);
    this.#removed = [];
    return taken;
  }

  /** The repository's word that the change is stored: the new version, and when. */
  stored(version: number, at: Date): void {
    this.#data.version = version;
    this.#data.updatedAt = at;
  }

  update(update: DetailsUpdate): void {
    const changed: string[] = [];
    if (update.shippingAddress) {
      this.#require("change the shipping address");
      if (JSON.stringify(this.#data.shippingAddress) !== JSON.stringify(update.shippingAddress)) changed.push("shipping_address");
      this.#data.shippingAddress = update.shippingAddress;
    }
    if (update.trackingNumber !== undefined || update.carrier !== undefined) {
      this.#require("change tracking");
      if (update.trackingNumber === "" && (this.status === "SHIPPED" || this.status === "DELIVERED")) {
        throw new FailedPreconditionError(
          "TRACKING_REQUIRED",
          "a shipped order keeps its tracking number; send a new one instead of clearing it",
        );
      }
    }
    for (const [field, key] of [
      ["tracking_number", "trackingNumber"],
      ["carrier", "carrier"],
      ["notes", "notes"],
    ] as const) {
      const value = update[key];
      if (value === undefined || value === this.#data[key]) continue;
      this.#data[key] = value;
      changed.push(field);
    }
    if (changed.length) this.#events.push({ type: "OrderUpdated", changedFields: changed });
  }

  /** A move that needs nothing besides itself (to CONFIRMED or PROCESSING); the table decides whether it is legal. */
  advance(to: "PENDING" | "CONFIRMED" | "PROCESSING", reason: string, by: AuditStamp): void {
    this.#moveTo(to, reason, by);
    if (to === "PROCESSING") this.#moveItems(["PENDING"], "PROCESSING");
  }

  /** SHIPPED needs a tracking number, given now or earlier. Its stock is committed by the shipment that carries it (fulfilment). */
  ship(shipment: { trackingNumber: string; carrier: string }, reason: string, by: AuditStamp): void {
    const trackingNumber = shipment.trackingNumber || this.#data.trackingNumber;
    if (!trackingNumber)
      throw new InvalidArgumentError([{ field: "tracking_number", description: "is required to ship an order that has none" }]);
    this.#moveTo("SHIPPED", reason, by);
    this.#data.trackingNumber = trackingNumber;
    this.#data.carrier = shipment.carrier || this.#data.carrier;
    this.#moveItems(["PENDING", "PROCESSING"], "SHIPPED");
    this.#events.push({ type: "OrderShipped", trackingNumber, carrier: this.#data.carrier });
  }

  deliver(reason: string, by: AuditStamp): void {
    this.#moveTo("DELIVERED", reason, by);
    this.#moveItems(["SHIPPED"], "DELIVERED");
    this.#events.push({ type: "OrderDelivered" });
    if (this.#items.every((item) => isFinalItem(item.status))) this.#events.push({ type: "OrderCompleted" });
  }

  /** Before shipping only (the table says so): the reservation is released and a captured payment refunded. */
  cancel(reason: string, by: AuditStamp): Effect[] {
    this.#moveTo("CANCELLED", reason, by);
    const refund = this.#refundCaptured(reason, by);
    const released = this.#voidOpen("the order was cancelled", by);
    this.#moveItems(["PENDING", "PROCESSING"], "CANCELLED");
    this.#data.cancelReason = reason;
    this.#events.push({ type: "OrderCancelled", reason, refunded: refund.length > 0 });
    return [...refund, ...released, { kind: "release stock", reservationId: this.#data.reservationId }];
  }

  /** Gives the captured payment back; goods not yet shipped go back to stock, shipped ones come back through returns. */
  refund(reason: string, by: AuditStamp): Effect[] {
    const stockHeld = isAllowed(this.status, "hold stock");
    this.#moveTo("REFUNDED", reason, by);
    const { paymentStatus } = this.#data;
    if (paymentStatus !== "CAPTURED" && paymentStatus !== "AUTHORIZED") {
      throw new FailedPreconditionError(
        "NOTHING_TO_REFUND",
        `the payment is ${paymentStatus}, nothing was captured; cancel the order instead`,
        [{ type: "PAYMENT", subject: `orders/${this.id}`, description: `payment is ${paymentStatus}` }],
      );
    }
    const amount = money(this.#data.currency, this.#data.capturedMinor - this.#data.refundedMinor);
    const effects = [...this.#refundCaptured(reason, by), ...this.#voidOpen("the order was refunded", by)];
    if (stockHeld) effects.push({ kind: "release stock", reservationId: this.#data.reservationId });
    this.#moveItems(["PENDING", "PROCESSING"], "CANCELLED");
    this.#events.push({ type: "OrderRefunded", reason, amount });
    return effects;
  }

  get total(): Money {
    return money(this.#data.currency, this.#data.totalMinor);
  }

  /** Card tokens are single use and never stored, so paying by card needs a new token; other methods reuse what was given at placement. */
  paymentMethod(given: PaymentMethod | undefined): PaymentMethod {
    if (given) return given;
    if (this.#data.paymentMethod === "CARD") {
      throw new InvalidArgumentError([
        { field: "payment_method", description: "a card payment needs a new payment_token: tokens are single use and never stored" },
      ]);
    }
    return { type: this.#data.paymentMethod, display: this.#data.paymentDisplay };
  }

  /** Throws unless the order can be paid with `method` now; checked before the Payment service is asked. */
  checkPayable(method: PaymentMethod): void {
    if (!isAllowed(this.status, "pay")) throw new FailedPreconditionError("ORDER_CLOSED", `the order is ${this.status} and cannot be paid`);
    if (this.#dueMinor <= 0n) {
      throw new FailedPreconditionError("ALREADY_PAID", `the payment is already ${this.#data.paymentStatus} and covers the order`);
    }
    if (method.type === "CARD" && !method.token) {
      throw new InvalidArgumentError([
        { field: "payment_method.card.payment_token", description: "is required to pay by card: tokens are single use and never stored" },
      ]);
    }
  }

  /** What PayOrder asks for: what the order costs now less what is captured (net) or held by an authorization. */
  get amountDue(): Money {
    return money(this.#data.currency, this.#dueMinor);
  }

  /** A declined attempt is kept: a FAILED authorization in the ledger, and payment FAILED with its reason unless an earlier one stands. */
  paymentDeclined(method: PaymentMethod, declineCode: string, attempt: { idempotencyKey: string; amount: Money }, by: AuditStamp): void {
    this.checkPayable(method);
    this.#checkLedgerRoom(1);
    this.#setPaymentMethod(method, by);
    if (this.#data.paymentStatus === "PENDING" || this.#data.paymentStatus === "FAILED") this.#data.paymentStatus = "FAILED";
    this.#data.paymentFailureReason = declineCode;
    const { idempotencyKey, amount } = attempt;
    this.#record({ kind: "AUTHORIZATION", state: "FAILED", amountMinor: amount.amountMinor, idempotencyKey, failureCode: declineCode }, by);
    this.#events.push({ type: "OrderPaymentFailed", declineCode });
  }

  /**
   * Authorized, and captured too unless CAPTURE_ON=shipment (then parcels capture, `settlePayment`).
   * The first payment makes the order PAID where the table allows; a later one pays a difference.
   */
  paymentAuthorized(method: PaymentMethod, payment: AuthorizedPayment, by: AuditStamp): void {
    this.checkPayable(method);
    this.#checkLedgerRoom(payment.capture ? 2 : 1);
    this.#setPaymentMethod(method, by);
    const data = this.#data;
    const first = data.paymentStatus === "PENDING" || data.paymentStatus === "FAILED";
    const { authorizationId, amount } = payment;
    const amountMinor = amount.amountMinor;
    this.#record({ kind: "AUTHORIZATION", amountMinor, reference: authorizationId, idempotencyKey: payment.authorizeKey }, by);
    data.authorizedMinor += amountMinor;
    const authorization = { id: authorizationId, amountMinor: String(amountMinor), capturedMinor: "0", voidedMinor: "0" };
    data.paymentTrail = { ...data.paymentTrail, authorizations: [...data.paymentTrail.authorizations, authorization] };
    data.paymentFailureReason = "";
    if (first && canTransition(this.status, "PAID")) this.#moveTo("PAID", payment.capture ? "payment captured" : "payment authorized", by);
    if (payment.capture) {
      const entry = this.#captureRow(authorizationId, amountMinor, payment.capture.captureKey, by);
      this.captureTaken(entry.id, payment.capture.transactionId);
    } else if (first) data.paymentStatus = "AUTHORIZED";
    if (first) this.#events.push({ type: "OrderPaid", amount });
    else {
      const held = money(data.currency, openMinor(data.paymentTrail));
      this.#events.push({ type: "AuthorizationAdjusted", change: amount, held, reason: "the difference authorized" });
    }
  }

  /** The Payment service's transaction id of a capture this change asked for, in its ledger row and the trail. */
  captureTaken(entryId: string, transactionId: string): void {
    const entry = this.#entries.find((candidate) => candidate.id === entryId && candidate.kind === "CAPTURE");
    if (!entry) throw new Error(`captureTaken: no capture ${entryId} in this change`);
    entry.reference = transactionId;
    const data = this.#data;
    data.paymentTrail = {
      ...data.paymentTrail,
      captures: data.paymentTrail.captures.map((capture) => (capture.id === entryId ? { ...capture, id: transactionId } : capture)),
    };
    data.paymentStatus = "CAPTURED";
    data.paymentTransactionId = transactionId;
    this.#events.push({ type: "PaymentCaptured", amount: money(data.currency, entry.amountMinor), transactionId });
  }

  /**
   * Money follows the goods (CAPTURE_ON=shipment leaves authorizations open): what has been handed
   * to a carrier (its units at their price and tax, and shipping with the first parcel) is
   * captured, never more than the order costs now; once nothing is left to ship, what the
   * authorizations still hold is released. Nothing to do when the order was captured at payment.
   */
  settlePayment(by: AuditStamp): Effect[] {
    const data = this.#data;
    if (openMinor(data.paymentTrail) <= 0n) return [];
    const effects: Effect[] = [];
    const live = this.#items.filter((item) => item.status !== "CANCELLED");
    const shipped = live.reduce(
      (sum, item) => sum + unitsRefund({ ...item, refundedQuantity: 0 }, item.taxMinor, item.shippedQuantity).amountMinor,
      0n,
    );
    const goods = shipped > 0n ? shipped + data.shippingMinor : 0n;
    const costs = data.totalMinor - data.creditedMinor;
    const due = (goods < costs ? goods : costs) - (data.capturedMinor - data.refundedMinor);
    const open = openMinor(data.paymentTrail);
    if (due > 0n) {
      const parts = captureParts(data.paymentTrail, due < open ? due : open);
      this.#checkLedgerRoom(parts.length);
      for (const part of parts) {
        const entry = this.#captureRow(part.id, part.amountMinor, "", by);
        effects.push({
          kind: "capture payment",
          authorizationId: part.id,
          amount: money(data.currency, part.amountMinor),
          idempotencyKey: entry.idempotencyKey,
          entryId: entry.id,
        });
      }
    }
    // An exchange's new items ship after the order did: their authorization waits for them.
    const nothingLeftToShip =
      (this.status === "SHIPPED" || this.status === "DELIVERED") &&
      live.every((item) => item.status === "SHIPPED" || item.status === "DELIVERED");
    if (nothingLeftToShip) effects.push(...this.#voidOpen("nothing is left to ship", by));
    return effects;
  }

  /**
   * The order came to cost less than was captured (an edit, a cheaper exchange): the difference
   * goes back once, as a BALANCE refund. Nothing while an authorization is still open: it is
   * simply captured for less.
   */
  settleBalance(reason: string, by: AuditStamp): Effect[] {
    const data = this.#data;
    const over = data.capturedMinor - data.refundedMinor - (data.totalMinor - data.creditedMinor);
    const refundable = data.capturedMinor - data.refundedMinor;
    const amount = over < refundable ? over : refundable;
    if (amount <= 0n) return [];
    this.#checkLedgerRoom(1);
    return this.#refund(balancePlan(amount), reason, `balance:${this.id}:${data.ledgerEntries + 1}:${amount}`, by);
  }

  /**
   * Staff's refund not tied to items (ledger/domain/ledger.ts says how much): shipping, or a
   * goodwill amount. It lowers what the order costs, so nothing becomes owed by it.
   */
  refundAmount(
    refund: { cause: "SHIPPING" | "GOODWILL"; amountMinor?: bigint; reason: string; idempotencyKey: string },
    by: AuditStamp,
  ): Effect[] {
    const plan = amountRefund(this.id, this.#data, refund.cause, refund.amountMinor);
    this.#checkLedgerRoom(1);
    return this.#refund(plan, refund.reason, refund.idempotencyKey, by);
  }

  /**
   * Throws unless each line's units can come back: an item of the order, not cancelled, with that
   * many shipped and not yet returned or claimed. `field` names the request's field in the error.
   */
  checkReturnable(lines: readonly { itemId: string; quantity: number; field: string }[]): void {
    this.#require("take back items");
    const violations = lines.flatMap(({ itemId, quantity, field }) => {
      const item = this.#items.find((candidate) => candidate.id === itemId);
      if (!item || item.status === "CANCELLED") return [{ field: `${field}.item_id`, description: "is not a live item of the order" }];
      const left = item.shippedQuantity - item.returnedQuantity;
      if (quantity > left) {
        const why = `${item.shippedQuantity} shipped, ${item.returnedQuantity} returned or claimed`;
        return [{ field: `${field}.quantity`, description: `at most ${left} of this item can come back (${why})` }];
      }
      return [];
    });
    if (violations.length) throw new InvalidArgumentError(violations);
  }

  /** The units are the customer's no longer (a return confirmed, a claim): they cannot come back twice. */
  takeBack(lines: readonly { itemId: string; quantity: number }[]): void {
    this.checkReturnable(lines.map((line) => ({ ...line, field: "item" })));
    for (const line of lines) this.#item(line.itemId).returnedQuantity += line.quantity;
  }

  /** Units of a return that never arrived: the customer's again, and returnable. */
  giveBackUnreceived(itemId: string, quantity: number): void {
    const item = this.#item(itemId);
    item.returnedQuantity = Math.max(0, item.returnedQuantity - quantity);
  }

  /**
   * Throws unless an exchange can be applied now: its units can come back (checkReturnable) and
   * its new items are lines the order does not hold yet, within MAX_ITEMS.
   */
  checkExchangeable(
    returned: readonly { itemId: string; quantity: number; field: string }[],
    added: readonly { productId: string; variantId: string; field: string }[],
  ): void {
    this.checkReturnable(returned);
    const held = new Set(this.#items.map(lineKey));
    const violations = added
      .filter((item) => held.has(lineKey(item)))
      .map((item) => ({ field: `${item.field}.product_id`, description: `"${lineKey(item)}" is already in the order` }));
    if (violations.length) throw new InvalidArgumentError(violations);
    this.#checkItemRoom(added.length);
  }

  /**
   * An exchange applied: the returned units are the customer's no longer and no longer charged
   * for (credited line by line, no money moving yet), and the new items join the order at the
   * price the change froze, shipped free and taxed on their own, so the other lines keep their
   * tax shares and any later return of them adds up. The balance then says who owes whom:
   * PayOrder collects a difference due, settleBalance gives back one owed.
   */
  exchange(
    returned: readonly { itemId: string; quantity: number }[],
    items: readonly NewItem[],
    pricing: PricingPolicy,
  ): { credit: RefundPlan; added: { itemId: string; quantity: number; amountMinor: bigint; taxMinor: bigint }[] } {
    this.checkExchangeable(
      returned.map((line) => ({ ...line, field: "return_item" })),
      items.map((item) => ({ ...item, field: "add_item" })),
    );
    this.takeBack(returned);
    const credit = unitsRefundPlan(this.id, this.#data, this.#items, returned, "RETURN");
    this.#credit(credit);
    const totals = computeTotals(
      items.map((item) => ({ unitPrice: item.unitPrice, quantity: item.quantity })),
      pricing,
    );
    let position = Math.max(...this.#items.map((line) => line.position));
    const lines = withTaxes(
      items.map((item) => ({ ...itemFields(item), position: ++position })),
      totals.tax.amountMinor,
    );
    this.#items.push(...lines);
    const data = this.#data;
    data.subtotalMinor += totals.subtotal.amountMinor;
    data.taxMinor += totals.tax.amountMinor;
    data.totalMinor += totals.subtotal.amountMinor + totals.tax.amountMinor;
    const currency = data.currency;
    this.#events.push(...lines.map((line) => ({ type: "OrderItemCreated" as const, itemId: line.id })), {
      type: "OrderItemsChanged",
      totals: {
        subtotal: money(currency, data.subtotalMinor),
        tax: money(currency, data.taxMinor),
        shipping: money(currency, data.shippingMinor),
        total: money(currency, data.totalMinor),
      },
    });
    const addedLines = lines.map((line) => ({
      itemId: line.id,
      quantity: line.quantity,
      amountMinor: line.unitPriceMinor * BigInt(line.quantity) + line.taxMinor,
      taxMinor: line.taxMinor,
    }));
    return { credit, added: addedLines };
  }

  /**
   * Claimed units sent again free of charge: each a new line copying the claimed item at no price
   * and no tax (the order's total and balance do not move), PENDING, to be fulfilled. The claimed
   * units themselves must have been taken back (`takeBack`), so they cannot be claimed twice.
   */
  replace(replacements: readonly { itemId: string; quantity: number; replacementItemId: string }[]): void {
    this.#require("take back items");
    this.#checkItemRoom(replacements.length);
    let position = Math.max(...this.#items.map((line) => line.position));
    for (const { itemId, quantity, replacementItemId } of replacements) {
      const claimed = this.#item(itemId);
      const { id: _id, position: _position, unitPriceMinor: _price, ...kept } = claimed;
      const unitPrice = money(this.#data.currency, 0n);
      this.#items.push({ ...itemFields({ ...kept, id: replacementItemId, quantity, unitPrice }), position: ++position });
      this.#events.push({ type: "OrderItemCreated", itemId: replacementItemId });
    }
  }

  /**
   * Units an exchange credited that never arrived: the customer's again and charged for again,
   * the last units credited first, so the line's credits still add up to what it was paid.
   */
  chargeBackUnreceived(itemId: string, quantity: number): void {
    const item = this.#item(itemId);
    const units = Math.min(quantity, item.refundedQuantity);
    const back = unitsRefund({ ...item, refundedQuantity: item.refundedQuantity - units }, item.taxMinor, units);
    item.refundedQuantity -= units;
    item.refundedMinor -= back.amountMinor;
    this.#data.creditedMinor -= back.amountMinor;
    this.#data.refundedTaxMinor -= back.taxMinor;
    this.giveBackUnreceived(itemId, units);
  }

  /**
   * Units of items refunded (a return received, a claim), each at its price plus its tax share
   * (ledger/domain/ledger.ts); nothing when they cost nothing. The key is the change's, so a
   * retry refunds once.
   */
  refundUnits(
    lines: readonly { itemId: string; quantity: number }[],
    refund: { cause: "RETURN" | "CLAIM"; reason: string; idempotencyKey: string },
    by: AuditStamp,
  ): { effects: Effect[]; plan: RefundPlan } {
    const plan = unitsRefundPlan(this.id, this.#data, this.#items, lines, refund.cause);
    if (plan.amountMinor > 0n) return { effects: this.#refund(plan, refund.reason, refund.idempotencyKey, by), plan };
    this.#credit(plan);
    return { effects: [], plan };
  }

  /** The ledger rows this change added so far (taken with the events when it is stored). */
  get newLedgerEntries(): readonly Readonly<LedgerEntryFields>[] {
    return this.#entries.map((entry) => ({ ...entry }));
  }

  /** The Payment service's id of a refund this change asked for, kept in its ledger row. */
  refundIssued(entryId: string, refundId: string): void {
    const entry = this.#entries.find((candidate) => candidate.id === entryId);
    if (!entry) throw new Error(`refundIssued: no ledger entry ${entryId} in this change`);
    entry.reference = refundId;
  }

  /** Throws unless the line can be added now; checked before the catalog is asked for its price. */
  checkCanAddItem(line: { productId: string; variantId: string }): void {
    this.#require("edit items");
    const key = lineKey(line);
    if (this.#items.some((item) => lineKey(item) === key)) {
      throw new AlreadyExistsError("ITEM_ALREADY_IN_ORDER", `"${key}" is already in the order; change its quantity instead`);
    }
    if (this.#items.length >= MAX_ITEMS) throw new FailedPreconditionError("TOO_MANY_ITEMS", `an order holds at most ${MAX_ITEMS} items`);
  }

  /** A new line at today's price; existing lines keep the price they were placed at. */
  addItem(item: NewItem, pricing: PricingPolicy): Effect[] {
    this.checkCanAddItem(item);
    const before = this.#stockLines();
    const position = Math.max(...this.#items.map((line) => line.position)) + 1;
    this.#items.push({ ...itemFields(item), position });
    this.#events.push({ type: "OrderItemCreated", itemId: item.id });
    return this.#reprice(before, pricing);
  }

  changeQuantity(itemId: string, quantity: number, pricing: PricingPolicy): Effect[] {
    this.#require("edit items");
    const item = this.#item(itemId);
    if (item.quantity === quantity) return [];
    const before = this.#stockLines();
    item.quantity = quantity;
    return this.#reprice(before, pricing);
  }

  removeItem(itemId: string, pricing: PricingPolicy): Effect[] {
    this.#require("edit items");
    const item = this.#item(itemId);
    if (this.#items.length === 1) {
      throw new FailedPreconditionError("LAST_ITEM", "an order needs at least one item; cancel the order instead", [
        { type: "ORDER_ITEMS", subject: `orders/${this.id}`, description: "would be empty" },
      ]);
    }
    const before = this.#stockLines();
    this.#items.splice(this.#items.indexOf(item), 1);
    this.#removed.push(item.id);
    return this.#reprice(before, pricing);
  }

  /**
   * Moves one item; `sellerId` narrows it to that seller's items (another seller's item is not
   * found). A cancelled item's stock goes back through its fulfilment orders (fulfilment/). The order
   * follows its items, so sellers fulfil their own lines: the first item started moves a
   * confirmed or paid order to PROCESSING; when every item left is shipped the order is SHIPPED
   * (the shipments carrying them commit their stock); when every item is final it completes, DELIVERED if anything was
   * delivered, else CANCELLED.
   */
  changeItemStatus(itemId: string, to: Exclude<ItemStatus, "PENDING">, by: AuditStamp, sellerId?: string): Effect[] {
    const item = this.#item(itemId);
    if (sellerId !== undefined && item.sellerId !== sellerId) throw new NotFoundError("order item", itemId);
    this.#require(`mark an item ${to}`);
    const from = item.status;
    item.status = transitionItem(item.id, from, to);
    this.#events.push({ type: "OrderItemStatusChanged", itemId: item.id, from, to });
    if (!this.#stockLines().length) return this.cancel("every item was cancelled", by);
    if (to !== "CANCELLED" && canTransition(this.status, "PROCESSING")) this.#moveTo("PROCESSING", "fulfilment started", by);
    const live = this.#items.filter((line) => line.status !== "CANCELLED");
    if (this.status === "PROCESSING" && live.every((line) => line.status === "SHIPPED" || line.status === "DELIVERED")) {
      this.#moveTo("SHIPPED", "every item was shipped", by);
      this.#events.push({ type: "OrderShipped", trackingNumber: this.#data.trackingNumber, carrier: this.#data.carrier });
    }
    // Items are final only once shipped (so is the order, by now) or cancelled (all cancelled returned above).
    if (this.#items.every((line) => isFinalItem(line.status))) this.deliver("every item was delivered", by);
    return [];
  }

  /**
   * The order follows its fulfilment (`progress`: units of each item handed to a carrier, and
   * delivered). The first parcel handed over moves a confirmed or paid order to PROCESSING. An
   * item is SHIPPED once all its units were handed over and DELIVERED once all were delivered;
   * the order is SHIPPED when every live item has shipped (with the latest parcel's tracking when
   * it had none) and DELIVERED when every one is delivered. Until then it stays PROCESSING, and
   * `partiallyShipped` says some units are on their way.
   */
  followFulfilment(progress: ItemProgress, latest: { trackingNumber: string; carrier: string } | undefined, by: AuditStamp): void {
    const live = this.#items.filter((item) => item.status !== "CANCELLED");
    for (const item of live) {
      const { shipped, delivered } = progress.get(item.id) ?? { shipped: 0, delivered: 0 };
      item.shippedQuantity = shipped;
      item.deliveredQuantity = delivered;
    }
    if (!live.some((item) => item.shippedQuantity > 0)) return;
    if (this.status === "CONFIRMED" || this.status === "PAID") this.advance("PROCESSING", "fulfilment started", by);
    for (const item of live) {
      if (item.shippedQuantity >= item.quantity) this.#stepItem(item, ["PENDING", "PROCESSING"], "SHIPPED");
      if (item.deliveredQuantity >= item.quantity) this.#stepItem(item, ["SHIPPED"], "DELIVERED");
    }
    if (this.status === "PROCESSING" && live.every((item) => item.status === "SHIPPED" || item.status === "DELIVERED")) {
      if (!this.#data.trackingNumber && latest) Object.assign(this.#data, latest);
      this.#moveTo("SHIPPED", "every item was shipped", by);
      this.#events.push({ type: "OrderShipped", trackingNumber: this.#data.trackingNumber, carrier: this.#data.carrier });
    }
    if (this.status === "SHIPPED" && live.every((item) => item.status === "DELIVERED")) this.deliver("every item was delivered", by);
  }

  /** Some units are with a carrier, not all: the order stays PROCESSING meanwhile. */
  get partiallyShipped(): boolean {
    return partiallyShipped(this.view);
  }

  /** Throws unless a parcel of this order may leave now (fulfilment orders decide which units). */
  checkShippable(): void {
    this.#require("ship items");
  }

  /** Soft delete: readers no longer see it; rows, history and events stay for audit. Closed orders only. */
  delete(reason: string, by: AuditStamp): void {
    this.#require("delete the order");
    this.#data.deletedAt = by.at;
    this.#events.push({ type: "OrderDeleted", reason });
  }

  #require(action: OrderAction): void {
    if (!isAllowed(this.status, action)) throw new StatusForbidsError(this.id, this.status, action);
  }

  #moveTo(to: OrderStatus, reason: string, by: AuditStamp): void {
    const from = this.#data.status;
    this.#data.status = transition(from, to);
    this.#changes.push({ fromStatus: from, toStatus: to, changedAt: by.at, actor: by.actor, reason });
    this.#events.push({ type: "OrderStatusChanged", from, to, reason });
  }

  /** Each item moved is an event of its own, so a seller can follow its items from the topic alone. */
  #moveItems(from: readonly ItemStatus[], to: ItemStatus): void {
    for (const item of this.#items) {
      if (!from.includes(item.status)) continue;
      this.#events.push({ type: "OrderItemStatusChanged", itemId: item.id, from: item.status, to });
      item.status = to;
    }
  }

  /** Moves an item to `to` through the item table, an event per step, when it is in one of `from`. */
  #stepItem(item: OrderItemFields, from: readonly ItemStatus[], to: ItemStatus): void {
    if (!from.includes(item.status)) return;
    if (item.status === "PENDING" && to !== "PROCESSING") this.#stepItem(item, ["PENDING"], "PROCESSING");
    const was = item.status;
    item.status = transitionItem(item.id, was, to);
    this.#events.push({ type: "OrderItemStatusChanged", itemId: item.id, from: was, to });
  }

  #item(itemId: string): OrderItemFields {
    const item = this.#items.find((candidate) => candidate.id === itemId);
    if (!item) throw new NotFoundError("order item", itemId);
    return item;
  }

  /** Throws TOO_MANY_ITEMS unless `more` lines still fit within MAX_ITEMS (an exchange's new items, a claim's replacements). */
  #checkItemRoom(more: number): void {
    if (this.#items.length + more > MAX_ITEMS) {
      throw new FailedPreconditionError("TOO_MANY_ITEMS", `an order holds at most ${MAX_ITEMS} items`, [
        { type: "ORDER_ITEMS", subject: `orders/${this.id}`, description: `${this.#items.length} items, ${more} more asked` },
      ]);
    }
  }

  /** The lines the reservation holds: every item not cancelled. */
  #stockLines(): StockLine[] {
    return this.#items
      .filter((item) => item.status !== "CANCELLED")
      .map((item) => ({ productId: item.productId, variantId: item.variantId, quantity: item.quantity }));
  }

  #reprice(before: StockLine[], pricing: PricingPolicy): Effect[] {
    const totals = computeTotals(
      this.#items.map((item) => storedLine(this.#data.currency, item)),
      pricing,
    );
    Object.assign(this.#data, totalsFields(totals));
    this.#items.splice(0, this.#items.length, ...withTaxes(this.#items, totals.tax.amountMinor));
    this.#events.push({ type: "OrderItemsChanged", totals });
    return [{ kind: "adjust stock", reservationId: this.#data.reservationId, lines: this.#stockLines(), previous: before }];
  }

  /**
   * The order ends: it costs nothing from now on, and what is left of the capture goes back, once
   * per order whatever the path (cancel or refund): its key is the order's.
   */
  #refundCaptured(reason: string, by: AuditStamp): Effect[] {
    const plan = wholeOrderRefund(this.#data, this.#items);
    if (plan.amountMinor <= 0n) {
      this.#data.creditedMinor += plan.creditMinor;
      return [];
    }
    return this.#refund(plan, reason, `refund:${this.id}`, by);
  }

  /**
   * A refund in the ledger and the running sums; the Payment service is asked by the effects
   * returned, one per capture it gives back from (oldest first), each its own row with its exact
   * share of the breakdown. The first part sends `idempotencyKey`, the next ones `key:2`, `key:3`...
   */
  #refund(plan: RefundPlan, reason: string, idempotencyKey: string, by: AuditStamp): Effect[] {
    const data = this.#data;
    const parts = refundParts(data.paymentTrail, plan.amountMinor);
    const breakdowns = splitBreakdown(
      plan.breakdown,
      parts.map((part) => part.amountMinor),
    );
    const effects = parts.map((part, i): Effect => {
      const key = i === 0 ? idempotencyKey : `${idempotencyKey}:${i + 1}`;
      const entry = this.#record(
        {
          kind: "REFUND",
          amountMinor: part.amountMinor,
          parentReference: part.id,
          idempotencyKey: key,
          refundCause: plan.cause,
          breakdown: breakdowns[i]!,
          reason,
        },
        by,
      );
      data.paymentTrail = { ...data.paymentTrail, captures: addTo(data.paymentTrail.captures, part.id, "refundedMinor", part.amountMinor) };
      const amount = money(data.currency, part.amountMinor);
      return { kind: "refund payment", orderId: this.id, transactionId: part.id, amount, idempotencyKey: key, entryId: entry.id };
    });
    data.refundedMinor += plan.amountMinor;
    this.#credit(plan);
    if (data.refundedMinor === data.capturedMinor) data.paymentStatus = "REFUNDED";
    data.paymentUpdatedAt = by.at;
    this.#events.push({ type: "RefundIssued", refund: plan, reason });
    return effects;
  }

  /** A CAPTURE row and its place in the trail, named by the row until the Payment service answers (`captureTaken`). */
  #captureRow(authorizationId: string, amountMinor: bigint, idempotencyKey: string, by: AuditStamp): LedgerEntryFields {
    const data = this.#data;
    const entry = this.#record({ kind: "CAPTURE", amountMinor, parentReference: authorizationId, idempotencyKey }, by);
    // A capture undone when its change does not commit must not be found again by a retry: the key is this attempt's.
    if (!idempotencyKey) entry.idempotencyKey = `capture:${entry.id}`;
    const trail = data.paymentTrail;
    const capture = { id: entry.id, authorizationId, amountMinor: String(amountMinor), refundedMinor: "0" };
    data.paymentTrail = {
      authorizations: addTo(trail.authorizations, authorizationId, "capturedMinor", amountMinor),
      captures: [...trail.captures, capture],
    };
    data.capturedMinor += amountMinor;
    data.paymentUpdatedAt = by.at;
    return entry;
  }

  /**
   * What the authorizations still hold is released: a VOID row each. The key names the
   * authorization and what was released of it before, so a retry releases once.
   */
  #voidOpen(reason: string, by: AuditStamp): Effect[] {
    const data = this.#data;
    return data.paymentTrail.authorizations.flatMap((authorization): Effect[] => {
      const open = openOf(authorization);
      if (open <= 0n) return [];
      const idempotencyKey = `void:${authorization.id}:${authorization.voidedMinor}`;
      this.#record({ kind: "VOID", amountMinor: open, parentReference: authorization.id, idempotencyKey, reason }, by);
      data.paymentTrail = {
        ...data.paymentTrail,
        authorizations: addTo(data.paymentTrail.authorizations, authorization.id, "voidedMinor", open),
      };
      data.voidedMinor += open;
      if (data.paymentStatus === "AUTHORIZED") data.paymentStatus = data.capturedMinor > 0n ? "CAPTURED" : "PENDING";
      const amount = money(data.currency, open);
      const held = money(data.currency, openMinor(data.paymentTrail));
      this.#events.push({ type: "AuthorizationAdjusted", change: money(data.currency, -open), held, reason });
      return [{ kind: "void authorization", authorizationId: authorization.id, amount, idempotencyKey }];
    });
  }

  /** What the order costs now less what is captured (net) and what authorizations still hold: what PayOrder asks for. */
  get #dueMinor(): bigint {
    return balanceOf(this.#data).dueMinor;
  }

  /**
   * Payment attempts and staff's refunds stop at MAX_LEDGER_ENTRIES rows (so declined tokens
   * cannot be tried without end); the whole-order refund, once per order, always fits.
   */
  #checkLedgerRoom(rows: number): void {
    if (this.#data.ledgerEntries + rows > MAX_LEDGER_ENTRIES) {
      throw new FailedPreconditionError("LEDGER_FULL", `an order's ledger holds at most ${MAX_LEDGER_ENTRIES} payment entries`, [
        { type: "PAYMENT", subject: `orders/${this.id}`, description: `${this.#data.ledgerEntries} entries` },
      ]);
    }
  }

  /** What the order no longer charges for, line by line, whether or not money went back for it. */
  #credit(plan: RefundPlan): void {
    const data = this.#data;
    data.creditedMinor += plan.creditMinor;
    data.refundedShippingMinor += plan.shippingMinor;
    data.refundedTaxMinor += plan.taxMinor;
    for (const line of plan.lines) {
      const item = this.#item(line.itemId);
      item.refundedQuantity += line.quantity;
      item.refundedMinor += line.amountMinor;
    }
  }

  /** A new row of the ledger. */
  #record(
    entry: Partial<LedgerEntryFields> & Pick<LedgerEntryFields, "kind" | "amountMinor" | "idempotencyKey">,
    by: AuditStamp,
  ): LedgerEntryFields {
    const row: LedgerEntryFields = {
      id: newId(),
      orderId: this.id,
      position: ++this.#data.ledgerEntries,
      state: "SUCCEEDED",
      currency: this.#data.currency,
      reference: "",
      parentReference: "",
      refundCause: "",
      breakdown: null,
      failureCode: "",
      actor: by.actor,
      reason: "",
      createdAt: by.at,
      ...entry,
    };
    this.#entries.push(row);
    return row;
  }

  #setPaymentMethod(method: PaymentMethod, by: AuditStamp): void {
    this.#data.paymentMethod = method.type;
    this.#data.paymentDisplay = method.display;
    this.#data.paymentUpdatedAt = by.at;
  }
}

function totalsFields(totals: Totals) {
  return {
    subtotalMinor: totals.subtotal.amountMinor,
    taxMinor: totals.tax.amountMinor,
    shippingMinor: totals.shipping.amountMinor,
    totalMinor: totals.total.amountMinor,
  };
}

/** Each line with its share of the order's tax (money/refunds.ts): fixed from now until the lines are priced again. */
function withTaxes(items: OrderItemFields[], taxMinor: bigint): OrderItemFields[] {
  const taxes = lineTaxes(items, taxMinor);
  return items.map((item, i) => ({ ...item, taxMinor: taxes[i]! }));
}

function itemFields(item: NewItem): Omit<OrderItemFields, "position"> {
  const { unitPrice, ...rest } = item;
  return {
    ...rest,
    unitPriceMinor: unitPrice.amountMinor,
    taxMinor: 0n,
    status: "PENDING",
    shippedQuantity: 0,
    deliveredQuantity: 0,
    returnedQuantity: 0,
    refundedQuantity: 0,
    refundedMinor: 0n,
  };
}
