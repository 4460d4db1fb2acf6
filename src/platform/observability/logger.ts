import { pino, type DestinationStream, type Logger } from "pino";

/**
 * JSON logs. Handlers never log requests; the redaction is a second line of defence for the
 * secrets and personal data a logged object might still carry (bearer and payment tokens, addresses).
 */
export const REDACTED_PATHS = [
  "authorization",
  "*.authorization",
  "headers.authorization",
  "*.headers.authorization",
  "*.card",
  "*.paymentToken",
  "*.payment_token",
  "*.cardToken",
  "*.shippingAddress",
  "*.shipping_address",
  "*.line1",
  "*.line2",
];

/**
 * Writes to stdout asynchronously: lines logged while a write is under way go out together,
 * instead of one blocking write per line on every RPC. pino flushes what is left on exit.
 */
export function createLogger(level: string, destination: DestinationStream = pino.destination({ dest: 1, sync: false })): Logger {
  return pino({ level, base: { service: "order-service" }, redact: { paths: REDACTED_PATHS, censor: "[redacted]" } }, destination);
}
