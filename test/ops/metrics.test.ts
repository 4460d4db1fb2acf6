import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OrderService } from "../../gen/shop/order/v1/order_pb.js";
import { createOrderRequest } from "../support/fixtures.js";
import { startTestApp, unary, type TestApp } from "../support/test-app.js";

describe("Prometheus metrics at /metrics", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app?.stop());

  it("when a few calls were made over both transports, then RPC, dependency, outbox, pool and event-loop series are there", async () => {
    const created = await app.connect(OrderService).createOrder(createOrderRequest());
    await unary(app.grpcClient(OrderService), "getOrder", { orderId: created.order!.id });
    await app
      .connect(OrderService)
      .getOrder({ orderId: "not-a-uuid" })
      .catch(() => undefined);
    await app
      .connect(OrderService, "")
      .getOrder({ orderId: created.order!.id })
      .catch(() => undefined);
    const text = await (await fetch(`http://127.0.0.1:${app.httpPort}/metrics`)).text();
    const series = (pattern: string) => expect(text).toMatch(new RegExp(`^${pattern}`, "m"));

    series(`rpc_server_duration_seconds_count\\{service="shop.order.v1.OrderService",method="CreateOrder",code="OK"\\} 1`);
    series(`rpc_server_duration_seconds_count\\{service="shop.order.v1.OrderService",method="GetOrder",code="OK"\\} 1`);
    series(`rpc_server_duration_seconds_count\\{service="shop.order.v1.OrderService",method="GetOrder",code="InvalidArgument"\\} 1`);
    series(`rpc_server_duration_seconds_bucket\\{le="0.5",service="shop.order.v1.OrderService",method="CreateOrder",code="OK"\\} 1`);
    series(`rpc_server_in_flight\\{service="shop.order.v1.OrderService",method="GetOrder"\\} 0`);
    series(`dependency_call_duration_seconds_count\\{dependency="product service",outcome="ok"\\} 1`);
    series(`dependency_call_duration_seconds_count\\{dependency="inventory service",outcome="ok"\\} 1`);
    series(`dependency_circuit_state\\{dependency="product service"\\} 0`);
    series(`db_pool_connections\\{state="in_use"\\} \\d+`);
    series(`outbox_backlog_events \\d+`);
    series(`outbox_oldest_unpublished_seconds [\\d.]+`);
    series(`nodejs_eventloop_lag_p99_seconds [\\d.e-]+`);
    series(`auth_failures_total\\{outcome="unauthenticated"\\} 1`);
    series(`outbox_parked_events 0`);
  });
});
