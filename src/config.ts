import proxyaddr from "proxy-addr";
import { z } from "zod";

const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();
const list = z.string().transform((value) =>
  value
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean),
);
const flag = z.enum(["true", "false"]).transform((value) => value === "true");
const key = z.string().min(32, "must be at least 32 characters");
const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
/** "90s", "30m", "1h", "2d", to milliseconds. */
const duration = z
  .string()
  .regex(/^[1-9][0-9]{0,5}[smhd]$/, 'must be a whole number and a unit: "90s", "30m", "1h", "2d"')
  .transform((text) => Number(text.slice(0, -1)) * UNIT_MS[text.at(-1) as keyof typeof UNIT_MS]);

const fields = z.object({
  HOST: z.string().min(1).default("0.0.0.0"),
  GRPC_PORT: port.default(50051),
  HTTP_PORT: port.default(8080),
  // Unset: this service's own origins and the Vite dev server (development); production must list them.
  CORS_ORIGINS: list.optional(),
  TLS_CERT_FILE: z.string().optional(),
  TLS_KEY_FILE: z.string().optional(),
  MAX_MESSAGE_BYTES: positiveInt.default(4 * 1024 * 1024),
  RPC_DEFAULT_TIMEOUT_MS: positiveInt.default(10_000),
  SHUTDOWN_GRACE_MS: positiveInt.default(10_000),
  APP_ENV: z.enum(["development", "production"]).default("development"),
  AUTH_MODE: z.enum(["jwt", "gateway"]).default("jwt"),
  JWT_SECRET: key.optional(),
  JWT_JWKS_URL: z.url({ protocol: /^https?$/ }).optional(),
  JWT_ISSUER: z.string().min(1).default("order-service"),
  JWT_AUDIENCE: z.string().min(1).default("order-service"),
  // How far the caller's clock may be off when exp and nbf are checked.
  JWT_CLOCK_TOLERANCE_S: z.coerce.number().int().min(0).max(300).default(30),
  // Gateway mode: the header x-gateway-secret must carry this, proving the call came through the gateway.
  GATEWAY_SECRET: key.optional(),
  // Failed authentications per client address per minute before its failing calls get RESOURCE_EXHAUSTED; 0: no limit.
  AUTH_FAILURES_PER_MINUTE: z.coerce.number().int().min(0).default(60),
  // Proxies whose X-Forwarded-For names the client (addresses, CIDRs, or loopback, linklocal, uniquelocal); unset: the socket's peer.
  TRUSTED_PROXIES: list.optional(),
  RPC_MAX_TIMEOUT_MS: positiveInt.default(60_000),
  // Calls per second per caller; 0 turns the limit off.
  RATE_LIMIT_PER_SECOND: z.coerce.number().int().min(0).default(100),
  // Unary calls in progress per process; more are refused with UNAVAILABLE (0: no limit).
  MAX_CALLS_IN_PROGRESS: z.coerce.number().int().min(0).default(256),
  // WatchOrder: open streams per process and per caller; longest life of one stream; keep-alive interval.
  WATCH_MAX_STREAMS: positiveInt.default(1_000),
  WATCH_MAX_STREAMS_PER_CALLER: positiveInt.default(10),
  WATCH_MAX_LIFETIME_MS: positiveInt.default(30 * 60_000),
  WATCH_HEARTBEAT_MS: positiveInt.default(15_000),
  // The built development page (npm run build); served only when APP_ENV is development.
  WEB_DIR: z.string().min(1).default("dist/web"),
  // The built staff console (npm run build), served at /console in every environment where the directory exists.
  CONSOLE_DIR: z.string().min(1).default("dist/console"),
  // A separate HTTP port for /metrics (and the health endpoints); unset keeps /metrics on HTTP_PORT in development, off in production.
  ADMIN_PORT: port.optional(),
  GRPC_REFLECTION: flag.optional(),
  // Where spans go (OTLP over HTTP, e.g. http://collector:4318/v1/traces); unset exports nothing.
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),

  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
  DATA_DIR: z.string().min(1).default(".data"),
  EMBEDDED_PG_PORT: port.default(54329),
  DB_POOL_MAX: positiveInt.default(10),
  // false when a job runs `migrate` before the service starts (Kubernetes: the migration Job).
  MIGRATE_AT_START: flag.default(true),

  KAFKA_BROKERS: list.optional(),
  KAFKA_CLIENT_ID: z.string().min(1).default("order-service"),
  KAFKA_TOPIC: z
    .string()
    .regex(/^[a-zA-Z0-9._-]+$/)
    .default("orders.v1"),
  // Cart events (shop.cart.events.v1 contract) go to a topic of their own.
  CART_EVENTS_TOPIC: z
    .string()
    .regex(/^[a-zA-Z0-9._-]+$/)
    .default("shop.cart.events.v1"),
  EVENT_ENCODING: z.enum(["protobuf", "json"]).default("protobuf"),
  EVENT_SOURCE: z.string().min(1).default("/order-service"),
  OUTBOX_BATCH_SIZE: z.coerce.number().int().min(1).max(5_000).default(500),
  OUTBOX_POLL_MS: positiveInt.default(1_000),
  // Refusals of one event by the broker (missing topic, record too large) before it is parked for staff to retry.
  OUTBOX_MAX_ATTEMPTS: positiveInt.default(10),
  // A refused event's first wait, doubling with each refusal up to 5 minutes; only its own order's later events wait with it.
  OUTBOX_RETRY_BACKOFF_MS: positiveInt.default(1_000),
  OUTBOX_RETENTION_MS: positiveInt.default(7 * 24 * 3_600_000),
  // Who publishes the outbox: the relay in each instance (one at a time), or Debezium on Kafka
  // Connect reading the outbox's inserts from the WAL (docs/operations.md, "Debezium").
  OUTBOX_PUBLISHER: z.enum(["relay", "debezium"]).default("relay"),
  // Debezium's replication slot, whose lag the service reports (outbox_cdc_slot_lag_bytes).
  OUTBOX_SLOT_NAME: z
    .string()
    .regex(/^[a-z0-9_]{1,63}$/)
    .default("order_service_outbox"),

  // Request hashes are an HMAC with this key; development generates one in DATA_DIR.
  IDEMPOTENCY_HASH_KEY: key.optional(),
  IDEMPOTENCY_RETENTION_MS: positiveInt.default(7 * 24 * 3_600_000),
  IDEMPOTENCY_PURGE_INTERVAL_MS: positiveInt.default(3_600_000),

  // Guest cart tokens and order links are signed (HS256) with this key; development generates one in DATA_DIR.
  CAPABILITY_TOKEN_SECRET: key.optional(),
  GUEST_CART_TOKEN_TTL_HOURS: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 90)
    .default(24 * 30),
  ORDER_LINK_TTL_DAYS: z.coerce.number().int().min(1).max(365).default(90),
  // Calls per second from one client address by guests (and CreateGuestCart's anonymous callers); 0: no limit.
  GUEST_CALLS_PER_SECOND_PER_ADDRESS: z.coerce.number().int().min(0).max(100_000).default(20),
  // Guest carts one client address may start per minute; 0: no limit.
  GUEST_CARTS_PER_MINUTE_PER_ADDRESS: z.coerce.number().int().min(0).max(100_000).default(30),

  // Unset: the built-in simulated Payment service (development; production only with ALLOW_SIMULATED_PAYMENTS).
  PAYMENT_SERVICE_URL: z.url({ protocol: /^https?$/ }).optional(),
  ALLOW_SIMULATED_PAYMENTS: flag.default(false),
  // Production refuses http:// dependency URLs (payment tokens would cross the network in clear) unless a mesh adds mTLS and this says so.
  ALLOW_PLAINTEXT_DEPENDENCIES: flag.default(false),

  PRODUCT_SERVICE_URL: z.url({ protocol: /^https?$/ }).optional(),
  INVENTORY_SERVICE_URL: z.url({ protocol: /^https?$/ }).optional(),
  DEPENDENCY_TIMEOUT_MS: positiveInt.default(2_000),
  // connect-node's client is kept to measure against (bench/README.md, ablation); grpc-js costs less CPU per call.
  DEPENDENCY_CLIENT: z.enum(["grpc-js", "connect-node"]).default("grpc-js"),
  DEPENDENCY_RETRIES: z.coerce.number().int().min(0).max(5).default(2),
  BREAKER_THRESHOLD: positiveInt.default(5),
  BREAKER_HALF_OPEN_MS: positiveInt.default(5_000),
  // 0 turns the cache off. Bounds how stale a price can be when an order is priced.
  PRODUCT_CACHE_TTL_MS: z.coerce.number().int().min(0).max(300_000).default(2_000),

  CURRENCY: z
    .string()
    .regex(/^[A-Z]{3}$/, "must be an ISO 4217 code such as USD")
    .default("USD"),
  TAX_RATE_BPS: z.coerce.number().int().min(0).max(10_000).default(800),
  FREE_SHIPPING_THRESHOLD_MINOR: z.coerce.number().int().min(0).default(5000),
  FLAT_SHIPPING_MINOR: z.coerce.number().int().min(0).default(599),
  ESTIMATED_DELIVERY_DAYS: z.coerce.number().int().min(0).max(365).default(5),
  // Customers ask for returns within this many days of the units' shipment; staff are not bound by it.
  RETURN_WINDOW_DAYS: z.coerce.number().int().min(0).max(3650).default(30),
  // When a return is refunded: when its goods are received, or as soon as it is confirmed.
  RETURN_REFUND_ON: z.enum(["receipt", "request"]).default("receipt"),
  // "payment": PayOrder captures at once. "shipment": it authorizes, and each parcel handed to a carrier captures its units.
  CAPTURE_ON: z.enum(["payment", "shipment"]).default("payment"),

  CART_MAX_LINES: z.coerce.number().int().min(1).max(500).default(50),
  CART_MAX_QUANTITY: z.coerce.number().int().min(1).max(10_000).default(99),
  // An untouched cart is dropped after this long (default 30 days).
  CART_TTL_MS: positiveInt.default(30 * 24 * 3_600_000),
  CART_CLEANUP_INTERVAL_MS: positiveInt.default(3_600_000),
  // A cart holds its lines' stock at Inventory this long after its last change; 0 turns holds off.
  CART_RESERVATION_MINUTES: z.coerce.number().int().min(0).max(1_440).default(15),
  CART_GUEST_RESERVATION_MINUTES: z.coerce.number().int().min(0).max(1_440).default(15),
  // How often lapsed holds are released at Inventory (they stop counting when they lapse; this only tidies).
  CART_HOLD_SWEEP_MS: positiveInt.default(60_000),
  // A cart with lines untouched this long is abandoned (CartAbandoned, once per idle period): "90s", "30m", "1h", "2d".
  CART_ABANDONED_AFTER: duration.default(3_600_000),
  CART_ABANDONED_SWEEP_MS: positiveInt.default(60_000),
  // How often reservations of orders that were never written (their process died) are released.
  RESERVATION_SWEEP_MS: positiveInt.default(5_000),
});

