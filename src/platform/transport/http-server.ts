import { readFileSync } from "node:fs";
import * as http from "node:http";
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { cors as connectCors, createContextValues, type ConnectRouter } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import cors from "cors";
import sirv from "sirv";
import type { Logger } from "pino";
import { admitFirst } from "./admit-first.js";
import { peerAddress, peerAddressKey, type Admission } from "../auth/admission.js";
import { strictRequests } from "./strict-requests.js";
import { isUserId, USER_ID } from "../validation.js";
import type { ConsoleHandler } from "./console-files.js";

export interface HttpServerOptions {
  readonly host: string;
  readonly port: number;
  readonly corsOrigins: readonly string[];
  readonly tls: { certFile: string; keyFile: string } | undefined;
  readonly maxMessageBytes: number;
  readonly routes: (router: ConnectRouter) => void;
  readonly admission: Admission;
  readonly health: () => HealthSnapshot;
  /** Development only: the built browser page, and tokens for development users (asked from this machine only). */
  readonly development?: { readonly webDir?: string; readonly tokenFor: (userId: string, role: "customer" | "admin") => Promise<string> };
  /** The staff console at /console, when it was built. */
  readonly console?: ConsoleHandler;
  /** Prometheus exposition for /metrics; undefined when /metrics is not served on this port. */
  readonly metrics?: Metrics;
  readonly log: Logger;
}

export type HealthSnapshot = { ready: boolean; dependencies: Record<string, string> };
export type Metrics = () => Promise<{ contentType: string; body: string }>;

type Request = http.IncomingMessage | http2.Http2ServerRequest;
type Response = http.ServerResponse | http2.Http2ServerResponse;

export type HttpServer = http.Server | http2.Http2SecureServer;

/**
 * Connect and gRPC-Web for browsers, plus /healthz and /readyz. Plain HTTP/1.1 by default;
 * with TLS the same port also speaks HTTP/2 (Node cannot offer both on one cleartext port).
 */
export function createHttpServer(options: HttpServerOptions): HttpServer {
  const rpc = connectNodeAdapter({
    routes: (router) => {
      options.routes(router);
      router.handlers.forEach(
        (handler, i) => (router.handlers[i] = admitFirst(strictRequests(handler, options.maxMessageBytes), options.admission)),
      );
    },
    contextValues: (request) => createContextValues().set(peerAddressKey, peerAddress(request.socket.remoteAddress)),
    readMaxBytes: options.maxMessageBytes,
    writeMaxBytes: options.maxMessageBytes,
  });
  const corsMiddleware = cors({
    origin: options.corsOrigins.includes("*") ? "*" : [...options.corsOrigins],
    methods: [...connectCors.allowedMethods],
    allowedHeaders: [...connectCors.allowedHeaders, "Authorization", "X-Request-Id"],
    exposedHeaders: [...connectCors.exposedHeaders, "X-Request-Id"],
    maxAge: 7200,
  });

  const page = options.development?.webDir ? sirv(options.development.webDir, { etag: true }) : undefined;
  const handler = (request: Request, response: Response) => {
    // Before CORS, so that no page of another origin may read what it answers.
    if (options.development && request.url?.startsWith("/dev/token")) return devToken(request, response, options.development);
    corsMiddleware(request, response, () => {
      if (serveOperations(request, response, options)) return;
      if (options.console?.(request as http.IncomingMessage, response as http.ServerResponse)) return;
      if (page && request.method === "GET" && !request.url?.includes(".v1.")) {
        return page(request as http.IncomingMessage, response as http.ServerResponse, () => json(response, 404, { error: "not found" }));
      }
      rpc(request, response);
    });
  };

  if (options.tls) {
    return http2.createSecureServer(
      { allowHTTP1: true, cert: readFileSync(options.tls.certFile), key: readFileSync(options.tls.keyFile) },
      handler,
    );
  }
  const server = http.createServer(handler);
  server.keepAliveTimeout = 65_000;
  return server;
}

/**
 * Development tokens, for the development page and the console on this machine only: the caller
 * must be on loopback, and the Host it asked for must be a loopback name, or a page on another
 * site could rebind its own name to 127.0.0.1 and read a token. No CORS headers: only a page of
 * this origin can read the answer.
 */
function devToken(request: Request, response: Response, development: NonNullable<HttpServerOptions["development"]>): void {
  if (request.method !== "GET" || !isLoopback(request.socket.remoteAddress) || !isLoopbackHost(request.headers.host)) {
    return json(response, 404, { error: "not found" });
  }
  const query = new URL(request.url ?? "", "http://localhost").searchParams;
  const userId = query.get("user") ?? "";
  const role = query.get("role") ?? "customer";
  if (!isUserId(userId)) return json(response, 400, { error: `user ${USER_ID.hint}` });
  if (role !== "customer" && role !== "admin") return json(response, 400, { error: "role must be customer or admin" });
  development.tokenFor(userId, role).then(
    (token) => json(response, 200, { token }),
    () => json(response, 500, { error: "could not sign" }),
  );
}

/** localhost, 127.0.0.1 or [::1], with any port. */
function isLoopbackHost(host: string | undefined): boolean {
  if (!host) return false;
  const name = host.startsWith("[") ? host.slice(0, host.indexOf("]") + 1) : host.split(":")[0];
  return name === "localhost" || name === "127.0.0.1" || name === "[::1]";
}

/** /healthz, /readyz and (where served) /metrics; true when the request was one of them. */
function serveOperations(request: Request, response: Response, options: Pick<HttpServerOptions, "health" | "metrics" | "log">): boolean {
  if (request.url === "/healthz") {
    json(response, 200, { status: "ok" });
    return true;
  }
  if (request.url === "/readyz") {
    const health = options.health();
    json(response, health.ready ? 200 : 503, health);
    return true;
  }
  if (request.url === "/metrics" && options.metrics) {
    options.metrics().then(
      ({ contentType, body }) => void (response as http.ServerResponse).writeHead(200, { "content-type": contentType }).end(body),
      (error: unknown) => {
        options.log.error({ err: error }, "metrics collection failed");
        json(response, 500, { error: "metrics collection failed" });
      },
    );
    return true;
  }
  return false;
}

/**
 * The operators' port (ADMIN_PORT): /metrics, /healthz and /readyz, nothing a customer calls, so
 * it can be left off the public load balancer.
 */
export function createAdminServer(options: Pick<HttpServerOptions, "health" | "log"> & { metrics: Metrics }): http.Server {
  return http.createServer((request, response) => {
    if (!serveOperations(request, response, options)) json(response, 404, { error: "not found" });
  });
}

function isLoopback(address: string | undefined): boolean {
  return address === "127.0.0.1" || address === "::1" || address === "::ffff:127.0.0.1";
}

function json(response: Response, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  (response as http.ServerResponse).writeHead(status, { "content-type": "application/json" }).end(text);
}

export function listen(server: HttpServer, host: string, port: number, log: Logger, what = "HTTP (Connect, gRPC-Web)"): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      const bound = (server.address() as AddressInfo).port;
      log.info({ port: bound, tls: !(server instanceof http.Server) }, `${what} listening`);
      resolve(bound);
    });
  });
}

/** Stops accepting, lets in-flight calls finish within `graceMs`, then drops the rest. */
export function closeHttpServer(server: HttpServer, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => {
      if ("closeAllConnections" in server) server.closeAllConnections();
      resolve();
    }, graceMs);
    server.close(() => {
      clearTimeout(force);
      resolve();
    });
    if ("closeIdleConnections" in server) server.closeIdleConnections();
  });
}
