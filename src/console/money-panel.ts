import {
  ClaimReason,
  OrderChangeStatus,
  OrderChangeType,
  ReturnReason,
  ReturnStatus,
  type ChangeAction,
  type ChangePreview,
  type OrderChange,
} from "../../gen/shop/order/v1/changes_pb.js";
import { LedgerEntryKind, LedgerEntryState, RefundCause, type ListLedgerEntriesResponse } from "../../gen/shop/order/v1/ledger_pb.js";
import type { Order } from "../../gen/shop/order/v1/order_pb.js";
import { changes, ledger, orders, problemOf } from "./api.js";
import { field, h, show, table } from "./dom.js";
import { act, problemBox } from "./feedback.js";
import { money, shortId, time, words as named } from "./format.js";
import type { Changed, OrderState } from "./order-actions.js";

/*
 * The order page's money: a panel that builds a return or a claim, previews it (what each line
 * refunds, the difference due) and confirms it; the order's changes with what is left to do on
 * each; and the ledger as a table, with the balance it sums to.
 */

const rid = () => crypto.randomUUID();
const words = (name: string | undefined) => named(name, "–");
const RETURN_REASONS = [
  ReturnReason.WRONG_SIZE,
  ReturnReason.NO_LONGER_NEEDED,
  ReturnReason.NOT_AS_DESCRIBED,
  ReturnReason.DAMAGED,
  ReturnReason.ARRIVED_LATE,
  ReturnReason.OTHER,
];
const CLAIM_REASONS = [ClaimReason.DEFECTIVE, ClaimReason.MISSING, ClaimReason.WRONG_ITEM];

function select(name: string, options: readonly [string, string][]): HTMLSelectElement {
  return h("select", { name }, ...options.map(([value, label]) => h("option", { value }, label)));
}

function previewTable(order: Order, preview: ChangePreview): HTMLElement {
  // An exchange's new item is only in the previewed order.
  const items = [...order.items, ...(preview.order?.items ?? [])];
  const name = (itemId: string) => items.find((item) => item.id === itemId)?.name ?? shortId(itemId);
  const rows = preview.lines.map((line) =>
    h(
      "tr",
      {},
      h("th", { scope: "row" }, name(line.itemId)),
      h("td", { class: "num" }, line.quantity),
      h("td", { class: "num" }, money(line.amount)),
      h("td", { class: "num" }, money(line.tax)),
    ),
  );
  const due = preview.differenceDue?.amountMinor ?? 0n;
  const verdict =
    due < 0n
      ? `The shop refunds ${money({ ...preview.differenceDue!, amountMinor: -due })}.`
      : due > 0n
        ? `The customer pays ${money(preview.differenceDue)}.`
        : "Nothing changes hands.";
  return h(
    "div",
    { class: "preview" },
    table("Preview: what each line refunds (negative) or costs", ["Item", "Units", "Amount", "Tax within"], rows),
    h("p", { class: "strong" }, `Refund ${money(preview.refundTotal)} · cost ${money(preview.costTotal)} · ${verdict}`),
    h("p", { class: "muted small" }, `Order total after the change: ${money(preview.order?.balance?.currentTotal)}`),
  );
}

