import http2 from "node:http2";
import type { DescMethod } from "@bufbuild/protobuf";

/** What a transport answered, as a gRPC code number (Connect's codes are the same numbers). */
export type Answer = { code: number; message: string };

const connectCodes: Record<string, number> = {
  canceled: 1,
  unknown: 2,
  invalid_argument: 3,
  deadline_exceeded: 4,
  not_found: 5,
  already_exists: 6,
  permission_denied: 7,
  resource_exhausted: 8,
  failed_precondition: 9,
  aborted: 10,
  out_of_range: 11,
  unimplemented: 12,
  internal: 13,
  unavailable: 14,
  data_loss: 15,
  unauthenticated: 16,
};

/** A gRPC length-prefixed frame: flags, 4-byte big-endian length, payload. */
export function frame(payload: Uint8Array, { flags = 0, length = payload.length } = {}): Buffer {
  const header = Buffer.alloc(5);
  header.writeUInt8(flags, 0);
  header.writeUInt32BE(length, 1);
  return Buffer.concat([header, payload]);
}

const path = (method: DescMethod) => `/${method.parent.typeName}/${method.name}`;

/** A raw gRPC call over HTTP/2: the body is sent as given, framing included. A stream's first message counts as OK (and ends the call). */
export function rawGrpc(
  port: number,
  method: DescMethod,
  body: Buffer,
  bearer: string,
  headers: Record<string, string> = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on("error", reject);
    const stream = session.request({
      ":method": "POST",
      ":path": path(method),
      "content-type": "application/grpc",
      te: "trailers",
      authorization: `Bearer ${bearer}`,
      ...headers,
    });
    let status: string | undefined;
    let message = "";
    const take = (h: http2.IncomingHttpHeaders) => {
      if (h["grpc-status"] !== undefined) status = String(h["grpc-status"]);
      if (h["grpc-message"] !== undefined) message = decodeURIComponent(String(h["grpc-message"]));
    };
    stream.on("response", take);
    stream.on("trailers", take);
    stream.on("data", (chunk: Buffer) => {
      if (method.methodKind !== "server_streaming" || !chunk.length || status !== undefined) return;
      status = "0";
      stream.close(http2.constants.NGHTTP2_CANCEL);
    });
    stream.on("error", reject);
    stream.on("close", () => {
      session.close();
      if (status === undefined) reject(new Error(`no grpc-status (HTTP/2 error ${stream.rstCode})`));
      else resolve({ code: Number(status), message });
    });
    stream.end(body);
  });
}

/** A raw gRPC-Web call over HTTP/1.1; the status comes in headers (trailers-only) or in the trailer frame. */
export async function rawGrpcWeb(baseUrl: string, method: DescMethod, body: Buffer, bearer: string): Promise<Answer> {
  const response = await fetch(baseUrl + path(method), {
    method: "POST",
    headers: { "content-type": "application/grpc-web+proto", "x-grpc-web": "1", authorization: `Bearer ${bearer}` },
    body,
  });
  const bytes = Buffer.from(await response.arrayBuffer());
  let trailer = "";
  for (let at = 0; at + 5 <= bytes.length;) {
    const length = bytes.readUInt32BE(at + 1);
    if (bytes[at]! & 0x80) trailer = bytes.subarray(at + 5, at + 5 + length).toString();
    at += 5 + length;
  }
  const fields = Object.fromEntries(
    trailer
      .split("\r\n")
      .filter(Boolean)
      .map((line) => [line.slice(0, line.indexOf(":")).toLowerCase(), line.slice(line.indexOf(":") + 1).trim()]),
  );
  const status = response.headers.get("grpc-status") ?? fields["grpc-status"];
  if (status === undefined) throw new Error(`gRPC-Web answer without grpc-status (HTTP ${response.status})`);
  return { code: Number(status), message: decodeURIComponent(response.headers.get("grpc-message") ?? fields["grpc-message"] ?? "") };
}

/** A raw Connect unary call: any body, any content type. */
export async function rawConnect(
  baseUrl: string,
  method: DescMethod,
  body: Buffer | string,
  bearer: string,
  contentType = "application/json",
): Promise<Answer & { http: number }> {
  const response = await fetch(baseUrl + path(method), {
    method: "POST",
    headers: { "content-type": contentType, authorization: `Bearer ${bearer}` },
    body,
  });
  const text = await response.text();
  if (response.ok) return { code: 0, message: "", http: response.status };
  let error: { code?: string; message?: string } = {};
  try {
    error = JSON.parse(text);
  } catch {
    // Not a Connect error body (e.g. 415 from the router): judged by the HTTP status alone.
  }
  return {
    code: error.code ? connectCodes[error.code]! : -response.status,
    message: error.message ?? text.slice(0, 200),
    http: response.status,
  };
}
