import { hostKey, isPlatformHost, parseHostList } from "@oja/contracts";

// A merchant's own domain (shop.example.com) serves the same pages as /s/{slug}/…: the
// host → slug mapping lives in Workers KV (written by catalog's consumer when the store's
// domain is verified), and the request is rewritten before routing. Oja's own hosts and every
// name under them are never looked up, so no mapping can serve a store on api.oja.dev.

/** Set on a rewritten request (and stripped from every incoming one, so it cannot be forged). */
export const CUSTOM_DOMAIN_HEADER = "x-oja-custom-domain";

const HOST_READ_TTL_SECONDS = 60;
/** Paths that stay the platform's own on any host. */
const PLATFORM_PATHS = /^\/(?:v1\/|health|openapi\.json|docs|\.well-known\/)/;
const STORE_PATH = /^\/s(?:\/|$)/;

let platformHosts: string[] | undefined;

export async function routeCustomDomain(request: Request, env: GatewayBindings): Promise<Request> {
	const forged = request.headers.has(CUSTOM_DOMAIN_HEADER);
	const url = new URL(request.url);
	platformHosts ??= parseHostList(env.PLATFORM_HOSTS);
	// Mappings are keyed by the normalised name (no trailing dot, lowercase).
	const host = url.hostname.toLowerCase().replace(/\.$/, "");
	const strip = () => {
		if (!forged) return request;
		const clean = new Request(request);
		clean.headers.delete(CUSTOM_DOMAIN_HEADER);
		return clean;
	};
	if (isPlatformHost(host, platformHosts) || PLATFORM_PATHS.test(url.pathname)) return strip();
	const slug = await env.STOREFRONT_VERSIONS.get(hostKey(host), { cacheTtl: HOST_READ_TTL_SECONDS });
	if (!slug) return strip();
	// A store's domain serves that store only: /s/{any}/… there is not another store's page.
	url.pathname = STORE_PATH.test(url.pathname) ? "/s/-/not-found" : `/s/${slug}${url.pathname}`;
	const rewritten = new Request(url, request);
	rewritten.headers.set(CUSTOM_DOMAIN_HEADER, host);
	return rewritten;
}
