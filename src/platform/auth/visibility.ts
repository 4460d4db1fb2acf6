import { create, isFieldSet, type DescMessage, type DescService, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import { reflect, type ReflectMessage } from "@bufbuild/protobuf/reflect";
import { PermissionDeniedError } from "../errors/domain-errors.js";
import { isStaff, type Principal } from "./principal.js";

/** The three ways of seeing the service: staff (admin, service) see all, a seller its own items, a customer its own things. */
export const VIEWERS = ["customer", "seller", "staff"] as const;
export type Viewer = (typeof VIEWERS)[number];

export function viewerOf(principal: Principal): Viewer {
  if (isStaff(principal)) return "staff";
  return principal.sellerId !== undefined ? "seller" : "customer";
}

/**
 * What one role gets: `false` nothing (a refused call, a field never sent, a filter refused),
 * `true` all of it, or a string saying how it is narrowed ("own orders", "own lines only").
 * A string is shown and documented; the narrowing itself is the use case's or mapper's.
 */
export type Grant = boolean | string;
export type ByViewer = Readonly<Record<Viewer, Grant>>;

/** Who may call each method of a service: every method has a row (a test walks the descriptors). */
export type AccessTable<S extends DescService> = Readonly<Record<keyof S["method"], ByViewer>>;

/**
 * Which fields each role is sent, per message type (full name) and field (proto name), for every
 * message a service answers with. Well-known types (google.*) are leaves, kept or dropped whole.
 */
export type VisibilityTable = Readonly<Record<string, Readonly<Record<string, ByViewer>>>>;

/** The same, for the fields of a request that narrow what it reads (ListOrders' filters). */
export type FilterTable = Readonly<Record<string, ByViewer>>;

const PLURAL: Record<Viewer, string> = { customer: "customers", seller: "sellers", staff: "staff (admin, service)" };

/** Refuses a call the table does not grant the caller's role. */
export function requireAccess(rule: ByViewer, viewer: Viewer, rpc: string): void {
  if (rule[viewer] !== false) return;
  const allowed = VIEWERS.filter((v) => rule[v] !== false).map((v) => PLURAL[v]);
  throw new PermissionDeniedError(`only ${allowed.join(" or ") || "nobody"} may call ${rpc}`);
}

/** Refuses a request that sets a filter its caller's role may not use: the answer would tell what the role may not see. */
export function refuseFilters<D extends DescMessage>(table: FilterTable, desc: D, request: MessageShape<D>, viewer: Viewer): void {
  for (const field of desc.fields) {
    // A field without a rule is refused to everyone but staff: filters are opened one by one.
    const grant = table[field.name]?.[viewer] ?? viewer === "staff";
    if (grant === false && isFieldSet(request, field)) {
      throw new PermissionDeniedError(`a ${viewer} cannot filter by ${field.name}: it would tell what the ${viewer} may not see`);
    }
  }
}

/** Per table, whether a role is denied anything in a message type or the messages it holds. */
const hidesAnything = new WeakMap<VisibilityTable, Map<string, boolean>>();

/**
 * The message with every field the table does not grant `viewer` cleared, in it and in the
 * messages it holds; a field with no rule is cleared (fail closed). For a role that is granted
 * every field of the type (staff, and customers on their own orders) nothing is walked.
 */
export function keepVisible<D extends DescMessage>(
  table: VisibilityTable,
  desc: D,
  init: MessageInitShape<D>,
  viewer: Viewer,
): MessageShape<D> {
  const message = create(desc, init);
  if (hides(table, desc, viewer)) strip(table, reflect(desc, message), viewer);
  return message;
}

function hides(table: VisibilityTable, desc: DescMessage, viewer: Viewer, seen = new Set<DescMessage>()): boolean {
  const key = `${desc.typeName}/${viewer}`;
  let cache = hidesAnything.get(table);
  if (!cache) hidesAnything.set(table, (cache = new Map<string, boolean>()));
  const known = cache.get(key);
  if (known !== undefined) return known;
  if (seen.has(desc) || !table[desc.typeName]) return false;
  seen.add(desc);
  const rules = table[desc.typeName]!;
  const result = desc.fields.some((field) => {
    const grant = rules[field.name]?.[viewer] ?? false;
    return grant === false || (field.message !== undefined && hides(table, field.message, viewer, seen));
  });
  cache.set(key, result);
  return result;
}

function strip(table: VisibilityTable, message: ReflectMessage, viewer: Viewer): void {
  const rules = table[message.desc.typeName];
  if (!rules) return;
  for (const field of message.fields) {
    if (!message.isSet(field)) continue;
    if ((rules[field.name]?.[viewer] ?? false) === false) {
      message.clear(field);
      continue;
    }
    if (!field.message || !hides(table, field.message, viewer)) continue;
    if (field.fieldKind === "message") strip(table, message.get(field), viewer);
    else if (field.fieldKind === "list") for (const element of message.get(field)) strip(table, element as ReflectMessage, viewer);
    else if (field.fieldKind === "map") for (const element of message.get(field).values()) strip(table, element as ReflectMessage, viewer);
  }
}
