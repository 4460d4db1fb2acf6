import { Code, ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { BadRequestSchema, ErrorInfoSchema, PreconditionFailureSchema } from "../../gen/google/rpc/error_details_pb.js";
import { FulfillmentService } from "../../gen/shop/order/v1/fulfillment_pb.js";
import { OrderService } from "../../gen/shop/order/v1/order_pb.js";
import { OrderChangeService } from "../../gen/shop/order/v1/changes_pb.js";
import { OrderLedgerService } from "../../gen/shop/order/v1/ledger_pb.js";
import { CartService } from "../../gen/shop/cart/v1/cart_pb.js";

const TOKEN_KEY = "orders-console-token";

/** The bearer token staff signed in with; kept for the browser tab only. Empty behind a gateway. */
export const session = {
  get token(): string {
    return sessionStorage.getItem(TOKEN_KEY) ?? "";
  },
  set token(value: string) {
    if (value) sessionStorage.setItem(TOKEN_KEY, value);
    else sessionStorage.removeItem(TOKEN_KEY);
  },
};

const authorize: Interceptor = (next) => (request) => {
  const token = session.token;
  if (token) request.header.set("authorization", `Bearer ${token}`);
  return next(request);
};

/** Connect-Web to the port the console was served from. */
const transport = createConnectTransport({ baseUrl: location.origin, interceptors: [authorize] });
export const orders = createClient(OrderService, transport);
export const fulfilment = createClient(FulfillmentService, transport);
export const changes = createClient(OrderChangeService, transport);
export const ledger = createClient(OrderLedgerService, transport);
export const carts = createClient(CartService, transport);

export interface Problem {
  readonly code: Code;
  readonly summary: string;
  readonly details: string[];
}

/** What the service said, readable: the code and reason, its message, and each field or precondition it named. */
export function problemOf(error: unknown): Problem {
  const e = ConnectError.from(error);
  const reason = e.findDetails(ErrorInfoSchema)[0]?.reason;
  const fields = e.findDetails(BadRequestSchema).flatMap((d) => d.fieldViolations.map((v) => `${v.field}: ${v.description}`));
  const preconditions = e.findDetails(PreconditionFailureSchema).flatMap((d) => d.violations.map((v) => `${v.subject}: ${v.description}`));
  const code = Code[e.code] ?? "Unknown";
  return { code: e.code, summary: `${e.rawMessage} (${code}${reason ? `, ${reason}` : ""})`, details: [...fields, ...preconditions] };
}

/** The zero UUID names no order: staff are told NOT_FOUND, anyone else PERMISSION_DENIED. */
const NO_ORDER = "00000000-0000-0000-0000-000000000000";

/** Staff see everything; a seller sees only its fulfilment queue. */
export type Role = "staff" | "seller";
export type Access = { readonly ok: true; readonly role: Role } | { readonly ok: false; readonly problem: Problem };

/**
 * Asks the service what this session may do: a staff-only call first, then a seller's. The
 * service decides; the answer only chooses which pages to draw.
 */
export async function checkAccess(): Promise<Access> {
  try {
    await orders.listOrderEvents({ orderId: NO_ORDER });
    return { ok: true, role: "staff" };
  } catch (error) {
    const problem = problemOf(error);
    if (problem.code === Code.NotFound) return { ok: true, role: "staff" };
    if (problem.code !== Code.PermissionDenied) return { ok: false, problem };
  }
  try {
    await fulfilment.listFulfillmentOrders({ pageSize: 1 });
    return { ok: true, role: "seller" };
  } catch (error) {
    return { ok: false, problem: problemOf(error) };
  }
}

/** The signed-in user's id as the token says, for the header only (the service decides what it may do). */
export function tokenSubject(token: string): string {
  try {
    const payload = JSON.parse(atob(token.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/"))) as { sub?: unknown };
    return typeof payload.sub === "string" ? payload.sub : "";
  } catch {
    return "";
  }
}
