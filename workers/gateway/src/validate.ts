import { type FieldError, ProblemError, parseOrThrow, problem, type Result } from "@oja/contracts";
import type { Context } from "hono";
import type { z } from "zod";
import type { GatewayEnv } from "./app-env.ts";

/** Deeper JSON than any contract needs is refused before a schema (or Postgres) walks it. */
const MAX_DEPTH = 32;
const MAX_TEXT_ERRORS = 20;

function textProblem(text: string): string | undefined {
	if (text.includes("\u0000")) return "NUL characters are not allowed";
	if (!text.isWellFormed()) return "Text must be well-formed Unicode (no lone surrogates)";
	return undefined;
}

/**
 * Every string (and object key) that crosses the boundary must be storable: Postgres rejects
 * NUL and text/json with lone UTF-16 surrogates with an error, so both are refused here, once,
 * for every route, with a 422 naming each field. Walks iteratively with a depth bound so a
 * hostile body cannot exhaust the stack.
 */
export function checkedText<T>(value: T, what: string): T {
	const errors: FieldError[] = [];
	const stack: { value: unknown; path: string; depth: number }[] = [{ value, path: "", depth: 0 }];
	while (stack.length > 0 && errors.length < MAX_TEXT_ERRORS) {
		const item = stack.pop() as { value: unknown; path: string; depth: number };
		if (typeof item.value === "string") {
			const message = textProblem(item.value);
			if (message) errors.push({ path: item.path, message, code: "invalid_text" });
			continue;
		}
		if (typeof item.value !== "object" || item.value === null) continue;
		if (item.depth >= MAX_DEPTH) {
			errors.push({ path: item.path, message: `Nested deeper than ${MAX_DEPTH} levels`, code: "too_deep" });
			continue;
		}
		for (const [key, child] of Object.entries(item.value)) {
			const path = item.path ? `${item.path}.${key}` : key;
			const keyProblem = textProblem(key);
			if (keyProblem) {
				errors.push({ path: item.path, message: `A key: ${keyProblem}`, code: "invalid_text" });
				continue;
			}
			stack.push({ value: child, path, depth: item.depth + 1 });
		}
	}
	if (errors.length > 0) {
		throw new ProblemError(
			problem("validation-failed", `The ${what} has text that cannot be accepted.`, {
				errors,
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
export function sendResult<T>(c: Context<GatewayEnv>, result: Result<T>, status: 200 | 201 = 200): Response {
	if (!result.ok) throw new ProblemError(result.problem);
	return c.json(result.value as object, status);
}

/** The value of a domain Worker's Result, or its problem thrown for onError to render. */
export function unwrap<T>(result: Result<T>): T {
	if (!result.ok) throw new ProblemError(result.problem);
	return result.value;
}
