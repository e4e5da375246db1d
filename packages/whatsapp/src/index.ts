// @oja/whatsapp: WhatsApp Cloud API, as Oja speaks it. Webhook signatures, Meta's envelopes read
// into Oja's messages, what Oja sends and its wire form, and one send through the Graph API.
export * from "./envelopes.ts";
export * from "./graph.ts";
export * from "./inbound.ts";
export * from "./outbound.ts";
export * from "./signature.ts";
export * from "./split.ts";
