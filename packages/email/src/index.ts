export * from "./messages.ts";
export * from "./resend.ts";
export * from "./svix.ts";
export * from "./templates.ts";
