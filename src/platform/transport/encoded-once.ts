import { toBinary, type DescMessage, type MessageShape } from "@bufbuild/protobuf";

/**
 * Responses encoded once already (idempotent calls store theirs for replays), so that the gRPC
 * transport sends those bytes instead of encoding the same message again. A message is never
 * changed after it is recorded.
 */
const encodings = new WeakMap<object, Uint8Array>();

export function encodeOnce<D extends DescMessage>(schema: D, message: MessageShape<D>): Uint8Array {
  let bytes = encodings.get(message);
  if (!bytes) encodings.set(message, (bytes = toBinary(schema, message)));
  return bytes;
}

export function encodedBefore(message: object): Uint8Array | undefined {
  return encodings.get(message);
}
