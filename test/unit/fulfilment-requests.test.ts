import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import {
  CreateShipmentRequestSchema,
  HoldFulfillmentOrderRequestSchema,
  HoldReason,
  ListFulfillmentOrdersRequestSchema,
  MergeFulfillmentOrdersRequestSchema,
  ReleaseFulfillmentOrderRequestSchema,
  ShipmentStatus,
  UpdateShipmentStatusRequestSchema,
  UpdateShipmentTrackingRequestSchema,
} from "../../gen/shop/order/v1/fulfillment_pb.js";
import { InvalidArgumentError } from "../../src/platform/errors/domain-errors.js";
import * as parse from "../../src/fulfilment/rpc/requests/fulfilment-requests.js";

const FO = "6a1f3c1e-2b7d-4c39-9d7e-0f1e2d3c4b5a";
const LINE = "7b2e4d2f-3c8e-4d4a-8e8f-1a2b3c4d5e6f";
const base = { requestId: "r-1", fulfillmentOrderId: FO };

/** The violated fields of a parse, in order; [] when it parses. */
function violations(run: () => unknown): string[] {
  try {
    run();
    return [];
  } catch (error) {
    if (!(error instanceof InvalidArgumentError)) throw error;
    return error.violations.map((violation) => violation.field);
  }
}

describe("FulfillmentService requests", () => {
  it("when a hold names AWAITING_PAYMENT, no reason, a bad handle or a line twice, then each is a violation of its own", () => {
    const request = create(HoldFulfillmentOrderRequestSchema, {
      ...base,
      reason: HoldReason.AWAITING_PAYMENT,
      handle: "Not Valid",
      lines: [
        { lineId: LINE, quantity: 1 },
        { lineId: LINE, quantity: 0 },
      ],
    });
    expect(violations(() => parse.parseHold(request))).toEqual(["handle", "reason", "lines[1].quantity", "lines[1].line_id"]);
    expect(
      violations(() => parse.parseHold(create(HoldFulfillmentOrderRequestSchema, { ...base, reason: HoldReason.UNSPECIFIED }))),
    ).toEqual(["reason"]);
    const held = parse.parseHold(create(HoldFulfillmentOrderRequestSchema, { ...base, reason: HoldReason.OTHER, handle: "address-check" }));
    expect([held.reason, held.handle, held.lines.size]).toEqual(["OTHER", "address-check", 0]);
  });

  it("when ids are not UUIDs or the version is out of range, then INVALID_ARGUMENT names them", () => {
    const request = create(ReleaseFulfillmentOrderRequestSchema, {
      requestId: "",
      fulfillmentOrderId: "fo-1",
      expectedVersion: 0n,
      handles: ["a", "a"],
    });
    expect(violations(() => parse.parseRelease(request))).toEqual(["request_id", "fulfillment_order_id", "expected_version", "handles"]);
    expect(
      violations(() => parse.parseMerge(create(MergeFulfillmentOrdersRequestSchema, { ...base, otherFulfillmentOrderId: FO }))),
    ).toEqual(["other_fulfillment_order_id"]);
  });

  it("when a parcel is handed over without tracking, or its tracking URL is not https, then refused; empty lines mean everything remaining", () => {
    const bad = create(CreateShipmentRequestSchema, { ...base, handedOver: true, trackingUrl: "http://track.example/1" });
    expect(violations(() => parse.parseShip(bad))).toEqual(["tracking_url", "tracking_number"]);
    const all = parse.parseShip(
      create(CreateShipmentRequestSchema, { ...base, trackingNumber: "1Z9", trackingUrl: "https://t.example/1Z9" }),
    );
    expect([all.lines.size, all.handedOver]).toEqual([0, false]);
  });

  it("when a shipment is set READY, or FAILED without a reason, then refused; tracking needs a number", () => {
    const shipment = { requestId: "r-1", shipmentId: LINE };
    expect(
      violations(() => parse.parseShipmentStatus(create(UpdateShipmentStatusRequestSchema, { ...shipment, status: ShipmentStatus.READY }))),
    ).toEqual(["status"]);
    expect(
      violations(() =>
        parse.parseShipmentStatus(create(UpdateShipmentStatusRequestSchema, { ...shipment, status: ShipmentStatus.FAILED })),
      ),
    ).toEqual(["reason"]);
    expect(violations(() => parse.parseTracking(create(UpdateShipmentTrackingRequestSchema, shipment)))).toEqual(["tracking_number"]);
  });

  it("when a list asks for more than 100 or names an unknown status, then refused; page size 0 means 20", () => {
    const bad = create(ListFulfillmentOrdersRequestSchema, { pageSize: 101, statuses: [99 as never] });
    expect(violations(() => parse.parseListFulfilment(bad))).toEqual(["statuses[0]", "page_size"]);
    expect(parse.parseListFulfilment(create(ListFulfillmentOrdersRequestSchema, {})).pageSize).toBe(20);
  });
});
