import { hostKey } from "@oja/contracts";

// A merchant's own domain (shop.example.com) serves the same pages as /s/{slug}/…: the
// host → slug mapping lives in Workers KV (written by catalog's consumer when the store's
// domain setting changes), and the request is rewritten before routing.

/** Set on a rewritten request (and stripped from every incoming one, so it cannot be forged). */
export const CUSTOM_DOMAIN_HEADER = "x-oja-custom-domain";

const HOST_READ_TTL_SECONDS = 60;
/** Paths that stay the platform's own on any host. */
const PLATFORM_PATHS = /^\/(?:v1\/|health|openapi\.json|docs|\.well-known\/)/;
const STORE_PATH = /^\/s(?:\/|$)/;

let platformHosts: Set<string> | undefined;

export async function routeCustomDomain(request: Request, env: GatewayBindings): Promise<Request> {
	const forged = request.headers.has(CUSTOM_DOMAIN_HEADER);
	const url = new URL(request.url);
	platformHosts ??= new Set(
		(env.PLATFORM_HOSTS ?? "")
			.split(",")
			.map((h) => h.trim().toLowerCase())
			.filter(Boolean),
	);
	const host = url.hostname.toLowerCase();
	const strip = () => {
		if (!forged) return request;
		const clean = new Request(request);
		clean.headers.delete(CUSTOM_DOMAIN_HEADER);
		return clean;
	};
	if (platformHosts.has(host) || PLATFORM_PATHS.test(url.pathname)) return strip();
	const slug = await env.STOREFRONT_VERSIONS.get(hostKey(host), { cacheTtl: HOST_READ_TTL_SECONDS });
	if (!slug) return strip();
	// A store's domain serves that store only: /s/{any}/… there is not another store's page.
	url.pathname = STORE_PATH.test(url.pathname) ? "/s/-/not-found" : `/s/${slug}${url.pathname}`;
	const rewritten = new Request(url, request);
	rewritten.headers.set(CUSTOM_DOMAIN_HEADER, host);
	return rewritten;
}
