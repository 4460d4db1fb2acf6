import { connect, createServer, type Socket } from "node:net";

/**
 * A TCP proxy in front of a test server. In "reset" mode it resets every connection, open or
 * new (RST, as a crashing peer or a middlebox would); in "pass" mode it forwards bytes; in
 * "lose answers" mode it forwards requests and cuts the connection when the answer comes, so
 * the server did the work and the client never hears of it.
 */
export async function startTcpProxy(targetUrl: string) {
  const target = new URL(targetUrl);
  let mode: "pass" | "reset" | "lose answers" = "pass";
  const open = new Set<Socket>();
  const server = createServer((client) => {
    if (mode === "reset") return void client.resetAndDestroy();
    const upstream = connect(Number(target.port), target.hostname);
    for (const socket of [client, upstream]) {
      open.add(socket);
      socket.on("close", () => open.delete(socket));
      socket.on("error", () => undefined);
    }
    client.pipe(upstream);
    upstream.on("data", (chunk: Buffer) => (mode === "lose answers" ? client.resetAndDestroy() : client.write(chunk)));
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  const port = await new Promise<number>((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port)),
  );
  return {
    url: `http://127.0.0.1:${port}`,
    setMode(next: "pass" | "reset" | "lose answers") {
      mode = next;
      if (next === "reset") for (const socket of open) socket.resetAndDestroy();
    },
    stop: () => {
      for (const socket of open) socket.destroy();
      server.close();
    },
  };
}
