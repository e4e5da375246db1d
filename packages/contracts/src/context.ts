import type { Principal } from "./auth.ts";

/**
 * What the gateway hands every domain RPC call. Built only from the gateway's own
 * verification, never from client headers; domain Workers trust it because only the
 * gateway holds their service bindings.
 */
export interface RequestContext {
	requestId: string;
	/** Present on authenticated routes; only the gateway's verification sets it. */
	principal?: Principal;
}

/** Every domain Worker answers this for `/health/ready`. */
export interface Pingable {
	ping(): Promise<{ ok: true; worker: string }>;
}
