export { hashPassword, needsRehash, PBKDF2_ITERATIONS, timingSafeEqual, verifyPassword } from "./password.ts";
export * from "./permissions.ts";
export * from "./tokens.ts";
