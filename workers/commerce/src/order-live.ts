import { DurableObject } from "cloudflare:workers";

/** One order's live page: WebSocket clients get the current state, then every change. */
export class OrderLive extends DurableObject<CommerceEnv> {}
