import type { Logger } from "pino";

/**
 * Node prints process warnings to stderr; here they become log lines like the rest, on stdout.
 * kafkajs 2.2.4 arms a timer with a negative delay on every connection under Node 24
 * (tulios/kafkajs#1751, unfixed upstream; the timer fires after 1 ms, as it meant to), so that
 * one is logged at debug rather than as a warning an operator would chase.
 */
export function logProcessWarnings(log: Logger): void {
  process.removeAllListeners("warning");
  process.on("warning", (warning) => {
    const known = warning.name === "TimeoutNegativeWarning" && /kafkajs[\\/]src[\\/]network[\\/]requestQueue/.test(warning.stack ?? "");
    log[known ? "debug" : "warn"]({ warning: { name: warning.name, message: warning.message, stack: warning.stack } }, "process warning");
  });
}
