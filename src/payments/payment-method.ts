import type { PaymentMethod as PaymentMethodProto } from "../../gen/shop/order/v1/order_pb.js";
import type { Violations } from "../platform/validation.js";

export const PAYMENT_METHODS = ["CARD", "UPI", "NET_BANKING", "CASH_ON_DELIVERY", "WALLET"] as const;
export type PaymentMethodType = (typeof PAYMENT_METHODS)[number];

/** What is kept about a payment method: its kind and a safe label. Card numbers never persist. */
export interface PaymentMethod {
  readonly type: PaymentMethodType;
  readonly display: string;
  /** Only for the gateway call that happens in the same request; never stored. */
  readonly cardNumber?: string;
}

export function luhnValid(digits: string): boolean {
  let total = 0;
  for (let i = 0; i < digits.length; i++) {
    let digit = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) digit = digit * 2 > 9 ? digit * 2 - 9 : digit * 2;
    total += digit;
  }
  return total % 10 === 0;
}

export function cardBrand(digits: string): string {
  if (/^4/.test(digits)) return "VISA";
  if (/^(5[1-5]|2[2-7])/.test(digits)) return "MASTERCARD";
  if (/^3[47]/.test(digits)) return "AMEX";
  if (/^(6011|65)/.test(digits)) return "DISCOVER";
  if (/^(60|65|81|82|508)/.test(digits)) return "RUPAY";
  return "CARD";
}

export function parsePaymentMethod(
  input: PaymentMethodProto | undefined,
  field: string,
  v: Violations,
  now: Date,
): PaymentMethod | undefined {
  const method = input?.method;
  switch (method?.case) {
    case "card": {
      const digits = method.value.number.replace(/[\s-]/g, "");
      const numberOk = v.check(/^\d{12,19}$/.test(digits) && luhnValid(digits), `${field}.card.number`, "must be a valid card number");
      const { expiryMonth: month, expiryYear: year } = method.value;
      if (v.check(month >= 1 && month <= 12, `${field}.card.expiry_month`, "must be 1-12")) {
        const expired = year < now.getUTCFullYear() || (year === now.getUTCFullYear() && month < now.getUTCMonth() + 1);
        v.check(year <= now.getUTCFullYear() + 20 && !expired, `${field}.card.expiry_year`, "card is expired or the year is invalid");
      }
      v.check(/^\d{3,4}$/.test(method.value.cvv), `${field}.card.cvv`, "must be 3 or 4 digits");
      return numberOk ? { type: "CARD", display: `${cardBrand(digits)} •••• ${digits.slice(-4)}`, cardNumber: digits } : undefined;
    }
    case "upi": {
      const vpa = v.text(`${field}.upi.vpa`, method.value.vpa, { min: 1, max: 255, pattern: /^[\w.-]{2,}@[a-zA-Z]{2,64}$/, hint: 'must look like "name@bank"' });
      return { type: "UPI", display: vpa };
    }
    case "netBanking": {
      const bank = v.text(`${field}.net_banking.bank_code`, method.value.bankCode, { min: 1, max: 11, pattern: /^[A-Z0-9]+$/, hint: "must be an upper-case bank code" });
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
