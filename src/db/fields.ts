import type { Opt } from "@mikro-orm/core";

/** An entity's own fields as plain data: no relations named in `Without`, no methods, no MikroORM brands. */
export type Fields<T, Without extends string> = {
  -readonly [
    K in keyof T as K extends Without ? never : K extends string ? (T[K] extends (...args: never[]) => unknown ? never : K) : never
  ]: T[K] extends Opt<infer U> ? U : T[K];
};

/** True when a table's fields (`Fields<...>`) are exactly the domain's, and every domain value fits its column. */
export type Holds<Table, Domain> = [keyof Table] extends [keyof Domain]
  ? [keyof Domain] extends [keyof Table]
    ? Domain extends Table
      ? true
      : false
    : false
  : false;

/** Fails to compile unless given `true`: for compile-time checks such as `Check<Holds<...>>`. */
export type Check<T extends true> = T;
