import type { PublicStore } from "@oja/contracts";
import { raw } from "hono/html";
import type { Child } from "hono/jsx";

// Storefront pages are server-rendered HTML that works without JavaScript: links and forms
// do everything, and the little script on product pages only makes the variant picker
// instant. Styles are inline (one request per page on a slow network) and mobile-first.

/** The pages' inline styles, exported for the CSP hash of pages that send one (the account pages). */
export const STYLES = `
*,*::before,*::after{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1b1b;background:#fafaf7}
a{color:#0b5d3b}
a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible{outline:3px solid #f2a900;outline-offset:2px}
.skip{position:absolute;left:-999px}.skip:focus{left:8px;top:8px;background:#fff;padding:8px;z-index:9}
header{background:#0b5d3b;color:#fff;padding:12px 16px}
header a{color:#fff;text-decoration:none}
.brand{font-size:1.25rem;font-weight:700}
.bar{display:flex;flex-wrap:wrap;gap:8px;align-items:center;justify-content:space-between}
search{display:block;flex:1 1 220px;max-width:420px}
search form{display:flex;gap:4px}
search input{flex:1;min-width:0;padding:8px;border-radius:6px;border:0;font-size:1rem}
button,.button{background:#f2a900;color:#1b1b1b;border:0;border-radius:6px;padding:10px 14px;font-size:1rem;font-weight:600;cursor:pointer;text-decoration:none;display:inline-block}
button:disabled{background:#ccc;cursor:not-allowed}
nav.collections{display:flex;gap:12px;overflow-x:auto;padding:8px 16px;background:#fff;border-bottom:1px solid #e5e5e0}
nav.collections a{white-space:nowrap}
main{padding:16px;max-width:1100px;margin:0 auto}
h1{font-size:1.5rem;margin:0 0 12px}
.grid{list-style:none;padding:0;margin:0;display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:12px}
.card{background:#fff;border:1px solid #e5e5e0;border-radius:8px;overflow:hidden;height:100%}
.card a{display:block;color:inherit;text-decoration:none;padding-bottom:8px}
.card img,.card .noimg{width:100%;aspect-ratio:1;object-fit:cover;background:#eee;display:block}
.card .t{padding:8px 8px 0;font-weight:600}
.card .p{padding:0 8px}
.price{font-weight:700}.was{text-decoration:line-through;color:#666;font-weight:400;margin-left:6px}
.badge{font-size:.85rem;padding:2px 6px;border-radius:4px;background:#e7f4ec;color:#0b5d3b}
.badge.low{background:#fff4d6;color:#7a5200}.badge.sold_out{background:#f3e1e1;color:#8a1c1c}
.product{display:grid;gap:16px}
@media(min-width:720px){.product{grid-template-columns:1fr 1fr}}
.product img{width:100%;border-radius:8px;background:#eee}
fieldset{border:1px solid #e5e5e0;border-radius:8px;margin:0 0 12px;padding:8px 12px}
legend{font-weight:600}
.opt{display:inline-flex;align-items:center;gap:4px;margin:4px 12px 4px 0}
.more{margin-top:16px;text-align:center}
footer{padding:24px 16px;color:#555;font-size:.9rem;text-align:center}
table{width:100%;border-collapse:collapse}td,th{padding:8px;border-bottom:1px solid #e5e5e0;text-align:left}
.js .nojs{display:none}
`;

export interface OpenGraph {
	title: string;
	description: string;
	url: string;
	image?: string;
	imageAlt?: string;
	type?: "website" | "product";
	price?: { amount: string; currency: string };
}

export interface LayoutProps {
	store: PublicStore;
	/** Where the store's pages live: `/s/{slug}` on the platform host, "" on a custom domain. */
	base: string;
	title: string;
	og: OpenGraph;
	query?: string;
	collections: { handle: string; title: string }[];
	/** More for <head> (the account pages' robots tag and their form's styles). */
	head?: Child;
	children: Child;
}

export function Layout({ store, base, title, og, query, collections, head, children }: LayoutProps) {
	return (
		<>
			{raw("<!doctype html>")}
			<html lang="en">
				<head>
					<meta charset="utf-8" />
					<meta name="viewport" content="width=device-width, initial-scale=1" />
					<title>{title}</title>
					<meta name="description" content={og.description} />
					<link rel="canonical" href={og.url} />
					<meta property="og:site_name" content={store.name} />
					<meta property="og:title" content={og.title} />
					<meta property="og:description" content={og.description} />
					<meta property="og:type" content={og.type ?? "website"} />
					<meta property="og:url" content={og.url} />
					{og.image ? <meta property="og:image" content={og.image} /> : null}
					{og.image && og.imageAlt ? <meta property="og:image:alt" content={og.imageAlt} /> : null}
					{og.price ? <meta property="product:price:amount" content={og.price.amount} /> : null}
					{og.price ? <meta property="product:price:currency" content={og.price.currency} /> : null}
					<meta name="twitter:card" content={og.image ? "summary_large_image" : "summary"} />
					<style>{raw(STYLES)}</style>
					{head}
				</head>
				<body>
					<a class="skip" href="#main">
						Skip to content
					</a>
					<header>
						<div class="bar">
							<a class="brand" href={`${base}/`}>
								{store.name}
							</a>
							<search class="search">
								<form action={`${base}/search`} method="get">
									<label for="q" class="skip">
										Search {store.name}
									</label>
									<input id="q" name="q" type="search" placeholder="Search products" value={query ?? ""} maxlength={100} />
									<button type="submit">Search</button>
								</form>
							</search>
							<a href={`${base}/cart`}>Cart</a>
						</div>
					</header>
					{collections.length > 0 ? (
						<nav class="collections" aria-label="Collections">
							{collections.map((c) => (
								<a href={`${base}/collections/${c.handle}`}>{c.title}</a>
							))}
						</nav>
					) : null}
					<main id="main">{children}</main>
					<footer>
						{store.name}
						{store.contact.phone ? (
							<>
								{" · "}
								<a href={`https://wa.me/${store.contact.phone.replace(/^\+/, "")}`}>WhatsApp {store.contact.phone}</a>
							</>
						) : null}
						{store.contact.email ? (
							<>
								{" · "}
								<a href={`mailto:${store.contact.email}`}>{store.contact.email}</a>
							</>
						) : null}
					</footer>
				</body>
			</html>
		</>
	);
}
