import { ConnectionException } from "@mikro-orm/core";
import { hasNetworkCause } from "../platform/errors/network-errors.js";

/** PostgreSQL codes for "the server is going away or not there": class 08, shutdown, starting up, full. */
const UNAVAILABLE_CODES = /^(08...|57P01|57P02|57P03|53300)$/;
/** What pg says when a connection drops or the pool cannot get one. */
const LOST =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Connection is closed|the database system is (shutting down|starting up)/i;

/** True when an error means the database could not be reached, not that the statement was wrong. */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (hasNetworkCause(error)) return true;
  for (let cause = error, depth = 0; cause instanceof Error && depth < 5; cause = cause.cause, depth++) {
    if (cause instanceof ConnectionException) return true;
    const code = (cause as { code?: unknown }).code;
    if (typeof code === "string" && UNAVAILABLE_CODES.test(code)) return true;
    if (LOST.test(cause.message)) return true;
  }
  return false;
}
