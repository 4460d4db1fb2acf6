import { pino } from "pino";
import { startApp } from "./app.js";
import { runMigrations } from "./db/migrate-command.js";
import { ConfigError, loadConfig } from "./config.js";
import { createLogger } from "./platform/observability/logger.js";
import { logProcessWarnings } from "./platform/observability/process-warnings.js";
import { shutdownTracing } from "./platform/observability/tracing.js";

const started = performance.now();
let config;
try {
  config = loadConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  // Logged like everything else (JSON on stdout), with each problem readable in the message.
  createLogger("info", pino.destination({ dest: 1, sync: true })).fatal({ problems: error.problems }, error.message);
  process.exit(2);
}

const log = createLogger(config.logLevel);
logProcessWarnings(log);
if (process.argv[2] === "migrate") {
  await runMigrations(config, log).then(
    () => log.info("migrations are up to date"),
    (error: unknown) => {
      log.error({ err: error }, "migrations failed");
      process.exitCode = 1;
    },
  );
  await new Promise((resolve) => log.flush(resolve));
  process.exit();
}
const app = await startApp(config, log).catch(async (error: unknown) => {
  // Whatever was thrown, the line names it: a library that rejects with nothing left "could not start" and no cause.
  const err = error instanceof Error ? error : new Error(`rejected with ${String(error)}`);
  log.fatal({ err }, `could not start: ${err.message}`);
  await new Promise((resolve) => log.flush(resolve));
  return process.exit(1);
});
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
