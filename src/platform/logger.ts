import { pino, type DestinationStream, type Logger } from "pino";

/**
 * JSON logs. Handlers never log requests; the redaction is a second line of defence for the
 * secrets and personal data a logged object might still carry (tokens, card data, addresses).
 */
export const REDACTED_PATHS = [
  "authorization",
  "*.authorization",
  "headers.authorization",
  "*.headers.authorization",
  "*.card",
  "*.number",
  "*.cvv",
  "*.shippingAddress",
  "*.shipping_address",
  "*.line1",
  "*.line2",
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino({ level, base: { service: "order-service" }, redact: { paths: REDACTED_PATHS, censor: "[redacted]" } }, destination);
}
