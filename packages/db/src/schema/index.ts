export * from "./events.ts";
export * from "./identity.ts";
