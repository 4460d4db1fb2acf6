import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { PaymentMethodSchema, type PaymentMethod as PaymentMethodProto } from "../../gen/shop/order/v1/order_pb.js";
import { parsePaymentMethod } from "../../src/payments/payment-method.js";
import { Violations } from "../../src/platform/validation.js";
import { violationsOf } from "./violations.js";

function parse(method: PaymentMethodProto["method"] | undefined) {
  const v = new Violations();
  const parsed = parsePaymentMethod(method ? create(PaymentMethodSchema, { method }) : undefined, "pm", v);
  return { parsed, problems: violationsOf(() => v.throwIfAny()) };
}

const card = (value: Partial<{ paymentToken: string; brand: string; last4: string }>) => ({
  case: "card" as const,
  value: { paymentToken: "tok_1N3T00LkdIwHu7ix", brand: "VISA", last4: "4242", ...value } as never,
});
const TOKEN_HINT = 'pm.card.payment_token: must be a token from the payment provider\'s card tokenization, e.g. "tok_1N3T00LkdIwHu7ix"';

describe("paying by card, with a token from the provider", () => {
  it("when the card is a token with its brand and last four, then the label is kept, and the token only for this request's payment", () => {
    expect(parse(card({}))).toEqual({ parsed: { type: "CARD", display: "VISA •••• 4242", token: "tok_1N3T00LkdIwHu7ix" }, problems: [] });
    expect(parse(card({ brand: "AMERICAN EXPRESS", last4: "0005" })).parsed?.display).toBe("AMERICAN EXPRESS •••• 0005");
  });

  it("when no token is given (placing an order, paying later with one), then the card is named without a token", () => {
    expect(parse(card({ paymentToken: "" }))).toEqual({ parsed: { type: "CARD", display: "VISA •••• 4242" }, problems: [] });
  });

  it.each([
    ["a card number where the token belongs", card({ paymentToken: "4242424242424242" }), TOKEN_HINT],
    ["a token with a space", card({ paymentToken: "tok_12 34" }), TOKEN_HINT],
    ["a token with a dash", card({ paymentToken: "tok_12-34" }), TOKEN_HINT],
    ["a token before which something stands", card({ paymentToken: "xtok_1234" }), TOKEN_HINT],
    [
      "a token of 256 characters",
      card({ paymentToken: `tok_${"a".repeat(252)}` }),
      "pm.card.payment_token: must be at most 255 characters",
    ],
    ["no brand", card({ brand: "" }), "pm.card.brand: is required"],
    ["a lower-case brand", card({ brand: "visa" }), 'pm.card.brand: must be the card brand in capitals, e.g. "VISA"'],
    [
      "a brand starting with a space-like symbol",
      card({ brand: "_VISA" }),
      'pm.card.brand: must be the card brand in capitals, e.g. "VISA"',
    ],
    ["a brand with a digit", card({ brand: "VISA2" }), 'pm.card.brand: must be the card brand in capitals, e.g. "VISA"'],
    ["a brand of 21 characters", card({ brand: "V".repeat(21) }), "pm.card.brand: must be at most 20 characters"],
    ["three last digits", card({ last4: "242" }), "pm.card.last4: must be at least 4 characters"],
    ["five last digits", card({ last4: "42424" }), "pm.card.last4: must be at most 4 characters"],
    ["letters for the last four", card({ last4: "42a2" }), "pm.card.last4: must be the card's last four digits"],
  ])("when the card has %s, then it is refused", (_, method, problem) => {
    expect(parse(method).problems).toEqual([problem]);
  });
});

describe("other ways to pay", () => {
  it.each([
    [
      { case: "upi", value: { vpa: "ann.lee-1@okbank" } },
      { type: "UPI", display: "ann.lee-1@okbank" },
    ],
    [
      { case: "netBanking", value: { bankCode: "HDFC0001" } },
      { type: "NET_BANKING", display: "HDFC0001" },
    ],
    [
      { case: "cashOnDelivery", value: {} },
      { type: "CASH_ON_DELIVERY", display: "Cash on delivery" },
    ],
    [
      { case: "wallet", value: { provider: "paytm", walletId: "w-1" } },
      { type: "WALLET", display: "paytm" },
    ],
  ])("when paying with %j, then the method and its label are kept", (method, parsed) => {
    expect(parse(method as never)).toEqual({ parsed, problems: [] });
  });

  it.each([
    [{ case: "upi", value: { vpa: "a@okbank" } }, 'pm.upi.vpa: must look like "name@bank"'],
    [{ case: "upi", value: { vpa: "ann@b" } }, 'pm.upi.vpa: must look like "name@bank"'],
    [{ case: "upi", value: { vpa: "ann@bank1" } }, 'pm.upi.vpa: must look like "name@bank"'],
    [{ case: "upi", value: { vpa: "an n@bank" } }, 'pm.upi.vpa: must look like "name@bank"'],
    [{ case: "upi", value: { vpa: "a!bc@okbank" } }, 'pm.upi.vpa: must look like "name@bank"'],
    [{ case: "upi", value: { vpa: "ann@bank x" } }, 'pm.upi.vpa: must look like "name@bank"'],
    [{ case: "upi", value: { vpa: "" } }, "pm.upi.vpa: is required"],
    [{ case: "netBanking", value: { bankCode: "hdfc" } }, "pm.net_banking.bank_code: must be an upper-case bank code"],
    [{ case: "netBanking", value: { bankCode: "HD-FC" } }, "pm.net_banking.bank_code: must be an upper-case bank code"],
    [{ case: "netBanking", value: { bankCode: "-HDFC" } }, "pm.net_banking.bank_code: must be an upper-case bank code"],
    [{ case: "netBanking", value: { bankCode: "HDFC00000001" } }, "pm.net_banking.bank_code: must be at most 11 characters"],
    [{ case: "wallet", value: { provider: "", walletId: "w" } }, "pm.wallet.provider: is required"],
    [{ case: "wallet", value: { provider: "paytm", walletId: "" } }, "pm.wallet.wallet_id: is required"],
    [{ case: "wallet", value: { provider: "p".repeat(65), walletId: "w" } }, "pm.wallet.provider: must be at most 64 characters"],
    [{ case: "wallet", value: { provider: "p", walletId: "w".repeat(129) } }, "pm.wallet.wallet_id: must be at most 128 characters"],
  ])("when paying with %j, then it is refused", (method, problem) => {
    expect(parse(method as never).problems).toEqual([problem]);
  });

  it("when no way to pay is given, then it is required and named", () => {
    expect(parse(undefined)).toEqual({
      parsed: undefined,
      problems: ["pm: is required: one of card, upi, net_banking, cash_on_delivery, wallet"],
    });
  });
});
