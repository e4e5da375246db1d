export { createDb, createSql, type Database, type DatabaseEnv } from "./client.ts";
export { isUniqueViolation, pgConstraint, pgErrorCode } from "./errors.ts";
export { type IdKind, isId, newId, ulid } from "./ids.ts";
export * as schema from "./schema/index.ts";
export { isVeto, unlessChanged, vetoReason } from "./veto.ts";
