import {
  HoldReason,
  ShipmentStatus,
  type FulfillmentHold,
  type FulfillmentOrder,
  type Shipment,
} from "../../gen/shop/order/v1/fulfillment_pb.js";
import { fulfilment } from "./api.js";
import { field, h } from "./dom.js";
import { act } from "./feedback.js";
import { holdReason, shipmentStatus, shortId } from "./format.js";

/** What a fulfilment card needs from the page that shows it. */
export interface FulfilmentContext {
  /** A message slot per fulfilment order that outlives redraws, so "Shipped." stays after the list is read again. */
  readonly messageFor: (fulfilmentOrderId: string) => HTMLElement;
  /** Reads the fulfilment orders again after a change. */
  readonly reload: () => Promise<void>;
  /** An order item's name where the page knows it, else its product (and variant). */
  readonly itemName: (line: { orderItemId: string; productId: string; variantId: string }) => string;
  /** A link to the order, on pages that list several orders' work. */
  readonly orderLink?: (fo: FulfillmentOrder) => Node;
}

const rid = () => crypto.randomUUID();
const input = (name: string, props: Record<string, unknown> = {}) => h("input", { name, autocomplete: "off", ...props });

/** Sends a change, says what happened (or the refusal with its details) beside the card, then redraws. */
function run(fo: { id: string }, context: FulfilmentContext, done: string, call: () => Promise<unknown>, button?: HTMLButtonElement) {
  return act(
    context.messageFor(fo.id),
    done,
    async () => {
      await call();
      await context.reload();
    },
    button,
  );
}

/** A parcel from what remains: units per line (all by default), carrier and tracking. */
export function shipForm(fo: FulfillmentOrder, context: FulfilmentContext): HTMLElement {
  const units = fo.lines
    .filter((line) => line.remainingQuantity > 0)
    .map((line) => ({
      line,
      input: input("units", { type: "number", min: 0, max: line.remainingQuantity, value: String(line.remainingQuantity) }),
    }));
  const carrier = input("carrier");
  const trackingNumber = input("tracking");
  const trackingUrl = input("tracking-url", { type: "url", placeholder: "https://" });
  const handedOver = input("handed-over", { type: "checkbox", checked: true });
  const submit = h("button", { type: "submit" }, "Create shipment");
  const form = h(
    "form",
    { class: "action", "aria-label": `Ship from fulfilment ${shortId(fo.id)}` },
    h("h4", {}, "Ship"),
    ...units.map(({ line, input }) => field(`Units of ${context.itemName(line)}`, input)),
    field("Carrier", carrier),
    field("Tracking number", trackingNumber),
    field("Tracking URL", trackingUrl),
    h("div", { class: "check" }, handedOver, h("label", { for: (handedOver.id = `handed-${fo.id}`) }, "Handed to the carrier")),
    submit,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const lines = units.map(({ line, input }) => ({ lineId: line.id, quantity: Number(input.value) })).filter((l) => l.quantity > 0);
    const request = {
      requestId: rid(),
      fulfillmentOrderId: fo.id,
      expectedVersion: fo.version,
      lines,
      carrier: carrier.value.trim(),
      trackingNumber: trackingNumber.value.trim(),
      trackingUrl: trackingUrl.value.trim(),
      handedOver: handedOver.checked,
    };
    void run(fo, context, "Shipped.", () => fulfilment.createShipment(request), submit);
  });
  return form;
}

/** AWAITING_PAYMENT is not offered: the payment places and releases it, and the service refuses it by hand. */
const HOLD_REASONS = [HoldReason.HIGH_RISK_OF_FRAUD, HoldReason.INCORRECT_ADDRESS, HoldReason.INVENTORY_OUT_OF_STOCK, HoldReason.OTHER];

