import { randomInt, randomUUID } from "node:crypto";
import { CartService } from "../gen/shop/cart/v1/cart_pb.js";
import { OrderService } from "../gen/shop/order/v1/order_pb.js";
import { call, type Client } from "./bench-support.js";
import { GeneratorExhausted, type Operation } from "./load.js";
import { productId, type Stack } from "./stack.js";

/** Arrival rate of the storefront mix, calls per second: 3x the 150/s of issue 8 (issue 22). */
export const MIX_RATE = Number(process.env.BENCH_MIX_RATE ?? 450);

/** Buyers who place orders, so each has a few pages of history for ListOrders. */
const SHOPPERS = 100;
const shopper = () => `shopper-${randomInt(SHOPPERS)}`;

const buyer = {
  customer: { email: "bench@example.com", firstName: "Bench", lastName: "Mark", phone: "+14155550123" },
  shippingAddress: { line1: "1 Main St", city: "Springfield", state: "IL", postalCode: "62701", countryCode: "US" },
  paymentMethod: { method: { case: "cashOnDelivery", value: {} } },
};

/** Three different products, one unit each. */
function threeItems() {
  const first = randomInt(1_000_000);
  return [0, 1, 2].map((k) => ({ productId: productId(first + k * 7), quantity: 1 }));
}

export interface Scenarios {
  readonly createOrder: Operation;
  /** CreateOrder of three of 30 products: after the first seconds the product cache answers every lookup. */
  readonly createOrderOfFixedProducts: Operation;
  readonly getOrder: Operation;
  readonly listOrders: Operation;
  readonly addItem: Operation;
  /** Checks out carts filled beforehand by `fillCarts`. */
  readonly checkout: Operation;
  fillCarts(count: number): Promise<void>;
  /** Storefront traffic, mostly reads: GetCart 35%, GetOrder 20%, ListOrders 15%, AddItem 20%, Checkout 10%. */
  readonly mix: Operation;
  /** Ids of orders placed by createOrder, in the order their calls answered. */
  readonly createdOrderIds: string[];
}

/**
 * CreateOrder and GetOrder against any OrderService (the service, or a floor in bench/floors/):
 * createOrder adds each new order's id to `created`, getOrder reads a random one of them.
 */
export function orderOperations(orders: Client, created: string[]): { createOrder: Operation; getOrder: Operation } {
  return {
    async createOrder() {
      const { order } = await call<{ order: { id: string } }>(orders, "createOrder", {
        requestId: randomUUID(),
        userId: shopper(),
        items: threeItems(),
        ...buyer,
      });
      created.push(order.id);
    },
    getOrder: () => call(orders, "getOrder", { orderId: created[randomInt(created.length)] }),
  };
}

/** ListOrders, a page of 20 of a random buyer's orders, against any OrderService. */
export const listOrdersOperation =
  (orders: Client): Operation =>
  () =>
    call(orders, "listOrders", { userId: shopper(), pageSize: 20 });

/** Cart AddItem against any CartService: a random product into carts of twenty lines each (well under the cart's limits), named from `prefix`. */
export function addItemOperation(carts: Client, prefix: string): Operation {
  return (i) =>
    call(carts, "addItem", {
      requestId: randomUUID(),
      userId: `${prefix}-${i < 0 ? `warm-${Math.floor(-i / 20)}` : Math.floor(i / 20)}`,
      productId: productId(randomInt(1_000_000)),
      quantity: 1,
    });
}

export function scenarios(stack: Stack): Scenarios {
  const orders = stack.client(OrderService);
  const carts = stack.client(CartService);
  const run = randomUUID().slice(0, 8);
  const created: string[] = [];
  const filled: string[] = [];
  const mixCarts: string[] = [];
  let mixAdds = 0;

  const { createOrder, getOrder } = orderOperations(orders, created);
  const listOrders = listOrdersOperation(orders);
  const add = (userId: string, n: number) =>
    call(carts, "addItem", { requestId: randomUUID(), userId, productId: productId(n), quantity: 1 });
  const addItem = addItemOperation(carts, `cart-${run}`);
  const checkout = (userId: string) => call(carts, "checkout", { requestId: randomUUID(), userId, ...buyer });

  return {
    createOrder,
    async createOrderOfFixedProducts() {
      const { order } = await call<{ order: { id: string } }>(orders, "createOrder", {
        requestId: randomUUID(),
        userId: shopper(),
        items: [0, 1, 2].map((k) => ({ productId: productId(randomInt(10) * 3 + k), quantity: 1 })),
        ...buyer,
      });
      created.push(order.id);
    },
    getOrder,
    listOrders,
    addItem,
    checkout: () => {
      const userId = filled.pop();
      return userId ? checkout(userId) : Promise.reject(new GeneratorExhausted("no filled cart left"));
    },
    async fillCarts(count) {
      const users = Array.from({ length: count }, (_, k) => `checkout-${run}-${filled.length + k}`);
      for (let k = 0; k < users.length; k += 32) {
        await Promise.all(
          users.slice(k, k + 32).map(async (userId) => {
            const n = randomInt(1_000_000);
            await add(userId, n);
            await add(userId, n + 1);
          }),
        );
      }
      filled.push(...users);
    },
    mix: async () => {
      const roll = randomInt(100);
      if (roll < 35) return call(carts, "getCart", { userId: mixCarts.at(-1 - randomInt(Math.min(mixCarts.length, 50) || 1)) ?? "nobody" });
      if (roll < 55) return created.length ? getOrder(0) : listOrders(0);
      if (roll < 70) return listOrders(0);
      if (roll < 90 || mixCarts.length === 0) {
        // Two items per cart, then the cart is ready to check out.
        const n = mixAdds++;
        const userId = `mix-${run}-${Math.floor(n / 2)}`;
        await add(userId, randomInt(1_000_000));
        if (n % 2 === 1) mixCarts.push(userId);
        return;
      }
      return checkout(mixCarts.shift()!);
    },
    createdOrderIds: created,
  };
}
