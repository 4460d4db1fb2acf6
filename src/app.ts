import type { DescService } from "@bufbuild/protobuf";
import type { ConnectRouter, ServiceImpl } from "@connectrpc/connect";
import type { MikroORM } from "@mikro-orm/postgresql";
import type { Pool } from "pg";
import type { Logger } from "pino";
import { RateLimiterMemory } from "rate-limiter-flexible";
import { CartService, file_shop_cart_v1_cart } from "../gen/shop/cart/v1/cart_pb.js";
import { file_shop_order_v1_order_errors } from "../gen/shop/order/v1/order_errors_pb.js";
import { file_shop_order_v1_order_events } from "../gen/shop/order/v1/order_events_pb.js";
import { OrderService, file_shop_order_v1_order } from "../gen/shop/order/v1/order_pb.js";
import { startReservationSweeper } from "./reservations/reservation-sweeper.js";
import { startCartCleanup } from "./cart/cart-cleanup.js";
import { cartService } from "./cart/cart-service.js";
import { createCatalogClients } from "./catalog/catalog-wiring.js";
import { DependencyMetrics } from "./catalog/dependency-metrics.js";
import type { Config } from "./config.js";
import { developmentTools } from "./dev/development.js";
import { startEmbeddedPostgres, type EmbeddedDatabase } from "./db/embedded-postgres.js";
import { migrate, openOrm } from "./db/orm.js";
import { orderService } from "./orders/order-service.js";
import { SimulatedGateway } from "./payments/simulated-gateway.js";
import { KafkaConnection } from "./outbox/kafka.js";
import { registerOutboxMetrics } from "./outbox/outbox-metrics.js";
import { OutboxRelay } from "./outbox/outbox-relay.js";
import { systemClock } from "./platform/clock.js";
import { createAuthenticator } from "./platform/auth/auth-config.js";
import { addConnectService } from "./platform/grpc-adapter.js";
import { CallLimit } from "./platform/call-limit.js";
import { bindGrpcServer, createGrpcServer, shutdownGrpcServer } from "./platform/grpc-server.js";
import { Health, type DependencyCheck } from "./platform/health.js";
import { createMetricsRegistry, registerPoolMetrics } from "./platform/metrics.js";
import { installTracing } from "./platform/tracing.js";
import { RpcMetrics } from "./platform/rpc-metrics.js";
import { PgListener } from "./platform/pg-listener.js";
import { closeHttpServer, createHttpServer, listen } from "./platform/http-server.js";
import { reflectionService } from "./platform/reflection.js";
import { withRpcScope } from "./platform/rpc-scope.js";

export interface App {
  readonly grpcPort: number;
  readonly httpPort: number;
  readonly orm: MikroORM;
  readonly health: Health;
  /** Graceful: stop taking calls, drain within the grace period, close Kafka and the database. */
  stop(): Promise<void>;
}

const HEALTH_INTERVAL_MS = 5_000;

