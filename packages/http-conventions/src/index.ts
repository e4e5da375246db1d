import { errorLogRecord, PROBLEM_BASE_URI, type Problem, ProblemError, problem } from "@oja/contracts";
import type { Context, ErrorHandler, MiddlewareHandler, NotFoundHandler } from "hono";
import { createMiddleware } from "hono/factory";
import { routePath } from "hono/route";

// The HTTP conventions every Oja Worker that answers the public shares, defined once: a request
// id on every response and one JSON log line per request, and every error as RFC 9457
// problem+json carrying that id, never a stack trace.

/** What these conventions read from and write to a Hono context. */
export interface ConventionsEnv {
	Variables: {
		requestId: string;
		/** Set by routes that resolve a store, so the request log line carries it. */
		storeId?: string;
	};
}

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

// A client (or an upstream proxy) may send its own id so logs can be joined across systems;
// anything that is not a short token is replaced rather than logged verbatim.
const ACCEPTABLE_REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

function newRequestId(): string {
	return `req_${crypto.randomUUID().replaceAll("-", "")}`;
}

/**
 * Assigns the request id (echoed as `x-request-id`) and writes exactly one structured log line
 * per request when it finishes: ids, route, status and timing, never the query or the body.
 * Workers Logs indexes JSON lines, so these are queryable by route, status and store.
 */
export function requestContext<E extends ConventionsEnv>(): MiddlewareHandler<E> {
	return createMiddleware<E>(async (c, next) => {
		const started = performance.now();
		const incoming = c.req.header("x-request-id");
		const requestId = incoming && ACCEPTABLE_REQUEST_ID.test(incoming) ? incoming : newRequestId();
		// The Worker's own env may narrow the variables further; these two are always theirs.
		const own = c as unknown as Context<ConventionsEnv>;
		own.set("requestId", requestId);
		try {
			await next();
		} finally {
			c.res.headers.set("x-request-id", requestId);
			console.log(
				JSON.stringify({
					level: c.res.status >= 500 ? "error" : "info",
					msg: "request",
					requestId,
					method: c.req.method,
					route: routePath(c),
					path: c.req.path,
					status: c.res.status,
					// Workers advance timers only across I/O (a Spectre mitigation): this is time spent waiting.
					durationMs: Math.round((performance.now() - started) * 100) / 100,
					storeId: own.get("storeId") ?? null,
				}),
			);
		}
	});
}

/** For hono's methodNotAllowed: 405 problem+json with the Allow header. */
export function methodNotAllowedProblem<E extends ConventionsEnv>(c: Context<E>, methods: string[]): Response {
	return problemResponse(
		problem("method-not-allowed", `${c.req.method} is not supported here; use ${methods.join(", ")}.`),
		requestIdOf(c),
		{ allow: methods.join(", ") },
	);
}

/** 413 problem+json, for hono's bodyLimit. */
export function payloadTooLargeProblem<E extends ConventionsEnv>(c: Context<E>, maxSize: number): Response {
	return problemResponse(problem("payload-too-large", `Bodies are limited to ${maxSize} bytes.`), requestIdOf(c));
}

export function notFoundProblem<E extends ConventionsEnv>(): NotFoundHandler<E> {
	return (c) => problemResponse(problem("not-found", `No route for ${c.req.method} ${c.req.path}.`), requestIdOf(c));
}

/**
 * A ProblemError is the answer it carries. Anything else is logged by name, codes and stack
 * frames (never the message, which can carry request data) and answered 500 without detail.
 */
export function errorProblem<E extends ConventionsEnv>(): ErrorHandler<E> {
	return (error, c) => {
		const requestId = requestIdOf(c);
		if (error instanceof ProblemError) return problemResponse(error.problem, requestId);
		logUnhandled(requestId, error);
		return problemResponse(problem("internal", "Something went wrong on our side. Quote the request id to support."), requestId);
	};
}

/** An unexpected failure's log line: name, codes and stack frames, never its message (it can carry request data). */
export function logUnhandled(requestId: string, error: unknown): void {
	console.error(JSON.stringify({ level: "error", msg: "unhandled", requestId, error: errorLogRecord(error) }));
}

export function requestIdOf<E extends ConventionsEnv>(c: Context<E>): string {
	// Unset only when a failure came before requestContext ran.
	return (c as unknown as Context<ConventionsEnv>).get("requestId") ?? "unknown";
}
