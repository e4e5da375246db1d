import { ProblemError, parseOrThrow, problem, type Result, textIssues } from "@oja/contracts";
import type { Context } from "hono";
import type { z } from "zod";
import type { GatewayEnv } from "./app-env.ts";

/**
 * Every string (and object key) that crosses the boundary must be storable (see
 * @oja/contracts text.ts): refused here, once, for every route, with a 422 naming each field.
 */
export function checkedText<T>(value: T, what: string): T {
	const issues = textIssues(value);
	if (issues.length > 0) {
		throw new ProblemError(
			problem("validation-failed", `The ${what} has text that cannot be accepted.`, {
				errors: issues.map((i) => ({ path: i.path.join("."), message: i.message, code: i.code })),
			}),
		);
	}
	return value;
}

/** Parses a JSON body: 415 if it is not JSON, 400 if it does not parse, 422 if it fails the schema. */
export async function jsonBody<S extends z.ZodType>(c: Context<GatewayEnv>, schema: S): Promise<z.output<S>> {
	const type = c.req.header("content-type") ?? "";
	if (!/^application\/(?:[\w.+-]+\+)?json\b/i.test(type)) {
		throw new ProblemError(problem("unsupported-media-type", "Send the body as application/json."));
	}
	let body: unknown;
	try {
		body = JSON.parse(await c.req.text());
	} catch {
		throw new ProblemError(problem("malformed-json", "The request body could not be parsed as JSON."));
	}
	return parseOrThrow(schema, checkedText(body, "request body"), "request body");
}

export function pathParams<S extends z.ZodType>(c: Context<GatewayEnv>, schema: S): z.output<S> {
	return parseOrThrow(schema, c.req.param(), "path");
}

/** Sends a domain Worker's Result: the value as JSON, or its problem (rendered by onError). */
export function sendResult<T>(c: Context<GatewayEnv>, result: Result<T>, status: 200 | 201 | 202 = 200): Response {
	if (!result.ok) throw new ProblemError(result.problem);
	return c.json(result.value as object, status);
}

/** The value of a domain Worker's Result, or its problem thrown for onError to render. */
export function unwrap<T>(result: Result<T>): T {
	if (!result.ok) throw new ProblemError(result.problem);
	return result.value;
}
