import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { networkInterfaces, tmpdir } from "node:os";
import { join } from "node:path";
import { createServer, get as httpGet, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { promisify } from "node:util";
import { chromium, type Browser } from "playwright-core";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CartService } from "../../gen/shop/cart/v1/cart_pb.js";
import { failure } from "../support/errors.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { TEST_JWT_SECRET } from "../support/tokens.js";

const run = promisify(execFile);

/** This machine's first non-loopback IPv4 address: how another host on the network reaches it. */
function networkAddress(): string {
  const address = Object.values(networkInterfaces())
    .flat()
    .find((info) => info && info.family === "IPv4" && !info.internal)?.address;
  if (!address) throw new Error("this test needs a non-loopback IPv4 interface to call from");
  return address;
}

const mint = (baseUrl: string, user: string) => fetch(`${baseUrl}/dev/token?user=${user}`);

describe("attack: minting tokens from /dev/token", () => {
  it("when a deploy sets JWT_SECRET but forgets APP_ENV=production, then /dev/token does not exist and the secret signs nothing", async () => {
    const app = await startTestApp({ JWT_SECRET: TEST_JWT_SECRET });
    try {
      const response = await mint(`http://127.0.0.1:${app.httpPort}`, "victim");
      expect(response.status).toBe(404);
      expect(await response.text()).not.toMatch(/ey[\w-]+\.ey/);
    } finally {
      await app.stop();
    }
  });

  it("when JWT_JWKS_URL is set in development, then /dev/token does not exist either", async () => {
    const app = await startTestApp({ JWT_SECRET: "", JWT_JWKS_URL: "http://127.0.0.1:9/jwks.json" });
    try {
      expect((await mint(`http://127.0.0.1:${app.httpPort}`, "victim")).status).toBe(404);
    } finally {
      await app.stop();
    }
  });

  describe("on a development instance with no key configured", () => {
    const dataDir = mkdtempSync(join(tmpdir(), "dev-key-"));
    let app: TestApp;
    beforeAll(async () => {
      app = await startTestApp({ JWT_SECRET: "", DATA_DIR: dataDir, HOST: "0.0.0.0" });
    });
    afterAll(async () => {
      await app?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it("when another machine asks /dev/token, then it is refused; from loopback it answers with a development token", async () => {
      const remote = await mint(`http://${networkAddress()}:${app.httpPort}`, "victim");
      expect(remote.status).toBe(404);
      const local = await mint(`http://127.0.0.1:${app.httpPort}`, "dev-user");
      expect(local.status).toBe(200);
      const { token } = (await local.json()) as { token: string };
      expect((await app.connect(CartService, token).getCart({})).cart?.userId).toBe("dev-user");
    });

    it("when a development token is sent to an instance with a production key, then it is UNAUTHENTICATED", async () => {
      const { token } = (await (await mint(`http://127.0.0.1:${app.httpPort}`, "victim")).json()) as { token: string };
      const production = await startTestApp({ JWT_SECRET: TEST_JWT_SECRET });
      try {
        expect((await failure(production.connect(CartService, token).getCart({}))).code).toBe(Code.Unauthenticated);
      } finally {
        await production.stop();
      }
      expect(readFileSync(join(dataDir, "dev-jwt-secret"), "utf8")).not.toContain(TEST_JWT_SECRET);
    });
  });

  it("when `npm run token` runs with JWT_SECRET set, then it refuses to sign with the production key", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "dev-key-"));
    try {
      const outcome = await run(process.execPath, ["--import", "tsx", "src/tools/token.ts", "--user", "victim", "--role", "admin"], {
        env: { ...process.env, JWT_SECRET: TEST_JWT_SECRET, DATA_DIR: dataDir },
      }).then(
        ({ stdout }) => ({ code: 0, stdout, stderr: "" }),
        (error: { code: number; stdout: string; stderr: string }) => error,
      );
      expect(outcome.code).toBe(2);
      expect(outcome.stdout).not.toMatch(/ey[\w-]+\.ey/);
      expect(outcome.stderr).toContain("development key only");
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe("attack: a web page of another site takes a development admin token", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "dev-key-"));
  let app: TestApp;
  let browser: Browser;
  let evil: Server;
  let evilOrigin: string;
  beforeAll(async () => {
    app = await startTestApp({ JWT_SECRET: "", DATA_DIR: dataDir });
    // A page the developer visits, on another origin: it tries to read a token and spend it.
    const target = `http://127.0.0.1:${app.httpPort}`;
    // The body comes first: a refusal can arrive before the parser would have made one, and the
    // result written to a missing body read as "" (CI, 2026-12-07).
    const page = `<!doctype html><body><script>
      fetch("${target}/dev/token?user=evil&role=admin")
        .then((r) => r.text(), (e) => "blocked: " + e)
        .then((text) => { document.title = "done"; document.body.textContent = text; });
    </script>`;
    evil = createServer((_request, response) => response.writeHead(200, { "content-type": "text/html" }).end(page));
    await new Promise<void>((resolve) => evil.listen(0, "127.0.0.1", resolve));
    evilOrigin = `http://localhost:${(evil.address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    evil?.close();
    await app?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("when a page from another origin fetches /dev/token in Chromium, then it cannot read the token", async () => {
    const page = await browser.newPage();
    await page.goto(evilOrigin);
    await expect.poll(() => page.title()).toBe("done");
    const seen = await page.textContent("body");
    expect(seen).toMatch(/^blocked: /);
    expect(seen).not.toMatch(/ey[\w-]+\.ey/);
    await page.close();
  });

  it("when /dev/token is asked with an Origin, then it answers without any CORS header", async () => {
    const response = await fetch(`http://127.0.0.1:${app.httpPort}/dev/token?user=dev`, { headers: { origin: evilOrigin } });
    expect(response.status).toBe(200);
    expect([...response.headers.keys()].filter((name) => name.startsWith("access-control-"))).toEqual([]);
  });

  it("when a rebound name (Host: evil.example) reaches /dev/token from loopback, then it is not found", async () => {
    const answer = await new Promise<number>((resolve, reject) =>
      httpGet({ host: "127.0.0.1", port: app.httpPort, path: "/dev/token?user=evil&role=admin", headers: { host: "evil.example" } }, (r) =>
        resolve(r.resume().statusCode!),
      ).on("error", reject),
    );
    expect(answer).toBe(404);
  });

  it("when development runs without CORS_ORIGINS, then only its own origins and the Vite dev server may call from a browser, not any site", async () => {
    const preflight = (origin: string) =>
      fetch(`http://127.0.0.1:${app.httpPort}/shop.cart.v1.CartService/GetCart`, {
        method: "OPTIONS",
        headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "authorization,content-type" },
      }).then((r) => r.headers.get("access-control-allow-origin"));
    expect(await preflight(evilOrigin)).toBeNull();
    expect(await preflight("http://localhost:5173")).toBe("http://localhost:5173");
    expect(await preflight("http://127.0.0.1:5173")).toBe("http://127.0.0.1:5173");
  });
});
