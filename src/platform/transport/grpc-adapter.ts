import * as grpc from "@grpc/grpc-js";
import { create, fromBinary, toBinary, type DescMessage, type DescMethod, type DescService } from "@bufbuild/protobuf";
import { Code, ConnectError, createContextValues, createHandlerContext, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import { setTrailerStatus } from "@connectrpc/connect/protocol-grpc";
import { encodedBefore } from "./encoded-once.js";
import { admissionKey, peerAddress, type Admission, type AdmissionOutcome } from "../auth/admission.js";
import { InvalidArgumentError } from "../errors/domain-errors.js";
import { countBinary } from "./request-limits.js";
import { requestProblemKey } from "./strict-requests.js";

/** A Connect handler as grpc-js calls it: the request message and a HandlerContext built for the call. */
type ConnectHandler = (request: unknown, context: HandlerContext) => unknown;

/**
 * Serves a Connect `ServiceImpl` with @grpc/grpc-js. Measured here, grpc-js costs about a fifth
 * of the server CPU per call of connect-node's gRPC handler, so microservice traffic goes through
 * grpc-js while browsers (Connect, gRPC-Web) go through connect-node; both run the same handlers.
 */
export function addConnectService<S extends DescService>(
  server: grpc.Server,
  service: S,
  impl: Partial<ServiceImpl<S>>,
  admission?: Admission,
): void {
  const handlers: grpc.UntypedServiceImplementation = {};
  for (const method of service.methods) {
    // grpc-js dispatches by method name at run time, so the handlers are looked up the same way.
    const methodImpl = (impl as Record<string, ConnectHandler | undefined>)[method.localName];
    handlers[method.localName] = admittedHandler(service, method, methodImpl, admission);
  }
  server.addService(serverDefinition(service), handlers);
}

/**
 * What the server registers: bytes that do not parse become a `Malformed` request instead of
 * grpc-js's INTERNAL, and every method reads its request as a stream (the same on the wire), so
 * that the caller is admitted from the headers before any message is taken, and a call with no
 * message, a cut frame or two messages is answered INVALID_ARGUMENT here, not UNIMPLEMENTED by
 * grpc-js.
 */
function serverDefinition(service: DescService): grpc.ServiceDefinition {
  const definition = grpcServiceDefinition(service);
  for (const method of service.methods) {
    Object.assign(definition[method.localName]!, { requestStream: true, requestDeserialize: lenientDeserializer(method.input) });
  }
  return definition;
}

class Malformed {
  constructor(readonly reason: string) {}
}

/** A request holding more elements than its contract allows: answered through the call chain, with details. */
class OverLimit {
  constructor(readonly error: InvalidArgumentError) {}
}

/**
 * Lists are counted on the wire against their maximums before anything is decoded, and unknown
 * fields are skipped rather than kept, so that decoding allocates no more than the contract allows.
 */
function lenientDeserializer(desc: DescMessage) {
  return (bytes: Buffer) => {
    const over = countBinary(desc, bytes);
    if (over.length) return new OverLimit(new InvalidArgumentError(over));
    try {
      return fromBinary(desc, bytes, { readUnknownFields: false });
    } catch (error) {
      return new Malformed(`the request is not a valid ${desc.typeName}: ${(error as Error).message}`);
    }
  };
}

function invalidRequest(details: string): Partial<grpc.StatusObject> {
  return { code: grpc.status.INVALID_ARGUMENT, details };
}

/** The grpc-js view of a protobuf-es service: paths and binary (de)serializers. */
export function grpcServiceDefinition(service: DescService): grpc.ServiceDefinition {
  const definition: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const method of service.methods) {
    definition[method.localName] = {
      path: `/${service.typeName}/${method.name}`,
      requestStream: method.methodKind === "client_streaming" || method.methodKind === "bidi_streaming",
      responseStream: method.methodKind === "server_streaming" || method.methodKind === "bidi_streaming",
      requestSerialize: serializer(method.input),
      requestDeserialize: deserializer(method.input),
      responseSerialize: serializer(method.output),
      responseDeserialize: deserializer(method.output),
      originalName: method.localName,
    };
  }
  return definition;
}

