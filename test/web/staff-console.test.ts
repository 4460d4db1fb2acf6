import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import axe from "axe-core";
import type { Client } from "@connectrpc/connect";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { build } from "vite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OrderService, OrderStatus, type Order } from "../../gen/shop/order/v1/order_pb.js";
import { FulfillmentService } from "../../gen/shop/order/v1/fulfillment_pb.js";
import { OrderChangeService, OrderChangeType, ReturnReason } from "../../gen/shop/order/v1/changes_pb.js";
import { createOrderRequest } from "../support/fixtures.js";
import { checkoutRequest } from "../support/cart-fixtures.js";
import { CartService } from "../../gen/shop/cart/v1/cart_pb.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { adminToken, sellerToken, token } from "../support/tokens.js";
import { query } from "../support/db.js";

/** Debian's Chromium, never a downloaded browser. */
const CHROMIUM = "/usr/bin/chromium";
const ARTIFACTS = "test/artifacts";
const rid = () => randomUUID();

/** axe-core in the page (evaluated, so the console's CSP need not allow it): serious and critical violations, described. */
async function accessibilityProblems(page: Page): Promise<string[]> {
  await page.evaluate(axe.source);
  const results = await page.evaluate<axe.AxeResults>(
    `axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21aa", "best-practice"] } })`,
  );
  return results.violations
    .filter((violation) => violation.impact === "serious" || violation.impact === "critical")
    .map(
      (violation) =>
        `${violation.impact} ${violation.id}: ${violation.help} (${violation.nodes.map((node) => node.target.join(" ")).join("; ")})`,
    );
}

/** The page's cumulative layout shift so far, not counting shifts right after input (as the metric itself does). */
async function layoutShift(page: Page): Promise<number> {
  return page.evaluate<number>(`new Promise((resolve) => {
    let total = 0;
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) if (!entry.hadRecentInput) total += entry.value;
    }).observe({ type: "layout-shift", buffered: true });
    setTimeout(() => resolve(total), 300);
  })`);
}

/** How wide the document is, and what sticks out past `width` (for the failure message). */
async function overflow(page: Page, width: number): Promise<{ scrollWidth: number; wider: string[] }> {
  return page.evaluate<{ scrollWidth: number; wider: string[] }>(`({
    scrollWidth: document.documentElement.scrollWidth,
    wider: [...document.querySelectorAll("body *")]
      .filter((e) => !e.closest(".table-scroll") && e.getBoundingClientRect().right > ${width} + 1)
      .slice(0, 8)
      .map((e) => e.tagName + "." + e.className + " " + Math.round(e.getBoundingClientRect().right)),
  })`);
}