/** The composition root: config -> database -> Kafka -> services -> servers. */
export async function startApp(config: Config, log: Logger): Promise<App> {
  let embedded: EmbeddedDatabase | undefined;
  let databaseUrl = config.database.url;
  if (!databaseUrl) {
    embedded = await startEmbeddedPostgres({ dataDir: config.database.dataDir, port: config.database.embeddedPort, log });
    databaseUrl = embedded.url;
  }
  installTracing({ otlpEndpoint: config.tracesEndpoint, serviceName: "order-service" });
  const orm = await openOrm({ url: databaseUrl, poolMax: config.database.poolMax, log });
  await migrate(orm, databaseUrl, log);

  const kafka = config.kafka ? new KafkaConnection(config.kafka, log) : undefined;
  void kafka?.connect();
  if (!kafka) log.warn("KAFKA_BROKERS not set: events are kept in the outbox until a broker is configured");

  const changes = new PgListener(databaseUrl, "outbox_events", log);
  await changes.start();
  const metrics = createMetricsRegistry();
  let relay: OutboxRelay | undefined;
  if (kafka) {
    const observer = registerOutboxMetrics(metrics, () => relay!.stats);
    relay = new OutboxRelay(orm, kafka.producer, changes, config.outbox, log, observer);
  }
  relay?.start();

  const { catalog, inventory } = createCatalogClients(config.dependencies, orm, new DependencyMetrics(metrics));
  registerPoolMetrics(metrics, (await orm.em.getConnection().getNativeClient()) as Pool);
  const scopeDeps = {
    log,
    defaultTimeoutMs: config.rpcDefaultTimeoutMs,
    maxTimeoutMs: config.rpcMaxTimeoutMs,
    forkEntityManager: () => orm.em.fork(),
    authenticator: createAuthenticator(config, log),
    metrics: new RpcMetrics(metrics),
    callLimit: new CallLimit(config.maxCallsInProgress),
    rateLimiter: config.rateLimitPerSecond > 0 ? new RateLimiterMemory({ points: config.rateLimitPerSecond, duration: 1 }) : undefined,
  };
  const orderDeps = {
    catalog,
    inventory,
    payments: new SimulatedGateway(),
    pricing: config.pricing,
    clock: systemClock,
    topic: config.kafka?.topic ?? "orders.v1",
    estimatedDeliveryDays: config.estimatedDeliveryDays,
    changes,
  };
  const services: [DescService, Partial<ServiceImpl<DescService>>][] = [
    [OrderService, withRpcScope(OrderService, orderService(orderDeps), scopeDeps) as Partial<ServiceImpl<DescService>>],
    [CartService, withRpcScope(CartService, cartService({ ...orderDeps, cart: config.cart }), scopeDeps) as Partial<ServiceImpl<DescService>>],
  ];
  const stopCartCleanup = startCartCleanup(orm, config.cart.cleanupIntervalMs, log);
  const stopReservationSweeper = startReservationSweeper(orm, inventory, config.reservationSweepMs, log);

  const checks: DependencyCheck[] = [
    { name: "postgres", required: true, check: async () => void (await orm.em.fork().execute("select 1")) },
  ];
  if (kafka) checks.push({ name: "kafka", required: false, check: (signal) => kafka.check(signal) });
  const health = new Health(checks, services.map(([service]) => service.typeName), log);
  await health.start(HEALTH_INTERVAL_MS);

  const grpcOptions = { host: config.host, port: config.grpcPort, maxMessageBytes: config.maxMessageBytes, log };
  const grpcServer = createGrpcServer(grpcOptions);
  for (const [service, impl] of services) addConnectService(grpcServer, service, impl);
  health.grpc.addToServer(grpcServer);
  reflectionService([
    file_shop_order_v1_order,
    file_shop_order_v1_order_events,
    file_shop_order_v1_order_errors,
    file_shop_cart_v1_cart,
  ]).addToServer(grpcServer);
  const grpcPort = await bindGrpcServer(grpcServer, grpcOptions);

  const development = config.environment === "development" ? developmentTools(config, orm, scopeDeps) : undefined;
  const httpServer = createHttpServer({
    host: config.host,
    port: config.httpPort,
    corsOrigins: config.corsOrigins,
    tls: config.tls,
    maxMessageBytes: config.maxMessageBytes,
    routes: (router: ConnectRouter) => {
      for (const [service, impl] of [...services, ...(development?.browserServices ?? [])]) router.service(service, impl);
    },
    development,
    health: () => ({ ...health.snapshot(), ...(relay ? { outbox: relay.stats } : {}) }),
    metrics: async () => ({ contentType: metrics.contentType, body: await metrics.metrics() }),
    log,
  });
  const httpPort = await listen(httpServer, config.host, config.httpPort, log);

  return {
    grpcPort,
    httpPort,
    orm,
    health,
    async stop() {
      health.markShuttingDown();
      await Promise.all([
        shutdownGrpcServer(grpcServer, config.shutdownGraceMs),
        closeHttpServer(httpServer, config.shutdownGraceMs),
      ]);
      await stopCartCleanup();
      await stopReservationSweeper();
      await relay?.stop();
      await kafka?.close();
      await changes.close();
      await orm.close();
      await embedded?.stop();
    },
  };
}
