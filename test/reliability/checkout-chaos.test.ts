import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CartService } from "../../gen/shop/cart/v1/cart_pb.js";
import { ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { checkoutRequest } from "../support/cart-fixtures.js";
import { query, setStock } from "../support/db.js";
import { startServiceStack } from "../support/service-process.js";
import { stockViolations } from "../support/stock-violations.js";
import { token } from "../support/tokens.js";

const BUYERS = 40;
/** Scarce enough that carts hold a good share of it. */
const PRODUCTS = ["prod-poster", "prod-lamp", "prod-backpack"];

interface Buyer {
  /** The key orders and carts are kept under: the user id, or "guest:<cart id>". */
  readonly key: string;
  readonly bearer: string;
  /** The checkout sent to the instance that is killed: retried with its request id. */
  readonly first: ReturnType<typeof checkoutRequest>;
}

/** A refusal by its reason; a call the kill cut off (no answer from the service) as "cut off". */
const outcome = (error: unknown) => {
  const e = ConnectError.from(error);
  const reason = e.findDetails(ErrorInfoSchema)[0]?.reason;
  return reason ? `${Code[e.code]} ${reason}` : "cut off";
};

/**
 * The checkout chaos: buyers, half of them guests, each check their held cart out twice at once,
 * once through each of two instances on one database, and one instance is killed (SIGKILL) mid-wave.
 * Afterwards every buyer has exactly one order, every cart is empty exactly because its order
 * exists, and every unit Inventory holds is an open order's (no cart hold or half-placed order left).
 */
describe("checkout chaos: double checkouts through two instances, one killed mid-wave", () => {
  let stack: Awaited<ReturnType<typeof startServiceStack>>;
  let other: Awaited<ReturnType<typeof stack.startInstance>>;
  const client = (port: number, bearer: string): Client<typeof CartService> =>
    createClient(
      CartService,
      createConnectTransport({
        baseUrl: `http://127.0.0.1:${port}`,
        httpVersion: "1.1",
        interceptors: bearer ? [(next) => (request) => (request.header.set("authorization", `Bearer ${bearer}`), next(request))] : [],
      }),
    );

  beforeAll(async () => {
    // Short deadlines: what the killed instance left (claims, checkout marks, pending reservations) lapses within seconds.
    stack = await startServiceStack({
      RPC_DEFAULT_TIMEOUT_MS: "3000",
      RPC_MAX_TIMEOUT_MS: "3000",
      RESERVATION_SWEEP_MS: "500",
      PRODUCT_CACHE_TTL_MS: "0",
    });
    for (const productId of PRODUCTS) await setStock(stack.databaseUrl, 100, { productId });
    await stack.startService();
    other = await stack.startInstance();
  }, 120_000);
  afterAll(() => stack?.stop());

  it("then each buyer has exactly one order, each cart is emptied with its order, and stock is conserved", async () => {
    const doomed = stack.httpPort;
    const buyers: Buyer[] = [];
    for (let n = 0; n < BUYERS; n++) {
      let key = `chaos-${n}-${randomUUID().slice(0, 6)}`;
      let bearer = await token(key);
      if (n % 2 === 1) {
        const guest = await client(other.httpPort, "").createGuestCart({});
        [key, bearer] = [`guest:${guest.cart!.cartId}`, guest.cartToken];
      }
      const cart = client(doomed, bearer);
      for (const productId of PRODUCTS.filter(() => Math.random() < 0.6)) {
        await cart.addItem({ requestId: randomUUID(), productId, quantity: 1 + (n % 2) }).catch(() => undefined);
      }
      if ((await cart.getCart({})).cart!.itemCount > 0) buyers.push({ key, bearer, first: checkoutRequest("") });
    }
    expect(buyers.length).toBeGreaterThan(BUYERS / 2);

    const outcomes = new Map<string, number>();
    const count = (what: string) => outcomes.set(what, (outcomes.get(what) ?? 0) + 1);
    let settledOnDoomed = 0;
    const wave = buyers.flatMap((buyer) => [
      client(doomed, buyer.bearer)
        .checkout(buyer.first)
        .then(
          () => count("killed instance: OK"),
          (error: unknown) => count(`killed instance: ${outcome(error)}`),
        )
        .finally(() => settledOnDoomed++),
      client(other.httpPort, buyer.bearer)
        .checkout(checkoutRequest(""))
        .then(
          () => count("other instance: OK"),
          (error: unknown) => count(`other instance: ${outcome(error)}`),
        ),
    ]);
    // Mid-wave: once a quarter of the doomed instance's checkouts have answered.
    const kill = (async () => {
      while (settledOnDoomed < buyers.length / 4) await sleep(5);
      await stack.service!.kill("SIGKILL");
    })();
    await Promise.all([...wave, kill]);

    // Whoever has no order yet retries the checkout the killed instance took, with its request id.
    const ordersOf = async () =>
      new Map(
        (
          await query<{ user_id: string; orders: number }>(
            stack.databaseUrl,
            `select user_id, count(*)::int as orders from orders where user_id = any($1::text[]) group by user_id`,
            [buyers.map((b) => b.key)],
          )
        ).map((row) => [row.user_id, row.orders]),
      );
    const deadline = Date.now() + 45_000;
    for (let placed = await ordersOf(); buyers.some((b) => !placed.has(b.key)) && Date.now() < deadline; placed = await ordersOf()) {
      await Promise.all(
        buyers
          .filter((b) => !placed.has(b.key))
          .map((b) =>
            client(other.httpPort, b.bearer)
              .checkout(b.first)
              .then(
                () => count("retry: OK"),
                (error: unknown) => count(`retry: ${outcome(error)}`),
              ),
          ),
      );
      await sleep(500);
    }
    for (let i = 0; (await query(stack.databaseUrl, `select 1 from pending_reservations`)).length > 0; i++) {
      if (i > 200) throw new Error("pending reservations were never settled");
      await sleep(100);
    }

    console.info(`checkout chaos: ${buyers.length} buyers, outcomes ${JSON.stringify(Object.fromEntries([...outcomes].sort()))}`);
    const placed = await ordersOf();
    expect(buyers.filter((b) => placed.get(b.key) !== 1).map((b) => `${b.key}: ${placed.get(b.key) ?? 0} orders`)).toEqual([]);
    expect(
      await query(
        stack.databaseUrl,
        `select c.user_id from carts c where c.user_id = any($1::text[]) and exists (select 1 from cart_items i where i.cart_user_id = c.user_id)`,
        [buyers.map((b) => b.key)],
      ),
    ).toEqual([]);
    expect(await stockViolations(stack.databaseUrl, PRODUCTS, [], true)).toEqual([]);
    // The kill cut checkouts off mid-flight, and the race between the two instances happened.
    expect(outcomes.get("killed instance: cut off") ?? 0).toBeGreaterThan(0);
    expect(outcomes.get("other instance: Aborted CHECKOUT_IN_PROGRESS") ?? 0).toBeGreaterThan(0);
  }, 180_000);
});
