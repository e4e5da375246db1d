import type { Currency } from "./fields.ts";

// Money stays an integer count of minor units everywhere; these only turn it into text
// for people (pages, Open Graph tags), with integer/string arithmetic, never floats.

/** ISO 4217 minor-unit exponent: kobo are 1/100 of a naira; the CFA franc has no minor unit. */
export const CURRENCY_EXPONENT: Record<Currency, number> = { NGN: 2, GHS: 2, ZAR: 2, KES: 2, USD: 2, XOF: 0 };

const SYMBOL: Record<Currency, string> = { NGN: "₦", GHS: "GH₵", ZAR: "R", KES: "KSh ", USD: "$", XOF: "CFA " };

/** 1500000 NGN → "15000.00" (the decimal amount in major units, as Open Graph wants it). */
export function minorToDecimal(minor: number, currency: Currency): string {
	if (!Number.isSafeInteger(minor) || minor < 0) throw new RangeError(`not a non-negative safe integer: ${minor}`);
	const exponent = CURRENCY_EXPONENT[currency];
	if (exponent === 0) return String(minor);
	const digits = String(minor).padStart(exponent + 1, "0");
	return `${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`;
}

/** 1500000 NGN → "₦15,000"; 1500050 NGN → "₦15,000.50" (whole amounts drop the zeros). */
export function formatMoney(minor: number, currency: Currency): string {
	const [whole = "0", fraction] = minorToDecimal(minor, currency).split(".");
	const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
	const cents = fraction && /[1-9]/.test(fraction) ? `.${fraction}` : "";
	return `${SYMBOL[currency]}${grouped}${cents}`;
}
