import { createRegistry, fromBinary, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { anyUnpack } from "@bufbuild/protobuf/wkt";
import type * as grpc from "@grpc/grpc-js";
import { ErrorInfoSchema, file_google_rpc_error_details } from "../../gen/google/rpc/error_details_pb.js";
import { StatusSchema } from "../../gen/google/rpc/status_pb.js";

const registry = createRegistry(file_google_rpc_error_details);

/** The google.rpc details of a grpc-js error of type `schema` (from grpc-status-details-bin). */
export function grpcDetails<D extends DescMessage>(error: grpc.ServiceError, schema: D): MessageShape<D>[] {
  const bytes = error.metadata?.get("grpc-status-details-bin")[0] as Buffer | undefined;
  if (!bytes) return [];
  return fromBinary(StatusSchema, bytes)
    .details.map((any) => anyUnpack(any, registry))
    .filter((message): message is MessageShape<D> => message?.$typeName === schema.typeName);
}

/** google.rpc.ErrorInfo.reason of a grpc-js error, e.g. "DEPENDENCY_UNAVAILABLE". */
export const grpcReason = (error: grpc.ServiceError) => grpcDetails(error, ErrorInfoSchema)[0]?.reason;
