export { newOperatorCredentials } from "./operators.ts";
export { hashPassword, needsRehash, PBKDF2_ITERATIONS, timingSafeEqual, verifyPassword } from "./password.ts";
export * from "./permissions.ts";
export { generateSecretBoxKey, open as openSealed, seal } from "./secret-box.ts";
export * from "./tokens.ts";
export * from "./totp.ts";
