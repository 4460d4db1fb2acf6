import { execFile } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { token } from "../support/tokens.js";

const run = promisify(execFile);

describe("the client package, installed by another project", () => {
  const project = mkdtempSync(join(tmpdir(), "order-api-consumer-"));
  const topic = `orders.client.${randomUUID().slice(0, 8)}`;
  let app: TestApp;
  beforeAll(async () => {
    const { stdout } = await run("bash", ["scripts/build-client.sh", project]);
    const tarball = stdout.trim().split("\n").at(-1)!;
    writeFileSync(
      join(project, "package.json"),
      JSON.stringify({
        name: "another-team",
        private: true,
        type: "module",
        dependencies: {
          "@shop/order-api": `file:${tarball}`,
          "@connectrpc/connect": "2.2.0",
          "@connectrpc/connect-node": "2.2.0",
          kafkajs: "2.2.4",
        },
      }),
    );
    await run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: project });
    copyFileSync(resolve("packages/order-api/examples/place-and-consume.mjs"), join(project, "place-and-consume.mjs"));
    app = await startTestApp({ KAFKA_TOPIC: topic });
  }, 240_000);
  afterAll(async () => {
    await app?.stop();
    rmSync(project, { recursive: true, force: true });
  });

  it("when its example places an order over gRPC, lists its shipments and reads the event from Kafka, then all three go through the package's types", async () => {
    const { stdout } = await run(process.execPath, ["place-and-consume.mjs"], {
      cwd: project,
      timeout: 60_000,
      env: {
        ...process.env,
        ORDER_SERVICE_URL: `http://127.0.0.1:${app.grpcPort}`,
        ORDER_TOKEN: await token("another-team-user"),
        KAFKA_BROKERS: inject("kafkaBrokers"),
        KAFKA_TOPIC: topic,
      },
    });
    const result = JSON.parse(stdout.trim().split("\n").at(-1)!) as Record<string, string>;
    expect(result.orderNumber).toMatch(/^ORD-\d{4}-\d{6}$/);
    expect(result).toMatchObject({
      orderId: result.placed,
      ceType: "shop.order.v1.OrderCreated",
      eventType: "shop.order.v1.OrderCreated",
      version: "1",
      shipments: "0",
    });
  });
});
