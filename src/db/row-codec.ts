import { ReferenceKind, type EntityManager, type EntityMetadata, type EntityName, type EntityProperty } from "@mikro-orm/core";

type Row = Record<string, unknown>;

/** A stored row that breaks its entity's rules: a bug or a hand edit, never the caller's fault. */
export class CorruptRowError extends Error {}

/**
 * Reads and writes one table's rows for the plain SQL of the hot paths, by the entity's
 * MikroORM metadata: no column is listed here or by the caller, so an entity and the SQL that
 * reads it cannot fall out of step. Rows are checked as they are read (enums, required values).
 */
export interface RowCodec<T> {
  readonly table: string;
  /** The columns an insert writes, in the order `values` gives them. */
  readonly columns: readonly string[];
  /** One row of an insert: `(?, ?, ?::jsonb, ...)`. */
  readonly placeholders: string;
  values(data: T & Record<string, unknown>): unknown[];
  /** A row of `alias` as a JSON object keyed by column, bigints as text so none loses precision. */
  jsonObject(alias: string): string;
  /** A row as read (from a query or a `jsonObject`), as the entity's field names and types. */
  fromRow(row: Row): T;
  /** A loaded entity's own fields, as plain data. */
  fromEntity(entity: object): T;
}

const cache = new WeakMap<EntityMetadata, RowCodec<unknown>>();

export function rowCodec<T>(em: EntityManager, entity: EntityName<object>): RowCodec<T> {
  const meta = em.getMetadata().get(entity);
  let codec = cache.get(meta);
  if (!codec) cache.set(meta, (codec = buildCodec(meta)));
  return codec as RowCodec<T>;
}

function buildCodec(meta: EntityMetadata): RowCodec<unknown> {
  const scalars = meta.props.filter(
    (prop) => prop.kind === ReferenceKind.SCALAR && prop.persist !== false && prop.fieldNames?.length === 1,
  );
  const references = meta.props.filter((prop) => prop.kind === ReferenceKind.MANY_TO_ONE && prop.fieldNames?.length === 1);
  const written = [...scalars.filter((prop) => !prop.autoincrement), ...references];
  const isJson = (prop: EntityProperty) => prop.runtimeType === "object" || prop.type === "json";
  const isBigint = (prop: EntityProperty) => prop.runtimeType === "bigint";
  const read = (prop: EntityProperty, value: unknown): unknown => {
    if (value === null || value === undefined) {
      if (prop.nullable) return null;
      throw new CorruptRowError(`${meta.tableName}.${prop.fieldNames[0]} is null`);
    }
    if (prop.runtimeType === "Date") return value instanceof Date ? value : new Date(value as string);
    if (isBigint(prop)) return BigInt(value as string);
    if (prop.runtimeType === "number") return Number(value);
    if (isJson(prop)) return typeof value === "string" ? JSON.parse(value) : value;
    if (prop.enum && prop.items && !prop.items.includes(value as string)) {
      throw new CorruptRowError(
        `${meta.tableName}.${prop.fieldNames[0]} holds ${JSON.stringify(value)}, not one of ${prop.items.join(", ")}`,
      );
    }
    return value;
  };
  /** An absent value takes the column's declared default, as an insert through the entity would. */
  const write = (prop: EntityProperty, value: unknown): unknown => {
    if (value === undefined) value = prop.default ?? null;
    if (value !== null && typeof value === "object" && "id" in value && prop.kind === ReferenceKind.MANY_TO_ONE) value = value.id;
    return isJson(prop) ? JSON.stringify(value) : value;
  };
  return {
    table: meta.tableName,
    columns: written.map((prop) => prop.fieldNames[0]!),
    placeholders: `(${written.map((prop) => (isJson(prop) ? "?::jsonb" : "?")).join(", ")})`,
    values: (data) => written.map((prop) => write(prop, data[prop.name])),
    jsonObject: (alias) =>
      `json_build_object(${scalars.map((prop) => `'${prop.fieldNames[0]}', ${alias}.${prop.fieldNames[0]}${isBigint(prop) ? "::text" : ""}`).join(", ")})`,
    fromRow(row) {
      const data: Row = {};
      for (const prop of scalars) data[prop.name] = read(prop, row[prop.fieldNames[0]!]);
      return data;
    },
    fromEntity(entity) {
      const data: Row = {};
      for (const prop of scalars) data[prop.name] = (entity as Row)[prop.name];
      return data;
    },
  };
}
