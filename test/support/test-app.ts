import { randomBytes } from "node:crypto";
import * as grpc from "@grpc/grpc-js";
import type { DescService } from "@bufbuild/protobuf";
import { createClient, type Client, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import pg from "pg";
import { inject } from "vitest";
import { startApp, type App } from "../../src/app.js";
import { loadConfig } from "../../src/config.js";
import { grpcServiceDefinition } from "../../src/platform/transport/grpc-adapter.js";
import { createLogger } from "../../src/platform/observability/logger.js";
import type { Clock } from "../../src/platform/clock.js";
import { adminToken, TEST_CAPABILITY_KEY, TEST_IDEMPOTENCY_KEY, TEST_JWT_SECRET } from "./tokens.js";

export interface TestApp extends App {
  readonly databaseUrl: string;
  /** The Kafka topic this app publishes to. */
  readonly topic: string;
  /** Where its cart events go. */
  readonly cartTopic: string;
  /** A Connect-protocol client over HTTP/1.1, as a browser app would use; admin unless given a token ("" for none). */
  connect<S extends DescService>(service: S, bearer?: string): Client<S>;
  grpcWeb<S extends DescService>(service: S, bearer?: string): Client<S>;
  /** A typed client speaking gRPC (HTTP/2) to the gRPC port, as another microservice would. */
  grpc<S extends DescService>(service: S, bearer?: string): Client<S>;
  /** A plain @grpc/grpc-js client, as another Node microservice would use. */
  grpcClient(service: DescService, bearer?: string): InstanceType<ReturnType<typeof grpc.makeGenericClientConstructor>>;
}

/** A database of its own for each test app, inside the one PostgreSQL the run shares. */
export async function freshDatabase(): Promise<string> {
  const serverUrl = new URL(inject("databaseUrl"));
  const name = `t_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: serverUrl.toString() });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  serverUrl.pathname = `/${name}`;
  return serverUrl.toString();
}

/**
 * Boots the real service in-process on random ports against the shared real servers. Pass
 * another app's `databaseUrl` to run a second instance on the same database.
 */
export async function startTestApp(
  env: Record<string, string> = {},
  options: { databaseUrl?: string; logLines?: string[]; clock?: Clock } = {},
): Promise<TestApp> {
  const databaseUrl = options.databaseUrl ?? (await freshDatabase());
  const topic = env.KAFKA_TOPIC ?? `orders.test.${randomBytes(4).toString("hex")}`;
  const config = loadConfig({
    HOST: "127.0.0.1",
    GRPC_PORT: "0",
    HTTP_PORT: "0",
    DATABASE_URL: databaseUrl,
    KAFKA_BROKERS: inject("kafkaBrokers"),
    KAFKA_TOPIC: topic,
    CART_EVENTS_TOPIC: `${topic}.carts`,
    DB_POOL_MAX: "5",
    JWT_SECRET: TEST_JWT_SECRET,
    IDEMPOTENCY_HASH_KEY: TEST_IDEMPOTENCY_KEY,
    CAPABILITY_TOKEN_SECRET: TEST_CAPABILITY_KEY,
    RATE_LIMIT_PER_SECOND: "0",
    GUEST_CALLS_PER_SECOND_PER_ADDRESS: "0",
    GUEST_CARTS_PER_MINUTE_PER_ADDRESS: "0",
    SHUTDOWN_GRACE_MS: "2000",
    ...env,
  });
  const capture = options.logLines && { write: (line: string) => void options.logLines!.push(line) };
  const log = createLogger(capture ? "debug" : (process.env.TEST_LOG_LEVEL ?? "silent"), capture);
  const app = await startApp(config, log, { clock: options.clock });
  const clients: grpc.Client[] = [];
  const baseUrl = `http://127.0.0.1:${app.httpPort}`;
  return {
    ...app,
    databaseUrl,
    topic,
    cartTopic: config.cartEventsTopic,
    connect: (service, bearer = adminToken) =>
      createClient(service, createConnectTransport({ baseUrl, httpVersion: "1.1", interceptors: authorize(bearer) })),
    grpcWeb: (service, bearer = adminToken) =>
      createClient(service, createGrpcWebTransport({ baseUrl, httpVersion: "1.1", interceptors: authorize(bearer) })),
    grpc: (service, bearer = adminToken) =>
      createClient(service, createGrpcTransport({ baseUrl: `http://127.0.0.1:${app.grpcPort}`, interceptors: authorize(bearer) })),
    grpcClient(service, bearer = adminToken) {
      const Constructor = grpc.makeGenericClientConstructor(grpcServiceDefinition(service), service.name);
      const client = new Constructor(`127.0.0.1:${app.grpcPort}`, grpc.credentials.createInsecure(), {
        interceptors: grpcAuthorize(bearer),
      });
      clients.push(client);
      return client;
    },
    async stop() {
      await app.stop();
      clients.forEach((client) => client.close());
    },
  };
}

function authorize(bearer: string): Interceptor[] {
  return bearer ? [(next) => (request) => (request.header.set("authorization", `Bearer ${bearer}`), next(request))] : [];
}

export function grpcAuthorize(bearer: string): grpc.Interceptor[] {
  if (!bearer) return [];
  return [
    (options, nextCall) =>
      new grpc.InterceptingCall(nextCall(options), {
        start(metadata, listener, next) {
          metadata.set("authorization", `Bearer ${bearer}`);
          next(metadata, listener);
        },
      }),
  ];
}

/** Promise wrapper for a grpc-js unary call that also returns the status on failure. */
export function unary<T>(
  client: InstanceType<ReturnType<typeof grpc.makeGenericClientConstructor>>,
  method: string,
  request: unknown,
  options: grpc.CallOptions = { deadline: Date.now() + 10_000 },
): Promise<T> {
  return new Promise((resolve, reject) => {
    client[method]!(request, new grpc.Metadata(), options, (error: grpc.ServiceError | null, response: T) =>
      error ? reject(error) : resolve(response),
    );
  });
}