function serializer(desc: DescMessage) {
  return (message: unknown) => {
    const complete = create(desc, message as never);
    const bytes = encodedBefore(complete) ?? toBinary(desc, complete);
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  };
}

function deserializer(desc: DescMessage) {
  return (bytes: Buffer) => fromBinary(desc, bytes);
}

type Call = grpc.ServerReadableStream<unknown, unknown> | grpc.ServerDuplexStream<unknown, unknown>;

/** Calls whose handler has finished. */
const finished = new WeakSet<Call>();

function contextFor(
  service: DescService,
  method: DescMethod,
  call: Call,
  headers: Headers,
  admission: AdmissionOutcome,
  problem: OverLimit | undefined,
): HandlerContext {
  const deadline = call.getDeadline();
  const deadlineMs = deadline instanceof Date ? deadline.getTime() : deadline;
  // grpc-js reports "no deadline" as Infinity or as 0 depending on how the call arrived.
  const until = Number.isFinite(deadlineMs) && deadlineMs > 0 ? deadlineMs : undefined;
  const abort = new AbortController();
  // grpc-js reports "cancelled" also for calls already answered (measured: most unary calls);
  // only a call still running has anything to stop, and the error (with its stack) is made only then.
  call.once("cancelled", () => {
    if (!finished.has(call)) abort.abort(new ConnectError("cancelled by the client", Code.Canceled));
  });
  const context = createHandlerContext({
    service,
    method,
    protocolName: "grpc",
    requestMethod: "POST",
    url: `/${service.typeName}/${method.name}`,
    requestSignal: abort.signal,
    requestHeader: headers,
    contextValues: createContextValues().set(admissionKey, admission).set(requestProblemKey, problem?.error),
  });
  // Without Connect's deadline timer, which outlives the call: the call's scope keeps the one
  // deadline and clears it when the call ends (rpc-scope.ts).
  return { ...context, timeoutMs: () => (until === undefined ? undefined : until - Date.now()) };
}

/** grpc-js names the peer "<address>:<port>". */
function peerOf(call: Call): string {
  const peer = call.getPeer();
  const colon = peer.lastIndexOf(":");
  return peerAddress(colon > 0 && /^\d+$/.test(peer.slice(colon + 1)) ? peer.slice(0, colon) : peer);
}

/** Services served without an admission (the reference catalog, test servers) let every caller in. */
const UNCHECKED: AdmissionOutcome = { principal: { userId: "", roles: [] } };

/**
 * Admission runs on the headers as soon as the call arrives. A refused caller is answered at once
 * (through the handler, so the refusal is logged and counted), whatever it is still sending; an
 * admitted one gets its single request message, and a second message ends the call at once.
 * Nothing past the first message is kept.
 */
function admittedHandler(service: DescService, method: DescMethod, impl: ConnectHandler | undefined, admission: Admission | undefined) {
  const streaming = method.methodKind === "server_streaming";
  return (call: Call, callback?: grpc.sendUnaryData<unknown>) => {
    let answered = false;
    const refuse = (status: Partial<grpc.StatusObject>) => {
      if (answered) return;
      answered = true;
      if (streaming) call.emit("error", status);
      else callback!(status);
    };
    const run = (outcome: AdmissionOutcome, request: unknown) => {
      if (answered) return;
      answered = true;
      const problem = request instanceof OverLimit ? request : undefined;
      const context = contextFor(service, method, call, headers, outcome, problem);
      if (problem) request = create(method.input);
      if (streaming) stream(call as grpc.ServerDuplexStream<unknown, unknown>, method, impl!, request, context);
      else respond(call, method, impl!, request, callback!, context);
    };
    if (!impl) return refuse(unimplemented(method));
    const headers = metadataToHeaders(call.metadata);
    const admitted = admission ? admission.admit(headers, peerOf(call), `${service.typeName}/${method.name}`) : Promise.resolve(UNCHECKED);
    void admitted.then((outcome) => {
      if ("refused" in outcome) run(outcome, create(method.input));
    });
    let first: unknown;
    let received = 0;
    call.on("data", (message) => {
      if (answered) return;
      if (++received === 1) first = message;
      else
        void admitted.then(() =>
          refuse(
            invalidRequest(
              `a ${method.methodKind === "unary" ? "unary" : "server-streaming"} call carries exactly one request message; got more`,
            ),
          ),
        );
    });
    call.on("error", () => undefined);
    call.once("end", () => {
      void admitted.then((outcome) => {
        if (received !== 1) return refuse(invalidRequest(`a call to ${method.name} carries exactly one request message; got ${received}`));
        if (first instanceof Malformed) return refuse(invalidRequest(first.reason));
        run(outcome, first);
      });
    });
  };
}

