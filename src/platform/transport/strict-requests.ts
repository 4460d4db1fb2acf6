import { promisify } from "node:util";
import { brotliDecompress, gunzip } from "node:zlib";
import { create, fromBinary, fromJsonString, toBinary, toJsonString, type DescMessage } from "@bufbuild/protobuf";
import { createContextKey } from "@connectrpc/connect";
import type { UniversalHandler, UniversalServerRequest } from "@connectrpc/connect/protocol";
import { DomainError, InvalidArgumentError, LimitExceededError } from "../errors/domain-errors.js";
import { countBinary, countJson } from "./request-limits.js";

/**
 * Why a call's request was refused before its handler ran: bytes that do not parse, a message over
 * the size limit, or a list over its maximum. The call chain throws it, so the refusal is answered
 * in the call's own protocol with details, logged and counted like any other error.
 */
export const requestProblemKey = createContextKey<DomainError | undefined>(undefined, { description: "request refused" });

/** How a request body is framed and encoded, from its headers. */
interface Format {
  readonly codec: "json" | "proto";
  /** gRPC, gRPC-Web and Connect streaming frame the message in a 5-byte envelope; Connect unary does not. */
  readonly enveloped: boolean;
  /** The compression the body (or its envelope) names: undefined for none. */
  readonly encoding: string | undefined;
}

/** What connect-node accepts (its default acceptCompression), decompressed here with the same size limit. */
const decompressors: Record<string, (bytes: Uint8Array, options: { maxOutputLength: number }) => Promise<Buffer>> = {
  gzip: promisify(gunzip),
  br: promisify(brotliDecompress),
};

/**
 * Every request body of a unary or server-streaming call is read, decompressed and checked here
 * before connect-node decodes it: the repeated fields are counted on the wire against their
 * maximums (request-limits.ts), then the message must parse. A refused body never reaches
 * connect-node's decoder; the call goes on with an empty message and the refusal beside it
 * (`requestProblemKey`). connect-node itself answers bytes that do not parse with INTERNAL or
 * UNIMPLEMENTED; a caller's bad bytes are INVALID_ARGUMENT.
 */
export function strictRequests(handler: UniversalHandler, maxMessageBytes: number): UniversalHandler {
  const kind = handler.method.methodKind;
  if (kind !== "unary" && kind !== "server_streaming") return handler;
  const input = handler.method.input;
  const checked = async (request: UniversalServerRequest) => {
    const format = formatOf(request);
    if (!format || !isByteStream(request.body) || (format.encoding && !decompressors[format.encoding])) return handler(request);
    const body = await readAtMost(request.body, maxMessageBytes + 5);
    const outcome = body ? await checkBody(input, format, body, maxMessageBytes) : tooLarge(maxMessageBytes);
    if (outcome instanceof DomainError) {
      request.contextValues?.set(requestProblemKey, outcome);
      return handler(withMessage(request, format, emptyMessage(input, format.codec)));
    }
    return handler(withMessage(request, format, outcome));
  };
  return Object.assign(checked, handler);
}

/** The message, decompressed and checked, or why it is refused. */
async function checkBody(input: DescMessage, format: Format, body: Uint8Array, max: number): Promise<Uint8Array | DomainError> {
  let message = body;
  let compressed = format.encoding !== undefined;
  if (format.enveloped) {
    if (body.length < 5) return malformed("a call carries exactly one request message; got none");
    const length = new DataView(body.buffer, body.byteOffset, body.byteLength).getUint32(1);
    if (body.length < 5 + length) return malformed(`the request message is cut short: ${body.length - 5} of ${length} bytes`);
    if (body.length > 5 + length) return malformed("a call carries exactly one request message; got more");
    if ((body[0]! & 0b1) === 1 && !format.encoding)
      return malformed("the request message is flagged compressed, but no encoding was given");
    compressed = (body[0]! & 0b1) === 1;
    message = body.subarray(5);
  }
  if (compressed) {
    try {
      message = await decompressors[format.encoding!]!(message, { maxOutputLength: max });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") return tooLarge(max);
      return malformed(`the request does not decompress as ${format.encoding}`);
    }
  }
  const over = format.codec === "json" ? countJson(input, message) : countBinary(input, message);
  if (over.length) return new InvalidArgumentError(over);
  try {
    // Unknown JSON fields are ignored, as connect-node does.
    if (format.codec === "json") fromJsonString(input, new TextDecoder().decode(message), { ignoreUnknownFields: true });
    else fromBinary(input, message, { readUnknownFields: false });
  } catch (error) {
    return malformed(`the request is not a valid ${input.typeName}: ${(error as Error).message}`);
  }
  return message;
}

function malformed(description: string): InvalidArgumentError {
  return new InvalidArgumentError([{ field: "", description }], "MALFORMED_REQUEST");
}

function tooLarge(max: number): LimitExceededError {
  return new LimitExceededError("MESSAGE_TOO_LARGE", "request", `the request is larger than ${max} bytes`);
}

const CONTENT_TYPE = /^application\/(json|proto|connect\+(?:json|proto)|grpc-web(?:\+(?:json|proto))?|grpc(?:\+(?:json|proto))?)$/;

function formatOf(request: UniversalServerRequest): Format | undefined {
  if (request.method !== "POST") return undefined;
  const type = CONTENT_TYPE.exec(request.header.get("content-type")?.split(";")[0]?.trim().toLowerCase() ?? "")?.[1];
  if (!type) return undefined;
  const codec = type.endsWith("json") ? "json" : "proto";
  if (type === "json" || type === "proto") return { codec, enveloped: false, encoding: encodingOf(request, "content-encoding") };
  const header = type.startsWith("connect") ? "connect-content-encoding" : "grpc-encoding";
  return { codec, enveloped: true, encoding: encodingOf(request, header) };
}

function encodingOf(request: UniversalServerRequest, header: string): string | undefined {
  const value = request.header.get(header)?.trim().toLowerCase();
  return value && value !== "identity" ? value : undefined;
}

function emptyMessage(input: DescMessage, codec: Format["codec"]): Uint8Array {
  const empty = create(input);
  return codec === "json" ? new TextEncoder().encode(toJsonString(input, empty)) : toBinary(input, empty);
}

/** The request with `message` (decoded, uncompressed) as its body, framed as its format frames it. */
function withMessage(request: UniversalServerRequest, format: Format, message: Uint8Array): UniversalServerRequest {
  const header = new Headers(request.header);
  for (const name of ["content-length", "content-encoding", "grpc-encoding", "connect-content-encoding"]) header.delete(name);
  return { ...request, header, body: once(format.enveloped ? envelope(message) : message) };
}

/** A message in the 5-byte envelope of gRPC, gRPC-Web and Connect streaming, uncompressed. */
export function envelope(message: Uint8Array): Uint8Array {
  const framed = new Uint8Array(5 + message.length);
  new DataView(framed.buffer).setUint32(1, message.length);
  framed.set(message, 5);
  return framed;
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
