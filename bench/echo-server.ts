/**
 * The RPC floor: a bare @grpc/grpc-js server whose one method returns its request. Run as its own
 * process by the limits benchmark; prints its port, then serves until killed.
 */
import * as grpc from "@grpc/grpc-js";

const identity = (bytes: Buffer) => bytes;
const server = new grpc.Server();
server.addService(
  {
    echo: {
      path: "/bench.Echo/Echo",
      requestStream: false,
      responseStream: false,
      requestSerialize: identity,
      requestDeserialize: identity,
      responseSerialize: identity,
      responseDeserialize: identity,
    },
  },
  { echo: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => callback(null, call.request) },
);
server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, port) => {
  if (error) throw error;
  console.log(port);
});