/** Every variable the service reads: the configuration table, the ConfigMap and the Secret cover these. */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(fields.shape);

const schema = fields.superRefine((env, problems) => {
  const problem = (name: string, message: string) => problems.addIssue({ code: "custom", path: [name], message });
  if (env.OUTBOX_PUBLISHER === "debezium" && env.EVENT_ENCODING === "json") {
    problem("EVENT_ENCODING", "Debezium publishes the outbox's protobuf bytes as they are: json needs OUTBOX_PUBLISHER=relay");
  }
  if (Boolean(env.TLS_CERT_FILE) !== Boolean(env.TLS_KEY_FILE))
    problem("TLS_CERT_FILE", "TLS_CERT_FILE and TLS_KEY_FILE must be set together");
  if (env.JWT_SECRET && env.JWT_JWKS_URL) problem("JWT_JWKS_URL", "set JWT_SECRET or JWT_JWKS_URL, not both");
  try {
    proxyaddr.compile(env.TRUSTED_PROXIES ?? []);
  } catch (error) {
    problem("TRUSTED_PROXIES", `must list addresses or CIDRs: ${(error as Error).message}`);
  }
  if (env.APP_ENV === "production") productionChecklist(env, problem);
});

/** What production insists on, so that no development convenience reaches it by default. */
function productionChecklist(env: z.infer<typeof fields>, problem: (name: string, message: string) => void): void {
  if (env.AUTH_MODE === "jwt" && !env.JWT_SECRET && !env.JWT_JWKS_URL) {
    problem("JWT_SECRET", "production needs JWT_SECRET or JWT_JWKS_URL (or AUTH_MODE=gateway with GATEWAY_SECRET)");
  }
  if (env.JWT_JWKS_URL && !env.JWT_JWKS_URL.startsWith("https:")) problem("JWT_JWKS_URL", "must be https in production");
  if (env.AUTH_MODE === "gateway" && !env.GATEWAY_SECRET) {
    problem("GATEWAY_SECRET", "production in gateway mode needs GATEWAY_SECRET, the proof a call came through the gateway");
  }
  if (!env.DATABASE_URL) problem("DATABASE_URL", "production needs DATABASE_URL; the embedded PostgreSQL is for development");
  if (!env.CORS_ORIGINS?.length) problem("CORS_ORIGINS", "production needs the browser origins allowed to call, listed explicitly");
  else if (env.CORS_ORIGINS.includes("*")) problem("CORS_ORIGINS", '"*" is not allowed in production; list the shop\'s origins');
  if (!env.IDEMPOTENCY_HASH_KEY)
    problem("IDEMPOTENCY_HASH_KEY", "production needs IDEMPOTENCY_HASH_KEY (32+ characters) to key request hashes");
  if (!env.CAPABILITY_TOKEN_SECRET)
    problem(
      "CAPABILITY_TOKEN_SECRET",
      "production needs CAPABILITY_TOKEN_SECRET (32+ characters) to sign guest cart tokens and order links",
    );
  if (!env.ALLOW_PLAINTEXT_DEPENDENCIES) {
    for (const name of ["PAYMENT_SERVICE_URL", "PRODUCT_SERVICE_URL", "INVENTORY_SERVICE_URL"] as const) {
      if (env[name]?.startsWith("http:")) {
        problem(
          name,
          "must be https in production (payment tokens and prices cross the network), or set ALLOW_PLAINTEXT_DEPENDENCIES=true where a mesh adds mTLS",
        );
      }
    }
  }
  if (!env.PAYMENT_SERVICE_URL && !env.ALLOW_SIMULATED_PAYMENTS) {
    problem(
      "ALLOW_SIMULATED_PAYMENTS",
      "without PAYMENT_SERVICE_URL payments are simulated (any token is captured, no money moves); production needs PAYMENT_SERVICE_URL, or ALLOW_SIMULATED_PAYMENTS=true to run them",
    );
  }
}

