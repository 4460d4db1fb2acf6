import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { PaymentMethodSchema, type PaymentMethod as PaymentMethodProto } from "../../gen/shop/order/v1/order_pb.js";
import { cardBrand, luhnValid, parsePaymentMethod } from "../../src/payments/payment-method.js";
import { Violations } from "../../src/platform/validation.js";
import { violationsOf } from "./violations.js";

const NOW = new Date("2026-11-28T12:00:00Z");

function parse(method: PaymentMethodProto["method"] | undefined, now = NOW) {
  const v = new Violations();
  const parsed = parsePaymentMethod(method ? create(PaymentMethodSchema, { method }) : undefined, "pm", v, now);
  return { parsed, problems: violationsOf(() => v.throwIfAny()) };
}

const card = (value: Partial<{ number: string; expiryMonth: number; expiryYear: number; cvv: string }>) => ({
  case: "card" as const,
  value: { number: "4242424242424242", expiryMonth: 12, expiryYear: 2030, cvv: "123", ...value } as never,
});

describe("card numbers", () => {
  it.each([
    ["4242424242424242", true],
    ["4000000000000002", true],
    ["4242424242424241", false],
    ["79927398713", true],
    ["79927398710", false],
    ["0", true],
    ["18", true],
    ["59", true],
    ["91", true],
  ])("when Luhn checks %s, then %s", (digits, ok) => {
    expect(luhnValid(digits)).toBe(ok);
  });

  it.each([
    ["4242424242424242", "VISA"],
    ["5105105105105100", "MASTERCARD"],
    ["5555555555554444", "MASTERCARD"],
    ["2223003122003222", "MASTERCARD"],
    ["2720992720992720", "MASTERCARD"],
    ["5605105105105100", "CARD"],
    ["378282246310005", "AMEX"],
    ["348282246310005", "AMEX"],
    ["358282246310005", "CARD"],
    ["6011111111111117", "DISCOVER"],
    ["6511111111111117", "DISCOVER"],
    ["6012111111111117", "RUPAY"],
    ["8111111111111117", "RUPAY"],
    ["8211111111111117", "RUPAY"],
    ["5081111111111117", "RUPAY"],
    ["9111111111111117", "CARD"],
    ["6034111111111111", "RUPAY"],
    ["8165111111111111", "RUPAY"],
    ["1111111111111117", "CARD"],
  ])("when the number is %s, then the brand is %s", (digits, brand) => {
    expect(cardBrand(digits)).toBe(brand);
  });
});

describe("paying by card", () => {
  it("when the card is good, then only its brand and last four are kept, with the digits for this request's gateway call", () => {
    expect(parse(card({ number: "4242 4242-4242 4242" }))).toEqual({
      parsed: { type: "CARD", display: "VISA •••• 4242", cardNumber: "4242424242424242" },
      problems: [],
    });
  });

  it.each([
    ["a number that fails Luhn", card({ number: "4242424242424241" }), "pm.card.number: must be a valid card number"],
    ["a number of 11 digits", card({ number: "79927398713" }), "pm.card.number: must be a valid card number"],
    ["a number of 20 digits", card({ number: "42424242424242424242" }), "pm.card.number: must be a valid card number"],
    ["letters in the number", card({ number: "4242a24242424242" }), "pm.card.number: must be a valid card number"],
    ["month 0", card({ expiryMonth: 0 }), "pm.card.expiry_month: must be 1-12"],
    ["month 13", card({ expiryMonth: 13 }), "pm.card.expiry_month: must be 1-12"],
    ["last month", card({ expiryMonth: 10, expiryYear: 2026 }), "pm.card.expiry_year: card is expired or the year is invalid"],
    ["last year", card({ expiryMonth: 12, expiryYear: 2025 }), "pm.card.expiry_year: card is expired or the year is invalid"],
    ["21 years ahead", card({ expiryYear: 2047 }), "pm.card.expiry_year: card is expired or the year is invalid"],
    ["a CVV of 2 digits", card({ cvv: "12" }), "pm.card.cvv: must be 3 or 4 digits"],
    ["a CVV of 5 digits", card({ cvv: "12345" }), "pm.card.cvv: must be 3 or 4 digits"],
    ["a CVV with a letter", card({ cvv: "12a" }), "pm.card.cvv: must be 3 or 4 digits"],
    ["a CVV with a letter first", card({ cvv: "a123" }), "pm.card.cvv: must be 3 or 4 digits"],
  ])("when the card has %s, then it is refused", (_, method, problem) => {
    expect(parse(method).problems).toEqual([problem]);
  });

  it.each([
    ["this month", card({ expiryMonth: 11, expiryYear: 2026 })],
    ["20 years ahead", card({ expiryMonth: 1, expiryYear: 2046 })],
    ["January next year", card({ expiryMonth: 1, expiryYear: 2027 })],
    ["a four-digit CVV", card({ cvv: "1234" })],
    ["a 12-digit number", card({ number: "400000000002" })],
    ["a 19-digit number", card({ number: "4000000000000000006" })],
  ])("when the card expires %s, then it is accepted", (_, method) => {
    expect(parse(method).problems).toEqual([]);
  });

  it("when a card number is bad, then nothing is returned to pay with", () => {
    expect(parse(card({ number: "1" })).parsed).toBeUndefined();
  });
});

describe("other ways to pay", () => {
  it.each([
    [{ case: "upi", value: { vpa: "ann.lee-1@okbank" } }, { type: "UPI", display: "ann.lee-1@okbank" }],
    [{ case: "netBanking", value: { bankCode: "HDFC0001" } }, { type: "NET_BANKING", display: "HDFC0001" }],
    [{ case: "cashOnDelivery", value: {} }, { type: "CASH_ON_DELIVERY", display: "Cash on delivery" }],
    [{ case: "wallet", value: { provider: "paytm", walletId: "w-1" } }, { type: "WALLET", display: "paytm" }],
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
    expect(parse(undefined)).toEqual({ parsed: undefined, problems: ["pm: is required: one of card, upi, net_banking, cash_on_delivery, wallet"] });
  });
});
