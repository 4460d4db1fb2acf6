import {
  FulfillmentOrderStatus,
  type FulfillmentHold,
  type FulfillmentOrder,
  type FulfillmentOrderLine,
  type Shipment,
} from "../../gen/shop/order/v1/fulfillment_pb.js";
import { h, table } from "./dom.js";
import { holdForm, releaseButton, shipForm, shipmentControls, type FulfilmentContext } from "./fulfilment-actions.js";
import { fulfilmentStatus, holdReason, shipmentStatus, shortId, time } from "./format.js";

export type { FulfilmentContext } from "./fulfilment-actions.js";

const WORKABLE = [FulfillmentOrderStatus.OPEN, FulfillmentOrderStatus.IN_PROGRESS, FulfillmentOrderStatus.SCHEDULED];
const remaining = (fo: FulfillmentOrder) => fo.lines.reduce((sum, line) => sum + line.remainingQuantity, 0);

function linesTable(fo: FulfillmentOrder, context: FulfilmentContext): HTMLElement {
  const rows = fo.lines.map((line: FulfillmentOrderLine) =>
    h(
      "tr",
      {},
      h("th", { scope: "row" }, context.itemName(line)),
      h("td", { class: "num", "data-label": "Units" }, line.quantity),
      h("td", { class: "num", "data-label": "Not yet shipped" }, line.remainingQuantity),
    ),
  );
  return table(`Lines of fulfilment ${shortId(fo.id)}`, ["Item", "Units", "Not yet shipped"], rows, { class: "fo-lines" });
}

function holdsTable(fo: FulfillmentOrder, context: FulfilmentContext): HTMLElement | null {
  if (!fo.holds.length) return null;
  const rows = fo.holds.map((hold: FulfillmentHold) =>
    h(
      "tr",
      {},
      h("th", { scope: "row" }, holdReason(hold.reason), h("div", { class: "muted small" }, hold.handle)),
      h("td", { "data-label": "Note" }, hold.note || "–"),
      h("td", { "data-label": "Held" }, `${time(hold.holdTime)} by ${hold.heldBy || "the service"}`),
      h(
        "td",
        { "data-label": "Released" },
        hold.releaseTime ? `${time(hold.releaseTime)} by ${hold.releasedBy || "the service"}` : releaseButton(fo, hold, context),
      ),
    ),
  );
  return table(`Holds on fulfilment ${shortId(fo.id)}`, ["Hold", "Note", "Held", "Released"], rows, { class: "fo-holds" });
}

function tracking(shipment: Shipment): Node | string {
  if (!shipment.trackingNumber) return "no tracking yet";
  const label = `${shipment.trackingNumber}${shipment.carrier ? ` (${shipment.carrier})` : ""}`;
  return shipment.trackingUrl ? h("a", { href: shipment.trackingUrl, rel: "noreferrer", target: "_blank" }, label) : label;
}

function shipmentsTable(fo: FulfillmentOrder, context: FulfilmentContext): HTMLElement | null {
  if (!fo.shipments.length) return null;
  const rows = fo.shipments.map((shipment) =>
    h(
      "tr",
      {},
      h("th", { scope: "row" }, `Parcel ${shortId(shipment.id)}`, h("div", { class: "muted small" }, time(shipment.createTime))),
      h(
        "td",
        { "data-label": "Status" },
        h("span", { class: "status" }, shipmentStatus(shipment.status)),
        shipment.failureReason ? h("div", { class: "muted small" }, shipment.failureReason) : null,
      ),
      h("td", { "data-label": "Tracking" }, tracking(shipment)),
      h("td", { "data-label": "Contents" }, shipment.lines.map((line) => `${context.itemName(line)} × ${line.quantity}`).join(", ")),
      h("td", { "data-label": "Change" }, shipmentControls(shipment, context)),
    ),
  );
  return table(`Parcels of fulfilment ${shortId(fo.id)}`, ["Parcel", "Status", "Tracking", "Contents", "Change"], rows, {
    class: "fo-shipments",
  });
}

/**
 * One fulfilment order as the people shipping it read it: where it ships from, its lines, its holds
 * (each releasable), its parcels (each with its status and tracking), and what can be done next.
 */
export function fulfilmentCard(fo: FulfillmentOrder, context: FulfilmentContext): HTMLElement {
  const id = `fo-${fo.id}`;
  const open = WORKABLE.includes(fo.status) && remaining(fo) > 0;
  const canHold = open || fo.status === FulfillmentOrderStatus.ON_HOLD;
  return h(
    "article",
    { class: "fo", "aria-labelledby": `${id}-title`, "data-status": FulfillmentOrderStatus[fo.status] },
    h("h3", { id: `${id}-title` }, `Fulfilment ${shortId(fo.id)} · ${fo.sellerId} at ${fo.locationId}`),
    h(
      "p",
      { class: "fo-facts" },
      h("span", { class: "status" }, fulfilmentStatus(fo.status)),
      fo.fulfillTime ? ` · ships from ${time(fo.fulfillTime)}` : "",
      ` · since ${time(fo.createTime)}`,
      context.orderLink ? context.orderLink(fo) : "",
    ),
    linesTable(fo, context),
    holdsTable(fo, context),
    shipmentsTable(fo, context),
    h("div", { class: "fo-actions" }, open ? shipForm(fo, context) : null, canHold ? holdForm(fo, context) : null),
    context.messageFor(fo.id),
  );
}
