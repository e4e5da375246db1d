import { Hono } from "hono";
import { html, raw } from "hono/html";
import type { GatewayEnv } from "../app-env.ts";
import { openApiDocument } from "../openapi/registry.ts";

const INFO = {
	title: "Oja API",
	version: "0.1.0",
	description:
		"Edge-native commerce for merchants who sell through a storefront and WhatsApp. Errors are RFC 9457 problem+json with a requestId.",
};

let cached: string | undefined;

function documentJson(origin: string): string {
	// Routes register at module load, so the document is fixed per isolate (modulo origin).
	cached ??= JSON.stringify(openApiDocument(INFO, "__ORIGIN__"));
	return cached.replace('"__ORIGIN__"', JSON.stringify(origin));
}

function esc(text: string): string {
	return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** A self-contained reference page: no CDN scripts, so it works offline and under a strict CSP. */
function referencePage(doc: ReturnType<typeof openApiDocument>): string {
	const sections = Object.entries(doc.paths).flatMap(([path, ops]) =>
		Object.entries(ops).map(([method, op]) => {
			const o = op as {
				summary: string;
				description?: string;
				operationId: string;
				responses: Record<string, { description: string }>;
				requestBody?: unknown;
				parameters?: unknown[];
			};
			const responses = Object.entries(o.responses)
				.map(([status, r]) => `<li><code>${esc(status)}</code> ${esc(r.description)}</li>`)
				.join("");
			const schema = o.requestBody
				? `<details><summary>Request body schema</summary><pre>${esc(JSON.stringify(o.requestBody, null, 2))}</pre></details>`
				: "";
			const params = o.parameters
				? `<details><summary>Parameters</summary><pre>${esc(JSON.stringify(o.parameters, null, 2))}</pre></details>`
				: "";
			return `<section id="${esc(o.operationId)}"><h2><span class="m ${esc(method)}">${esc(method.toUpperCase())}</span> <code>${esc(path)}</code></h2><p>${esc(o.summary)}</p>${o.description ? `<p>${esc(o.description)}</p>` : ""}${params}${schema}<h3>Responses</h3><ul>${responses}</ul></section>`;
		}),
	);
	return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${esc(doc.info.title)} reference</title><style>body{font:16px/1.5 system-ui,sans-serif;max-width:60rem;margin:0 auto;padding:1rem}section{border-top:1px solid #ddd;padding:.5rem 0}.m{font:700 .8rem monospace;padding:.1rem .4rem;border-radius:.25rem;background:#eee}.post{background:#d1fae5}.get{background:#dbeafe}pre{background:#f6f8fa;padding:.5rem;overflow:auto}</style></head><body><h1>${esc(doc.info.title)} <small>${esc(doc.info.version)}</small></h1><p>${esc(doc.info.description)}</p><p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1).</p>${sections.join("")}</body></html>`;
}

export const docsRoutes = new Hono<GatewayEnv>()
	.get("/openapi.json", (c) => {
		return c.body(documentJson(new URL(c.req.url).origin), 200, {
			"content-type": "application/json; charset=utf-8",
			"cache-control": "public, max-age=300",
		});
	})
	.get("/docs", (c) => {
		const doc = openApiDocument(INFO, new URL(c.req.url).origin);
		return c.html(html`${raw(referencePage(doc))}`, 200, { "cache-control": "public, max-age=300" });
	});
