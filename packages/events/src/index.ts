export * from "./consumer.ts";
export * from "./contracts.ts";
export * from "./keyed-serial.ts";
export * from "./outbox.ts";
export * from "./queue-body.ts";
export * from "./relay.ts";
export * from "./routing.ts";
