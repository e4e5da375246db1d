// Text Postgres can store: well-formed Unicode without NUL. Postgres rejects NUL in text and
// lone UTF-16 surrogates in text and json with an error, so every input is checked for both
// before any schema or SQL sees it: at the gateway for every route, and per line for imports
// (whose bodies stream past the gateway).

/** Deeper JSON than any contract needs is refused before a schema (or Postgres) walks it. */
export const MAX_INPUT_DEPTH = 32;
const MAX_TEXT_ISSUES = 20;

export interface TextIssue {
	path: (string | number)[];
	message: string;
	code: "invalid_text" | "too_deep";
}

/** Why a string cannot be stored, or undefined when it can. */
export function textProblem(text: string): string | undefined {
	if (text.includes("\u0000")) return "NUL characters are not allowed";
	if (!text.isWellFormed()) return "Text must be well-formed Unicode (no lone surrogates)";
	return undefined;
}

/**
 * Every string and object key in `value` that cannot be stored, and any nesting past
 * MAX_INPUT_DEPTH. Iterative, so a hostile value cannot exhaust the stack; stops after 20.
 */
export function textIssues(value: unknown): TextIssue[] {
	const issues: TextIssue[] = [];
	const stack: { value: unknown; path: (string | number)[] }[] = [{ value, path: [] }];
	while (stack.length > 0 && issues.length < MAX_TEXT_ISSUES) {
		const item = stack.pop() as { value: unknown; path: (string | number)[] };
		if (typeof item.value === "string") {
			const message = textProblem(item.value);
			if (message) issues.push({ path: item.path, message, code: "invalid_text" });
			continue;
		}
		if (typeof item.value !== "object" || item.value === null) continue;
		if (item.path.length >= MAX_INPUT_DEPTH) {
			issues.push({ path: item.path, message: `Nested deeper than ${MAX_INPUT_DEPTH} levels`, code: "too_deep" });
			continue;
		}
		const isArray = Array.isArray(item.value);
		for (const [key, child] of Object.entries(item.value)) {
			const keyProblem = textProblem(key);
			if (keyProblem) {
				issues.push({ path: item.path, message: `A key: ${keyProblem}`, code: "invalid_text" });
				continue;
			}
			stack.push({ value: child, path: [...item.path, isArray ? Number(key) : key] });
		}
	}
	return issues;
}