describe("the staff console in headless Chromium, against the real service", () => {
  const consoleDir = mkdtempSync(join(tmpdir(), "console-"));
  let app: TestApp;
  let browser: Browser;
  let desk: BrowserContext;
  let orders: Client<typeof OrderService>;
  let base: string;

  beforeAll(async () => {
    await build({ configFile: "src/console/vite.config.ts", build: { outDir: consoleDir, emptyOutDir: true }, logLevel: "silent" });
    app = await startTestApp({ CONSOLE_DIR: consoleDir });
    orders = app.grpc(OrderService);
    base = `http://127.0.0.1:${app.httpPort}/console/`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    desk = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    mkdirSync(ARTIFACTS, { recursive: true });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    rmSync(consoleDir, { recursive: true, force: true });
  });

  const place = async (userId: string, items = createOrderRequest().items) =>
    (await orders.createOrder(createOrderRequest({ userId, items }))).order!;
  const confirm = (order: Order) => orders.updateOrderStatus({ requestId: rid(), orderId: order.id, status: OrderStatus.CONFIRMED });

  async function signIn(page: Page, bearer: string) {
    await page.goto(base);
    await page.getByLabel("Bearer token").fill(bearer);
    await page.getByRole("button", { name: "Sign in" }).click();
  }

  it("when /console is asked, then the page comes with a CSP that allows only its own origin and no framing", async () => {
    const redirect = await fetch(`http://127.0.0.1:${app.httpPort}/console`, { redirect: "manual" });
    expect(redirect.status).toBe(308);
    const page = await fetch(base);
    expect(page.status).toBe(200);
    // Each directive exactly: a policy that added 'unsafe-inline' or a foreign host to any of them fails.
    const policy = Object.fromEntries(
      page.headers
        .get("content-security-policy")!
        .split(";")
        .map((directive) => directive.trim().split(/\s+/))
        .map(([name, ...sources]) => [name, sources.sort()]),
    );
    expect(policy).toEqual({
      "default-src": ["'self'"],
      "script-src": ["'self'"],
      "style-src": ["'self'"],
      "img-src": ["'self'", "data:"],
      "connect-src": ["'self'"],
      "frame-ancestors": ["'none'"],
      "base-uri": ["'none'"],
      "form-action": ["'self'"],
    });
    expect(page.headers.get("x-content-type-options")).toBe("nosniff");
    expect((await fetch(`${base}../console/nope.js`)).status).toBe(404);
  });

  it("when a customer signs in, then the console refuses clearly and shows no orders", async () => {
    const page = await desk.newPage();
    try {
      await signIn(page, await token("console-customer"));
      const alert = page.getByRole("alert");
      await expect.poll(() => alert.textContent()).toContain("for staff (admin) and sellers only");
      expect(await alert.textContent()).toContain("PermissionDenied");
      expect(await page.locator("table").count()).toBe(0);
      expect(await accessibilityProblems(page)).toEqual([]);
      await page.screenshot({ path: join(ARTIFACTS, "console-refused-customer.png"), fullPage: true });
    } finally {
      await page.close();
    }
  });

  it("when a seller signs in, then it sees only its own fulfilment orders, oldest first, ships one in two parcels and no orders page", async () => {
    const first = await place(`console-q1-${rid().slice(0, 6)}`, [
      { productId: "prod-mug", quantity: 2 },
      { productId: "prod-socks", quantity: 1 },
    ]);
    const second = await place(`console-q2-${rid().slice(0, 6)}`, [{ productId: "prod-mug", quantity: 1 }]);
    for (const order of [first, second]) {
      await confirm(order);
      await orders.payOrder({ requestId: rid(), orderId: order.id, paymentMethod: createOrderRequest().paymentMethod });
    }
    const page = await desk.newPage();
    try {
      await signIn(page, await sellerToken("north-clerk", "seller-north"));
      await expect.poll(() => page.locator("h1").textContent()).toBe("Your fulfilment queue");
      const cards = page.locator("article.fo");
      await expect.poll(() => cards.count()).toBe(2);
      // seller-south's socks are not here; the oldest order's mugs come first.
      expect(await page.locator("main").textContent()).not.toContain("seller-south");
      expect(await cards.first().locator(".fo-lines").textContent()).toContain("prod-mug");
      expect(await cards.first().getByLabel("Units of prod-mug").inputValue()).toBe("2");
      expect(await page.locator("#nav-orders").isHidden()).toBe(true);
      expect(await accessibilityProblems(page)).toEqual([]);
      await page.screenshot({ path: join(ARTIFACTS, "console-seller-queue.png"), fullPage: true });

      // One of the two mugs in a first parcel: the card stays, in progress, with 1 to ship.
      const card = cards.first();
      await card.getByLabel("Units of prod-mug").fill("1");
      await card.getByLabel("Carrier", { exact: true }).fill("UPS");
      await card.getByLabel("Tracking number", { exact: true }).fill("1Z-CONSOLE-1");
      await card.getByLabel("Tracking URL", { exact: true }).fill("https://track.example/1Z-CONSOLE-1");
      await card.getByRole("button", { name: "Create shipment" }).click();
      await expect.poll(() => card.locator(".fo-shipments").textContent()).toContain("1Z-CONSOLE-1 (UPS)");
      expect(await card.locator(".fo-facts .status").textContent()).toBe("In progress");
      expect(await card.locator(".message-slot").textContent()).toBe("Shipped.");
      // The second parcel takes the last mug; the fulfilment order leaves the queue once reloaded.
      await card.getByLabel("Tracking number", { exact: true }).fill("1Z-CONSOLE-2");
      await card.getByRole("button", { name: "Create shipment" }).click();
      await expect.poll(() => cards.count()).toBe(1);
      const shipped = await orders.getOrder({ orderId: first.id });
      expect(shipped.order!.items.map((item) => item.shippedQuantity)).toEqual([2, 0]);

      // The orders pages are staff's: the link is not offered and the address shows the queue.
      await page.goto(`${base}#/orders/${first.id}`);
      await expect.poll(() => page.locator("h1").textContent()).toBe("Your fulfilment queue");
    } finally {
      await page.close();
    }
  });

  it("when a customer asks for a return and staff confirm and receive it, then build a claim and an exchange, preview and confirm them, the ledger shows each refund and the difference due", async () => {
    const buyer = `console-rt-${rid().slice(0, 6)}`;
    const order = await place(buyer, [{ productId: "prod-mug", quantity: 3 }]);
    await orders.payOrder({ requestId: rid(), orderId: order.id, paymentMethod: createOrderRequest().paymentMethod });
    const shipping = app.grpc(FulfillmentService);
    for (const fo of (await shipping.listFulfillmentOrders({ orderId: order.id })).fulfillmentOrders) {
      await shipping.createShipment({
        requestId: rid(),
        fulfillmentOrderId: fo.id,
        carrier: "UPS",
        trackingNumber: "1Z-RT-1",
        handedOver: true,
      });
    }
    const mug = order.items[0]!.id;
    await app.grpc(OrderChangeService, await token(buyer)).createOrderChange({
      requestId: rid(),
      orderId: order.id,
      type: OrderChangeType.RETURN,
      actions: [{ action: { case: "returnItem", value: { itemId: mug, quantity: 1, reason: ReturnReason.WRONG_SIZE } } }],
      note: "too small",
    });
    const page = await desk.newPage();
    try {
      await signIn(page, adminToken);
      await page.getByRole("link", { name: "Return requests" }).click();
      await expect.poll(() => page.locator("table tbody").textContent()).toContain("too small");
      await page.screenshot({ path: join(ARTIFACTS, "console-return-requests.png"), fullPage: true });
      await page.getByRole("link", { name: `Order ${order.id.slice(0, 8)}` }).click();
      const panel = page.locator("#money-title + .section-body");
      await expect.poll(() => panel.textContent()).toContain("Requested · return requested");
      await panel.getByRole("button", { name: "Confirm", exact: true }).click();
      await expect.poll(() => panel.textContent()).toContain("return awaiting receipt");
      await panel.getByLabel("Received at location").fill("north-east");
      await panel.getByRole("button", { name: "Receive" }).click();
      await expect.poll(() => panel.textContent()).toContain("return received");
      await expect.poll(() => panel.locator("table").last().textContent()).toContain("Return");

      await panel.getByLabel("Kind").selectOption({ label: "Claim (missing, wrong or defective: refunded without a return)" });
      await panel.getByLabel("Units", { exact: true }).fill("1");
      await panel.getByLabel("Reason", { exact: true }).selectOption({ label: "Defective" });
      await panel.getByRole("button", { name: "Preview" }).click();
      await expect.poll(() => panel.locator(".preview").textContent()).toContain("The shop refunds $13.50");
      expect(await accessibilityProblems(page)).toEqual([]);
      await panel.locator(".preview").scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(ARTIFACTS, "console-change-preview.png"), fullPage: true });
      await panel.getByRole("button", { name: "Make and confirm" }).click();
      await expect.poll(() => panel.textContent()).toContain("Confirmed: see the change and the ledger below.");
      const ledgerRows = panel.locator("table").last().locator("tbody tr");
      await expect.poll(() => ledgerRows.count()).toBe(4);
      expect(await ledgerRows.allTextContents()).toEqual([
        expect.stringContaining("Authorization"),
        expect.stringContaining("Capture"),
        expect.stringMatching(/Refund.*\$13\.50.*Return/),
        expect.stringMatching(/Refund.*\$13\.50.*Claim/),
      ]);
      expect(await panel.locator("dl.facts").textContent()).toContain("Refunded$27.00");
      expect(await accessibilityProblems(page)).toEqual([]);
      await panel.locator("table").last().scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(ARTIFACTS, "console-ledger.png"), fullPage: true });

      // The last mug (13.50 paid) for a cap (18.99 + 1.52 tax): the customer pays 7.01 more.
      await panel.getByLabel("Kind").selectOption({ label: "Exchange (the goods come back, another item goes out)" });
      await panel.getByLabel("Units", { exact: true }).fill("1");
      await panel.getByLabel("New product").fill("prod-cap");
      await panel.getByRole("button", { name: "Preview" }).click();
      await expect.poll(() => panel.locator(".preview").textContent()).toContain("The customer pays $7.01");
      expect(await panel.locator(".preview tbody").textContent()).toContain("Canvas cap");
      expect(await accessibilityProblems(page)).toEqual([]);
      await panel.locator(".preview").scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(ARTIFACTS, "console-exchange-preview.png"), fullPage: true });
      await panel.getByRole("button", { name: "Make and confirm" }).click();
      await expect.poll(() => panel.textContent()).toContain("sends 1 × Canvas cap at $18.99");
      await expect.poll(() => panel.locator("dl.facts").textContent()).toContain("Due (to pay)$7.01");
    } finally {
      await page.close();
    }
  }, 60_000);

  it("when staff hold, release and ship from the order page, then each card shows what the service did, and a bad tracking URL is refused with its reason", async () => {
    const order = await place(`console-fo-${rid().slice(0, 6)}`, [
      { productId: "prod-mug", quantity: 2 },
      { productId: "prod-socks", quantity: 1 },
    ]);
    await confirm(order);
    const page = await desk.newPage();
    try {
      await signIn(page, adminToken);
      await page.goto(`${base}#/orders/${order.id}`);
      const cards = page.locator("#fulfilment-title + .section-body article.fo");
      await expect.poll(() => cards.count()).toBe(2);
      const mugs = cards.filter({ hasText: "seller-north" });
      // Card orders are held until the capture: the hold shows and nothing can ship yet.
      expect(await mugs.locator(".fo-holds").textContent()).toContain("Awaiting payment");
      expect(await mugs.getByRole("button", { name: "Create shipment" }).count()).toBe(0);
      await orders.payOrder({ requestId: rid(), orderId: order.id, paymentMethod: createOrderRequest().paymentMethod });
      await expect.poll(() => mugs.locator(".fo-facts .status").textContent()).toBe("Open");

      await mugs.getByLabel("Hold reason").selectOption({ label: "Incorrect address" });
      await mugs.getByLabel("Hold note").fill("flat number missing");
      await mugs.getByRole("button", { name: "Hold", exact: true }).click();
      await expect.poll(() => mugs.locator(".fo-facts .status").textContent()).toBe("On hold");
      expect(await mugs.locator(".fo-holds").textContent()).toContain("flat number missing");
      expect(await accessibilityProblems(page)).toEqual([]);
      await page.screenshot({ path: join(ARTIFACTS, "console-fulfilment-held.png"), fullPage: true });
      await mugs.getByRole("button", { name: "Release hold incorrect-address" }).click();
      await expect.poll(() => mugs.locator(".fo-facts .status").textContent()).toBe("Open");

      await mugs.getByLabel("Tracking number", { exact: true }).fill("1Z-STAFF-1");
      await mugs.getByLabel("Tracking URL", { exact: true }).fill("http://track.example/1Z-STAFF-1");
      await mugs.getByRole("button", { name: "Create shipment" }).click();
      await expect.poll(() => mugs.locator(".problem").textContent()).toContain("tracking_url");
      expect(await mugs.locator(".fo-shipments").count()).toBe(0);
      await mugs.locator(".problem").scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(ARTIFACTS, "console-fulfilment-refused.png"), fullPage: true });

      await mugs.getByLabel("Tracking URL", { exact: true }).fill("https://track.example/1Z-STAFF-1");
      await mugs.getByRole("button", { name: "Create shipment" }).click();
      await expect.poll(() => mugs.locator(".fo-shipments").textContent()).toContain("1Z-STAFF-1");
      const parcel = mugs.locator(".fo-shipments tbody tr").first();
      await parcel.getByLabel(/New status of parcel/).selectOption({ label: "Delivered" });
      await parcel.getByRole("button", { name: "Apply" }).click();
      await expect.poll(() => parcel.locator(".status").textContent()).toBe("Delivered");
      await expect.poll(() => page.locator("table.items tbody tr td:nth-child(6)").allTextContents()).toEqual(["Delivered", "Processing"]);
      expect(await accessibilityProblems(page)).toEqual([]);
      await page.screenshot({ path: join(ARTIFACTS, "console-fulfilment-delivered.png"), fullPage: true });
    } finally {
      await page.close();
    }
  }, 60_000);

  it("when staff find an order, ship one seller's items, cancel a paid order and try a refused move, then each shows what the service did or why it refused", async () => {
    const split = await place(`console-ann-${rid().slice(0, 6)}`, [
      { productId: "prod-mug", quantity: 1 },
      { productId: "prod-hoodie", variantId: "hoodie-m-grey", quantity: 1 },
      { productId: "prod-socks", quantity: 2 },
    ]);
    await confirm(split);
    // Paid before its sellers ship: a card order's fulfilment waits for the capture.
    await orders.payOrder({ requestId: rid(), orderId: split.id, paymentMethod: createOrderRequest().paymentMethod });
    const paid = await place(`console-bo-${rid().slice(0, 6)}`);
    await orders.payOrder({ requestId: rid(), orderId: paid.id, paymentMethod: createOrderRequest().paymentMethod });

    const page = await desk.newPage();
    try {
      await signIn(page, adminToken);
      await expect.poll(() => page.locator("table.orders tbody tr:not(.placeholder)").count()).toBeGreaterThan(0);
      // Loaded again with no input, so every shift while the data arrives counts.
      await page.reload();
      await expect.poll(() => page.locator(".chips").textContent()).toMatch(/All \d+/);
      await expect.poll(() => page.locator("table.orders tbody tr:not(.placeholder)").count()).toBeGreaterThan(0);
      expect(await layoutShift(page)).toBeLessThan(0.05);
      expect(await accessibilityProblems(page)).toEqual([]);

      // The first page follows new orders as they arrive.
      const arriving = await place("console-late");
      await expect.poll(() => page.locator("tr.fresh").textContent(), { timeout: 15_000 }).toContain(arriving.orderNumber);
      await page.screenshot({ path: join(ARTIFACTS, "console-list.png"), fullPage: true });

      // Find by order number, with the keyboard.
      await page.getByLabel("Order number").fill(split.orderNumber);
      await page.getByLabel("Order number").press("Enter");
      await expect.poll(() => page.locator("table.orders tbody tr").count()).toBe(1);
      const link = page.getByRole("link", { name: split.orderNumber });
      await link.focus();
      await page.keyboard.press("Enter");
      await expect.poll(() => page.locator("h1").textContent()).toBe(`Order ${split.orderNumber}`);
      await page.reload();
      await expect.poll(() => page.locator(".live").textContent()).toContain("Live: following changes");
      await expect.poll(() => page.locator("#events-title + .section-body table").count()).toBe(1);
      expect(await layoutShift(page)).toBeLessThan(0.05);
      expect(await accessibilityProblems(page)).toEqual([]);

      // Ship seller-north's items (the mug and the hoodie), one status at a time.
      for (const item of ["Stoneware mug", "Fleece hoodie (HOOD-001-M-GRY)"]) {
        for (const status of ["Processing", "Shipped"]) {
          await page.getByLabel(`New status of ${item}`).selectOption({ label: status });
          await page.getByRole("button", { name: `Apply status to ${item}` }).click();
          await expect.poll(() => page.locator(".message-slot .ok").first().textContent()).toBe(`${item}: ${status}.`);
        }
      }
      const statuses = () => page.locator("table.items tbody tr td:nth-child(6)").allTextContents();
      await expect.poll(statuses).toEqual(["Shipped", "Shipped", "Pending"]);
      await expect.poll(() => page.locator("#facts-title + .section-body .facts").textContent()).toContain("StatusProcessing");

      // A change made elsewhere arrives through WatchOrder.
      await orders.updateOrder({ requestId: rid(), orderId: split.id, notes: "leave at the back door" });
      await expect.poll(() => page.locator("#facts-title + .section-body .facts").textContent()).toContain("leave at the back door");
      await expect.poll(() => page.getByLabel("Notes", { exact: true }).inputValue()).toBe("leave at the back door");
      await page.getByLabel("City", { exact: true }).fill("Shelbyville");
      await page.getByRole("button", { name: "Save", exact: true }).click();
      await expect.poll(() => page.locator("#facts-title + .section-body .facts").textContent()).toContain("1 Main St, Shelbyville");
      expect(await page.locator("#facts-title + .section-body .facts").textContent()).toContain("leave at the back door");
      await expect.poll(() => page.locator("#events-title + .section-body").textContent()).toContain("OrderItemStatusChanged");
      await page.screenshot({ path: join(ARTIFACTS, "console-order-seller-shipped.png"), fullPage: true });

      // A refused move: SHIPPED needs a tracking number; the reason comes from the error details.
      await page.getByLabel("New status", { exact: true }).selectOption({ label: "Shipped" });
      await page.getByRole("button", { name: "Change status" }).click();
      const refusal = page.locator(".action .problem");
      await expect.poll(() => refusal.textContent()).toContain("tracking_number: is required to ship an order that has none");
      await refusal.scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(ARTIFACTS, "console-refused-move.png"), fullPage: true });

      // Cancel the paid order: confirmed in a dialog, the payment is refunded.
      await page.goto(`${base}#/orders/${paid.id}`);
      await expect.poll(() => page.locator("#facts-title + .section-body .facts").textContent()).toContain("Captured");
      await page.getByLabel("Reason (required, shown to the customer)").first().fill("customer asked by phone");
      await page.getByRole("button", { name: "Cancel order" }).click();
      await expect.poll(() => page.locator("dialog[open]").textContent()).toContain("cannot be undone");
      await page.locator("dialog").getByRole("button", { name: "Cancel order" }).click();
      await expect.poll(() => page.locator("#facts-title + .section-body .facts").textContent()).toContain("StatusCancelled");
      expect(await page.locator("#facts-title + .section-body .facts").textContent()).toContain("PaymentRefunded");
      await expect.poll(() => page.locator("#events-title + .section-body").textContent()).toContain("OrderCancelled");
      await expect.poll(() => page.locator("#history-title + .section-body").textContent()).toContain("customer asked by phone");
      expect(await accessibilityProblems(page)).toEqual([]);
      await page.screenshot({ path: join(ARTIFACTS, "console-order-cancelled-refunded.png"), fullPage: true });
    } finally {
      await page.close();
    }
  }, 90_000);

  it("when the broker refused an order's event for good, then the order page shows it parked with the reason, and staff release it", async () => {
    const order = await place("console-parked");
    await query(
      app.databaseUrl,
      `insert into outbox_events (event_id, topic, aggregate_id, event_type, payload, occurred_at, next_attempt_at, attempts, last_error, parked_at)
       values ($1, 'orders.nowhere', $2, 'shop.order.v1.OrderStatusChanged', '\\x00', now(), now(), 10, 'topic "orders.nowhere" does not exist on the broker', now())`,
      [rid(), order.id],
    );
    const page = await desk.newPage();
    try {
      await signIn(page, adminToken);
      await page.goto(`${base}#/orders/${order.id}`);
      const parked = page.locator(".pill.bad");
      await expect.poll(() => parked.textContent()).toBe('parked: topic "orders.nowhere" does not exist on the broker');
      expect(await accessibilityProblems(page)).toEqual([]);
      await page.screenshot({ path: join(ARTIFACTS, "console-order-parked-event.png"), fullPage: true });
      await page.getByRole("button", { name: "Retry parked events" }).click();
      await expect
        .poll(() => page.getByRole("status").allTextContents())
        .toContain("Released: the relay sends them again, then this order's later events.");
      expect(await parked.count()).toBe(0);
      const [row] = await query<{ parked_at: Date | null }>(
        app.databaseUrl,
        `select parked_at from outbox_events where topic = 'orders.nowhere'`,
      );
      expect(row!.parked_at).toBeNull();
    } finally {
      await page.close();
    }
  });

  it("when staff open the carts view and a guest's order, then holds show with their expiry, a hold is released, and the guest's links are revoked", async () => {
    const shopper = `console-cart-${rid().slice(0, 8)}`;
    await app.connect(CartService, await token(shopper)).addItem({ requestId: rid(), productId: "prod-mug", quantity: 2 });
    const guest = await app.connect(CartService, "").createGuestCart({});
    const asGuest = app.connect(CartService, guest.cartToken);
    await asGuest.addItem({ requestId: rid(), productId: "prod-tee", quantity: 1 });
    const { order, orderLink } = await asGuest.checkout(checkoutRequest(""));
    const page = await desk.newPage();
    try {
      await signIn(page, adminToken);
      await page.getByRole("link", { name: "Carts" }).click();
      const row = page.getByRole("row").filter({ hasText: shopper });
      await expect.poll(() => row.textContent()).toMatch(/2 × Stoneware mug.*held until/);
      expect(await accessibilityProblems(page)).toEqual([]);
      await page.screenshot({ path: join(ARTIFACTS, "console-carts.png"), fullPage: true });
      await row.getByRole("textbox").fill("stuck stock");
      await row.getByRole("button", { name: "Release hold" }).click();
      await expect
        .poll(() => page.getByRole("status").allTextContents())
        .toContain(`The hold of ${shopper}'s cart was released; its lines stay.`);
      await expect.poll(() => row.textContent()).toContain("not held");

      await page.goto(`${base}#/orders/${order!.id}`);
      await expect.poll(() => page.getByText("guest checkout (no account)").count()).toBe(1);
      await page.getByLabel("Why revoke").fill("the link was forwarded");
      await page.getByRole("button", { name: "Revoke order links" }).click();
      await expect.poll(() => page.getByRole("status").allTextContents()).toContain("1 link(s) revoked.");
      const refused = await app
        .connect(OrderService, orderLink!.token)
        .getOrder({ orderId: order!.id })
        .catch((error: Error) => error.message);
      expect(refused).toContain("not found");
    } finally {
      await page.close();
    }
  });

  it("when more orders match than a page holds, then Older and Newer walk the keyset pages", async () => {
    const userId = `console-many-${rid().slice(0, 6)}`;
    const placed: Order[] = [];
    for (let i = 0; i < 21; i++) placed.push(await place(userId, [{ productId: "prod-notebook", quantity: 1 }]));
    const page = await desk.newPage();
    try {
      await signIn(page, adminToken);
      await page.getByLabel("User", { exact: true }).fill(userId);
      await page.getByRole("button", { name: "Search" }).click();
      const numbers = () => page.locator("table.orders tbody th a").allTextContents();
      await expect.poll(numbers).toEqual(
        placed
          .slice(1)
          .reverse()
          .map((o) => o.orderNumber),
      );
      expect(await page.locator(".summary").textContent()).toContain("21 orders match");
      await page.getByRole("link", { name: "Older →" }).click();
      await expect.poll(numbers).toEqual([placed[0]!.orderNumber]);
      expect(await page.getByRole("link", { name: "Older →" }).count()).toBe(0);
      await page.getByRole("link", { name: "← Newer" }).click();
      await expect.poll(numbers).toEqual(
        placed
          .slice(1)
          .reverse()
          .map((o) => o.orderNumber),
      );
    } finally {
      await page.close();
    }
  });

  it("when the console is used 390 px wide, then nothing overflows the screen and the order page reads top to bottom", async () => {
    const order = await place("console-phone");
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const page = await phone.newPage();
    try {
      await signIn(page, adminToken);
      await expect.poll(() => page.locator("table.orders tbody tr:not(.placeholder)").count()).toBeGreaterThan(0);
      expect(await overflow(page, 390)).toEqual({ scrollWidth: 390, wider: [] });
      await page.goto(`${base}#/orders/${order.id}`);
      await expect.poll(() => page.locator("h1").textContent()).toBe(`Order ${order.orderNumber}`);
      await expect.poll(() => page.locator("#events-title + .section-body table").count()).toBe(1);
      expect(await overflow(page, 390)).toEqual({ scrollWidth: 390, wider: [] });
      expect(await accessibilityProblems(page)).toEqual([]);
      await page.screenshot({ path: join(ARTIFACTS, "console-order-390px.png"), fullPage: true });
      await page.goto(`${base}#/to-ship`);
      await expect.poll(() => page.locator("article.fo").count()).toBeGreaterThan(0);
      expect(await overflow(page, 390)).toEqual({ scrollWidth: 390, wider: [] });
      expect(await accessibilityProblems(page)).toEqual([]);
      await page.screenshot({ path: join(ARTIFACTS, "console-queue-390px.png"), fullPage: true });
    } finally {
      await phone.close();
    }
  });
});
