export * from "./catalog.ts";
export * from "./commerce.ts";
export * from "./events.ts";
export * from "./identity.ts";
export * from "./ledger.ts";
export * from "./ops.ts";
