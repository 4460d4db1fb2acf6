import { describe, expect, it } from "vitest";
import type { ChangeAction } from "../../src/changes/domain/change-data.js";
import {
  CHANGE_STATUSES,
  CHANGE_TRANSITIONS,
  isOpen,
  RETURN_STATUSES,
  RETURN_TRANSITIONS,
  transitionChange,
  transitionReturn,
} from "../../src/changes/domain/change-status.js";
import { OrderChange, type NewChange } from "../../src/changes/domain/order-change.js";
import { InvalidArgumentError } from "../../src/platform/errors/domain-errors.js";
import { caught, thrownReason } from "../support/errors.js";

const by = { actor: "ops-1", at: new Date("2026-12-05T10:00:00Z") };
const later = { actor: "north-clerk", at: new Date("2026-12-06T10:00:00Z") };
const back = (itemId: string, quantity = 1): ChangeAction => ({ kind: "RETURN_ITEM", itemId, quantity, reason: "WRONG_SIZE", note: "" });
const claim = (itemId: string, quantity = 1): ChangeAction => ({ kind: "CLAIM_ITEM", itemId, quantity, reason: "DEFECTIVE", note: "" });
const fields = (error: unknown) => (error as InvalidArgumentError).violations.map((v) => v.field);
function newChange(overrides: Partial<NewChange> = {}): NewChange {
  return {
    id: "c-1",
    orderId: "o-1",
    orderVersion: 4,
    type: "RETURN",
    actions: [back("i-1", 2)],
    note: "too small",
    byCustomer: true,
    sellerIds: ["seller-north"],
    ...overrides,
  };
}

describe("the change and return tables", () => {
  /** Written out independently of the implementation, as docs/api.md states them. */
  const change: Record<string, string[]> = {
    PENDING: ["REQUESTED", "CONFIRMED", "CANCELED"],
    REQUESTED: ["CONFIRMED", "DECLINED", "CANCELED"],
    CONFIRMED: [],
    DECLINED: [],
    CANCELED: [],
  };
  const returns: Record<string, string[]> = {
    REQUESTED: ["AWAITING_RECEIPT", "DECLINED", "CANCELED"],
    AWAITING_RECEIPT: ["RECEIVED"],
    RECEIVED: [],
    DECLINED: [],
    CANCELED: [],
  };

  it.each(CHANGE_STATUSES.flatMap((from) => CHANGE_STATUSES.map((to) => [from, to] as const)))("change %s -> %s", (from, to) => {
    expect([...CHANGE_TRANSITIONS[from]].sort()).toEqual([...change[from]!].sort());
    if (change[from]!.includes(to)) expect(transitionChange("c", from, to)).toBe(to);
    else expect(thrownReason(() => transitionChange("c", from, to))).toBe("ILLEGAL_CHANGE_TRANSITION");
  });

  it.each(RETURN_STATUSES.flatMap((from) => RETURN_STATUSES.map((to) => [from, to] as const)))("return %s -> %s", (from, to) => {
    expect([...RETURN_TRANSITIONS[from]].sort()).toEqual([...returns[from]!].sort());
    if (returns[from]!.includes(to)) expect(transitionReturn("c", from, to)).toBe(to);
    else expect(thrownReason(() => transitionReturn("c", from, to))).toBe("ILLEGAL_RETURN_TRANSITION");
  });

  it("calls a change open while it can still be decided", () => {
    expect(CHANGE_STATUSES.filter(isOpen)).toEqual(["PENDING", "REQUESTED"]);
  });

  it("says where a refused move could have gone", () => {
    expect((caught(() => transitionChange("c", "CONFIRMED", "CANCELED")) as Error).message).toBe(
      "the change cannot move from CONFIRMED to CANCELED; from CONFIRMED it can move to nothing (final)",
    );
    expect((caught(() => transitionReturn("c", "AWAITING_RECEIPT", "CANCELED")) as Error).message).toBe(
      "the return cannot move from AWAITING_RECEIPT to CANCELED; from AWAITING_RECEIPT it can move to RECEIVED",
    );
  });
});