/** Builds a return, an exchange or a claim of shipped units, previews it without saving, then makes and confirms it. */
function changeBuilder(state: OrderState, changed: Changed, reload: () => Promise<void>, message: HTMLElement): HTMLElement {
  const previewSlot = h("div", {});
  const type = select("type", [
    [String(OrderChangeType.RETURN), "Return (the goods come back)"],
    [String(OrderChangeType.EXCHANGE), "Exchange (the goods come back, another item goes out)"],
    [String(OrderChangeType.CLAIM), "Claim (missing, wrong or defective: refunded without a return)"],
  ]);
  // An exchange's new item: priced from the catalog when previewed and when made.
  const newProduct = h("input", { name: "new-product", placeholder: "prod-hoodie" });
  const newVariant = h("input", { name: "new-variant", placeholder: "hoodie-l-navy (if sold by variant)" });
  const newUnits = h("input", { type: "number", name: "new-units", min: 1, max: 999, value: "1" });
  const sendOut = h(
    "fieldset",
    { hidden: "" },
    h("legend", {}, "Send instead"),
    field("New product", newProduct),
    field("New variant", newVariant),
    field("New units", newUnits),
  );
  // A claim made good by sending the same item again, free, instead of a refund.
  const replace = h("input", { type: "checkbox", name: "replace" });
  const replacing = h("label", { hidden: "" }, replace, " Send a replacement instead of refunding");
  const returnable = state.order.items.filter((item) => item.shippedQuantity - item.returnedQuantity > 0);
  const rows = returnable.map((item) => {
    const left = item.shippedQuantity - item.returnedQuantity;
    const units = h("input", { type: "number", name: "units", min: 0, max: left, value: "0" });
    const reason = select("reason", []);
    return { item, units, reason };
  });
  const reasons = () => {
    const claim = type.value === String(OrderChangeType.CLAIM);
    for (const { reason } of rows) {
      const options = claim
        ? CLAIM_REASONS.map((r) => [String(r), words(ClaimReason[r])] as [string, string])
        : RETURN_REASONS.map((r) => [String(r), words(ReturnReason[r])] as [string, string]);
      show(reason, ...options.map(([value, label]) => h("option", { value }, label)));
    }
  };
  type.addEventListener("change", reasons);
  type.addEventListener("change", () => (sendOut.hidden = type.value !== String(OrderChangeType.EXCHANGE)));
  type.addEventListener("change", () => (replacing.hidden = type.value !== String(OrderChangeType.CLAIM)));
  reasons();
  const actions = (): ChangeAction[] => [
    ...rows
      .filter(({ units }) => Number(units.value) > 0)
      .map(({ item, units, reason }) => {
        const value = { itemId: item.id, quantity: Number(units.value), note: "" };
        return (
          type.value === String(OrderChangeType.CLAIM)
            ? { action: { case: "claimItem", value: { ...value, reason: Number(reason.value), replace: replace.checked } } }
            : { action: { case: "returnItem", value: { ...value, reason: Number(reason.value) } } }
        ) as ChangeAction;
      }),
    ...(type.value === String(OrderChangeType.EXCHANGE)
      ? [
          {
            action: {
              case: "addItem",
              value: { productId: newProduct.value.trim(), variantId: newVariant.value.trim(), quantity: Number(newUnits.value) },
            },
          } as ChangeAction,
        ]
      : []),
  ];
  const previewButton = h("button", { type: "button", class: "secondary" }, "Preview");
  const confirmButton = h("button", { type: "submit" }, "Make and confirm");
  previewButton.addEventListener("click", () => {
    void act(
      message,
      "Preview only: nothing was saved.",
      async () => {
        const { preview } = await changes.previewOrderChange({
          orderId: state.order.id,
          change: { case: "draft", value: { type: Number(type.value), actions: actions() } },
        });
        show(previewSlot, previewTable(state.order, preview!));
      },
      previewButton,
    );
  });
  const form = h(
    "form",
    { class: "action", "aria-label": "Return or claim" },
    field("Kind", type),
    ...(rows.length
      ? rows.map(({ item, units, reason }) =>
          h(
            "fieldset",
            {},
            h("legend", {}, `${item.name}: ${item.shippedQuantity - item.returnedQuantity} can come back`),
            field("Units", units),
            field("Reason", reason),
          ),
        )
      : [h("p", { class: "muted" }, "Nothing of this order has shipped, or all of it came back already.")]),
    sendOut,
    replacing,
    h("div", { class: "buttons" }, previewButton, confirmButton),
    previewSlot,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void act(
      message,
      "Confirmed: see the change and the ledger below.",
      async () => {
        const { change } = await changes.createOrderChange({
          requestId: rid(),
          orderId: state.order.id,
          type: Number(type.value),
          actions: actions(),
        });
        const { order } = await orders.getOrder({ orderId: state.order.id });
        const confirmed = await changes.confirmOrderChange({ requestId: rid(), changeId: change!.id, expectedVersion: order!.version });
        changed(confirmed.order!);
        show(previewSlot);
        await reload();
      },
      confirmButton,
    );
  });
  return form;
}