/** Holds the whole fulfilment order with a reason and a note (holding some lines is the API's). */
export function holdForm(fo: FulfillmentOrder, context: FulfilmentContext): HTMLElement {
  const reason = h("select", { name: "reason" }, ...HOLD_REASONS.map((r) => h("option", { value: String(r) }, holdReason(r))));
  const note = input("note");
  const submit = h("button", { type: "submit", class: "secondary" }, "Hold");
  const form = h(
    "form",
    { class: "action", "aria-label": `Hold fulfilment ${shortId(fo.id)}` },
    h("h4", {}, "Hold"),
    field("Hold reason", reason),
    field("Hold note", note),
    submit,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const request = {
      requestId: rid(),
      fulfillmentOrderId: fo.id,
      expectedVersion: fo.version,
      reason: Number(reason.value) as HoldReason,
      note: note.value.trim(),
    };
    void run(fo, context, "Held.", () => fulfilment.holdFulfillmentOrder(request), submit);
  });
  return form;
}

export function releaseButton(fo: FulfillmentOrder, hold: FulfillmentHold, context: FulfilmentContext): HTMLElement {
  const button = h("button", { type: "button", class: "secondary", "aria-label": `Release hold ${hold.handle}` }, "Release");
  button.addEventListener("click", () => {
    const request = { requestId: rid(), fulfillmentOrderId: fo.id, expectedVersion: fo.version, handles: [hold.handle] };
    void run(fo, context, `Released ${hold.handle}.`, () => fulfilment.releaseFulfillmentOrder(request), button);
  });
  return button;
}

const NEXT_STATUSES = [ShipmentStatus.IN_TRANSIT, ShipmentStatus.DELIVERED, ShipmentStatus.FAILED, ShipmentStatus.CANCELLED];

/** A parcel's next status (with a reason for a failure), and its tracking corrected. */
export function shipmentControls(shipment: Shipment, context: FulfilmentContext): HTMLElement | string {
  if (shipment.status === ShipmentStatus.DELIVERED || shipment.status === ShipmentStatus.CANCELLED) return "–";
  const parcel = `parcel ${shortId(shipment.id)}`;
  const fo = { id: shipment.fulfillmentOrderId };
  const status = h(
    "select",
    { name: "status", required: true },
    h("option", { value: "", disabled: true, selected: true }, "Choose"),
    ...NEXT_STATUSES.map((s) => h("option", { value: String(s) }, shipmentStatus(s))),
  );
  const reason = input("reason");
  const apply = h("button", { type: "submit" }, "Apply");
  const move = h(
    "form",
    { class: "inline", "aria-label": `Status of ${parcel}` },
    field(`New status of ${parcel}`, status),
    field(`Why (${parcel})`, reason),
    apply,
  );
  move.addEventListener("submit", (event) => {
    event.preventDefault();
    const next = Number(status.value) as ShipmentStatus;
    const request = { requestId: rid(), shipmentId: shipment.id, status: next, reason: reason.value.trim() };
    void run(
      fo,
      context,
      `Parcel ${shortId(shipment.id)}: ${shipmentStatus(next)}.`,
      () => fulfilment.updateShipmentStatus(request),
      apply,
    );
  });

  const number = input("tracking", { value: shipment.trackingNumber });
  const carrier = input("carrier", { value: shipment.carrier });
  const url = input("tracking-url", { type: "url", value: shipment.trackingUrl });
  const save = h("button", { type: "submit", class: "secondary" }, "Save tracking");
  const correct = h(
    "form",
    { class: "inline", "aria-label": `Tracking of ${parcel}` },
    field(`Tracking number of ${parcel}`, number),
    field(`Carrier of ${parcel}`, carrier),
    field(`Tracking URL of ${parcel}`, url),
    save,
  );
  correct.addEventListener("submit", (event) => {
    event.preventDefault();
    const request = {
      requestId: rid(),
      shipmentId: shipment.id,
      trackingNumber: number.value.trim(),
      carrier: carrier.value.trim(),
      trackingUrl: url.value.trim(),
    };
    void run(fo, context, `Tracking of parcel ${shortId(shipment.id)} saved.`, () => fulfilment.updateShipmentTracking(request), save);
  });
  return h("div", {}, move, h("details", {}, h("summary", {}, "Correct tracking"), correct));
}