/** What a development instance's own pages and the Vite dev server (port 5173) are served from; never "*". */
function developmentOrigins(httpPort: number): string[] {
  return [httpPort, 5173].flatMap((port) => [`http://localhost:${port}`, `http://127.0.0.1:${port}`]);
}

export type Config = ReturnType<typeof toConfig>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** Reads and validates the environment once; every problem is reported, not only the first. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const blanksRemoved = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ""));
  const parsed = schema.safeParse(blanksRemoved);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const name = issue.path.join(".");
        const value = env[name];
        return `${name}: ${issue.message}${value === undefined ? "" : ` (got "${value}")`}`;
      }),
    );
  }
  return toConfig(parsed.data);
}

function toConfig(env: z.infer<typeof schema>) {
  return {
    host: env.HOST,
    grpcPort: env.GRPC_PORT,
    httpPort: env.HTTP_PORT,
    corsOrigins: env.CORS_ORIGINS ?? developmentOrigins(env.HTTP_PORT),
    tls: env.TLS_CERT_FILE && env.TLS_KEY_FILE ? { certFile: env.TLS_CERT_FILE, keyFile: env.TLS_KEY_FILE } : undefined,
    maxMessageBytes: env.MAX_MESSAGE_BYTES,
    rpcDefaultTimeoutMs: env.RPC_DEFAULT_TIMEOUT_MS,
    rpcMaxTimeoutMs: env.RPC_MAX_TIMEOUT_MS,
    rateLimitPerSecond: env.RATE_LIMIT_PER_SECOND,
    maxCallsInProgress: env.MAX_CALLS_IN_PROGRESS,
    environment: env.APP_ENV,
    webDir: env.WEB_DIR,
    consoleDir: env.CONSOLE_DIR,
    adminPort: env.ADMIN_PORT,
    grpcReflection: env.GRPC_REFLECTION ?? env.APP_ENV === "development",
    watch: {
      maxStreams: env.WATCH_MAX_STREAMS,
      maxStreamsPerCaller: env.WATCH_MAX_STREAMS_PER_CALLER,
      maxLifetimeMs: env.WATCH_MAX_LIFETIME_MS,
      heartbeatMs: env.WATCH_HEARTBEAT_MS,
    },
    tracesEndpoint: env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
    auth: {
      mode: env.AUTH_MODE,
      secret: env.JWT_SECRET,
      jwksUrl: env.JWT_JWKS_URL,
      issuer: env.JWT_ISSUER,
      audience: env.JWT_AUDIENCE,
      clockToleranceS: env.JWT_CLOCK_TOLERANCE_S,
      gatewaySecret: env.GATEWAY_SECRET,
      failuresPerMinute: env.AUTH_FAILURES_PER_MINUTE,
      trustedProxies: env.TRUSTED_PROXIES ?? [],
    },
    guests: {
      tokenSecret: env.CAPABILITY_TOKEN_SECRET,
      cartTokenTtlMs: env.GUEST_CART_TOKEN_TTL_HOURS * 3_600_000,
      orderLinkTtlMs: env.ORDER_LINK_TTL_DAYS * 86_400_000,
      callsPerSecondPerAddress: env.GUEST_CALLS_PER_SECOND_PER_ADDRESS,
      cartsPerMinutePerAddress: env.GUEST_CARTS_PER_MINUTE_PER_ADDRESS,
    },
    idempotency: {
      hashKey: env.IDEMPOTENCY_HASH_KEY,
      retentionMs: env.IDEMPOTENCY_RETENTION_MS,
      purgeIntervalMs: env.IDEMPOTENCY_PURGE_INTERVAL_MS,
    },

    shutdownGraceMs: env.SHUTDOWN_GRACE_MS,
    logLevel: env.LOG_LEVEL,
    database: {
      url: env.DATABASE_URL,
      dataDir: env.DATA_DIR,
      embeddedPort: env.EMBEDDED_PG_PORT,
      poolMax: env.DB_POOL_MAX,
      migrateAtStart: env.MIGRATE_AT_START,
    },
    kafka: env.KAFKA_BROKERS?.length ? { brokers: env.KAFKA_BROKERS, clientId: env.KAFKA_CLIENT_ID } : undefined,
    // With or without brokers: rows written before Kafka is configured carry the topic it will have.
    orderEventsTopic: env.KAFKA_TOPIC,
    cartEventsTopic: env.CART_EVENTS_TOPIC,
    outbox: {
      batchSize: env.OUTBOX_BATCH_SIZE,
      pollMs: env.OUTBOX_POLL_MS,
      maxAttempts: env.OUTBOX_MAX_ATTEMPTS,
      retryBackoffMs: env.OUTBOX_RETRY_BACKOFF_MS,
      retentionMs: env.OUTBOX_RETENTION_MS,
      source: env.EVENT_SOURCE,
      encoding: env.EVENT_ENCODING,
      publisher: env.OUTBOX_PUBLISHER,
      slotName: env.OUTBOX_SLOT_NAME,
    },
    dependencies: {
      productServiceUrl: env.PRODUCT_SERVICE_URL,
      inventoryServiceUrl: env.INVENTORY_SERVICE_URL,
      paymentServiceUrl: env.PAYMENT_SERVICE_URL,
      /** Production dependencies reached over http:// because ALLOW_PLAINTEXT_DEPENDENCIES says a mesh adds mTLS: warned at every start. */
      plaintextInProduction:
        env.APP_ENV === "production"
          ? [env.PAYMENT_SERVICE_URL, env.PRODUCT_SERVICE_URL, env.INVENTORY_SERVICE_URL].filter((url) => url?.startsWith("http:"))
          : [],
      timeoutMs: env.DEPENDENCY_TIMEOUT_MS,
      client: env.DEPENDENCY_CLIENT,
      resilience: {
        retries: env.DEPENDENCY_RETRIES,
        breakerThreshold: env.BREAKER_THRESHOLD,
        breakerHalfOpenAfterMs: env.BREAKER_HALF_OPEN_MS,
      },
      productCacheTtlMs: env.PRODUCT_CACHE_TTL_MS,
    },
    pricing: {
      currency: env.CURRENCY,
      taxRateBps: env.TAX_RATE_BPS,
      freeShippingThresholdMinor: BigInt(env.FREE_SHIPPING_THRESHOLD_MINOR),
      flatShippingMinor: BigInt(env.FLAT_SHIPPING_MINOR),
    },
    estimatedDeliveryDays: env.ESTIMATED_DELIVERY_DAYS,
    returns: { windowDays: env.RETURN_WINDOW_DAYS, refundOn: env.RETURN_REFUND_ON },
    captureOn: env.CAPTURE_ON,
    reservationSweepMs: env.RESERVATION_SWEEP_MS,
    cart: {
      maxLines: env.CART_MAX_LINES,
      maxQuantity: env.CART_MAX_QUANTITY,
      ttlMs: env.CART_TTL_MS,
      cleanupIntervalMs: env.CART_CLEANUP_INTERVAL_MS,
      holdMs: env.CART_RESERVATION_MINUTES * 60_000,
      guestHoldMs: env.CART_GUEST_RESERVATION_MINUTES * 60_000,
      holdSweepMs: env.CART_HOLD_SWEEP_MS,
      abandonedAfterMs: env.CART_ABANDONED_AFTER,
      abandonedSweepMs: env.CART_ABANDONED_SWEEP_MS,
    },
  };
}
