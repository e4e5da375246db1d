export * from "./accounts.ts";
export * from "./entries.ts";
export * from "./fees.ts";
