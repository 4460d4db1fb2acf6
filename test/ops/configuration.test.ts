import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { problems } from "../support/config-problems.js";

describe("configuration", () => {
  it("when nothing is set, then the embedded defaults apply", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ grpcPort: 50051, httpPort: 8080, kafka: undefined, database: { url: undefined, dataDir: ".data" } });
    expect(config.pricing).toEqual({ currency: "USD", taxRateBps: 800, freeShippingThresholdMinor: 5000n, flatShippingMinor: 599n });
  });

  it("when values are bad, then every problem is named with the value given", () => {
    const found = problems({ GRPC_PORT: "70000", HTTP_PORT: "http", DATABASE_URL: "mysql://x/y", LOG_LEVEL: "loud", CURRENCY: "usd" });
    expect(found).toHaveLength(5);
    expect(found.join("\n")).toMatch(/GRPC_PORT: .*\(got "70000"\)/);
    expect(found.join("\n")).toMatch(/HTTP_PORT: .*\(got "http"\)/);
    expect(found.join("\n")).toMatch(/DATABASE_URL: .*\(got "mysql:\/\/x\/y"\)/);
    expect(found.join("\n")).toMatch(/LOG_LEVEL: .*\(got "loud"\)/);
    expect(found.join("\n")).toMatch(/CURRENCY: must be an ISO 4217 code.*\(got "usd"\)/);
  });

  it("when only half of the TLS pair is set, then start-up refuses", () => {
    expect(problems({ TLS_CERT_FILE: "/tmp/cert.pem" })).toEqual([
      'TLS_CERT_FILE: TLS_CERT_FILE and TLS_KEY_FILE must be set together (got "/tmp/cert.pem")',
    ]);
  });

  it("when Debezium is to publish JSON, then start-up refuses: it sends the outbox's protobuf bytes as they are", () => {
    expect(problems({ OUTBOX_PUBLISHER: "debezium", EVENT_ENCODING: "json" })).toEqual([
      'EVENT_ENCODING: Debezium publishes the outbox\'s protobuf bytes as they are: json needs OUTBOX_PUBLISHER=relay (got "json")',
    ]);
    expect(loadConfig({ OUTBOX_PUBLISHER: "debezium" }).outbox).toMatchObject({ publisher: "debezium", slotName: "order_service_outbox" });
    expect(loadConfig({}).outbox.publisher).toBe("relay");
  });

  it("when a variable is set but empty, then its default applies", () => {
    expect(loadConfig({ GRPC_PORT: "" }).grpcPort).toBe(50051);
  });

  it("when production has no key configuration, then start-up refuses; with a secret, https JWKS or a gateway with its secret it starts", () => {
    const production = {
      APP_ENV: "production",
      DATABASE_URL: "postgres://orders@db.internal/orders",
      CORS_ORIGINS: "https://shop.example.com",
      IDEMPOTENCY_HASH_KEY: "k".repeat(32),
      CAPABILITY_TOKEN_SECRET: "c".repeat(32),
      ALLOW_SIMULATED_PAYMENTS: "true",
    };
    expect(problems(production)).toEqual([
      "JWT_SECRET: production needs JWT_SECRET or JWT_JWKS_URL (or AUTH_MODE=gateway with GATEWAY_SECRET)",
    ]);
    expect(problems({ ...production, JWT_SECRET: "short" })[0]).toMatch(/JWT_SECRET: must be at least 32 characters/);
    expect(problems({ ...production, JWT_SECRET: "x".repeat(32) })).toEqual([]);
    expect(problems({ ...production, JWT_JWKS_URL: "https://id.example.com/.well-known/jwks.json" })).toEqual([]);
    expect(problems({ ...production, AUTH_MODE: "gateway", GATEWAY_SECRET: "g".repeat(32) })).toEqual([]);
  });

  it("when KAFKA_BROKERS is a list, then it is split and trimmed", () => {
    expect(loadConfig({ KAFKA_BROKERS: "a:9092, b:9092" }).kafka?.brokers).toEqual(["a:9092", "b:9092"]);
  });
});
