// Storefront cache versions live in Workers KV (binding STOREFRONT_VERSIONS), which every
// location reads cheaply. The gateway puts these tokens into its Cache API keys; catalog's
// cache consumer writes a fresh random token when something changes, so every location's
// cached copies stop matching at once (as soon as KV shows it the new token). A token is
// never reused, so a re-delivered event can only invalidate again, never resurrect old copies.

/** Store profile and settings (name, contact, stock-count display). */
export const storeVersionKey = (slug: string) => `v1:store:${slug}`;
/** Anything listed: product lists, collections, search results. */
export const listVersionKey = (slug: string) => `v1:list:${slug}`;
/** The collections navigation every page shows. */
export const navVersionKey = (slug: string) => `v1:nav:${slug}`;
/** One product's page. */
export const productVersionKey = (slug: string, handle: string) => `v1:product:${slug}:${handle}`;
/**
 * Verified custom domain → store slug. v2: v1 mappings were written for unverified claims,
 * so the gateway no longer reads them (catalog writes v2 only for verified domains).
 */
export const hostKey = (host: string) => `v2:host:${host.toLowerCase()}`;

/** The version a key has before anything has changed (no KV entry yet). */
export const INITIAL_VERSION = "0";

export function newVersionToken(): string {
	return `${Date.now().toString(36)}.${crypto.randomUUID().slice(0, 8)}`;
}