describe("a change", () => {
  it("when a customer asks for a return, then it is REQUESTED with its return REQUESTED, and says so once", () => {
    const change = OrderChange.create(newChange(), by);
    expect(change.view).toMatchObject({
      status: "REQUESTED",
      returnStatus: "REQUESTED",
      orderVersion: 4,
      createdBy: "ops-1",
      byCustomer: true,
      lines: [],
      received: [],
      version: 1,
      createdAt: by.at,
      updatedAt: by.at,
    });
    expect(change.isOpen).toBe(true);
    expect(change.takeEvents()).toEqual([{ type: "OrderChangeRequested" }]);
    expect(change.takeEvents()).toEqual([]);
  });

  it("when staff make a claim, then it is PENDING and has no return", () => {
    const change = OrderChange.create(newChange({ type: "CLAIM", actions: [claim("i-1")], byCustomer: false }), by);
    expect(change.view).toMatchObject({ status: "PENDING", returnStatus: "" });
  });

  it("when its actions are not of its type, name an item twice, or are none, then INVALID_ARGUMENT names each", () => {
    const error = caught(() => OrderChange.create(newChange({ actions: [back("i-1"), claim("i-2"), back("i-1")] }), by));
    expect(fields(error)).toEqual(["actions[1]", "actions[2].item_id"]);
    expect(fields(caught(() => OrderChange.create(newChange({ actions: [] }), by)))).toEqual(["actions"]);
    expect(fields(caught(() => OrderChange.create(newChange({ type: "CLAIM" }), by)))).toEqual(["actions[0]"]);
  });

  it("when confirmed, then it keeps what it refunded and its return awaits the goods; a claim has no return to await", () => {
    const change = OrderChange.create(newChange(), by);
    change.takeEvents();
    const lines = [{ action: 0, itemId: "i-1", quantity: 2, amountMinor: "-2160", taxMinor: "-160" }];
    change.confirm(lines, later);
    expect(change.view).toMatchObject({
      status: "CONFIRMED",
      returnStatus: "AWAITING_RECEIPT",
      lines,
      decidedBy: "north-clerk",
      updatedAt: later.at,
    });
    expect(change.isOpen).toBe(false);
    expect(change.takeEvents()).toEqual([{ type: "OrderChangeConfirmed" }]);
    const claimed = OrderChange.create(newChange({ type: "CLAIM", actions: [claim("i-1")] }), by);
    claimed.confirm([], later);
    expect(claimed.view.returnStatus).toBe("");
  });

  it("when declined or canceled, then the reason is kept, the return follows, and it cannot be confirmed after", () => {
    const declined = OrderChange.create(newChange(), by);
    declined.decline("worn", later);
    expect(declined.view).toMatchObject({ status: "DECLINED", returnStatus: "DECLINED", decisionReason: "worn", decidedBy: "north-clerk" });
    expect(declined.takeEvents().at(-1)).toEqual({ type: "OrderChangeDeclined", reason: "worn" });
    expect(thrownReason(() => declined.confirm([], later))).toBe("ILLEGAL_CHANGE_TRANSITION");
    const canceled = OrderChange.create(newChange({ byCustomer: false }), by);
    canceled.cancel("by mistake", later);
    expect(canceled.view).toMatchObject({ status: "CANCELED", returnStatus: "CANCELED", decisionReason: "by mistake" });
    expect(canceled.takeEvents().at(-1)).toEqual({ type: "OrderChangeCanceled", reason: "by mistake" });
    const claimed = OrderChange.create(newChange({ type: "CLAIM", actions: [claim("i-1")], byCustomer: false }), by);
    claimed.cancel("", later);
    expect(claimed.view.returnStatus).toBe("");
    expect(thrownReason(() => OrderChange.create(newChange({ byCustomer: false }), by).decline("no", later))).toBe(
      "ILLEGAL_CHANGE_TRANSITION",
    );
  });

  it("when its goods arrive, then what came back and where is kept, with the refund if it came now", () => {
    const change = OrderChange.create(newChange({ actions: [back("i-1", 2), back("i-2", 1)] }), by);
    expect(thrownReason(() => change.receive([{ itemId: "i-1", good: 1, damaged: 0 }], "north-east", undefined, later))).toBe(
      "RETURN_NOT_AWAITED",
    );
    change.confirm([], later);
    change.takeEvents();
    const lines = [{ action: 0, itemId: "i-1", quantity: 2, amountMinor: "-2160", taxMinor: "-160" }];
    change.receive([{ itemId: "i-1", good: 1, damaged: 1 }], "north-west", lines, later);
    expect(change.view).toMatchObject({
      returnStatus: "RECEIVED",
      received: [{ itemId: "i-1", good: 1, damaged: 1 }],
      receivingLocationId: "north-west",
      lines,
      updatedAt: later.at,
    });
    expect(change.takeEvents()).toEqual([{ type: "ReturnReceived" }]);
    expect(thrownReason(() => change.receive([{ itemId: "i-1", good: 1, damaged: 0 }], "north-west", undefined, later))).toBe(
      "RETURN_NOT_AWAITED",
    );
  });

  it("when received without a refund now, then the lines it had stay", () => {
    const change = OrderChange.create(newChange(), by);
    const lines = [{ action: 0, itemId: "i-1", quantity: 2, amountMinor: "-2160", taxMinor: "-160" }];
    change.confirm(lines, later);
    change.receive([{ itemId: "i-1", good: 2, damaged: 0 }], "north-east", undefined, later);
    expect(change.view.lines).toEqual(lines);
  });

  it("when a receipt names other items, an item twice, more than was returned, or nothing at all, then INVALID_ARGUMENT names the line", () => {
    const change = OrderChange.create(newChange({ actions: [back("i-1", 2)] }), by);
    const refused = (received: { itemId: string; good: number; damaged: number }[]) => fields(caught(() => change.checkReceipt(received)));
    expect(refused([{ itemId: "i-9", good: 1, damaged: 0 }])).toEqual(["lines[0].item_id"]);
    expect(
      refused([
        { itemId: "i-1", good: 1, damaged: 0 },
        { itemId: "i-1", good: 1, damaged: 0 },
      ]),
    ).toEqual(["lines[1].item_id"]);
    expect(refused([{ itemId: "i-1", good: 2, damaged: 1 }])).toEqual(["lines[0].good_quantity"]);
    expect(refused([{ itemId: "i-1", good: 0, damaged: 0 }])).toEqual(["lines"]);
    expect(() => change.checkReceipt([{ itemId: "i-1", good: 2, damaged: 0 }])).not.toThrow();
    expect(() => change.checkReceipt([{ itemId: "i-1", good: 0, damaged: 2 }])).not.toThrow();
  });

  it("when restored and changed, then the stored copy is untouched", () => {
    const stored = OrderChange.create(newChange(), by).view;
    const restored = OrderChange.restore(stored);
    restored.confirm([{ action: 0, itemId: "i-1", quantity: 2, amountMinor: "0", taxMinor: "0" }], later);
    restored.stored(2, later.at);
    expect(stored).toMatchObject({ status: "REQUESTED", lines: [], version: 1 });
    expect(restored.view).toMatchObject({ status: "CONFIRMED", version: 2, updatedAt: later.at });
  });
});

