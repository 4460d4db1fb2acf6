import { ScalarType, type DescEnum, type DescField, type DescMessage } from "@bufbuild/protobuf";
import fc from "fast-check";

/**
 * fast-check arbitraries for any protobuf message, from its descriptor: every field may be
 * absent or hold a hostile value (huge, negative, unknown enum numbers, odd unicode, deep
 * nesting cut at `depth`). The values are well-typed, so they reach the handlers.
 */
export function arbitraryMessage(desc: DescMessage, depth = 3): fc.Arbitrary<Record<string, unknown>> {
  const parts: Record<string, fc.Arbitrary<unknown>> = {};
  for (const member of desc.members) {
    if (member.kind === "oneof") {
      parts[member.localName] = fc.oneof(
        fc.constant(undefined),
        ...member.fields.map((field) => single(field, depth).map((value) => ({ case: field.localName, value }))),
      );
    } else {
      parts[member.localName] = value(member, depth);
    }
  }
  return fc.record(parts, { requiredKeys: [] });
}

function value(field: DescField, depth: number): fc.Arbitrary<unknown> {
  switch (field.fieldKind) {
    case "list": {
      const element =
        field.listKind === "message"
          ? nested(field.message, depth)
          : field.listKind === "enum"
            ? enumValue(field.enum)
            : scalar(field.scalar);
      return fc.array(element, { maxLength: depth > 0 ? 6 : 0 });
    }
    case "map": {
      const element =
        field.mapKind === "message"
          ? nested(field.message, depth)
          : field.mapKind === "enum"
            ? enumValue(field.enum)
            : scalar(field.scalar);
      return fc.dictionary(fc.string({ maxLength: 20 }), element, { maxKeys: 4 });
    }
    default:
      return single(field, depth);
  }
}

function single(field: DescField, depth: number): fc.Arbitrary<unknown> {
  if (field.fieldKind === "message") return nested(field.message, depth);
  if (field.fieldKind === "enum") return enumValue(field.enum);
  if (field.fieldKind === "scalar") return scalar(field.scalar);
  return fc.constant(undefined);
}

function nested(message: DescMessage, depth: number): fc.Arbitrary<unknown> {
  if (message.typeName === "google.protobuf.Timestamp")
    return fc.record({ seconds: fc.bigInt(-(2n ** 40n), 2n ** 40n), nanos: fc.integer({ min: -2, max: 1_000_000_001 }) });
  return depth > 0 ? arbitraryMessage(message, depth - 1) : fc.constant({});
}

const enumValue = (desc: DescEnum) => fc.oneof(fc.constantFrom(...desc.values.map((v) => v.number)), fc.integer({ min: -5, max: 1_000 }));

function scalar(type: ScalarType): fc.Arbitrary<unknown> {
  switch (type) {
    case ScalarType.STRING:
      return fc.oneof(
        fc.string({ maxLength: 40, unit: "grapheme" }),
        fc.string({ maxLength: 3_000 }),
        fc.constantFrom(
          "",
          " ",
          "prod-mug",
          "USD",
          "00000000-0000-0000-0000-000000000000",
          "' or 1=1 --",
          "\u0000",
          "<script>",
          "%00",
          "ORD-2026-000001",
        ),
      );
    case ScalarType.BOOL:
      return fc.boolean();
    case ScalarType.BYTES:
      return fc.uint8Array({ maxLength: 64 });
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
      return fc.bigInt(-(2n ** 63n), 2n ** 63n - 1n);
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return fc.bigInt(0n, 2n ** 64n - 1n);
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return fc.integer({ min: 0, max: 2 ** 32 - 1 });
    case ScalarType.FLOAT:
    case ScalarType.DOUBLE:
      return fc.double();
    default:
      return fc.oneof(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.integer({ min: -3, max: 1_000 }));
  }
}

/** Byte-level mutations of a valid encoded message: flips, cuts, insertions, repeats. */
export const mutatedBytes = (valid: Uint8Array) =>
  fc
    .array(
      fc.oneof(
        fc.record({ op: fc.constant("flip" as const), at: fc.nat(), bits: fc.integer({ min: 1, max: 255 }) }),
        fc.record({ op: fc.constant("cut" as const), at: fc.nat() }),
        fc.record({ op: fc.constant("insert" as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 12 }) }),
        fc.record({ op: fc.constant("repeat" as const), at: fc.nat(), length: fc.integer({ min: 1, max: 40 }) }),
      ),
      { minLength: 1, maxLength: 4 },
    )
    .map((mutations) => {
      let bytes = Buffer.from(valid);
      for (const m of mutations) {
        const at = bytes.length ? m.at % bytes.length : 0;
        if (m.op === "flip" && bytes.length) bytes[at] = bytes[at]! ^ m.bits;
        if (m.op === "cut") bytes = bytes.subarray(0, at);
        if (m.op === "insert") bytes = Buffer.concat([bytes.subarray(0, at), m.bytes, bytes.subarray(at)]);
        if (m.op === "repeat") bytes = Buffer.concat([bytes.subarray(0, at + m.length), bytes.subarray(at)]);
      }
      return bytes;
    });

/** Text mutations of a valid JSON body: the same idea for Connect's JSON. */
export const mutatedText = (valid: string) =>
  fc
    .array(
      fc.record({
        at: fc.nat(),
        cut: fc.integer({ min: 0, max: 8 }),
        insert: fc.constantFrom("", "{", "}", "[", "]", '"', ",", ":", "null", "1e999", "-", "\\u0000", "true", '"x":'),
      }),
      {
        minLength: 1,
        maxLength: 4,
      },
    )
    .map((mutations) =>
      mutations.reduce((text, m) => {
        const at = text.length ? m.at % text.length : 0;
        return text.slice(0, at) + m.insert + text.slice(at + m.cut);
      }, valid),
    );

/**
 * A valid request (made fresh by `valid`), as it is, or with one or two of its fields replaced
 * by a hostile value or dropped: inputs that mostly get past validation, so the use cases behind
 * it are fuzzed too.
 */
export function nearValid(valid: () => Record<string, unknown>, desc: DescMessage): fc.Arbitrary<Record<string, unknown>> {
  const names = desc.members.map((member) => member.localName);
  const bend = (count: number) =>
    fc.tuple(
      fc.subarray(names, { minLength: Math.min(count, names.length), maxLength: Math.min(count, names.length) }),
      arbitraryMessage(desc),
    );
  return fc
    .oneof({ weight: 2, arbitrary: bend(0) }, { weight: 1, arbitrary: bend(1) }, { weight: 1, arbitrary: bend(2) })
    .map(([bent, random]) => {
      const request = valid();
      for (const name of bent) {
        if (name in random) request[name] = random[name];
        else delete request[name];
      }
      return request;
    });
}
