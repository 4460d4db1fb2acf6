import { toBinary, type DescFile } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { ReflectionService } from "@grpc/reflection";
import { file_google_rpc_error_details } from "../../../gen/google/rpc/error_details_pb.js";
import { file_grpc_reflection_v1_reflection } from "../../../gen/grpc/reflection/v1/reflection_pb.js";
import { file_grpc_reflection_v1alpha_reflection } from "../../../gen/grpc/reflection/v1alpha/reflection_pb.js";
import { file_health_v1_health } from "../../../gen/health/v1/health_pb.js";

function withDependencies(files: readonly DescFile[]): DescFile[] {
  const all = new Map<string, DescFile>();
  const visit = (file: DescFile) => {
    if (all.has(file.name)) return;
    all.set(file.name, file);
    file.dependencies.forEach(visit);
  };
  files.forEach(visit);
  return [...all.values()];
}

/**
 * gRPC server reflection (v1 and v1alpha), so grpcurl lists, describes and calls every service,
 * and decodes error details, with no .proto files at hand. Descriptors come from the generated
 * code; @grpc/reflection only needs them as serialized FileDescriptorProtos.
 */
export function reflectionService(files: readonly DescFile[]): ReflectionService {
  const all = withDependencies([
    ...files,
    file_google_rpc_error_details,
    file_health_v1_health,
    file_grpc_reflection_v1_reflection,
    file_grpc_reflection_v1alpha_reflection,
  ]);
  const fileDescriptorProtos = all.map((file) => Buffer.from(toBinary(FileDescriptorProtoSchema, file.proto)));
  return new ReflectionService({ descriptors: { fileDescriptorProtos } as never });
}
