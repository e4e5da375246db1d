export * from "./accounts.ts";
export * from "./entries.ts";
export * from "./fees.ts";
export * from "./reconcile.ts";
