import type { PaymentMethod as PaymentMethodProto } from "../../gen/shop/order/v1/order_pb.js";
import type { Violations } from "../platform/validation.js";

export const PAYMENT_METHODS = ["CARD", "UPI", "NET_BANKING", "CASH_ON_DELIVERY", "WALLET"] as const;
export type PaymentMethodType = (typeof PAYMENT_METHODS)[number];

/** What is kept about a payment method: its kind and a safe label. The service never sees card data. */
export interface PaymentMethod {
  readonly type: PaymentMethodType;
  readonly display: string;
  /** A card's single-use payment token from the provider; only for the call that pays with it, never stored. */
  readonly token?: string;
}

export function parsePaymentMethod(input: PaymentMethodProto | undefined, field: string, v: Violations): PaymentMethod | undefined {
  const method = input?.method;
  switch (method?.case) {
    case "card": {
      // The token is needed to pay (PayOrder), not to place the order; brand and last four are shown.
      const token = v.text(`${field}.card.payment_token`, method.value.paymentToken, {
        max: 255,
        pattern: /^tok_[A-Za-z0-9_]+$/,
        hint: 'must be a token from the payment provider\'s card tokenization, e.g. "tok_1N3T00LkdIwHu7ix"',
      });
      const brand = v.text(`${field}.card.brand`, method.value.brand, {
        min: 1,
        max: 20,
        pattern: /^[A-Z][A-Z_ ]*$/,
        hint: 'must be the card brand in capitals, e.g. "VISA"',
      });
      const last4 = v.text(`${field}.card.last4`, method.value.last4, {
        min: 4,
        max: 4,
        pattern: /^\d{4}$/,
        hint: "must be the card's last four digits",
      });
      return { type: "CARD", display: `${brand} •••• ${last4}`, ...(token ? { token } : {}) };
    }
    case "upi": {
      const vpa = v.text(`${field}.upi.vpa`, method.value.vpa, {
        min: 1,
        max: 255,
        pattern: /^[\w.-]{2,}@[a-zA-Z]{2,64}$/,
        hint: 'must look like "name@bank"',
      });
      return { type: "UPI", display: vpa };
    }
    case "netBanking": {
      const bank = v.text(`${field}.net_banking.bank_code`, method.value.bankCode, {
        min: 1,
        max: 11,
        pattern: /^[A-Z0-9]+$/,
        hint: "must be an upper-case bank code",
      });
      return { type: "NET_BANKING", display: bank };
    }
    case "cashOnDelivery":
      return { type: "CASH_ON_DELIVERY", display: "Cash on delivery" };
    case "wallet": {
      const provider = v.text(`${field}.wallet.provider`, method.value.provider, { min: 1, max: 64 });
      v.text(`${field}.wallet.wallet_id`, method.value.walletId, { min: 1, max: 128 });
      return { type: "WALLET", display: provider };
    }
    default:
      v.add(field, "is required: one of card, upi, net_banking, cash_on_delivery, wallet");
      return undefined;
  }
}
