// RFC 9457 problem details. Domain Workers return these as values over RPC (an Error thrown
// across a service binding loses its fields), and the gateway renders them as
// `application/problem+json` with the request id.

export interface FieldError {
	/** JSON-pointer-ish path into the input, e.g. "variants.0.price". */
	path: string;
	message: string;
	code: string;
}

export interface Problem {
	/** A stable machine-readable slug, rendered as the `type` URI. */
	type: ProblemType;
	status: number;
	title: string;
	detail?: string;
	errors?: FieldError[];
	/** Extra members (e.g. `retryAfter`) that clients may rely on. */
	extensions?: Record<string, unknown>;
}

export const PROBLEM_TYPES = {
	"bad-request": { status: 400, title: "Bad request" },
	"malformed-json": { status: 400, title: "Request body is not valid JSON" },
	"validation-failed": { status: 422, title: "Request failed validation" },
	unauthorized: { status: 401, title: "Authentication required" },
	forbidden: { status: 403, title: "Not allowed" },
	"not-found": { status: 404, title: "Not found" },
	"method-not-allowed": { status: 405, title: "Method not allowed" },
	conflict: { status: 409, title: "Conflict" },
	// A single-use link that was used already or has expired.
	gone: { status: 410, title: "Gone" },
	"payload-too-large": { status: 413, title: "Request body too large" },
	"unsupported-media-type": { status: 415, title: "Unsupported media type" },
	"upgrade-required": { status: 426, title: "Upgrade required" },
	"rate-limited": { status: 429, title: "Too many requests" },
	internal: { status: 500, title: "Internal error" },
	"service-unavailable": { status: 503, title: "Service unavailable" },
} as const satisfies Record<string, { status: number; title: string }>;

export type ProblemType = keyof typeof PROBLEM_TYPES;

export const PROBLEM_BASE_URI = "https://oja.dev/problems/";

export function problem(
	type: ProblemType,
	detail?: string,
	more: Partial<Pick<Problem, "errors" | "extensions" | "title">> = {},
): Problem {
	const known = PROBLEM_TYPES[type];
	return { type, status: known.status, title: more.title ?? known.title, detail, ...more };
}

/** Thrown inside a Worker and caught at its edge (gateway onError, or a domain RPC wrapper). */
export class ProblemError extends Error {
	readonly problem: Problem;
	constructor(p: Problem) {
		super(p.detail ?? p.title);
		this.name = "ProblemError";
		this.problem = p;
	}
}

/** What every domain RPC method returns: a value or a problem, never a thrown domain error. */
export type Result<T> = { ok: true; value: T } | { ok: false; problem: Problem };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = (p: Problem): Result<never> => ({ ok: false, problem: p });
