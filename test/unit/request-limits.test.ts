import { create, hasOption, toBinary, toJsonString, type DescMessage } from "@bufbuild/protobuf";
import { max_items } from "../../gen/shop/api/v1/limits_pb.js";
import { describe, expect, it } from "vitest";
import { CreateOrderRequestSchema, GetOrderRequestSchema, ListOrdersRequestSchema, OrderStatus } from "../../gen/shop/order/v1/order_pb.js";
import { InvalidArgumentError, MAX_VIOLATIONS } from "../../src/platform/errors/domain-errors.js";
import { countBinary, countJson, maxItemsOf } from "../../src/platform/transport/request-limits.js";
import { Violations } from "../../src/platform/validation.js";
import { SERVICES } from "../../scripts/access-doc.js";

const items = (n: number) => Array.from({ length: n }, (_, i) => ({ productId: `p-${i}`, quantity: 1 }));
const encode = (text: string) => new TextEncoder().encode(text);

/** Every repeated or map field reachable from a message, by its full name. */
function listsOf(desc: DescMessage, seen = new Set<DescMessage>()): { name: string; declared: boolean }[] {
  if (seen.has(desc)) return [];
  seen.add(desc);
  return desc.fields.flatMap((field) => [
    ...(field.fieldKind === "list" || field.fieldKind === "map"
      ? [{ name: `${desc.typeName}.${field.name}`, declared: hasOption(field, max_items) }]
      : []),
    ...(field.message ? listsOf(field.message, seen) : []),
  ]);
}

