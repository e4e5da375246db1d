import type { z } from "zod";
import { type FieldError, ProblemError, problem } from "./problem.ts";

export function zodIssuesToFieldErrors(issues: readonly z.core.$ZodIssue[]): FieldError[] {
	return issues.map((issue) => ({
		path: issue.path.map(String).join("."),
		message: issue.message,
		code: issue.code,
	}));
}

/** Parse or throw a 422 problem listing every issue; the caller has written nothing yet. */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, what = "request"): z.output<S> {
	const parsed = schema.safeParse(input);
	if (!parsed.success) {
		throw new ProblemError(
			problem("validation-failed", `The ${what} has ${parsed.error.issues.length} invalid field(s).`, {
				errors: zodIssuesToFieldErrors(parsed.error.issues),
			}),
		);
	}
	return parsed.data;
}
