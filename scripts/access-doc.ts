/**
 * The access and visibility tables of docs/security.md, rendered from the code's own
 * (src/orders/order-access.ts, src/cart/cart-access.ts), so the document cannot drift from them.
 *
 *   npm run -s docs:access     rewrites the section between its markers; a test fails when it is stale
 */
import { readFileSync, writeFileSync } from "node:fs";
import type { DescMessage, DescService } from "@bufbuild/protobuf";
import { CartService } from "../gen/shop/cart/v1/cart_pb.js";
import { ListOrdersRequestSchema, OrderService } from "../gen/shop/order/v1/order_pb.js";
import { CART_ACCESS, CART_VISIBILITY } from "../src/cart/rpc/cart-access.js";
import { LIST_ORDERS_FILTERS, ORDER_ACCESS } from "../src/orders/rpc/order-access.js";
import { FULFILLMENT_ACCESS, FULFILLMENT_VISIBILITY } from "../src/fulfilment/rpc/fulfilment-access.js";
import { FulfillmentService } from "../gen/shop/order/v1/fulfillment_pb.js";
import { OrderLedgerService } from "../gen/shop/order/v1/ledger_pb.js";
import { LEDGER_ACCESS, LEDGER_VISIBILITY } from "../src/ledger/rpc/ledger-access.js";
import { OrderChangeService } from "../gen/shop/order/v1/changes_pb.js";
import { CHANGE_ACCESS, CHANGE_VISIBILITY } from "../src/changes/rpc/change-access.js";
import { VIEWERS, type ByViewer, type Grant, type VisibilityTable } from "../src/platform/auth/visibility.js";

export const SECURITY_DOC = "docs/security.md";
const START = "<!-- access-tables:start (npm run -s docs:access) -->";
const END = "<!-- access-tables:end -->";

const cell = (grant: Grant | undefined) => (grant === true ? "yes" : grant === false || grant === undefined ? "no" : grant);
const row = (name: string, rule: ByViewer | undefined) => `| ${name} | ${VIEWERS.map((v) => cell(rule?.[v])).join(" | ")} |`;
const header = (first: string) => [`| ${first} | ${VIEWERS.join(" | ")} |`, `|---|${VIEWERS.map(() => "---").join("|")}|`];

/** Every message a service answers with, and the messages they hold, in the order met. */
export function answeredMessages(services: readonly DescService[]): DescMessage[] {
  const found = new Map<string, DescMessage>();
  const visit = (desc: DescMessage) => {
    if (found.has(desc.typeName) || desc.typeName.startsWith("google.")) return;
    found.set(desc.typeName, desc);
    for (const field of desc.fields) if (field.message) visit(field.message);
  };
  for (const service of services) for (const method of service.methods) visit(method.output);
  return [...found.values()];
}

function visibilityRows(table: VisibilityTable, messages: readonly DescMessage[]): string[] {
  return messages.flatMap((desc) => {
    const rules = desc.fields.map((field) => table[desc.typeName]?.[field.name]);
    const allAlike = rules.length > 0 && rules.every((rule) => JSON.stringify(rule) === JSON.stringify(rules[0]));
    if (allAlike) return [row(`\`${desc.typeName}\`: every field`, rules[0])];
    return desc.fields.map((field, i) => row(`\`${desc.typeName}.${field.name}\``, rules[i]));
  });
}

/** Every served service with its access table, and every answered message's visibility: what the docs and tests walk. */
export const SERVICES = [
  { service: OrderService, access: ORDER_ACCESS as Record<string, ByViewer | undefined> },
  { service: CartService, access: CART_ACCESS as Record<string, ByViewer | undefined> },
  { service: FulfillmentService, access: FULFILLMENT_ACCESS as Record<string, ByViewer | undefined> },
  { service: OrderLedgerService, access: LEDGER_ACCESS as Record<string, ByViewer | undefined> },
  { service: OrderChangeService, access: CHANGE_ACCESS as Record<string, ByViewer | undefined> },
];
export const VISIBILITY: VisibilityTable = { ...CART_VISIBILITY, ...FULFILLMENT_VISIBILITY, ...LEDGER_VISIBILITY, ...CHANGE_VISIBILITY };

export function accessMarkdown(): string {
  const services = SERVICES;
  return [
    START,
    "### Who may call what",
    "",
    ...header("RPC"),
    ...services.flatMap(({ service, access }) => service.methods.map((m) => row(`${service.name}.${m.name}`, access[m.localName]))),
    "",
    "### ListOrders filters",
    "",
    ...header("filter"),
    ...ListOrdersRequestSchema.fields.map((field) => row(`\`${field.name}\``, LIST_ORDERS_FILTERS[field.name])),
    "",
    "### What each role is sent",
    "",
    ...header("field"),
    ...visibilityRows(VISIBILITY, answeredMessages(SERVICES.map(({ service }) => service))),
    END,
  ].join("\n");
}

/** The document with its section replaced by the tables as the code has them now. */
export function securityDocWithTables(doc: string): string {
  const start = doc.indexOf(START);
  const end = doc.indexOf(END);
  if (start < 0 || end < start) throw new Error(`${SECURITY_DOC} lacks the markers ${START} and ${END}`);
  return doc.slice(0, start) + accessMarkdown() + doc.slice(end + END.length);
}

if (process.argv[1]?.endsWith("access-doc.ts")) {
  writeFileSync(SECURITY_DOC, securityDocWithTables(readFileSync(SECURITY_DOC, "utf8")));
  console.log(`wrote the access tables of ${SECURITY_DOC}`);
}
