import { handle, ProblemError, problem, type StorefrontView, type StorefrontViewQuery, slug } from "@oja/contracts";
import { CUSTOM_DOMAIN_HEADER } from "@oja/edge-cache";
import type { Context } from "hono";
import { z } from "zod";
import type { StorefrontEnv } from "./app-env.ts";
import { unwrap } from "./http.ts";
import { ErrorPage } from "./pages/error.tsx";

// What every page handler shares: where the page is (platform path or custom domain), the
// catalog's one-statement page data, HTML error pages, and the same-origin rule for forms.

const PageParams = z.object({ slug, handle: handle.optional() });
export interface PageContext {
	slug: string;
	/** `/s/{slug}` on the platform host; "" on the store's own domain. */
	base: string;
	origin: string;
}

export function pageContext(c: Context<StorefrontEnv>): PageContext {
	const params = PageParams.safeParse(c.req.param());
	if (!params.success) throw new ProblemError(problem("not-found", "No such page."));
	const customDomain = c.req.header(CUSTOM_DOMAIN_HEADER) !== undefined;
	return { slug: params.data.slug, base: customDomain ? "" : `/s/${params.data.slug}`, origin: new URL(c.req.url).origin };
}

export async function view(c: Context<StorefrontEnv>, storeSlug: string, query: StorefrontViewQuery): Promise<StorefrontView> {
	const result = await c.env.CATALOG.storefrontView(storeSlug, query, { requestId: c.get("requestId") });
	if (result.ok) c.set("storeId", result.value.store.id);
	return unwrap(result);
}

/** Renders a page; a problem (unknown store or product, bad input) becomes an HTML error page. */
export async function htmlPage(c: Context<StorefrontEnv>, render: (page: PageContext) => Promise<Response>): Promise<Response> {
	try {
		return await render(pageContext(c));
	} catch (error) {
		if (!(error instanceof ProblemError) || error.problem.status >= 500) throw error;
		const retryAfter = error.problem.extensions?.retryAfter;
		if (typeof retryAfter === "number") c.header("retry-after", String(retryAfter));
		return c.html(<ErrorPage status={error.problem.status} title={error.problem.title} />, error.problem.status as 404);
	}
}

/**
 * Cart forms are plain POSTs, so a cross-site page could submit them; browsers say where a
 * request came from (Sec-Fetch-Site, Origin) and anything not same-origin is refused.
 */
export function assertSameOrigin(c: Context<StorefrontEnv>, page: PageContext): void {
	const site = c.req.header("sec-fetch-site");
	const origin = c.req.header("origin");
	if ((site && site !== "same-origin" && site !== "none") || (origin && origin !== page.origin)) {
		throw new ProblemError(problem("forbidden", "Cart changes must come from this store's own pages."));
	}
}

export async function formFields(c: Context<StorefrontEnv>): Promise<Record<string, string>> {
	const type = c.req.header("content-type") ?? "";
	if (!/^(application\/x-www-form-urlencoded|multipart\/form-data)\b/i.test(type)) {
		throw new ProblemError(problem("unsupported-media-type", "Send the form as application/x-www-form-urlencoded."));
	}
	const body = await c.req.parseBody().catch(() => {
		throw new ProblemError(problem("bad-request", "The form could not be read."));
	});
	return Object.fromEntries(Object.entries(body).flatMap(([k, v]) => (typeof v === "string" ? [[k, v.slice(0, 1000)]] : [])));
}
