import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { LockMode, type EntityManager, type MikroORM } from "@mikro-orm/postgresql";
import {
  InsufficientStockSchema,
  ReservationStatus,
  type InventoryService,
  type StockLine,
} from "../../../gen/shop/inventory/v1/inventory_pb.js";
import { StockReservation, type ReservationLine } from "../catalog.entity.js";
import { query } from "../../db/sql.js";
import { lineKey } from "../sellable.js";

const statusToProto = {
  HELD: ReservationStatus.HELD,
  COMMITTED: ReservationStatus.COMMITTED,
  RELEASED: ReservationStatus.RELEASED,
} as const;

/** Same product and variant twice becomes one line; sorted so concurrent reservations lock rows in one order. */
function normalize(lines: readonly StockLine[]): ReservationLine[] {
  const totals = new Map<string, ReservationLine>();
  for (const line of lines) {
    if (!line.productId || line.quantity <= 0) {
      throw new ConnectError("every line needs a product_id and a positive quantity", Code.InvalidArgument);
    }
    const key = lineKey(line);
    const total = totals.get(key)?.quantity ?? 0;
    totals.set(key, { productId: line.productId, variantId: line.variantId, quantity: total + line.quantity });
  }
  return [...totals].sort(([a], [b]) => a.localeCompare(b)).map(([, line]) => line);
}

/** Stock is kept per variant for products with variants, per product otherwise. */
function stockRow(line: ReservationLine): { table: string; where: string; params: string[] } {
  return line.variantId
    ? { table: "catalog_variants", where: "id = ? and product_id = ?", params: [line.variantId, line.productId] }
    : { table: "catalog_products", where: "id = ?", params: [line.productId] };
}

/** A line as the contract's Availability: what was asked, and what can be reserved now. */
async function availabilityOf(em: EntityManager, line: ReservationLine) {
  const row = stockRow(line);
  const [current] = await query<{ available: number }>(em, `select available from ${row.table} where ${row.where}`, row.params);
  return { productId: line.productId, variantId: line.variantId ?? "", requested: line.quantity, available: current?.available ?? 0 };
}

async function take(em: EntityManager, lines: readonly ReservationLine[]): Promise<void> {
  const shortages = [];
  for (const line of lines) {
    const row = stockRow(line);
    const rows = await query<{ available: number }>(
      em,
      `update ${row.table} set available = available - ?, reserved = reserved + ?
       where ${row.where} and available >= ? returning available`,
      [line.quantity, line.quantity, ...row.params, line.quantity],
    );
    if (rows.length === 0) {
      shortages.push(await availabilityOf(em, line));
    }
  }
  if (shortages.length) {
    throw new ConnectError("insufficient stock", Code.FailedPrecondition, undefined, [
      { desc: InsufficientStockSchema, value: { shortages } },
    ]);
  }
}

async function giveBack(em: EntityManager, lines: readonly ReservationLine[]): Promise<void> {
  for (const line of lines) {
    const row = stockRow(line);
    await query(em, `update ${row.table} set available = available + ?, reserved = reserved - ? where ${row.where}`, [
      line.quantity,
      line.quantity,
      ...row.params,
    ]);
  }
}

function toProto(reservation: Pick<StockReservation, "id" | "lines" | "status" | "createdAt">) {
  return {
    id: reservation.id,
    lines: reservation.lines,
    status: statusToProto[reservation.status],
    createTime: { seconds: BigInt(Math.floor(reservation.createdAt.getTime() / 1000)), nanos: 0 },
  };
}

/** The built-in Inventory service over the reference catalog tables. */
export function referenceInventoryService(orm: MikroORM): ServiceImpl<typeof InventoryService> {
  return {
    async checkAvailability(request) {
      const lines = normalize(request.lines);
      const em = orm.em.fork();
      const result = [];
      for (const line of lines) {
        result.push(await availabilityOf(em, line));
      }
      return { lines: result, allAvailable: result.every((l) => l.available >= l.requested) };
    },

    async reserveStock(request) {
      if (!request.reservationId) throw new ConnectError("reservation_id is required", Code.InvalidArgument);
      const lines = normalize(request.lines);
      return orm.em.fork().transactional(async (em) => {
        const inserted = await query<{ created_at: Date }>(
          em,
          `insert into catalog_reservations (id, lines, status, created_at, updated_at)
           values (?, ?, 'HELD', now(), now()) on conflict (id) do nothing returning created_at`,
          [request.reservationId, JSON.stringify(lines)],
        );
        // A new reservation is what was just written; only a retried one is read back.
        if (!inserted[0]) return { reservation: toProto(await em.findOneOrFail(StockReservation, { id: request.reservationId })) };
        await take(em, lines);
        return { reservation: toProto({ id: request.reservationId, lines, status: "HELD", createdAt: new Date(inserted[0].created_at) }) };
      });
    },

    async adjustReservation(request) {
      const lines = normalize(request.lines);
      return orm.em.fork().transactional(async (em) => {
        const reservation = await em.findOne(StockReservation, { id: request.reservationId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
        if (!reservation) throw new ConnectError(`reservation "${request.reservationId}" not found`, Code.NotFound);
        if (reservation.status !== "HELD") {
          throw new ConnectError(`reservation is ${reservation.status}`, Code.FailedPrecondition);
        }
        await giveBack(em, reservation.lines);
        await take(em, lines);
        reservation.lines = lines;
        reservation.updatedAt = new Date();
        return { reservation: toProto(reservation) };
      });
    },

    async releaseReservation(request) {
      if (!request.reservationId) throw new ConnectError("reservation_id is required", Code.InvalidArgument);
      await orm.em.fork().transactional(async (em) => {
        // Releasing an id never reserved leaves a RELEASED mark, so a reserve with that id that
        // was still on its way (its caller gave up waiting) takes nothing when it arrives.
        await query(
          em,
          `insert into catalog_reservations (id, lines, status, created_at, updated_at)
           values (?, '[]', 'RELEASED', now(), now()) on conflict (id) do nothing`,
          [request.reservationId],
        );
        const reservation = await em.findOne(StockReservation, { id: request.reservationId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
        if (reservation?.status !== "HELD") return;
        await giveBack(em, reservation.lines);
        reservation.status = "RELEASED";
        reservation.updatedAt = new Date();
      });
      return {};
    },

    async commitReservation(request) {
      await orm.em.fork().transactional(async (em) => {
        const reservation = await em.findOne(StockReservation, { id: request.reservationId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
        if (!reservation) throw new ConnectError(`reservation "${request.reservationId}" not found`, Code.NotFound);
        if (reservation.status === "COMMITTED") return;
        if (reservation.status !== "HELD") {
          throw new ConnectError(`reservation is ${reservation.status}`, Code.FailedPrecondition);
        }
        for (const line of reservation.lines) {
          const row = stockRow(line);
          await query(em, `update ${row.table} set reserved = reserved - ? where ${row.where}`, [line.quantity, ...row.params]);
        }
        reservation.status = "COMMITTED";
        reservation.updatedAt = new Date();
      });
      return {};
    },
  };
}
