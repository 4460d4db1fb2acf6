import { getOption, hasOption, ScalarType, type DescField, type DescMessage } from "@bufbuild/protobuf";
import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";
import { max_items } from "../../../gen/shop/api/v1/limits_pb.js";
import type { FieldViolation } from "../errors/domain-errors.js";

/** A repeated field that declares no maximum (the contract test forbids it) holds at most this many. */
const UNDECLARED_MAX_ITEMS = 100;
/** JSON values that belong to no field (unknown keys, or arrays and objects where a scalar belongs). */
const MAX_STRAY_JSON_VALUES = 1_000;
/** Requests are a few levels deep; a document nested deeper than this is refused, not walked. */
const MAX_DEPTH = 32;

const maxItemsByField = new WeakMap<DescField, number>();

/** The most elements `field` may hold in a request: its `(shop.api.v1.max_items)` option. */
export function maxItemsOf(field: DescField): number {
  let max = maxItemsByField.get(field);
  // Reading an option decodes the field's options each time (microseconds); it is read once per field.
  if (max === undefined)
    maxItemsByField.set(field, (max = hasOption(field, max_items) ? getOption(field, max_items) : UNDECLARED_MAX_ITEMS));
  return max;
}

/**
 * Counts every repeated and map field of a request on the wire, before anything is decoded, and
 * returns one violation per field holding more than its maximum. The walk reads tags and lengths
 * only: elements past a field's maximum are skipped, never descended into, so the work and memory
 * are linear in the request's size with a small constant, whatever the request claims to hold.
 * Decoding it afterwards allocates at most what the maximums allow.
 */
export function countBinary(desc: DescMessage, bytes: Uint8Array): FieldViolation[] {
  if (!holdsLists(desc)) return [];
  const counts = new Counts();
  try {
    walkBinary(desc, new BinaryReader(bytes), bytes.length, "", counts, 0);
  } catch {
    // Bytes that are not protobuf: what was counted so far stands, and the decoder that follows refuses the rest.
  }
  return counts.violations();
}

/** The same count for a JSON request (Connect's JSON codec), read from its bytes without parsing them. */
export function countJson(desc: DescMessage, bytes: Uint8Array): FieldViolation[] {
  const counts = new Counts();
  new JsonWalk(bytes, counts).walk(desc);
  return counts.violations();
}

class Counts {
  private readonly byPath = new Map<string, { field: DescField; count: number }>();
  private readonly problems: FieldViolation[] = [];

  /** Adds `n` elements to the list or map at `path`; returns how many it holds now. */
  add(path: string, field: DescField, n: number): number {
    const seen = this.byPath.get(path);
    if (seen) return (seen.count += n);
    this.byPath.set(path, { field, count: n });
    return n;
  }

  problem(field: string, description: string): void {
    if (!this.problems.some((p) => p.field === field)) this.problems.push({ field, description });
  }

  violations(): FieldViolation[] {
    const over: FieldViolation[] = [];
    for (const [path, { field, count }] of this.byPath) {
      const max = maxItemsOf(field);
      if (count > max)
        over.push({
          field: path,
          description: `must hold at most ${max} ${field.fieldKind === "map" ? "entries" : "items"}; got ${count}`,
        });
    }
    return [...over, ...this.problems];
  }
}

const listsInside = new WeakMap<DescMessage, boolean>();

/** Whether a message (or one it holds) has a repeated or map field; most requests have none and skip the walk. */
function holdsLists(desc: DescMessage, visiting = new Set<DescMessage>()): boolean {
  const known = listsInside.get(desc);
  if (known !== undefined) return known;
  if (visiting.has(desc)) return false;
  visiting.add(desc);
  const holds = desc.fields.some(
    (field) =>
      field.fieldKind === "list" || field.fieldKind === "map" || (field.fieldKind === "message" && holdsLists(field.message, visiting)),
  );
  listsInside.set(desc, holds);
  return holds;
}

function child(path: string, name: string): string {
  return path ? `${path}.${name}` : name;
}

