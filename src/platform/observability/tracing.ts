import { context, propagation, ROOT_CONTEXT, trace, type Context, type TextMapGetter, type TextMapSetter } from "@opentelemetry/api";
import type { Interceptor } from "@connectrpc/connect";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor, NodeTracerProvider } from "@opentelemetry/sdk-trace-node";

let provider: NodeTracerProvider | undefined;

/**
 * OpenTelemetry for the process, once: W3C trace context is always taken from incoming calls and
 * passed on (to Product, Inventory and Kafka), so traces join across services; spans are exported
 * only when an OTLP endpoint is configured.
 */
export function installTracing(options: { otlpEndpoint?: string; serviceName: string }): void {
  if (provider) return;
  provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ "service.name": options.serviceName }),
    spanProcessors: options.otlpEndpoint ? [new BatchSpanProcessor(new OTLPTraceExporter({ url: options.otlpEndpoint }))] : [],
  });
  provider.register({ propagator: new W3CTraceContextPropagator() });
}

export async function shutdownTracing(): Promise<void> {
  await provider?.shutdown();
}

export const tracer = () => trace.getTracer("order-service");

const headerGetter: TextMapGetter<Headers> = {
  keys: (headers) => [...headers.keys()],
  get: (headers, key) => headers.get(key) ?? undefined,
};
const headerSetter: TextMapSetter<Headers> = { set: (headers, key, value) => headers.set(key, value) };

/** The caller's trace, from its traceparent header (or a new root). */
export function contextFrom(headers: Headers): Context {
  return propagation.extract(ROOT_CONTEXT, headers, headerGetter);
}

/** The W3C traceparent of the active span, to store with an outbox event. */
export function activeTraceparent(): string | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent;
}

/** For clients of other services: every outgoing call carries the active trace. */
export const propagateTrace: Interceptor = (next) => (request) => {
  propagation.inject(context.active(), request.header, headerSetter);
  return next(request);
};