describe("what a change's refusals say, and what it keeps", () => {
  const details = (act: () => unknown) => (caught(act) as { violations: unknown }).violations;

  it("names the change or the return, and where it stands", () => {
    expect(details(() => transitionChange("c-9", "DECLINED", "CONFIRMED"))).toEqual([
      { type: "CHANGE_STATUS", subject: "changes/c-9", description: "is DECLINED" },
    ]);
    expect(details(() => transitionReturn("c-9", "RECEIVED", "CANCELED"))).toEqual([
      { type: "RETURN_STATUS", subject: "changes/c-9", description: "is RECEIVED" },
    ]);
    const claim = OrderChange.create(newChange({ type: "CLAIM", actions: [claim1()], byCustomer: false }), by);
    claim.confirm([], later);
    expect(caught(() => claim.receive([{ itemId: "i-1", good: 1, damaged: 0 }], "north-east", undefined, later))).toMatchObject({
      message: "the return is not a return, not AWAITING_RECEIPT",
      violations: [{ type: "RETURN_STATUS", subject: "changes/c-1", description: "is none" }],
    });
    const back1 = OrderChange.create(newChange(), by);
    expect(caught(() => back1.receive([{ itemId: "i-1", good: 1, damaged: 0 }], "north-east", undefined, later))).toMatchObject({
      message: "the return is REQUESTED, not AWAITING_RECEIPT",
      violations: [{ type: "RETURN_STATUS", subject: "changes/c-1", description: "is REQUESTED" }],
    });
  });

  it("says what is wrong with each action and each received line", () => {
    const error = caught(() => OrderChange.create(newChange({ actions: [claim1(), back("i-1")] }), by)) as InvalidArgumentError;
    expect(error.violations).toEqual([
      { field: "actions[0]", description: "a RETURN change is made of RETURN_ITEM actions" },
      { field: "actions[1].item_id", description: "names an item an earlier action names; send one action per item" },
    ]);
    expect((caught(() => OrderChange.create(newChange({ actions: [] }), by)) as InvalidArgumentError).violations).toEqual([
      { field: "actions", description: "must hold at least one action" },
    ]);
    const change = OrderChange.create(newChange({ actions: [back("i-1", 2)] }), by);
    const lines = (received: { itemId: string; good: number; damaged: number }[]) =>
      (caught(() => change.checkReceipt(received)) as InvalidArgumentError).violations;
    expect(lines([{ itemId: "i-9", good: 1, damaged: 0 }])).toEqual([
      { field: "lines[0].item_id", description: "is not an item of this return" },
    ]);
    expect(
      lines([
        { itemId: "i-1", good: 1, damaged: 0 },
        { itemId: "i-1", good: 0, damaged: 1 },
      ]),
    ).toEqual([{ field: "lines[1].item_id", description: "is named twice" }]);
    expect(lines([{ itemId: "i-1", good: 2, damaged: 1 }])).toEqual([
      { field: "lines[0].good_quantity", description: "good and damaged add up to more than the 2 returned" },
    ]);
    expect(lines([{ itemId: "i-1", good: 0, damaged: 0 }])).toEqual([{ field: "lines", description: "must receive at least one unit" }]);
    const two = OrderChange.create(newChange({ actions: [back("i-1", 2), back("i-2", 1)] }), by);
    expect(() =>
      two.checkReceipt([
        { itemId: "i-1", good: 0, damaged: 0 },
        { itemId: "i-2", good: 1, damaged: 0 },
      ]),
    ).not.toThrow();
  });

  it("refuses a receipt that does not add up, before anything changes", () => {
    const change = OrderChange.create(newChange(), by);
    change.confirm([], later);
    expect(() => change.receive([{ itemId: "i-1", good: 3, damaged: 0 }], "north-east", undefined, later)).toThrow(InvalidArgumentError);
    expect(change.view.returnStatus).toBe("AWAITING_RECEIPT");
  });

  it("starts with nothing decided or received, and knows its id", () => {
    const change = OrderChange.create(newChange(), by);
    expect(change.id).toBe("c-1");
    expect(change.view).toMatchObject({ decisionReason: "", decidedBy: "", receivingLocationId: "", sellerIds: ["seller-north"] });
  });

  it("when a claim asked by a customer is declined, then there is no return to follow", () => {
    const change = OrderChange.create(newChange({ type: "CLAIM", actions: [claim1()] }), by);
    change.decline("not ours", later);
    expect(change.view).toMatchObject({ status: "DECLINED", returnStatus: "" });
  });

  it("when restored, then its lists are its own: changing what it shows or was made from changes nothing", () => {
    const made = newChange({ actions: [back("i-1", 2)], sellerIds: ["seller-north"] });
    const change = OrderChange.create(made, by);
    (made.actions as ChangeAction[]).push(back("i-2"));
    (made.sellerIds as string[]).push("seller-south");
    const view = change.view;
    view.actions.push(back("i-3"));
    expect(change.view.actions).toHaveLength(1);
    expect(change.view.sellerIds).toEqual(["seller-north"]);
    const stored = { ...view, actions: [back("i-1", 2)], lines: [], received: [] };
    const restored = OrderChange.restore(stored);
    stored.actions.push(back("i-4"));
    expect(restored.view.actions).toHaveLength(1);
  });
});

