import { PROBLEM_BASE_URI, type Problem } from "@oja/contracts";

export const PROBLEM_CONTENT_TYPE = "application/problem+json";

/** Renders a Problem as RFC 9457 JSON; the request id is always present so support can find the log line. */
export function problemResponse(p: Problem, requestId: string, headers: HeadersInit = {}): Response {
	const body: Record<string, unknown> = {
		type: `${PROBLEM_BASE_URI}${p.type}`,
		title: p.title,
		status: p.status,
		requestId,
	};
	if (p.detail !== undefined) body.detail = p.detail;
	if (p.errors && p.errors.length > 0) body.errors = p.errors;
	if (p.extensions) Object.assign(body, p.extensions);
	const h = new Headers(headers);
	h.set("content-type", PROBLEM_CONTENT_TYPE);
	h.set("cache-control", "no-store");
	const retryAfter = p.extensions?.retryAfter;
	if (typeof retryAfter === "number") h.set("retry-after", String(Math.max(1, Math.ceil(retryAfter))));
	return new Response(JSON.stringify(body), { status: p.status, headers: h });
}
