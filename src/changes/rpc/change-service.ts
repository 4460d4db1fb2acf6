import { create, type DescMessage, type DescMethodUnary, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import * as pb from "../../../gen/shop/order/v1/changes_pb.js";
import { mutateFulfilment } from "../../fulfilment/mutate-fulfilment.js";
import type { Order, OrderView } from "../../orders/domain/order.js";
import { mutateOrder, type MutationContext } from "../../orders/mutate-order.js";
import type { OrderDeps } from "../../orders/order-deps.js";
import { readerOf } from "../../orders/rpc/order-callers.js";
import { present } from "../../orders/rpc/order-change.js";
import { decodePageToken, encodePageToken } from "../../orders/page-token.js";
import { assertOrderVisible, findOrder } from "../../orders/store/order-queries.js";
import type { Principal } from "../../platform/auth/principal.js";
import { keepVisible, viewerOf } from "../../platform/auth/visibility.js";
import { FailedPreconditionError, InvalidArgumentError, NotFoundError } from "../../platform/errors/domain-errors.js";
import type { ScopedImpl } from "../../platform/rpc/rpc-chain.js";
import type { RpcScope } from "../../platform/rpc/rpc-scope.js";
import * as useCases from "../change-use-cases.js";
import { priceAdded } from "../exchange.js";
import type { OrderChange, OrderChangeView } from "../domain/order-change.js";
import { isOpen } from "../domain/change-status.js";
import { changeQueue, findChanges, orderOfChange } from "../store/change-queries.js";
import { CHANGE_VISIBILITY } from "./change-access.js";
import { changeToProto, previewToProto } from "./change-mapper.js";
import * as parse from "./change-requests.js";

function actorOf(principal: Principal): useCases.ChangeActor {
  const { sellerId, ownerId } = readerOf(principal);
  return { ...(sellerId === undefined ? {} : { sellerId }), customer: ownerId !== undefined };
}

type Step = (order: Order, context: MutationContext & Partial<Parameters<typeof useCases.receiveReturn>[3]>) => Promise<OrderChange>;

/**
 * Thin handlers: proto in, use case, proto out. Who may call each is CHANGE_ACCESS, checked by the
 * call chain; every answer is cleared of what CHANGE_VISIBILITY does not grant the caller.
 */
export function changeService(deps: OrderDeps): ScopedImpl<typeof pb.OrderChangeService> {
  const shown = <D extends DescMessage>(desc: D, message: MessageInitShape<D>, principal: Principal): MessageShape<D> =>
    keepVisible(CHANGE_VISIBILITY, desc, create(desc, message), viewerOf(principal));
  const currency = deps.pricing.currency;
  const changeProto = (change: OrderChangeView) => changeToProto(change, currency);

  /**
   * A step of a change, named by its method: idempotent by request id (per RPC, caller and the order
   * or change it names), then one locked transaction of the order in which the answer is recorded.
   * Receiving runs as a fulfilment change: its restock is recorded first, so a crash is tidied.
   */
  function step<I extends DescMessage, O extends DescMessage>(
    method: DescMethodUnary<I, O>,
    request: MessageShape<I>,
    scope: RpcScope,
    command: { requestId: string; orderId?: string; changeId?: string },
    use: Step,
    respond: (change: OrderChange, order: OrderView, principal: Principal) => MessageInitShape<O>,
    options: { stock?: boolean } = {},
  ): Promise<MessageShape<O>> {
    const reader = readerOf(scope.principal);
    const orderOf = async () => command.orderId ?? (await orderOfChange(scope.em, command.changeId!));
    const call = {
      rpc: method.name,
      caller: scope.principal.userId,
      parts: [command.orderId ?? command.changeId!, command.requestId],
      requestSchema: method.input,
      request,
      responseSchema: method.output,
      beforeReplay: async () => void (await assertOrderVisible(scope.em, await orderOf(), reader)),
    };
    return deps.idempotency.run(scope, call, async (record) => {
      const target = { orderId: await orderOf(), ...reader };
      let changed: OrderChange | undefined;
      const mutation = async (order: Order, context: MutationContext) => void (changed = await use(order, context));
      const beforeCommit = (tx: Parameters<typeof record>[0], order: OrderView) =>
        record(tx, shown(method.output, respond(changed!, order, scope.principal), scope.principal));
      if (options.stock) await mutateFulfilment(scope, deps, target, mutation, beforeCommit);
      else await mutateOrder(scope, deps, target, mutation, beforeCommit);
    });
  }

  return {
    createOrderChange(request, scope) {
      const command = parse.parseCreateChange(request);
      const actor = actorOf(scope.principal);
      if (actor.customer && command.type === "CLAIM") {
        throw new InvalidArgumentError([
          { field: "type", description: "customers ask for returns and exchanges; claims are made by staff" },
        ]);
      }
      return step(
        pb.OrderChangeService.method.createOrderChange,
        request,
        scope,
        command,
        async (order, context) => {
          useCases.checkOrderVersion(order, command.expectedVersion);
          return useCases.createChange(order, command, actor, context);
        },
        (change, order, principal) => {
          const preview = useCases.previewChange(order, change.view, { actor: scope.actor, at: change.view.createdAt }, deps.pricing);
          return { change: changeProto(change.view), preview: previewToProto(preview, present(principal)(preview.order), currency) };
        },
      );
    },

    async previewOrderChange(request, scope) {
      const query = parse.parsePreview(request);
      const order = await findOrder(scope.em, query.orderId, readerOf(scope.principal));
      let draft: useCases.NewChangeCommand;
      if ("draft" in query) {
        const actions = useCases.withReplacementIds(await priceAdded(query.draft.actions, order.currency, deps.catalog, scope.signal));
        draft = { ...query.draft, actions };
      } else {
        const change = (await findChanges(scope.em, order.id)).find((candidate) => candidate.id === query.changeId);
        if (!change) throw new NotFoundError("order change", query.changeId);
        if (!isOpen(change.status)) {
          throw new FailedPreconditionError("CHANGE_NOT_OPEN", `the change is ${change.status}; only open changes have a preview`, [
            { type: "CHANGE_STATUS", subject: `changes/${change.id}`, description: `is ${change.status}` },
          ]);
        }
        draft = change;
      }
      const preview = useCases.previewChange(order, draft, { actor: scope.actor, at: deps.clock.now() }, deps.pricing);
      const answer = { preview: previewToProto(preview, present(scope.principal)(preview.order), currency) };
      return shown(pb.PreviewOrderChangeResponseSchema, answer, scope.principal);
    },

    confirmOrderChange(request, scope) {
      const command = parse.parseConfirm(request);
      return step(
        pb.OrderChangeService.method.confirmOrderChange,
        request,
        scope,
        command,
        (order, context) => useCases.confirmChange(order, command, actorOf(scope.principal), context),
        (change, order, principal) => ({ change: changeProto(change.view), order: present(principal)(order) }),
      );
    },

    declineOrderChange(request, scope) {
      const command = parse.parseDecision(request, { reasonRequired: true });
      return step(
        pb.OrderChangeService.method.declineOrderChange,
        request,
        scope,
        command,
        (order, context) => useCases.declineChange(order, command, actorOf(scope.principal), context),
        (change) => ({ change: changeProto(change.view) }),
      );
    },

    cancelOrderChange(request, scope) {
      const command = parse.parseDecision(request, { reasonRequired: false });
      return step(
        pb.OrderChangeService.method.cancelOrderChange,
        request,
        scope,
        command,
        (order, context) => useCases.cancelChange(order, command, actorOf(scope.principal), context),
        (change) => ({ change: changeProto(change.view) }),
      );
    },

    receiveReturn(request, scope) {
      const command = parse.parseReceive(request);
      return step(
        pb.OrderChangeService.method.receiveReturn,
        request,
        scope,
        command,
        (order, context) =>
          useCases.receiveReturn(order, command, actorOf(scope.principal), context as Parameters<typeof useCases.receiveReturn>[3]),
        (change, order, principal) => ({ change: changeProto(change.view), order: present(principal)(order) }),
        { stock: true },
      );
    },

    async getOrderChange(request, scope) {
      const changeId = parse.parseChangeId(request.changeId);
      const orderId = await orderOfChange(scope.em, changeId);
      await assertOrderVisible(scope.em, orderId, readerOf(scope.principal));
      const change = (await findChanges(scope.em, orderId)).find((candidate) => candidate.id === changeId)!;
      const { sellerId } = actorOf(scope.principal);
      if (sellerId !== undefined && !change.sellerIds.includes(sellerId)) throw new NotFoundError("order change", changeId);
      return shown(pb.GetOrderChangeResponseSchema, { change: changeProto(change) }, scope.principal);
    },

    async listOrderChanges(request, scope) {
      const query = parse.parseListChanges(request);
      const actor = actorOf(scope.principal);
      if (actor.customer && !query.orderId) {
        throw new InvalidArgumentError([
          { field: "order_id", description: "is required: a customer lists the changes of one of its orders" },
        ]);
      }
      if (query.orderId) await assertOrderVisible(scope.em, query.orderId, readerOf(scope.principal));
      const filters = {
        statuses: query.statuses,
        ...(actor.sellerId === undefined ? {} : { sellerId: actor.sellerId }),
        orderId: query.orderId,
      };
      const after = query.pageToken ? decodePageToken(query.pageToken, filters) : undefined;
      if (typeof after === "string") throw new InvalidArgumentError([{ field: "page_token", description: after }]);
      const page = await changeQueue(scope.em, filters, query.pageSize + 1, after);
      const changes = page.slice(0, query.pageSize);
      const last = changes.at(-1);
      const answer = {
        changes: changes.map(changeProto),
        nextPageToken: page.length > query.pageSize && last ? encodePageToken(last, filters) : "",
      };
      return shown(pb.ListOrderChangesResponseSchema, answer, scope.principal);
    },
  };
}