describe("request limits: lists counted on the wire before decoding", () => {
  it("every repeated or map field of every request, at any depth, declares its maximum in the contract", () => {
    const lists = SERVICES.map(({ service }) => service).flatMap((service) => service.methods.flatMap((method) => listsOf(method.input)));
    expect(lists.length).toBeGreaterThanOrEqual(2);
    expect(lists.filter((list) => !list.declared).map((list) => list.name)).toEqual([]);
  });

  it("reads each maximum from the contract's (shop.api.v1.max_items) option", () => {
    expect(maxItemsOf(CreateOrderRequestSchema.field.items)).toBe(50);
    expect(maxItemsOf(ListOrdersRequestSchema.field.statuses)).toBe(8);
  });

  it("when a list holds its maximum, then nothing is said; one more, and its field and count are named", () => {
    const at = (n: number) => toBinary(CreateOrderRequestSchema, create(CreateOrderRequestSchema, { items: items(n) }));
    expect(countBinary(CreateOrderRequestSchema, at(50))).toEqual([]);
    expect(countBinary(CreateOrderRequestSchema, at(51))).toEqual([{ field: "items", description: "must hold at most 50 items; got 51" }]);
  });

  it("when elements past the maximum come in runs broken by other fields, then every element of every run is counted", () => {
    const item = toBinary(CreateOrderRequestSchema, create(CreateOrderRequestSchema, { items: items(1) }));
    const note = toBinary(CreateOrderRequestSchema, create(CreateOrderRequestSchema, { notes: "x" }));
    const runs = [60, 1, 7].flatMap((n) => [...Array.from({ length: n }, () => [...item]).flat(), ...note]);
    expect(countBinary(CreateOrderRequestSchema, new Uint8Array(runs))).toEqual([
      { field: "items", description: "must hold at most 50 items; got 68" },
    ]);
    // Unpacked enums past the maximum, a run of 20, then page_size, then 3 more.
    const unpacked = new Uint8Array([
      ...Array.from({ length: 20 }, () => [0x18, 0x03]).flat(),
      0x08,
      0x05,
      0x18,
      0x03,
      0x18,
      0x03,
      0x18,
      0x03,
    ]);
    expect(countBinary(ListOrdersRequestSchema, unpacked)).toEqual([
      { field: "statuses", description: "must hold at most 8 items; got 23" },
    ]);
  });

  it("when enums come packed or one by one, then both are counted", () => {
    const packed = toBinary(ListOrdersRequestSchema, create(ListOrdersRequestSchema, { statuses: Array(9).fill(OrderStatus.PAID) }));
    expect(countBinary(ListOrdersRequestSchema, packed)).toEqual([{ field: "statuses", description: "must hold at most 8 items; got 9" }]);
    // Field 3, wire type varint, nine times: the unpacked form parsers must also accept.
    const unpacked = new Uint8Array(Array.from({ length: 9 }, () => [0x18, 0x03]).flat());
    expect(countBinary(ListOrdersRequestSchema, unpacked)).toEqual([
      { field: "statuses", description: "must hold at most 8 items; got 9" },
    ]);
    // Varints of several bytes count once each.
    const wide = new Uint8Array([0x1a, 0x06, 0x80, 0x01, 0x80, 0x01, 0x80, 0x01]);
    expect(countBinary(ListOrdersRequestSchema, wide)).toEqual([]);
  });

  it("when a request has no list anywhere, then it is not walked at all", () => {
    expect(countBinary(GetOrderRequestSchema, new Uint8Array([0xff, 0xff, 0xff]))).toEqual([]);
  });

  it("when the bytes are not protobuf, then the count says nothing and leaves the refusal to the decoder", () => {
    expect(countBinary(CreateOrderRequestSchema, new Uint8Array([0x22, 0x7f]))).toEqual([]);
  });

  it("when two million empty lines fill 4 MiB, then they are counted without being decoded", () => {
    const bytes = new Uint8Array(4 * 1024 * 1024);
    for (let i = 0; i < bytes.length; i += 2) bytes[i] = 0x22;
    expect(countBinary(CreateOrderRequestSchema, bytes)).toEqual([
      { field: "items", description: "must hold at most 50 items; got 2097152" },
    ]);
  });

  it("when JSON names a list by its JSON or its proto name, then it is counted the same", () => {
    const json = toJsonString(CreateOrderRequestSchema, create(CreateOrderRequestSchema, { items: items(51) }));
    expect(countJson(CreateOrderRequestSchema, encode(json))).toEqual([
      { field: "items", description: "must hold at most 50 items; got 51" },
    ]);
    expect(countJson(ListOrdersRequestSchema, encode(`{"statuses": [1,2,3,4,5,6,7,8,"ORDER_STATUS_PAID"]}`))).toHaveLength(1);
    expect(countJson(CreateOrderRequestSchema, encode(`{"items": []}`))).toEqual([]);
  });

  it("when JSON strings hold brackets, commas and escaped quotes, then they are not mistaken for structure", () => {
    const json = `{"notes": "[{,\\"]}", "items": [{"productId": "a,b]"}], "customer": {"email": "x\\\\"}}`;
    expect(countJson(CreateOrderRequestSchema, encode(json))).toEqual([]);
    expect(countJson(CreateOrderRequestSchema, encode(`{"it\\u0065ms": [${Array(51).fill("{}").join(",")}]}`))).toHaveLength(1);
  });

  it("when JSON carries values that belong to no field, then past a thousand the request is refused before it is parsed", () => {
    // The key and its elements: 1 + 999 stray values.
    const few = `{"extra": [${Array(999).fill(1).join(",")}]}`;
    expect(countJson(ListOrdersRequestSchema, encode(few))).toEqual([]);
    const many = `{"extra": [${Array(1_000).fill(1).join(",")}]}`;
    expect(countJson(ListOrdersRequestSchema, encode(many))).toEqual([
      { field: "", description: "holds more than 1000 values that are not fields of the request" },
    ]);
    const keys = `{${Array.from({ length: 1_001 }, (_, i) => `"k${i}": 0`).join(",")}}`;
    expect(countJson(ListOrdersRequestSchema, encode(keys))).toHaveLength(1);
  });

  it("when elements past a list's maximum hold fields, then they are walked for the count and not charged as stray", () => {
    // 50 elements within the maximum charge 3 stray values each; the 1,950 past it charge none.
    const json = `{"items": [${Array(2_000).fill(`{"productId": "p", "unknown": [1, 2]}`).join(",")}]}`;
    expect(countJson(CreateOrderRequestSchema, encode(json))).toEqual([
      { field: "items", description: "must hold at most 50 items; got 2000" },
    ]);
  });

  it("when JSON nests deeper than any request does, then it is refused without being walked further", () => {
    const deep = `${"[".repeat(100_000)}${"]".repeat(100_000)}`;
    expect(countJson(ListOrdersRequestSchema, encode(`{"x": ${deep}}`))).toEqual([
      { field: "", description: "is nested more than 32 levels deep" },
    ]);
  });
});

describe("refusals stay small whatever was asked", () => {
  it("when a request has thousands of problems, then the first 50 are sent and the rest counted", () => {
    const v = new Violations();
    for (let i = 0; i < 100_000; i++) v.add(`statuses[${i}]`, "must be a known status");
    const error = (() => {
      try {
        v.throwIfAny();
      } catch (thrown) {
        return thrown as InvalidArgumentError;
      }
    })()!;
    expect(error.violations).toHaveLength(MAX_VIOLATIONS);
    expect(error.message).toMatch(/; and 99950 more$/);
    expect(error.metadata).toEqual({ violation_count: "100000" });
  });

  it("when a violation's field or text is long, then it is cut", () => {
    const error = new InvalidArgumentError([{ field: "f".repeat(10_000), description: "d".repeat(10_000) }]);
    expect(error.violations[0]!.field.length).toBeLessThanOrEqual(200);
    expect(error.violations[0]!.description.length).toBeLessThanOrEqual(200);
  });
});
