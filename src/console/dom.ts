type Child = Node | string | number | null | undefined | false;
type Props = Record<string, unknown>;

/**
 * A small element builder: `h("button", { type: "button", onclick }, "Save")`. Keys starting
 * with "on" are listeners, "aria-", "data-", "for" and "role" are attributes, anything else is
 * set as a property (value, hidden, disabled...).
 */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") element.addEventListener(key.slice(2), value as EventListener);
    else if (key === "class") element.className = text(value);
    else if (/^(aria-|data-|for$|role$|colspan$|scope$)/.test(key)) element.setAttribute(key, text(value));
    else (element as unknown as Record<string, unknown>)[key] = value;
  }
  element.append(...nodes(children));
  return element;
}

/** Attribute values are text or numbers; anything else is a mistake worth seeing. */
function text(value: unknown): string {
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") return String(value);
  throw new TypeError(`attribute value ${typeof value}`);
}

function nodes(children: Child[]): (Node | string)[] {
  return children
    .filter((child): child is Node | string | number => child !== null && child !== undefined && child !== false)
    .map((child) => (typeof child === "number" ? String(child) : child));
}

/** Replaces what `parent` shows, in one step, so a reader never sees it half drawn. */
export function show(parent: Element, ...children: Child[]): void {
  parent.replaceChildren(...nodes(children));
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} is missing`);
  return element as T;
}

let fields = 0;

/** A labelled form field: the label names the input (by id) for screen readers and for tests. */
export function field(label: string, input: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement): HTMLDivElement {
  input.id ||= `field-${++fields}`;
  return h("div", { class: "field" }, h("label", { for: input.id }, label), input);
}

/** A box that scrolls sideways on narrow screens; keyboard users can focus it to scroll. */
export function scrollBox(label: string, content: Node): HTMLDivElement {
  return h("div", { class: "table-scroll", tabIndex: 0, role: "region", "aria-label": label }, content);
}

/** A table with a caption for screen readers, in a scroll box. */
export function table(caption: string, headers: readonly string[], rows: readonly Node[], props: Props = {}): HTMLDivElement {
  return scrollBox(
    caption,
    h(
      "table",
      props,
      h("caption", { class: "visually-hidden" }, caption),
      h("thead", {}, h("tr", {}, ...headers.map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, ...rows),
    ),
  );
}