function respond(
  call: Call,
  method: DescMethod,
  impl: ConnectHandler,
  request: unknown,
  callback: grpc.sendUnaryData<unknown>,
  context: HandlerContext,
) {
  Promise.resolve()
    .then(() => impl(request, context))
    .then(
      (response) => {
        finished.add(call);
        call.sendMetadata(headersToMetadata(context.responseHeader));
        callback(null, create(method.output, response as Record<string, unknown> | undefined), headersToMetadata(context.responseTrailer));
      },
      (error: unknown) => {
        finished.add(call);
        callback(toServiceError(error, context));
      },
    );
}

function stream(
  call: grpc.ServerDuplexStream<unknown, unknown>,
  method: DescMethod,
  impl: ConnectHandler,
  request: unknown,
  context: HandlerContext,
) {
  (async () => {
    let headersSent = false;
    // Leaving the loop early (a caller gone) ends the handler's generator, which frees its stream place.
    for await (const response of impl(request, context) as AsyncIterable<unknown>) {
      if (call.cancelled) return;
      if (!headersSent) call.sendMetadata(headersToMetadata(context.responseHeader));
      headersSent = true;
      if (!call.write(create(method.output, response as never))) {
        await new Promise((resolve) => {
          call.once("drain", resolve);
          call.once("cancelled", resolve);
        });
      }
    }
    if (!call.cancelled) call.end(headersToMetadata(context.responseTrailer));
  })().catch((error: unknown) => {
    if (!call.cancelled) call.emit("error", toServiceError(error, context));
  });
}

function unimplemented(method: DescMethod): Partial<grpc.StatusObject> {
  return { code: grpc.status.UNIMPLEMENTED, details: `${method.parent.typeName}.${method.name} is not implemented` };
}

/** Errors keep their google.rpc details in grpc-status-details-bin, as Connect clients expect. */
function toServiceError(error: unknown, context: HandlerContext): Partial<grpc.StatusObject> {
  const connectError = ConnectError.from(error);
  const trailer = setTrailerStatus(new Headers(context.responseTrailer), connectError);
  trailer.delete("grpc-status");
  trailer.delete("grpc-message");
  return {
    code: connectError.code as number,
    details: connectError.rawMessage,
    metadata: headersToMetadata(trailer),
  };
}

/** Every value of every key, joined as HTTP joins a repeated header ("a, b"), binary values in base64. */
function metadataToHeaders(metadata: grpc.Metadata): Headers {
  const headers = new Headers();
  for (const [key, values] of Object.entries(metadata.toJSON())) {
    for (const value of values) headers.append(key, typeof value === "string" ? value : value.toString("base64"));
  }
  return headers;
}

function headersToMetadata(headers: Headers): grpc.Metadata {
  const metadata = new grpc.Metadata();
  headers.forEach((value, key) => {
    metadata.set(key, key.endsWith("-bin") ? Buffer.from(value, "base64") : value);
  });
  return metadata;
}