function walkBinary(desc: DescMessage, reader: BinaryReader, end: number, path: string, counts: Counts, depth: number): void {
  if (depth > MAX_DEPTH) return counts.problem(path, `is nested more than ${MAX_DEPTH} levels deep`);
  const names = fieldNames(desc);
  while (reader.pos < end) {
    // tag() and bytes() allocate per call; a field past its maximum is skipped by hand instead.
    const tag = reader.uint32();
    const no = tag >>> 3;
    const wireType = (tag & 7) as WireType;
    const field = desc.field[names.get(no) ?? ""];
    if (!field || wireType === WireType.StartGroup) {
      reader.skip(wireType, no);
      continue;
    }
    if (field.fieldKind === "list") {
      const at = child(path, field.name);
      if (field.listKind === "message" && wireType === WireType.LengthDelimited) {
        const count = counts.add(at, field, 1);
        if (count <= maxItemsOf(field) && holdsLists(field.message)) {
          const element = reader.bytes();
          walkBinary(field.message, new BinaryReader(element), element.length, `${at}[${count - 1}]`, counts, depth + 1);
        } else {
          skipLengthDelimited(reader);
          if (count > maxItemsOf(field)) counts.add(at, field, skipRun(reader, end, tag, wireType, no));
        }
      } else if (wireType === WireType.LengthDelimited && field.listKind !== "message" && isPacked(field.scalar)) {
        counts.add(at, field, packedCount(field.scalar, reader.bytes()));
      } else {
        reader.skip(wireType, no);
        if (counts.add(at, field, 1) > maxItemsOf(field)) counts.add(at, field, skipRun(reader, end, tag, wireType, no));
      }
    } else if (field.fieldKind === "map") {
      reader.skip(wireType, no);
      counts.add(child(path, field.name), field, 1);
    } else if (field.fieldKind === "message" && wireType === WireType.LengthDelimited && holdsLists(field.message)) {
      const nested = reader.bytes();
      walkBinary(field.message, new BinaryReader(nested), nested.length, child(path, field.name), counts, depth + 1);
    } else {
      reader.skip(wireType, no);
    }
  }
}

/**
 * Skips the elements that follow with the same tag and returns how many: a list already past its
 * maximum is only counted, in this tight loop (a 4 MiB request can hold two million empty elements).
 */
function skipRun(reader: BinaryReader, end: number, tag: number, wireType: WireType, no: number): number {
  let skipped = 0;
  while (reader.pos < end) {
    const at = reader.pos;
    if (reader.uint32() !== tag) {
      reader.pos = at;
      break;
    }
    if (wireType === WireType.LengthDelimited) skipLengthDelimited(reader);
    else reader.skip(wireType, no);
    skipped++;
  }
  return skipped;
}

function skipLengthDelimited(reader: BinaryReader): void {
  const length = reader.uint32();
  reader.pos += length;
  if (reader.pos > reader.len) throw new RangeError("premature EOF");
}

const namesByNumber = new WeakMap<DescMessage, Map<number, string>>();

function fieldNames(desc: DescMessage): Map<number, string> {
  let names = namesByNumber.get(desc);
  if (!names) namesByNumber.set(desc, (names = new Map(desc.fields.map((field) => [field.number, field.localName]))));
  return names;
}

/** Strings and bytes are never packed; enums and every other scalar may be. */
function isPacked(scalar: ScalarType | undefined): boolean {
  return scalar !== ScalarType.STRING && scalar !== ScalarType.BYTES;
}

function packedCount(scalar: ScalarType | undefined, data: Uint8Array): number {
  switch (scalar) {
    case ScalarType.FIXED32:
    case ScalarType.SFIXED32:
    case ScalarType.FLOAT:
      return Math.ceil(data.length / 4);
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
    case ScalarType.DOUBLE:
      return Math.ceil(data.length / 8);
    default: {
      // Varints (and enums, whose scalar is undefined): one element ends at each byte below 0x80.
      let count = 0;
      for (const byte of data) if (byte < 0x80) count++;
      return count;
    }
  }
}

/**
 * What the next JSON value is to the request: a message, a list or map field, nothing (a stray
 * value, counted), or an element past its list's maximum (walked for the count, not counted again:
 * the request is refused before anything parses it).
 */
type Slot =
  | { readonly kind: "message"; readonly desc: DescMessage; readonly path: string }
  | { readonly kind: "list"; readonly field: DescField & { fieldKind: "list" }; readonly path: string }
  | { readonly kind: "map"; readonly field: DescField & { fieldKind: "map" }; readonly path: string }
  | { readonly kind: "stray" | "skip"; readonly path: string };

type Frame = { readonly slot: Slot; readonly object: boolean };

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const MAX_KEY_BYTES = 256;

/**
 * A pushdown walk over JSON bytes: it tracks only where it is (which message, which list) and
 * counts, never building a value. Malformed JSON is left for the parser that follows to refuse;
 * the walk only has to end.
 */
class JsonWalk {
  private pos = 0;
  private stray = 0;
  private readonly decoder = new TextDecoder();

  constructor(
    private readonly bytes: Uint8Array,
    private readonly counts: Counts,
  ) {}

