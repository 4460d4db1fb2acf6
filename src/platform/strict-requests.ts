import { fromBinary, fromJsonString, type DescMessage } from "@bufbuild/protobuf";
import type { UniversalHandler, UniversalServerRequest, UniversalServerResponse } from "@connectrpc/connect/protocol";

/**
 * connect-node answers a unary request whose bytes do not parse with INTERNAL, and one with no
 * message or two with UNIMPLEMENTED. A caller's bad bytes are INVALID_ARGUMENT, so the body of a
 * unary Connect or gRPC-Web call is checked here first and refused as such; a body that parses
 * goes on to connect-node unchanged. Compressed and text-encoded bodies go on unchecked.
 */
export function strictRequests(handler: UniversalHandler, maxMessageBytes: number): UniversalHandler {
  if (handler.method.methodKind !== "unary") return handler;
  const input = handler.method.input;
  const checked = async (request: UniversalServerRequest): Promise<UniversalServerResponse> => {
    const format = formatOf(request);
    if (!format || !isByteStream(request.body)) return handler(request);
    const body = await readAtMost(request.body, maxMessageBytes + 5);
    if (!body) return refuse(format, "resource_exhausted", `the request is larger than ${maxMessageBytes} bytes`);
    const problem = format === "grpc-web" ? envelopeProblem(input, body) : messageProblem(input, format, body);
    if (problem) return refuse(format, "invalid_argument", problem);
    return handler({ ...request, body: once(body) });
  };
  return Object.assign(checked, handler);
}

type Format = "json" | "proto" | "grpc-web";

function formatOf(request: UniversalServerRequest): Format | undefined {
  if (request.method !== "POST" || request.header.get("content-encoding") || request.header.get("grpc-encoding")) return undefined;
  const type = request.header.get("content-type")?.split(";")[0]?.trim().toLowerCase();
  if (type === "application/json") return "json";
  if (type === "application/proto") return "proto";
  if (type === "application/grpc-web" || type === "application/grpc-web+proto") return "grpc-web";
  return undefined;
}

function messageProblem(input: DescMessage, format: "json" | "proto", body: Uint8Array): string | undefined {
  try {
    // Unknown JSON fields are ignored, as connect-node does.
    if (format === "json") fromJsonString(input, new TextDecoder().decode(body), { ignoreUnknownFields: true });
    else fromBinary(input, body);
    return undefined;
  } catch (error) {
    return `the request is not a valid ${input.typeName}: ${(error as Error).message}`;
  }
}

function envelopeProblem(input: DescMessage, body: Uint8Array): string | undefined {
  if (body.length < 5) return "a unary call carries exactly one request message; got none";
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const length = view.getUint32(1);
  if (body[0] !== 0) return "the request message is flagged compressed, but no grpc-encoding was given";
  if (body.length < 5 + length) return `the request message is cut short: ${body.length - 5} of ${length} bytes`;
  if (body.length > 5 + length) return "a unary call carries exactly one request message; got more";
  return messageProblem(input, "proto", body.subarray(5));
}

function refuse(format: Format, code: "invalid_argument" | "resource_exhausted", message: string): UniversalServerResponse {
  if (format === "grpc-web") {
    const status = code === "invalid_argument" ? "3" : "8";
    return {
      status: 200,
      header: new Headers({
        "content-type": "application/grpc-web+proto",
        "grpc-status": status,
        "grpc-message": encodeURIComponent(message),
      }),
    };
  }
  return {
    status: code === "invalid_argument" ? 400 : 429,
    header: new Headers({ "content-type": "application/json" }),
    body: once(new TextEncoder().encode(JSON.stringify({ code, message }))),
  };
}

function isByteStream(body: UniversalServerRequest["body"]): body is AsyncIterable<Uint8Array> {
  return typeof body === "object" && body !== null && Symbol.asyncIterator in body;
}

/** The whole body, or undefined once it passes `limit` bytes. */
async function readAtMost(body: AsyncIterable<Uint8Array>, limit: number): Promise<Uint8Array | undefined> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.byteLength;
    if (size > limit) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** A request body of exactly these bytes. */
export async function* once(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  yield bytes;
}
