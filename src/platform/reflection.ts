import { toBinary, type DescFile } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import * as protoLoader from "@grpc/proto-loader";
import { ReflectionService } from "@grpc/reflection";
import { protoPath as healthProtoPath } from "grpc-health-check";

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
 * gRPC server reflection (v1 and v1alpha) for our services and for grpc.health.v1, so grpcurl
 * needs no .proto files. Our descriptors come from the generated code, never from .proto files
 * at run time.
 */
export function reflectionService(files: readonly DescFile[]): ReflectionService {
  const ours = withDependencies(files).map((file) => Buffer.from(toBinary(FileDescriptorProtoSchema, file.proto)));
  const health = protoLoader.loadSync(healthProtoPath);
  return new ReflectionService({ ...health, "shop.descriptors": { fileDescriptorProtos: ours } as never });
}
