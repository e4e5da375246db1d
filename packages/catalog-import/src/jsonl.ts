import type { ProductDraft } from "./draft.ts";
import { validateDraft } from "./draft.ts";
import type { Line } from "./lines.ts";

/** One JSON line: a product in the same shape as the POST /products body. */
export function jsonLineDraft(line: Line, defaultHandle: (title: string) => string): ProductDraft {
	const draft: ProductDraft = {
		firstRow: line.line,
		lastRow: line.line,
		variantCount: 1,
		handle: undefined,
		skus: [],
		input: undefined,
		errors: [],
		errorAt: (path, message) => ({
			row: line.line,
			...(path.length > 0 ? { path: path.map(String).join(".") } : {}),
			message,
		}),
	};
	let value: unknown;
	try {
		value = JSON.parse(line.text);
	} catch (error) {
		draft.errors.push({ row: line.line, message: `Not valid JSON: ${error instanceof Error ? error.message : String(error)}` });
		return draft;
	}
	if (value === null || typeof value !== "object" || Array.isArray(value)) {
		draft.errors.push({ row: line.line, message: "Each line must be one product object" });
		return draft;
	}
	const raw = value as { handle?: unknown; title?: unknown; variants?: unknown };
	if (Array.isArray(raw.variants)) {
		draft.variantCount = Math.max(1, raw.variants.length);
		draft.skus = raw.variants.map((v: unknown) =>
			v && typeof v === "object" && typeof (v as { sku?: unknown }).sku === "string"
				? (v as { sku: string }).sku.trim()
				: undefined,
		);
	}
	validateDraft(draft, value);
	if (typeof raw.handle === "string") draft.handle = raw.handle;
	else if (draft.input) draft.handle = draft.input.handle ?? defaultHandle(draft.input.title);
	return draft;
}