  walk(desc: DescMessage): void {
    const stack: Frame[] = [];
    let next: Slot | undefined = { kind: "message", desc, path: "" };
    const b = this.bytes;
    while (this.skipSpace() < b.length) {
      const c = b[this.pos]!;
      if (next) {
        const slot: Slot = next;
        next = undefined;
        if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
          if (stack.length >= MAX_DEPTH) return this.counts.problem(slot.path, `is nested more than ${MAX_DEPTH} levels deep`);
          stack.push({ slot, object: c === 0x7b });
          this.pos++;
          if (c === 0x5b && this.skipSpace() < b.length && b[this.pos] !== 0x5d) next = this.element(stack.at(-1)!);
          continue;
        }
        this.skipScalar();
        continue;
      }
      const top = stack.at(-1);
      if (!top) return;
      if (c === 0x2c /* , */) {
        this.pos++;
        if (!top.object) next = this.element(top);
      } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
        this.pos++;
        stack.pop();
      } else if (top.object && c === QUOTE) {
        const key = this.key();
        if (this.skipSpace() < b.length && b[this.pos] === 0x3a /* : */) this.pos++;
        next = this.member(top, key);
      } else {
        this.pos++;
      }
      if (this.stray > MAX_STRAY_JSON_VALUES) {
        return this.counts.problem(top.slot.path, `holds more than ${MAX_STRAY_JSON_VALUES} values that are not fields of the request`);
      }
    }
  }

  /** The slot of the next element of the array `frame`. */
  private element(frame: Frame): Slot {
    const { slot } = frame;
    if (slot.kind === "skip") return slot;
    if (slot.kind !== "list") {
      this.stray++;
      return { kind: "stray", path: slot.path };
    }
    const count = this.counts.add(slot.path, slot.field, 1);
    if (count > maxItemsOf(slot.field)) return { kind: "skip", path: slot.path };
    if (slot.field.listKind === "message") return { kind: "message", desc: slot.field.message, path: `${slot.path}[${count - 1}]` };
    return { kind: "stray", path: slot.path };
  }

  /** The slot of the value of member `key` of the object `frame`. */
  private member(frame: Frame, key: string | undefined): Slot {
    const { slot } = frame;
    if (slot.kind === "skip") return slot;
    if (slot.kind === "map") {
      this.counts.add(slot.path, slot.field, 1);
      const value = slot.field.mapKind === "message" ? slot.field.message : undefined;
      return value ? { kind: "message", desc: value, path: slot.path } : { kind: "stray", path: slot.path };
    }
    const field = slot.kind === "message" && key !== undefined ? fieldByJsonKey(slot.desc, key) : undefined;
    if (!field) {
      this.stray++;
      return { kind: "stray", path: slot.path };
    }
    const path = child(slot.path, field.name);
    if (field.fieldKind === "list") return { kind: "list", field, path };
    if (field.fieldKind === "map") return { kind: "map", field, path };
    if (field.fieldKind === "message") return { kind: "message", desc: field.message, path };
    return { kind: "stray", path };
  }

  private skipSpace(): number {
    const b = this.bytes;
    while (this.pos < b.length && (b[this.pos] === 0x20 || b[this.pos] === 0x0a || b[this.pos] === 0x0d || b[this.pos] === 0x09))
      this.pos++;
    return this.pos;
  }

  /** Past a string, number, true, false or null. */
  private skipScalar(): void {
    const b = this.bytes;
    if (b[this.pos] === QUOTE) {
      this.skipString();
      return;
    }
    while (this.pos < b.length) {
      const c = b[this.pos]!;
      if (c === 0x2c || c === 0x7d || c === 0x5d || c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) return;
      this.pos++;
    }
  }

  /** Past a string; returns its bytes between the quotes. */
  private skipString(): Uint8Array {
    const b = this.bytes;
    const start = ++this.pos;
    while (this.pos < b.length && b[this.pos] !== QUOTE) this.pos += b[this.pos] === BACKSLASH ? 2 : 1;
    const content = b.subarray(start, Math.min(this.pos, b.length));
    this.pos++;
    return content;
  }

  /** An object's key; undefined when it is too long to be a field's name. */
  private key(): string | undefined {
    const raw = this.skipString();
    if (raw.length > MAX_KEY_BYTES) return undefined;
    const text = this.decoder.decode(raw);
    if (!text.includes("\\")) return text;
    try {
      return JSON.parse(`"${text}"`) as string;
    } catch {
      return undefined;
    }
  }
}

const jsonKeys = new WeakMap<DescMessage, Map<string, DescField>>();

/** Protobuf JSON accepts a field by its JSON name or its proto name. */
function fieldByJsonKey(desc: DescMessage, key: string): DescField | undefined {
  let keys = jsonKeys.get(desc);
  if (!keys) {
    keys = new Map();
    for (const field of desc.fields) keys.set(field.jsonName, field).set(field.name, field);
    jsonKeys.set(desc, keys);
  }
  return keys.get(key);
}
