export type Category = "sales" | "support" | "other";

export type Intent =
	| { kind: "greeting" }
	| { kind: "browse"; query: string }
	| { kind: "price"; query: string | null }
	| { kind: "sizes"; query: string | null }
	| { kind: "availability"; query: string | null }
	| { kind: "add"; query: string | null; quantity: number }
	| { kind: "show_cart" }
	| { kind: "checkout" }
	| { kind: "order_status"; orderNumber: number | null }
	| { kind: "human" }
	| { kind: "thanks" }
	| { kind: "unknown" };

export type IntentKind = Intent["kind"];

export interface Classification {
	category: Category;
	intent: Intent;
	/** 0..1; below HANDOFF_CONFIDENCE the caller hands the chat to a human. */
	confidence: number;
}

export interface Classifier {
	classify(text: string): Promise<Classification>;
}

export const HANDOFF_CONFIDENCE = 0.5;

// Kept well under HANDOFF_CONFIDENCE so an unclassifiable message always reaches a person.
export const UNKNOWN_CONFIDENCE = 0.1;

export const INTENT_KINDS = [
	"greeting",
	"browse",
	"price",
	"sizes",
	"availability",
	"add",
	"show_cart",
	"checkout",
	"order_status",
	"human",
	"thanks",
	"unknown",
] as const satisfies readonly IntentKind[];

export function categoryOf(kind: IntentKind): Category {
	switch (kind) {
		case "browse":
		case "price":
		case "sizes":
		case "availability":
		case "add":
		case "show_cart":
		case "checkout":
			return "sales";
		case "order_status":
			return "support";
		default:
			return "other";
	}
}

export function unknownClassification(): Classification {
	return { category: "other", intent: { kind: "unknown" }, confidence: UNKNOWN_CONFIDENCE };
}

export const MIN_QUANTITY = 1;
export const MAX_QUANTITY = 99;

export function clampQuantity(n: number): number {
	if (!Number.isFinite(n)) return MIN_QUANTITY;
	return Math.min(MAX_QUANTITY, Math.max(MIN_QUANTITY, Math.trunc(n)));
}
