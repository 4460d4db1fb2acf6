import { Code } from "@connectrpc/connect";
import { checkAccess, session, tokenSubject, type Role } from "./api.js";
import { byId, field, h, show } from "./dom.js";
import { problemBox } from "./feedback.js";
import { toShipPage } from "./fulfilment-list.js";
import { orderPage } from "./order-page.js";
import { returnRequestsPage } from "./return-requests.js";
import { cartsPage } from "./carts-list.js";
import { ordersPage } from "./orders-list.js";

const main = byId("main");
let current = new AbortController();

/** Sign-in: a bearer token pasted by staff; a development instance also hands out an admin token from this machine. */
function signInPage(refusal?: HTMLElement): void {
  const token = h("textarea", { name: "token", rows: 4, required: true, spellcheck: false, autocomplete: "off" });
  const form = h(
    "form",
    { class: "panel sign-in", "aria-labelledby": "sign-in-title" },
    h("h1", { id: "sign-in-title" }, "Sign in"),
    h("p", {}, "This console is for operations staff and sellers. Paste a bearer token with the admin or seller role."),
    field("Bearer token", token),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Sign in")),
    h("div", { class: "message-slot" }, refusal ?? null),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    session.token = token.value.trim();
    void route();
  });
  show(main, form);
  void offerDevelopmentToken(form);
}

async function offerDevelopmentToken(form: HTMLFormElement): Promise<void> {
  const response = await fetch("/dev/token?user=console-dev&role=admin").catch(() => undefined);
  if (!response?.ok) return;
  const { token } = (await response.json()) as { token: string };
  const button = h("button", { type: "button", class: "secondary" }, "Use a development admin token");
  button.addEventListener("click", () => {
    session.token = token;
    void route();
  });
  form.querySelector(".actions")?.append(button);
}

function signedInAs(): void {
  const subject = session.token ? tokenSubject(session.token) : "";
  byId("who").textContent = subject ? `Signed in as ${subject}` : "Signed in through the gateway";
  byId("sign-out").hidden = !session.token;
}

let access: Role | undefined;

async function route(): Promise<void> {
  current.abort();
  current = new AbortController();
  if (access === undefined) {
    const checked = await checkAccess();
    if (!checked.ok) {
      byId("who").textContent = "";
      byId("sign-out").hidden = true;
      const refused =
        session.token || checked.problem.code !== Code.Unauthenticated
          ? problemBox(checked.problem, refusalTitle(checked.problem.code))
          : undefined;
      session.token = "";
      return signInPage(refused);
    }
    access = checked.role;
    signedInAs();
    byId("nav-orders").hidden = access !== "staff";
    byId("nav-carts").hidden = access !== "staff";
    byId("nav-to-ship").hidden = false;
  }
  const [path = "", query = ""] = location.hash.slice(1).split("?");
  const order = /^\/orders\/([0-9a-f-]{36})$/i.exec(path);
  // A seller's token reads only its fulfilment queue; the orders pages are staff's.
  if (path === "/to-ship" || access === "seller") toShipPage(main, access, new URLSearchParams(query), current.signal);
  else if (order) orderPage(main, order[1]!, current.signal);
  else if (path === "/returns") returnRequestsPage(main, current.signal);
  else if (path === "/carts") cartsPage(main, current.signal);
  else ordersPage(main, new URLSearchParams(query), current.signal);
}

function refusalTitle(code: Code): string {
  // A valid token, but not an operator's.
  if (code === Code.PermissionDenied) return "This account cannot use the console: it is for staff (admin) and sellers only";
  if (code === Code.Unauthenticated) return "The token was not accepted";
  return "The console could not reach the order service";
}

byId("sign-out").addEventListener("click", () => {
  session.token = "";
  access = undefined;
  byId("nav-orders").hidden = true;
  byId("nav-to-ship").hidden = true;
  location.hash = "#/orders";
  void route();
});
window.addEventListener("hashchange", () => {
  void route();
  main.focus();
});
void route();
