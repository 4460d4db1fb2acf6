import { randomBytes } from "node:crypto";
import * as grpc from "@grpc/grpc-js";
import type { DescService } from "@bufbuild/protobuf";
import { inject } from "vitest";
import { grpcServiceDefinition } from "../../src/platform/transport/grpc-adapter.js";
import { setStock } from "./db.js";
import { freePort, startTsProcess, waitForOutput, waitUntilReady, type RunningProcess } from "./processes.js";
import { freshDatabase, grpcAuthorize } from "./test-app.js";
import { adminToken, TEST_CAPABILITY_KEY, TEST_IDEMPOTENCY_KEY, TEST_JWT_SECRET } from "./tokens.js";

export type GrpcClient = InstanceType<ReturnType<typeof grpc.makeGenericClientConstructor>>;

/** The reference Product and Inventory services in a process of their own, over `databaseUrl`'s catalog tables. */
export async function startReferenceCatalog(databaseUrl: string, port?: number) {
  const catalogPort = port ?? (await freePort());
  const catalog = startTsProcess("src/catalog/reference/main.ts", {
    DATABASE_URL: databaseUrl,
    CATALOG_GRPC_PORT: String(catalogPort),
    LOG_LEVEL: "info",
  });
  await waitForOutput(catalog, "reference catalog ready");
  return { url: `http://127.0.0.1:${catalogPort}`, stop: () => catalog.kill("SIGTERM") };
}

/**
 * The service as production runs it: its own Node process (so it can be killed), calling the
 * reference Product/Inventory service in another process over gRPC, on a database of its own in
 * the shared PostgreSQL and the shared Kafka. Restarts reuse the same ports.
 */
export async function startServiceStack(env: Record<string, string> = {}) {
  const databaseUrl = await freshDatabase();
  const [catalogPort, grpcPort, httpPort] = [await freePort(), await freePort(), await freePort()];
  const topic = `orders.reliability.${randomBytes(4).toString("hex")}`;
  const catalog = await startReferenceCatalog(databaseUrl, catalogPort);
  // Plenty of every product: these tests are about faults, not about running out.
  await setStock(databaseUrl, 1_000_000);
  const serviceEnv = {
    DATABASE_URL: databaseUrl,
    KAFKA_BROKERS: inject("kafkaBrokers"),
    KAFKA_TOPIC: topic,
    CART_EVENTS_TOPIC: `${topic}.carts`,
    PRODUCT_SERVICE_URL: catalog.url,
    INVENTORY_SERVICE_URL: catalog.url,
    JWT_SECRET: TEST_JWT_SECRET,
    IDEMPOTENCY_HASH_KEY: TEST_IDEMPOTENCY_KEY,
    CAPABILITY_TOKEN_SECRET: TEST_CAPABILITY_KEY,
    HOST: "127.0.0.1",
    GRPC_PORT: String(grpcPort),
    HTTP_PORT: String(httpPort),
    RATE_LIMIT_PER_SECOND: "0",
    GUEST_CALLS_PER_SECOND_PER_ADDRESS: "0",
    GUEST_CARTS_PER_MINUTE_PER_ADDRESS: "0",
    LOG_LEVEL: "warn",
    OUTBOX_POLL_MS: "200",
    ...env,
  };
  const clients: grpc.Client[] = [];
  const instances: RunningProcess[] = [];
  let service: RunningProcess | undefined;
  return {
    databaseUrl,
    topic,
    httpPort,
    grpcPort,
    get service() {
      return service;
    },
    async startService(): Promise<RunningProcess> {
      service = startTsProcess("src/main.ts", serviceEnv);
      await waitUntilReady(service, `http://127.0.0.1:${httpPort}/readyz`);
      return service;
    },
    /** Another instance of the service on the same database, catalog and topics, on ports of its own. */
    async startInstance(): Promise<{ process: RunningProcess; httpPort: number; grpcPort: number }> {
      const [otherGrpc, otherHttp] = [await freePort(), await freePort()];
      const instance = startTsProcess("src/main.ts", { ...serviceEnv, GRPC_PORT: String(otherGrpc), HTTP_PORT: String(otherHttp) });
      instances.push(instance);
      await waitUntilReady(instance, `http://127.0.0.1:${otherHttp}/readyz`);
      return { process: instance, httpPort: otherHttp, grpcPort: otherGrpc };
    },
    /** A grpc-js client that keeps reconnecting across restarts, as another microservice's would. */
    client(descriptor: DescService): GrpcClient {
      const Constructor = grpc.makeGenericClientConstructor(grpcServiceDefinition(descriptor), descriptor.name);
      const client = new Constructor(`127.0.0.1:${grpcPort}`, grpc.credentials.createInsecure(), {
        interceptors: grpcAuthorize(adminToken),
        "grpc.initial_reconnect_backoff_ms": 100,
        "grpc.max_reconnect_backoff_ms": 500,
      });
      clients.push(client);
      return client;
    },
    async stop() {
      clients.forEach((client) => client.close());
      if (service?.child.exitCode === null) await service.kill("SIGKILL");
      for (const instance of instances) if (instance.child.exitCode === null) await instance.kill("SIGKILL");
      await catalog.stop();
    },
  };
}
