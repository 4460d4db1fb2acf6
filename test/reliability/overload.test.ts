import * as grpc from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import { ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { OrderService } from "../../gen/shop/order/v1/order_pb.js";
import { startProductTestServer } from "../support/catalog-test-server.js";
import { failure } from "../support/errors.js";
import { createOrderRequest } from "../support/fixtures.js";
import { startTestApp, unary } from "../support/test-app.js";

describe("more calls than the process takes at once", () => {
  it("when MAX_CALLS_IN_PROGRESS calls are waiting, then the next gets UNAVAILABLE (OVERLOADED) at once, and calls are taken again once they finish", async () => {
    const products = await startProductTestServer({ kind: "delay", ms: 1_500 });
    const app = await startTestApp({ PRODUCT_SERVICE_URL: products.url, MAX_CALLS_IN_PROGRESS: "3", PRODUCT_CACHE_TTL_MS: "0" });
    try {
      const client = app.grpcClient(OrderService);
      const order = () => createOrderRequest({ items: [{ productId: "prod-mug", quantity: 1 }] });
      const waiting = Array.from({ length: 3 }, () => unary(client, "createOrder", order()));
      await new Promise((resolve) => setTimeout(resolve, 300));

      const started = Date.now();
      const refused = await unary(client, "createOrder", order()).catch((e: grpc.ServiceError) => e);
      expect((refused as grpc.ServiceError).code).toBe(grpc.status.UNAVAILABLE);
      expect(Date.now() - started).toBeLessThan(500);
      const overConnect = await failure(app.connect(OrderService).createOrder(order()));
      expect(overConnect.findDetails(ErrorInfoSchema)[0]?.reason).toBe("OVERLOADED");

      await Promise.all(waiting);
      products.script.behaviour = { kind: "ok" };
      await unary(client, "createOrder", order());
    } finally {
      await app.stop();
      products.stop();
    }
  });
});
