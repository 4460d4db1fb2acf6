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
  /** The placeholder of one written column, for an update's `set`: `?`, or `?::jsonb`. */
  placeholderOf(column: string): string;
  values(data: T & Record<string, unknown>): unknown[];
  /** A row of `alias` as a JSON object keyed by column, bigints as text so none loses precision. */
  jsonObject(alias: string): string;
  /** Rows of `alias` matching `where` as one JSON array column (`[]` for none), for a parent's select. */
  jsonArray(alias: string, where: string, orderBy: string): string;
  /** A row as read (from a query or a `jsonObject`), as the entity's field names and types. */
  fromRow(row: Row): T;
  /** The rows of a `jsonArray` column, which pg hands over parsed or as text. */
  fromJsonArray(value: unknown): T[];
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
  // p.json() columns report type "JsonType" and runtime type "any": the column type says it. pg would send a JS array as a PostgreSQL array.
  const isJson = (prop: EntityProperty) =>
    prop.runtimeType === "object" || prop.type === "json" || prop.columnTypes?.some((type) => type === "json" || type === "jsonb") === true;
  const isBigint = (prop: EntityProperty) => prop.runtimeType === "bigint";
  /** One reader per column, chosen once: rows are read on every call of the hot paths. */
  const readerOf = (prop: EntityProperty): ((value: unknown) => unknown) => {
    const column = `${meta.tableName}.${prop.fieldNames[0]}`;
    const convert: (value: unknown) => unknown =
      prop.runtimeType === "Date"
        ? (value) => (value instanceof Date ? value : new Date(value as string))
        : isBigint(prop)
          ? (value) => BigInt(value as string)
          : prop.runtimeType === "number"
            ? Number
            : isJson(prop)
              ? (value) => (typeof value === "string" ? (JSON.parse(value) as unknown) : value)
              : prop.enum && prop.items
                ? (value) => {
                    if (prop.items!.includes(value as string)) return value;
                    throw new CorruptRowError(`${column} holds ${JSON.stringify(value)}, not one of ${prop.items!.join(", ")}`);
                  }
                : (value) => value;
    return (value) => {
      if (value !== null && value !== undefined) return convert(value);
      if (prop.nullable) return null;
      throw new CorruptRowError(`${column} is null`);
    };
  };
  const readers = scalars.map((prop) => ({ name: prop.name, column: prop.fieldNames[0]!, read: readerOf(prop) }));
  const jsonObjects = new Map<string, string>();
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
    placeholderOf: (column) => (written.some((prop) => prop.fieldNames[0] === column && isJson(prop)) ? "?::jsonb" : "?"),
    values: (data) => written.map((prop) => write(prop, data[prop.name])),
    jsonObject(alias) {
      let sql = jsonObjects.get(alias);
      if (sql === undefined) {
        const pairs = scalars.map((prop) => `'${prop.fieldNames[0]}', ${alias}.${prop.fieldNames[0]}${isBigint(prop) ? "::text" : ""}`);
        jsonObjects.set(alias, (sql = `json_build_object(${pairs.join(", ")})`));
      }
      return sql;
    },
    jsonArray(alias, where, orderBy) {
      return `coalesce((select json_agg(${this.jsonObject(alias)} order by ${orderBy}) from ${meta.tableName} ${alias} where ${where}), '[]')`;
    },
    fromRow(row) {
      const data: Row = {};
      for (const { name, column, read } of readers) data[name] = read(row[column]);
      return data;
    },
    fromJsonArray(value) {
      const rows = (typeof value === "string" ? JSON.parse(value) : value) as Row[];
      return rows.map((row) => this.fromRow(row));
    },
    fromEntity(entity) {
      const data: Row = {};
      for (const prop of scalars) data[prop.name] = (entity as Row)[prop.name];
      return data;
    },
  };
}
