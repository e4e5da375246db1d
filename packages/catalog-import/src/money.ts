// Decimal major units ("15000.00") to integer minor units (1500000) by string arithmetic:
// the digits are moved, never multiplied as floats, so "0.29" is 29 and not 28.999….

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

const DECIMAL = /^(\d+)(?:\.(\d*))?$|^\.(\d+)$/;

/**
 * Parses a non-negative amount with at most two decimals into minor units of a currency with
 * `exponent` decimal places (2 for kobo; 0 for the CFA franc, where "1500.00" is 1500 but
 * "1500.50" is refused).
 */
export function majorToMinor(text: string, exponent = 2): Parsed<number> {
	const trimmed = text.trim();
	if (trimmed === "") return { ok: false, message: "A price is required" };
	if (trimmed.startsWith("-")) return { ok: false, message: "Prices cannot be negative" };
	const match = DECIMAL.exec(trimmed);
	if (!match) return { ok: false, message: `"${trimmed}" is not a decimal amount like 15000.00` };
	const whole = match[1] ?? "0";
	const fraction = match[2] ?? match[3] ?? "";
	if (fraction.length > 2) return { ok: false, message: `"${trimmed}" has more than 2 decimal places` };
	if (/[1-9]/.test(fraction.slice(exponent))) {
		return { ok: false, message: `"${trimmed}" has more decimal places than the store's currency (${exponent})` };
	}
	const digits = `${whole}${fraction.slice(0, exponent).padEnd(exponent, "0")}`.replace(/^0+(?=\d)/, "");
	if (digits.length > 16 || !Number.isSafeInteger(Number(digits))) {
		return { ok: false, message: `"${trimmed}" is too large` };
	}
	return { ok: true, value: Number(digits) };
}

/** Minor units back to a decimal string with two places (the inverse of majorToMinor). */
export function minorToMajor(minor: number): string {
	if (!Number.isSafeInteger(minor) || minor < 0) throw new RangeError(`not a non-negative safe integer: ${minor}`);
	const digits = String(minor).padStart(3, "0");
	return `${digits.slice(0, -2)}.${digits.slice(-2)}`;
}

/** A non-negative whole number ("12", and "12.0" as spreadsheets write it). */
export function wholeNumber(text: string, what: string, max: number): Parsed<number> {
	const trimmed = text.trim();
	const match = /^(\d+)(?:\.0*)?$/.exec(trimmed);
	if (!match) {
		return {
			ok: false,
			message: trimmed.startsWith("-") ? `${what} cannot be negative` : `"${trimmed}" is not a whole number`,
		};
	}
	const digits = (match[1] ?? "").replace(/^0+(?=\d)/, "");
	if (digits.length > 16 || Number(digits) > max) return { ok: false, message: `${what} must be at most ${max}` };
	return { ok: true, value: Number(digits) };
}
