export * from "./auth.ts";
export * from "./context.ts";
export * from "./fields.ts";
export * from "./identity.ts";
export * from "./problem.ts";
export * from "./rpc.ts";
export * from "./stores.ts";
export * from "./validation.ts";