function claim1(): ChangeAction {
  return claim("i-1");
}

describe("an exchange", () => {
  const add = (productId: string, itemId = `new-${productId}`, variantId = ""): ChangeAction => ({
    kind: "ADD_ITEM",
    itemId,
    productId,
    variantId,
    quantity: 1,
    unitPriceMinor: "5900",
    sku: "S",
    name: "N",
    imageUrl: "",
    sellerId: "seller-north",
    variantAttributes: {},
  });

  it("when it takes back and sends out, then it is a return too: its return is REQUESTED, and only its returned units are received", () => {
    const change = OrderChange.create(newChange({ type: "EXCHANGE", actions: [back("i-1", 2), add("p-9")] }), by);
    expect(change.view).toMatchObject({ type: "EXCHANGE", status: "REQUESTED", returnStatus: "REQUESTED" });
    change.confirm([], later);
    expect(fields(caught(() => change.checkReceipt([{ itemId: "new-p-9", good: 1, damaged: 0 }])))).toEqual(["lines[0].item_id"]);
    change.receive([{ itemId: "i-1", good: 2, damaged: 0 }], "north-east", undefined, later);
    expect(change.view.returnStatus).toBe("RECEIVED");
  });

  it("when it only takes back, only sends out, or sends one product twice, then INVALID_ARGUMENT says which", () => {
    const exchange = (actions: ChangeAction[]) => caught(() => OrderChange.create(newChange({ type: "EXCHANGE", actions }), by));
    const only = exchange([back("i-1")]) as InvalidArgumentError;
    expect(only.violations).toEqual([
      { field: "actions", description: "an exchange takes back at least one item (return_item) and sends one (add_item)" },
    ]);
    expect(fields(exchange([add("p-9")]))).toEqual(["actions"]);
    expect(fields(exchange([back("i-1"), add("p-9", "a"), add("p-9", "b")]))).toEqual(["actions[2].add_item.product_id"]);
    expect(() =>
      OrderChange.create(newChange({ type: "EXCHANGE", actions: [back("i-1"), add("p-9", "a", "v-1"), add("p-9", "b", "v-2")] }), by),
    ).not.toThrow();
    expect(fields(caught(() => OrderChange.create(newChange({ actions: [back("i-1"), add("p-9")] }), by)))).toEqual(["actions[1]"]);
  });

  it("when its new items are not priced yet, then it is not made at all", () => {
    expect(() => OrderChange.create(newChange({ type: "EXCHANGE", actions: [back("i-1"), add("p-9", "")] }), by)).toThrow(
      "new items are priced first",
    );
  });
});
