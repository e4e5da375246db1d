import { Hono } from "hono";
import { raw } from "hono/html";
import type { GatewayEnv } from "../app-env.ts";

// The platform host's front page: the first thing a newcomer opens, so it says what Oja is and
// where to go next. It stays in the gateway because it is the platform's page, not a shop's.
// `/` on any host that is not the platform's never reaches this route: the gateway hands it to
// the storefront Worker (index.ts), which serves a merchant's domain as its store's home page
// and answers an unmapped or unverified domain with a 404, so a domain that is not a store's
// yet does not look like an Oja page either.

const STYLES = `
*,*::before,*::after{box-sizing:border-box}
body{margin:0;font:16px/1.6 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1b1b;background:#fafaf7}
header{background:#0b5d3b;color:#fff;padding:24px 16px}
header h1{margin:0;font-size:1.75rem}
header p{margin:4px 0 0}
main{padding:16px;max-width:720px;margin:0 auto}
a{color:#0b5d3b}
a:focus-visible{outline:3px solid #f2a900;outline-offset:2px}
ul{padding-left:20px}
li{margin:8px 0}
code{background:#eee;padding:1px 4px;border-radius:4px}
.soon{color:#666}
footer{padding:24px 16px;color:#555;font-size:.9rem;text-align:center}
`;

/** The page is the same for everyone and changes only with a deploy. */
const CACHE_CONTROL = "public, max-age=300";

function HomePage() {
	return (
		<>
			{raw("<!doctype html>")}
			<html lang="en">
				<head>
					<meta charset="utf-8" />
					<meta name="viewport" content="width=device-width, initial-scale=1" />
					<title>Oja: commerce at the edge</title>
					<meta
						name="description"
						content="Oja is a multi-tenant commerce platform for merchants who sell through a storefront and WhatsApp."
					/>
					<style>{raw(STYLES)}</style>
				</head>
				<body>
					<header>
						<h1>Oja</h1>
						<p>Commerce for merchants who sell through a storefront and WhatsApp, running at the edge.</p>
					</header>
					<main>
						<p>
							Oja hosts many stores on one platform: a catalog with variants and stock, server-rendered storefront pages that work
							without JavaScript, on the platform or on a merchant's own domain, and a JSON API for merchants and headless
							storefronts.
						</p>
						<h2>Start here</h2>
						<ul>
							<li>
								<a href="/s/demo/">The demo storefront</a>: a store seeded with a small catalog, as a shopper sees it.
							</li>
							<li>
								<a href="/docs">The API reference</a>: every route, its input and its errors (
								<a href="/openapi.json">
									<code>/openapi.json</code>
								</a>{" "}
								for tools).
							</li>
							<li>
								<a href="/health/ready">
									<code>/health/ready</code>
								</a>
								: whether the platform and its database are up.
							</li>
							<li class="soon">The merchant dashboard is coming; until then merchants work through the API.</li>
						</ul>
					</main>
					<footer>Oja</footer>
				</body>
			</html>
		</>
	);
}

function isPlatformHost(env: GatewayBindings, host: string): boolean {
	// The same list index.ts uses to tell the platform's hosts from merchants' domains.
	return (env.PLATFORM_HOSTS ?? "").split(",").some((h) => h.trim().toLowerCase() === host);
}

export const homeRoutes = new Hono<GatewayEnv>().get("/", (c, next) => {
	if (!isPlatformHost(c.env, new URL(c.req.url).hostname.toLowerCase())) return next();
	return c.html(<HomePage />, 200, { "cache-control": CACHE_CONTROL });
});
