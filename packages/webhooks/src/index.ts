export * from "./address.ts";
export * from "./retry.ts";
export * from "./signing.ts";
export * from "./verify.ts";
