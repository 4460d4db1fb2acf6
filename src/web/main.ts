import { Code, ConnectError, createClient, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-web";
import { BadRequestSchema, ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { CartService, type Cart } from "../../gen/shop/cart/v1/cart_pb.js";
import type { Money } from "../../gen/shop/money/v1/money_pb.js";
import { OrderService, OrderStatus, type Order } from "../../gen/shop/order/v1/order_pb.js";
import { ProductService } from "../../gen/shop/product/v1/product_pb.js";

// ?protocol=grpc-web switches the transport; both are served on the same port.
const protocol = new URLSearchParams(location.search).get("protocol") === "grpc-web" ? "grpc-web" : "connect";
let token = "";
const authorize: Interceptor = (next) => (request) => {
  if (token) request.header.set("authorization", `Bearer ${token}`);
  return next(request);
};
const options = { baseUrl: location.origin, interceptors: [authorize] };
const transport: Transport = protocol === "grpc-web" ? createGrpcWebTransport(options) : createConnectTransport(options);
const products = createClient(ProductService, transport);
const carts = createClient(CartService, transport);
const orders = createClient(OrderService, transport);

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const value = (id: string) => $<HTMLInputElement>(id).value.trim();
const format = (money?: Money) => (money ? `${(Number(money.amountMinor) / 100).toFixed(2)} ${money.currencyCode}` : "-");
$("protocol").textContent = protocol === "grpc-web" ? "gRPC-Web" : "the Connect protocol";

/** Shows what the service said, including each field it refused. */
function showError(error: unknown): void {
  const connectError = ConnectError.from(error);
  const reason = connectError.findDetails(ErrorInfoSchema)[0]?.reason;
  const fields = connectError.findDetails(BadRequestSchema).flatMap((d) => d.fieldViolations.map((v) => `${v.field}: ${v.description}`));
  $("error").textContent = [`${Code[connectError.code]}${reason ? ` (${reason})` : ""}: ${connectError.rawMessage}`, ...fields].join("\n");
}

async function guarded(action: () => Promise<void>): Promise<void> {
  $("error").textContent = "";
  try {
    await action();
  } catch (error) {
    showError(error);
  }
}

function renderCart(cart: Cart | undefined): void {
  $("cart").replaceChildren(
    ...(cart?.items ?? []).map((item) =>
      Object.assign(document.createElement("li"), { textContent: `${item.quantity} x ${item.name} (${format(item.lineTotal)})` }),
    ),
  );
  $("cart-total").textContent = format(cart?.total);
}

function renderOrder(order: Order, eventType: string): void {
  $("order-number").textContent = order.orderNumber;
  $("order-status").textContent = OrderStatus[order.status];
  $("order-total").textContent = format(order.total);
  const line = document.createElement("li");
  line.textContent = `${eventType || "current state"}: ${OrderStatus[order.status]}`;
  $("order-events").append(line);
}

async function showCatalog(): Promise<void> {
  const { products: list } = await products.listProducts({ pageSize: 50 });
  $("products").replaceChildren(
    ...list.map((product) => {
      const item = document.createElement("li");
      const add = Object.assign(document.createElement("button"), { textContent: "Add to cart" });
      add.dataset.product = product.id;
      add.onclick = () =>
        guarded(async () => renderCart((await carts.addItem({ requestId: crypto.randomUUID(), productId: product.id, quantity: 1 })).cart));
      item.append(`${product.name} ${format(product.price)} `, add);
      return item;
    }),
  );
}

/** Streams the order's changes as they commit, until it ends. */
async function watch(orderId: string): Promise<void> {
  for await (const update of orders.watchOrder({ orderId })) renderOrder(update.order!, update.eventType);
}

$("sign-in").onclick = () =>
  guarded(async () => {
    const response = await fetch(`/dev/token?user=${encodeURIComponent(value("user"))}`);
    if (!response.ok) throw new ConnectError(await response.text(), Code.Unauthenticated);
    token = ((await response.json()) as { token: string }).token;
    $("signed-in").textContent = `signed in as ${value("user")}`;
    await showCatalog();
    renderCart((await carts.getCart({})).cart);
  });

$<HTMLFormElement>("checkout-form").onsubmit = (event) => {
  event.preventDefault();
  void guarded(async () => {
    const { order } = await carts.checkout({
      requestId: crypto.randomUUID(),
      customer: { email: value("email"), firstName: value("first-name"), lastName: value("last-name") },
      shippingAddress: { line1: value("line1"), city: value("city"), postalCode: value("postal-code"), countryCode: value("country") },
      paymentMethod: { method: { case: "cashOnDelivery", value: {} } },
    });
    renderCart(undefined);
    $("order-events").replaceChildren();
    void watch(order!.id).catch(showError);
  });
};
