import { DurableObject } from "cloudflare:workers";

/** A store's merchant feed: new and changed orders of this store only. */
export class StoreFeed extends DurableObject<CommerceEnv> {}
