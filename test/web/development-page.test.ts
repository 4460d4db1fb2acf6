import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { chromium, type Browser, type Page } from "playwright-core";
import { build } from "vite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OrderService, OrderStatus } from "../../gen/shop/order/v1/order_pb.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { ADMIN_USER, token } from "../support/tokens.js";

/** Debian's Chromium, never a downloaded browser. */
const CHROMIUM = "/usr/bin/chromium";
const ARTIFACTS = "test/artifacts";

describe("the development page in headless Chromium, against the real service", () => {
  const webDir = mkdtempSync(join(tmpdir(), "web-"));
  const dataDir = mkdtempSync(join(tmpdir(), "dev-key-"));
  let app: TestApp;
  let browser: Browser;
  /** An operator's token signed with the instance's development key (the page itself gets its tokens from /dev/token). */
  let operator: string;
  beforeAll(async () => {
    await build({ configFile: "src/web/vite.config.ts", build: { outDir: webDir, emptyOutDir: true }, logLevel: "silent" });
    // The development tools exist only on an instance that uses its development key: no JWT_SECRET.
    app = await startTestApp({ WEB_DIR: webDir, JWT_SECRET: "", DATA_DIR: dataDir });
    operator = await token(ADMIN_USER, ["admin"], { secret: readFileSync(join(dataDir, "dev-jwt-secret"), "utf8").trim() });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    mkdirSync(ARTIFACTS, { recursive: true });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    rmSync(webDir, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function shopAndCheckOut(page: Page, userId: string) {
    await page.fill("#user", userId);
    await page.click("#sign-in");
    await page.click('button[data-product="prod-mug"]');
    await page.click('button[data-product="prod-tee"]');
    await expect.poll(() => page.locator("#cart li").count()).toBe(2);
  }

  async function orderOf(userId: string) {
    const { orders } = await app.connect(OrderService, operator).listOrders({ userId });
    return orders[0]!;
  }

  it.each(["connect", "grpc-web"])(
    "over %s: sign in, add to cart, see a refused checkout's details, check out, and watch the status change live",
    async (protocol) => {
      const page = await browser.newPage();
      const userId = `browser-${protocol}-${randomUUID().slice(0, 6)}`;
      // What went over the wire to the order and cart services, by content type.
      const sent = new Set<string>();
      page.on("request", (request) => {
        if (/\/shop\.(order|cart)\.v1\./.test(request.url())) sent.add(request.headers()["content-type"] ?? "");
      });
      try {
        await page.goto(`http://127.0.0.1:${app.httpPort}/?protocol=${protocol}`);
        await shopAndCheckOut(page, userId);

        await page.fill("#email", "not-an-email");
        await page.click("#checkout");
        await expect.poll(() => page.textContent("#error")).toContain("customer.email: must be an email address");

        await page.fill("#email", "browser@example.com");
        await page.click("#checkout");
        await expect.poll(() => page.textContent("#order-number")).toMatch(/^ORD-\d{4}-\d{6}$/);
        await expect.poll(() => page.textContent("#order-status")).toBe("PENDING");

        const order = await orderOf(userId);
        expect(order.userId).toBe(userId);
        await app
          .connect(OrderService, operator)
          .updateOrderStatus({ requestId: randomUUID(), orderId: order.id, status: OrderStatus.CONFIRMED });
        await expect.poll(() => page.textContent("#order-status")).toBe("CONFIRMED");
        expect(await page.textContent("#order-events")).toContain("shop.order.v1.OrderStatusChanged: CONFIRMED");
        await page.screenshot({ path: join(ARTIFACTS, `browser-order-${protocol}.png`), fullPage: true });
        // Unary calls and the WatchOrder stream, each in the protocol the page was asked for.
        expect([...sent].sort()).toEqual(
          protocol === "grpc-web" ? ["application/grpc-web+proto"] : ["application/connect+json", "application/json"],
        );
      } finally {
        await page.close();
      }
    },
  );
});
