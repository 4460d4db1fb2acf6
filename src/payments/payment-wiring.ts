import type { Logger } from "pino";
import type { Config } from "../config.js";
import type { PaymentGateway } from "./payment-gateway.js";
import { SimulatedGateway } from "./simulated-gateway.js";

/** The payment adapter PAYMENT_PROVIDER names; config.ts refuses simulated payments in production unless explicitly allowed. */
export function createPaymentGateway(config: Config, log: Logger): PaymentGateway {
  switch (config.payments.provider) {
    case "simulated":
      if (config.environment === "production") {
        log.warn("PAYMENT_PROVIDER=simulated in production (ALLOW_SIMULATED_PAYMENTS=true): simulated payments capture any well-formed card and move no money");
      }
      return new SimulatedGateway();
  }
}
