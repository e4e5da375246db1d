import { hostKey, isPlatformHost, parseHostList } from "@oja/contracts";
import { CUSTOM_DOMAIN_HEADER, normalisedHost, PLATFORM_PATHS, STORE_PATH } from "@oja/edge-cache";

// A merchant's own domain (shop.example.com) serves the same pages as /s/{slug}/…: the
// host → slug mapping lives in Workers KV (written by catalog's consumer when the store's
// domain is verified), and the request is rewritten before routing. Oja's own hosts and every
// name under them are never looked up, so no mapping can serve a store on api.oja.dev. The
// gateway forwards only storefront requests here (@oja/edge-cache routesToStorefront); the
// platform checks below stay so this Worker is safe whoever routes to it.

const HOST_READ_TTL_SECONDS = 60;

let platformHosts: string[] | undefined;

export async function routeCustomDomain(request: Request, env: StorefrontBindings): Promise<Request> {
	const forged = request.headers.has(CUSTOM_DOMAIN_HEADER);
	const url = new URL(request.url);
	platformHosts ??= parseHostList(env.PLATFORM_HOSTS);
	// Mappings are keyed by the normalised name (no trailing dot, lowercase).
	const host = normalisedHost(url);
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
