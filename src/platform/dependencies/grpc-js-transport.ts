import type { DescMessage, DescMethodUnary, DescService, MessageShape } from "@bufbuild/protobuf";
import { Code, ConnectError, type Transport, type UnaryResponse } from "@connectrpc/connect";
import { findTrailerError } from "@connectrpc/connect/protocol-grpc";
import * as grpc from "@grpc/grpc-js";
import { context, propagation, type TextMapSetter } from "@opentelemetry/api";
import { grpcServiceDefinition } from "../transport/grpc-adapter.js";

const metadataSetter: TextMapSetter<grpc.Metadata> = { set: (metadata, key, value) => metadata.set(key, value) };

/**
 * A Connect `Transport` over @grpc/grpc-js, so typed Connect clients (createClient) call other
 * services through grpc-js's HTTP/2 client. Measured here in the first week and again in issue 22:
 * connect-node's client costs several times the CPU per call of grpc-js's. Unary calls only, the
 * only kind this service makes; errors arrive as the same ConnectErrors (code, message and
 * details from grpc-status-details-bin) as connect-node's, and the active trace goes along.
 */
export function grpcJsTransport(baseUrl: string, options: { idleTimeoutMs: number }): Transport {
  const url = new URL(baseUrl);
  const credentials = url.protocol === "https:" ? grpc.credentials.createSsl() : grpc.credentials.createInsecure();
  const client = new grpc.Client(url.host, credentials, { "grpc.client_idle_timeout_ms": options.idleTimeoutMs });
  const definitions = new WeakMap<DescService, grpc.ServiceDefinition>();
  return {
    unary<I extends DescMessage, O extends DescMessage>(
      method: DescMethodUnary<I, O>,
      signal: AbortSignal | undefined,
      timeoutMs: number | undefined,
      header: ConstructorParameters<typeof Headers>[0],
      input: Parameters<Transport["unary"]>[4],
    ): Promise<UnaryResponse<I, O>> {
      let service = definitions.get(method.parent);
      if (!service) definitions.set(method.parent, (service = grpcServiceDefinition(method.parent)));
      const definition = service[method.localName] as grpc.MethodDefinition<unknown, MessageShape<O>>;
      const metadata = new grpc.Metadata();
      if (header) new Headers(header).forEach((value, key) => metadata.set(key, value));
      propagation.inject(context.active(), metadata, metadataSetter);
      return new Promise((resolve, reject) => {
        if (signal?.aborted) return reject(new ConnectError("the call was cancelled before it was sent", Code.Canceled));
        const call = client.makeUnaryRequest(
          definition.path,
          definition.requestSerialize,
          definition.responseDeserialize,
          input,
          metadata,
          { deadline: timeoutMs ? Date.now() + timeoutMs : Infinity },
          (error, message) => {
            signal?.removeEventListener("abort", cancel);
            if (error) return reject(connectErrorOf(error));
            resolve({ stream: false, service: method.parent, method, header: new Headers(), message: message!, trailer: new Headers() });
          },
        );
        const cancel = () => call.cancel();
        signal?.addEventListener("abort", cancel, { once: true });
      });
    },
    stream() {
      return Promise.reject(new ConnectError("this transport makes unary calls only", Code.Unimplemented));
    },
  };
}

/** The same error connect-node's client gives, details included (an Inventory shortage travels in them). */
function connectErrorOf(error: grpc.ServiceError): ConnectError {
  const trailer = new Headers({ "grpc-status": String(error.code), "grpc-message": encodeURIComponent(error.details) });
  const [details] = error.metadata?.get("grpc-status-details-bin") ?? [];
  if (Buffer.isBuffer(details)) trailer.set("grpc-status-details-bin", details.toString("base64"));
  return findTrailerError(trailer) ?? new ConnectError(error.details, error.code as number, undefined, undefined, error);
}
