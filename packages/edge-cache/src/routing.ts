import { isPlatformHost } from "@oja/contracts";

// Which Worker answers a request. The gateway is the only Worker with routes; it keeps the API
// and forwards shopper pages to the storefront Worker over a service binding. Both ask these
// same questions, so a path cannot be the API's in one Worker and a page in the other.

/** Set by the storefront Worker on a request it rewrote from a custom domain (and stripped from every incoming one). */
export const CUSTOM_DOMAIN_HEADER = "x-oja-custom-domain";

/**
 * Paths that stay the platform's own (the gateway's) on any host. A new top-level gateway path
 * outside `/v1/` must be added here, or on a merchant's domain (and the tests' host) it would be
 * handed to the storefront Worker and answer 404.
 */
export const PLATFORM_PATHS = /^\/(?:v1\/|health|openapi\.json|docs|\.well-known\/|webhooks\/)/;
/** The shopper pages on a platform host. */
export const STORE_PATH = /^\/s(?:\/|$)/;
/** The merchant web app (the dashboard Worker) on a platform host; on a store's domain these are its shoppers' pages. */
export const DASHBOARD_PATH = /^\/account(?:\/|$)/;

/** The host as custom-domain mappings key it: lowercase, no trailing dot. */
export function normalisedHost(url: URL): string {
	return url.hostname.toLowerCase().replace(/\.$/, "");
}

/**
 * Whether a request is the storefront's: `/s/…` on any host, and everything on a host that is
 * not the platform's (a merchant's domain; an unmapped one gets the storefront's 404) except
 * the platform's own paths, which the gateway serves on every host.
 */
export function routesToStorefront(url: URL, platformHosts: readonly string[]): boolean {
	if (STORE_PATH.test(url.pathname)) return true;
	return !isPlatformHost(normalisedHost(url), platformHosts) && !PLATFORM_PATHS.test(url.pathname);
}

/** Whether a request is the dashboard's: `/account/…` on a platform host (call after routesToStorefront). */
export function routesToDashboard(url: URL, platformHosts: readonly string[]): boolean {
	return DASHBOARD_PATH.test(url.pathname) && isPlatformHost(normalisedHost(url), platformHosts);
}
