import { create, toBinary, toJsonString } from "@bufbuild/protobuf";
import type { UniversalHandler, UniversalServerRequest } from "@connectrpc/connect/protocol";
import { admissionKey, peerAddressKey, type Admission } from "../auth/admission.js";
import { envelope, once } from "./strict-requests.js";

/**
 * Admits the caller of a Connect or gRPC-Web call from its headers before its body is read. A
 * refused call is handed to connect-node with an empty request message in place of the caller's
 * body (which is never read), so that connect-node answers the refusal in the call's own protocol
 * and encoding, details included, and the handler logs and counts it like any other failure.
 */
export function admitFirst(handler: UniversalHandler, admission: Admission): UniversalHandler {
  const admitted = async (request: UniversalServerRequest) => {
    const values = request.contextValues!;
    const method = `${handler.method.parent.typeName}/${handler.method.name}`;
    const outcome = await admission.admit(request.header, values.get(peerAddressKey), method);
    values.set(admissionKey, outcome);
    return handler("refused" in outcome ? withEmptyMessage(request, handler) : request);
  };
  return Object.assign(admitted, handler);
}

function withEmptyMessage(request: UniversalServerRequest, handler: UniversalHandler): UniversalServerRequest {
  const type = request.header.get("content-type")?.toLowerCase() ?? "";
  const empty = create(handler.method.input);
  const message = type.includes("json")
    ? new TextEncoder().encode(toJsonString(handler.method.input, empty))
    : toBinary(handler.method.input, empty);
  const enveloped = type.startsWith("application/connect+") || type.startsWith("application/grpc");
  let body = enveloped ? envelope(message) : message;
  if (type.includes("grpc-web-text")) body = new TextEncoder().encode(Buffer.from(body).toString("base64"));
  const header = new Headers(request.header);
  for (const name of ["content-length", "content-encoding", "grpc-encoding", "connect-content-encoding"]) header.delete(name);
  return { ...request, header, body: once(body) };
}
