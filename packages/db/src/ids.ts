// Ids are prefixed ULIDs: safe to expose (no sequence to enumerate), sortable by creation
// time (good B-tree locality for inserts), and self-describing in logs ("st_…" is a store).
const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

export const ID_PREFIXES = {
	store: "st",
	user: "usr",
	membership: "mem",
	event: "evt",
	session: "ses",
	apiKey: "key",
	operator: "op",
	audit: "aud",
	storeAudit: "sau",
	customer: "cus",
	customerSession: "cs",
	product: "prd",
	variant: "var",
	adjustment: "adj",
	collection: "col",
	cart: "cart",
	order: "ord",
	orderLine: "oln",
	timeline: "otl",
	fulfilment: "ful",
	deliveryOption: "dlv",
	discount: "dsc",
	ledgerEntry: "led",
	payment: "pay",
	refund: "rfd",
	payout: "po",
	payoutAccount: "pac",
	reconciliationRun: "rec",
	conversation: "cnv",
	message: "msg",
	webhookEndpoint: "whe",
	webhookDelivery: "whd",
	email: "eml",
} as const;

export type IdKind = keyof typeof ID_PREFIXES;

let lastTime = 0;
let lastRandom: Uint8Array = new Uint8Array(10);

/** A 26-character ULID; monotonic within one isolate so ids minted in the same ms still sort. */
export function ulid(now: number = Date.now()): string {
	let random: Uint8Array;
	if (now === lastTime) {
		random = increment(lastRandom);
	} else {
		random = crypto.getRandomValues(new Uint8Array(10)) as Uint8Array;
	}
	lastTime = now;
	lastRandom = random;
	let time = "";
	let t = now;
	for (let i = 0; i < 10; i++) {
		time = CROCKFORD[t % 32] + time;
		t = Math.floor(t / 32);
	}
	return time + encodeRandom(random);
}

function increment(bytes: Uint8Array): Uint8Array {
	const next = new Uint8Array(bytes);
	for (let i = next.length - 1; i >= 0; i--) {
		const v = next[i] ?? 0;
		if (v < 255) {
			next[i] = v + 1;
			return next;
		}
		next[i] = 0;
	}
	return next;
}

function encodeRandom(bytes: Uint8Array): string {
	// 80 bits → 16 base32 characters.
	let bits = 0;
	let value = 0;
	let out = "";
	for (const byte of bytes) {
		value = (value << 8) | byte;
		bits += 8;
		while (bits >= 5) {
			out += CROCKFORD[(value >>> (bits - 5)) & 31];
			bits -= 5;
		}
		value &= (1 << bits) - 1;
	}
	return out;
}

export function newId(kind: IdKind): string {
	return `${ID_PREFIXES[kind]}_${ulid()}`;
}

const ID_PATTERN = /^[a-z]{2,4}_[0-9A-HJKMNP-TV-Z]{26}$/;

export function isId(kind: IdKind, value: string): boolean {
	return value.startsWith(`${ID_PREFIXES[kind]}_`) && ID_PATTERN.test(value);
}
