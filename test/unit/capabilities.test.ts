import { describe, expect, it } from "vitest";
import { CapabilityTokens } from "../../src/platform/auth/capabilities.js";

const tokens = new CapabilityTokens(new TextEncoder().encode("k".repeat(32)));

describe("capability tokens", () => {
  it("when the service signs a guest cart token or an order link, then it is told from identity tokens by its header, and verifies as what it grants", async () => {
    const now = new Date();
    const later = new Date(now.getTime() + 60_000);
    const cart = await tokens.guestCart("c-1", now, later);
    const link = await tokens.orderLink({ id: "l-1", orderId: "o-1", createdAt: now, expiresAt: later });
    expect([CapabilityTokens.isCapability(cart), CapabilityTokens.isCapability(link)]).toEqual([true, true]);
    expect(CapabilityTokens.isCapability("eyJhbGciOiJIUzI1NiJ9.e30.x")).toBe(false);
    expect(await tokens.verify(cart)).toEqual({ kind: "guest-cart", cartId: "c-1" });
    expect(await tokens.verify(link)).toEqual({ kind: "order-link", orderId: "o-1", linkId: "l-1" });
    expect(await tokens.orderLink({ id: "l-1", orderId: "o-1", createdAt: now, expiresAt: later })).toBe(link);
  });

  it("when a capability token expired or was signed with another key, then it does not verify", async () => {
    const past = new Date(Date.now() - 120_000);
    const expired = await tokens.guestCart("c-1", past, new Date(past.getTime() + 60_000));
    await expect(tokens.verify(expired)).rejects.toThrow(/expired/);
    const other = await new CapabilityTokens(new TextEncoder().encode("o".repeat(32))).guestCart(
      "c-1",
      new Date(),
      new Date(Date.now() + 60_000),
    );
    await expect(tokens.verify(other)).rejects.toThrow(/invalid token/);
  });
});