/** What is left to do on one change: decide an open one, receive a return's goods. */
function changeActions(order: Order, change: OrderChange, changed: Changed, reload: () => Promise<void>): HTMLElement {
  const message = h("div", { class: "message-slot", "aria-live": "polite" });
  const button = (label: string, secondary = false) => h("button", { type: "button", class: secondary ? "secondary" : "" }, label);
  const done = async (next?: Order) => {
    if (next) changed(next);
    await reload();
  };
  const parts: Node[] = [];
  if (change.status === OrderChangeStatus.PENDING || change.status === OrderChangeStatus.REQUESTED) {
    const confirm = button("Confirm");
    confirm.addEventListener("click", () => {
      void act(
        message,
        "Confirmed.",
        async () => {
          const { order: now } = await orders.getOrder({ orderId: order.id });
          await done((await changes.confirmOrderChange({ requestId: rid(), changeId: change.id, expectedVersion: now!.version })).order);
        },
        confirm,
      );
    });
    const reason = h("input", { name: "decline-reason", placeholder: "Why (the customer sees it)" });
    const decline = button(change.status === OrderChangeStatus.REQUESTED ? "Decline" : "Cancel", true);
    decline.addEventListener("click", () => {
      void act(
        message,
        "Done.",
        async () => {
          if (change.status === OrderChangeStatus.REQUESTED)
            await changes.declineOrderChange({ requestId: rid(), changeId: change.id, reason: reason.value });
          else await changes.cancelOrderChange({ requestId: rid(), changeId: change.id, reason: reason.value });
          await done();
        },
        decline,
      );
    });
    parts.push(confirm, field("Reason", reason), decline);
  }
  if (change.returnStatus === ReturnStatus.AWAITING_RECEIPT) {
    const location = h("input", { name: "location", value: "", placeholder: "e.g. north-east" });
    const counts = change.actions.map((action) => {
      const value = action.action.value!;
      const good = h("input", { type: "number", name: "good", min: 0, max: value.quantity, value: String(value.quantity) });
      const damaged = h("input", { type: "number", name: "damaged", min: 0, max: value.quantity, value: "0" });
      const name = order.items.find((item) => item.id === value.itemId)?.name ?? shortId(value.itemId);
      return { itemId: value.itemId, name, good, damaged };
    });
    const receive = button("Receive");
    receive.addEventListener("click", () => {
      void act(
        message,
        "Received: good units are back on sale, the refund is in the ledger.",
        async () => {
          const lines = counts.map(({ itemId, good, damaged }) => ({
            itemId,
            goodQuantity: Number(good.value),
            damagedQuantity: Number(damaged.value),
          }));
          await done(
            (await changes.receiveReturn({ requestId: rid(), changeId: change.id, locationId: location.value.trim(), lines })).order,
          );
        },
        receive,
      );
    });
    parts.push(
      field("Received at location", location),
      ...counts.flatMap(({ name, good, damaged }) => [field(`${name}: good`, good), field(`${name}: damaged`, damaged)]),
      receive,
    );
  }
  return h("div", { class: "change-actions" }, ...parts, message);
}

function changesTable(order: Order, list: readonly OrderChange[], changed: Changed, reload: () => Promise<void>): HTMLElement {
  const name = (itemId: string) => order.items.find((item) => item.id === itemId)?.name ?? shortId(itemId);
  const rows = list.map((change) =>
    h(
      "tr",
      {},
      h("td", {}, time(change.createTime)),
      h("td", {}, words(OrderChangeType[change.type])),
      h(
        "td",
        {},
        `${words(OrderChangeStatus[change.status])}${change.returnStatus ? ` · return ${words(ReturnStatus[change.returnStatus]).toLowerCase()}` : ""}`,
      ),
      h("td", {}, change.actions.map((action) => actionWords(action, name)).join("; ")),
      h(
        "td",
        { class: "num" },
        change.lines.length
          ? money({
              ...change.lines[0]!.amount!,
              amountMinor: change.lines.reduce((sum, line) => sum + (line.amount?.amountMinor ?? 0n), 0n),
            })
          : "–",
      ),
      h("td", {}, change.decisionReason || "–"),
      h("td", {}, changeActions(order, change, changed, reload)),
    ),
  );
  return table("Returns and claims of this order", ["Made", "Kind", "Status", "Units", "Refunded", "Reason", "Next"], rows);
}

