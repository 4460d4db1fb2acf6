import { timestampDate } from "@bufbuild/protobuf/wkt";
import type { Cart } from "../../gen/shop/cart/v1/cart_pb.js";
import { carts, problemOf } from "./api.js";
import { h, show, table } from "./dom.js";
import { problemBox } from "./feedback.js";
import { money, time } from "./format.js";

/** Whose cart: the user, or a guest's (by its cart id). */
const owner = (cart: Cart) => (cart.guest ? `guest ${cart.cartId.slice(0, 8)}` : cart.userId);

/** Until when the cart holds its stock, or why it holds none. */
function holdOf(cart: Cart, now: Date): string {
  if (!cart.holdExpireTime) return "not held";
  const until = timestampDate(cart.holdExpireTime);
  const minutes = Math.max(0, Math.round((until.getTime() - now.getTime()) / 60_000));
  return `held until ${time(cart.holdExpireTime)} (${minutes} min)`;
}

/**
 * Staff's carts view: open carts with lines, most recently changed first, with their holds and
 * when they lapse; a held cart's hold can be given back to Inventory, with a reason.
 */
export function cartsPage(main: HTMLElement, signal: AbortSignal): void {
  const message = h("div", { class: "message-slot", "aria-live": "polite" });
  const slot = h("div", {}, h("p", { class: "muted" }, "Loading…"));
  show(main, h("h1", {}, "Carts"), h("p", { class: "muted" }, "Open carts with lines, most recently changed first."), message, slot);

  const releaseForm = (cart: Cart) => {
    const reason = h("input", {
      name: "reason",
      required: true,
      maxlength: 500,
      placeholder: "Why",
      "aria-label": `Why release ${owner(cart)}'s hold`,
    });
    const form = h("form", { class: "inline" }, reason, h("button", { type: "submit", class: "secondary" }, "Release hold"));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      void (async () => {
        try {
          await carts.releaseCartHolds({
            requestId: crypto.randomUUID(),
            userId: cart.guest ? `guest:${cart.cartId}` : cart.userId,
            reason: reason.value.trim(),
          });
          show(message, h("p", { class: "notice", role: "status" }, `The hold of ${owner(cart)}'s cart was released; its lines stay.`));
          await load();
        } catch (error) {
          show(message, problemBox(problemOf(error), "The hold could not be released"));
        }
      })();
    });
    return form;
  };

  const row = (cart: Cart, now: Date) =>
    h(
      "tr",
      {},
      h("td", {}, owner(cart)),
      h("td", {}, cart.items.map((item) => `${item.quantity} × ${item.name}`).join(", ")),
      h("td", {}, money(cart.subtotal)),
      h("td", {}, holdOf(cart, now)),
      h("td", {}, time(cart.updateTime)),
      h("td", {}, cart.holdExpireTime ? releaseForm(cart) : "–"),
    );

  const load = async () => {
    try {
      const { carts: open } = await carts.listCarts({ pageSize: 100 }, { signal });
      const now = new Date();
      show(
        slot,
        open.length
          ? table(
              "Open carts, most recently changed first",
              ["Cart", "Lines", "Subtotal", "Stock hold", "Changed", ""],
              open.map((cart) => row(cart, now)),
            )
          : h("p", { class: "muted" }, "No open cart has lines."),
      );
    } catch (error) {
      if (!signal.aborted) show(message, problemBox(problemOf(error), "The carts could not be listed"));
    }
  };
  void load();
}
