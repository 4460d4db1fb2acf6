import { readFileSync } from "node:fs";
import { create, isFieldSet, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { ListOrdersRequestSchema, OrderSchema } from "../../gen/shop/order/v1/order_pb.js";
import { accessMarkdown, answeredMessages, SECURITY_DOC, SERVICES, VISIBILITY } from "../../scripts/access-doc.js";
import { LIST_ORDERS_FILTERS, ORDER_ACCESS, ORDER_VISIBILITY } from "../../src/orders/rpc/order-access.js";
import { PermissionDeniedError } from "../../src/platform/errors/domain-errors.js";
import {
  keepVisible,
  refuseFilters,
  requireAccess,
  viewerOf,
  VIEWERS,
  type ByViewer,
  type VisibilityTable,
} from "../../src/platform/auth/visibility.js";

const services = SERVICES;

const complete = (rule: ByViewer | undefined) => rule !== undefined && VIEWERS.every((viewer) => rule[viewer] !== undefined);

describe("the access and visibility tables, walked from the descriptors", () => {
  it("every field of every message an RPC answers with, at any depth, has a visibility rule for each role", () => {
    const missing = answeredMessages(services.map(({ service }) => service)).flatMap((desc) =>
      desc.fields.filter((field) => !complete(VISIBILITY[desc.typeName]?.[field.name])).map((field) => `${desc.typeName}.${field.name}`),
    );
    expect(missing).toEqual([]);
  });

  it("the tables name no message or field the contract does not have", () => {
    const known = new Map(answeredMessages(services.map(({ service }) => service)).map((desc) => [desc.typeName, desc]));
    const stale = Object.entries(VISIBILITY).flatMap(([typeName, fields]) =>
      Object.keys(fields)
        .filter((name) => !known.get(typeName)?.fields.some((field) => field.name === name))
        .map((name) => `${typeName}.${name}`),
    );
    expect(stale).toEqual([]);
    expect(Object.keys(LIST_ORDERS_FILTERS).filter((name) => !ListOrdersRequestSchema.fields.some((f) => f.name === name))).toEqual([]);
  });

  it("every field of ListOrdersRequest has a filter rule for each role", () => {
    expect(ListOrdersRequestSchema.fields.filter((field) => !complete(LIST_ORDERS_FILTERS[field.name])).map((f) => f.name)).toEqual([]);
  });

  it("docs/security.md shows the tables as the code has them", () => {
    expect(readFileSync(SECURITY_DOC, "utf8"), "stale: npm run -s docs:access").toContain(accessMarkdown());
  });
});

/** Every field of `desc` set, recursively, so that clearing any one shows. */
function filled<D extends DescMessage>(desc: D, depth = 0): MessageShape<D> {
  const message = create(desc) as Record<string, unknown>;
  for (const field of desc.fields) {
    const value = (() => {
      if (field.message) return depth < 3 ? filled(field.message, depth + 1) : create(field.message);
      if (field.enum) return 1;
      if (field.scalar === 9) return "x";
      if (field.scalar === 8) return true;
      if ([3, 4, 6, 16, 18].includes(field.scalar)) return 1n;
      return 1;
    })();
    if (field.fieldKind === "list") message[field.localName] = [value];
    else if (field.fieldKind === "map") message[field.localName] = { k: field.mapKind === "message" ? value : "v" };
    else message[field.localName] = value;
  }
  return message as MessageShape<D>;
}

/** Fields set in `message` that the table does not grant `viewer`, by path. */
function leaks(
  table: VisibilityTable,
  desc: DescMessage,
  message: Record<string, unknown>,
  viewer: (typeof VIEWERS)[number],
  path = "",
): string[] {
  return desc.fields.flatMap((field) => {
    const at = `${path}${field.name}`;
    if (!isFieldSet(message as MessageShape<DescMessage>, field)) return [];
    if ((table[desc.typeName]?.[field.name]?.[viewer] ?? false) === false) return [at];
    if (field.message && !table[field.message.typeName]) return [];
    if (field.fieldKind === "message")
      return leaks(table, field.message, message[field.localName] as Record<string, unknown>, viewer, `${at}.`);
    if (field.fieldKind === "list" && field.listKind === "message")
      return (message[field.localName] as Record<string, unknown>[]).flatMap((e) => leaks(table, field.message, e, viewer, `${at}[].`));
    return [];
  });
}

describe("who is who, and the refusals", () => {
  it("when a caller is admin or service, then staff; with a seller id, a seller; otherwise a customer", () => {
    expect(viewerOf({ userId: "u", roles: ["admin"] })).toBe("staff");
    expect(viewerOf({ userId: "u", roles: ["service"], sellerId: "s" })).toBe("staff");
    expect(viewerOf({ userId: "u", roles: ["seller"], sellerId: "s" })).toBe("seller");
    expect(viewerOf({ userId: "u", roles: ["customer"] })).toBe("customer");
  });

  it("when a role the row does not grant calls, then PERMISSION_DENIED naming who may; the roles it grants pass", () => {
    const row = ORDER_ACCESS.updateOrderItemStatus;
    expect(() => requireAccess(row, "customer", "UpdateOrderItemStatus")).toThrow(
      "only sellers or staff (admin, service) may call UpdateOrderItemStatus",
    );
    expect(() => requireAccess(row, "seller", "UpdateOrderItemStatus")).not.toThrow();
    expect(() => requireAccess(row, "staff", "UpdateOrderItemStatus")).not.toThrow();
    expect(() => requireAccess({ customer: false, seller: false, staff: false }, "staff", "X")).toThrow("only nobody may call X");
  });

  it("when a request sets a filter with no rule, then only staff may use it; unset filters are never refused", () => {
    const request = create(ListOrdersRequestSchema, { customerEmail: "ann@example.com" });
    expect(() => refuseFilters({}, ListOrdersRequestSchema, request, "customer")).toThrow("a customer cannot filter by customer_email");
    expect(() => refuseFilters({}, ListOrdersRequestSchema, request, "staff")).not.toThrow();
    expect(() => refuseFilters({}, ListOrdersRequestSchema, create(ListOrdersRequestSchema), "seller")).not.toThrow();
  });
});

describe("keepVisible: what a role is sent", () => {
  it.each(VIEWERS)(
    "when an order with every field set is shown to a %s, then nothing it may not see is left and all it may see is kept",
    (viewer) => {
      const shown = keepVisible(ORDER_VISIBILITY, OrderSchema, filled(OrderSchema), viewer);
      expect(leaks(ORDER_VISIBILITY, OrderSchema, shown as never, viewer)).toEqual([]);
      const kept = OrderSchema.fields.filter((field) => isFieldSet(shown, field)).map((field) => field.name);
      const granted = OrderSchema.fields.filter((field) => ORDER_VISIBILITY["shop.order.v1.Order"]![field.name]![viewer] !== false);
      expect(kept).toEqual(granted.map((field) => field.name));
    },
  );

  it("when a field has no rule, then it is cleared for every role (fail closed)", () => {
    const { notes: _dropped, ...withoutNotes } = ORDER_VISIBILITY["shop.order.v1.Order"]!;
    const table = { ...ORDER_VISIBILITY, "shop.order.v1.Order": withoutNotes };
    for (const viewer of VIEWERS) expect(keepVisible(table, OrderSchema, filled(OrderSchema), viewer).notes).toBe("");
  });

  it("when a seller filters ListOrders by who the customer is, then it is refused whatever the value", () => {
    for (const filter of [{ customerEmail: "ann@example.com" }, { userId: "user-1" }]) {
      const request = create(ListOrdersRequestSchema, filter);
      expect(() => refuseFilters(LIST_ORDERS_FILTERS, ListOrdersRequestSchema, request, "seller")).toThrow(PermissionDeniedError);
      expect(() => refuseFilters(LIST_ORDERS_FILTERS, ListOrdersRequestSchema, request, "customer")).not.toThrow();
    }
    const ordinary = create(ListOrdersRequestSchema, { statuses: [1], orderNumber: "ORD-1", sellerId: "seller-north" });
    expect(() => refuseFilters(LIST_ORDERS_FILTERS, ListOrdersRequestSchema, ordinary, "seller")).not.toThrow();
  });
});
