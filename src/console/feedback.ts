import { problemOf, type Problem } from "./api.js";
import { byId, h, show } from "./dom.js";

/** A refusal as the operator reads it: what was refused and why, each field or rule the service named. */
export function problemBox(problem: Problem, title = "The service refused this"): HTMLElement {
  return h(
    "div",
    { class: "problem", role: "alert" },
    h("strong", {}, title),
    h("p", {}, problem.summary),
    problem.details.length ? h("ul", {}, ...problem.details.map((detail) => h("li", {}, detail))) : null,
  );
}

/**
 * Runs an action from a form: the form's message area says it is working, then what was done,
 * or the refusal with its details. The submit button is disabled meanwhile.
 */
export async function act(
  message: HTMLElement,
  done: string,
  action: () => Promise<unknown>,
  button?: HTMLButtonElement,
): Promise<boolean> {
  if (button) button.disabled = true;
  show(message, h("span", { class: "muted" }, "Working…"));
  try {
    await action();
    show(message, h("span", { class: "ok", role: "status" }, done));
    return true;
  } catch (error) {
    show(message, problemBox(problemOf(error)));
    return false;
  } finally {
    if (button) button.disabled = false;
  }
}

/** Asks before anything that cannot be undone; resolves true only on the confirming button. */
export function confirmAction(title: string, text: string, confirm: string): Promise<boolean> {
  const dialog = byId<HTMLDialogElement>("confirm");
  byId("confirm-title").textContent = title;
  byId("confirm-text").textContent = text;
  byId("confirm-ok").textContent = confirm;
  dialog.returnValue = "";
  dialog.showModal();
  return new Promise((resolve) => dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true }));
}
