import type { Opt } from "@mikro-orm/core";

/** An entity's own fields as plain data: no relations named in `Without`, no methods, no MikroORM brands. */
export type Fields<T, Without extends string> = {
  -readonly [
    K in keyof T as K extends Without ? never : K extends string ? (T[K] extends (...args: never[]) => unknown ? never : K) : never
  ]: T[K] extends Opt<infer U> ? U : T[K];
};