function ledgerTable(answer: ListLedgerEntriesResponse): HTMLElement {
  const rows = answer.entries.map((entry) =>
    h(
      "tr",
      {},
      h("td", { class: "num" }, entry.position),
      h("td", {}, time(entry.createTime)),
      h("td", {}, words(LedgerEntryKind[entry.kind])),
      h("td", {}, entry.state === LedgerEntryState.FAILED ? h("span", { class: "pill bad" }, `failed: ${entry.failureCode}`) : "ok"),
      h("td", { class: "num" }, money(entry.amount)),
      h("td", {}, entry.refundCause ? words(RefundCause[entry.refundCause]) : "–"),
      h("td", { class: "small" }, entry.reference || "–"),
      h("td", { class: "small" }, entry.idempotencyKey),
      h("td", {}, entry.actor),
      h("td", {}, entry.reason || "–"),
    ),
  );
  const b = answer.balance;
  const line = (term: string, value: string) => [h("dt", {}, term), h("dd", {}, value)];
  return h(
    "div",
    {},
    h(
      "dl",
      { class: "facts" },
      ...line("Authorized", money(b?.authorized)),
      ...line("Captured", money(b?.captured)),
      ...line("Refunded", money(b?.refunded)),
      ...line("Current total", money(b?.currentTotal)),
      ...line("Outstanding", money(b?.outstanding)),
      ...line("Released", money(b?.voided)),
      ...line("Due (to pay)", money(b?.due)),
    ),
    table(
      "Money ledger: every authorization, capture, refund and void",
      ["#", "When", "Kind", "State", "Amount", "Cause", "Provider id", "Key sent", "By", "Why"],
      rows,
    ),
  );
}

/** One action as staff read it: units, item and why; an edit as its units before and after. */
function actionWords({ action }: ChangeAction, name: (itemId: string) => string): string {
  switch (action.case) {
    case "returnItem":
      return `${action.value.quantity} × ${name(action.value.itemId)} (${words(ReturnReason[action.value.reason])})`;
    case "claimItem":
      return `${action.value.quantity} × ${name(action.value.itemId)} (${words(ClaimReason[action.value.reason])})${action.value.replace ? ", replaced" : ""}`;
    case "editItem":
      return `${name(action.value.itemId)}: ${action.value.previousQuantity} → ${action.value.quantity}`;
    case "addItem":
      return `sends ${action.value.quantity} × ${action.value.name} at ${money(action.value.unitPrice)}`;
    default:
      return "?";
  }
}

/** The panel: the builder, the order's changes and its ledger, read again after every action. */
export function moneyPanel(
  state: OrderState,
  changed: Changed,
  signal: AbortSignal,
): { element: HTMLElement; reload: () => Promise<void> } {
  const builderSlot = h("div", {});
  // Outlives the builder's redraw, so "Confirmed" stays after the panel is read again.
  const builderMessage = h("div", { class: "message-slot", "aria-live": "polite" });
  const changesSlot = h("div", {});
  const ledgerSlot = h("div", {});
  const message = h("div", { class: "message-slot" });
  const reload = async () => {
    try {
      const [list, entries] = await Promise.all([
        changes.listOrderChanges({ orderId: state.order.id, pageSize: 50 }, { signal }),
        ledger.listLedgerEntries({ orderId: state.order.id }, { signal }),
      ]);
      show(builderSlot, changeBuilder(state, changed, reload, builderMessage));
      show(
        changesSlot,
        list.changes.length
          ? changesTable(state.order, list.changes, changed, reload)
          : h("p", { class: "muted" }, "No returns or claims yet."),
      );
      show(ledgerSlot, ledgerTable(entries));
      show(message);
    } catch (error) {
      if (!signal.aborted) show(message, problemBox(problemOf(error), "The returns and the ledger could not be read"));
    }
  };
  return {
    element: h(
      "div",
      {},
      h("h3", {}, "Return or claim"),
      builderSlot,
      builderMessage,
      changesSlot,
      h("h3", {}, "Ledger"),
      ledgerSlot,
      message,
    ),
    reload,
  };
}
