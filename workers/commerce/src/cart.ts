import { DurableObject } from "cloudflare:workers";

/** One shopper's cart (named `${storeId}:${cartId}`). RPC methods only. */
export class Cart extends DurableObject<CommerceEnv> {}
