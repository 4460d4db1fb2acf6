import { orders, problemOf } from "./api.js";
import { field, h, show } from "./dom.js";
import { problemBox } from "./feedback.js";

/** A guest's order: staff can stop its order links (a link was forwarded, or the guest asks). */
export function guestLinksForm(orderId: string): HTMLElement {
  const reason = h("input", { name: "revoke-reason", required: true, maxlength: 500 });
  const message = h("div", { class: "message-slot", "aria-live": "polite" });
  const form = h(
    "form",
    { class: "guest-links", "aria-label": "Guest order links" },
    h("h3", {}, "Guest order links"),
    h("p", { class: "muted" }, "The guest reads and follows this order through its order link. Revoking stops every link at once."),
    field("Why revoke", reason),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "danger" }, "Revoke order links")),
    message,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void (async () => {
      try {
        const { revoked } = await orders.revokeOrderLinks({ orderId, reason: reason.value.trim() });
        show(message, h("p", { class: "notice", role: "status" }, revoked ? `${revoked} link(s) revoked.` : "No link was live."));
      } catch (error) {
        show(message, problemBox(problemOf(error), "The links could not be revoked"));
      }
    })();
  });
  return form;
}
