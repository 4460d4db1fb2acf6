import { startApp } from "./app.js";
import { ConfigError, loadConfig } from "./config.js";
import { createLogger } from "./platform/logger.js";
import { shutdownTracing } from "./platform/tracing.js";

const started = performance.now();
let config;
try {
  config = loadConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(2);
}

const log = createLogger(config.logLevel);
const app = await startApp(config, log);
log.info({ grpcPort: app.grpcPort, httpPort: app.httpPort, startupMs: Math.round(performance.now() - started) }, "order service ready");

let stopping = false;
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    log.info({ signal, graceMs: config.shutdownGraceMs }, "shutting down");
    app.stop().then(
      async () => {
        await shutdownTracing().catch(() => undefined);
        log.info("stopped");
        process.exit(0);
      },
      (error: unknown) => {
        log.error({ err: error }, "unclean shutdown");
        process.exit(1);
      },
    );
  });
}
