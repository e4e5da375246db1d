// Money display from integer minor units, exact at any size: all arithmetic is on bigint,
// so ₦ amounts beyond 2^53 kobo print digit for digit.

// ISO 4217 minor-unit exponents that differ from the usual 2.
const ZERO_DECIMAL = new Set([
	"BIF",
	"CLP",
	"DJF",
	"GNF",
	"ISK",
	"JPY",
	"KMF",
	"KRW",
	"PYG",
	"RWF",
	"UGX",
	"UYI",
	"VND",
	"VUV",
	"XAF",
	"XOF",
	"XPF",
]);
const THREE_DECIMAL = new Set(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"]);

function exponentOf(currency: string): number {
	if (ZERO_DECIMAL.has(currency)) return 0;
	if (THREE_DECIMAL.has(currency)) return 3;
	return 2;
}

function groupThousands(digits: string): string {
	let out = "";
	for (let i = 0; i < digits.length; i++) {
		if (i > 0 && (digits.length - i) % 3 === 0) out += ",";
		out += digits[i];
	}
	return out;
}

/**
 * Formats integer minor units: NGN as "₦12,500" (kobo shown only when non-zero: "₦12,500.50"),
 * other currencies as "GHS 12.50" with the ISO exponent's decimals. Negative amounts lead with
 * "-". Throws on a non-integer, a number beyond 2^53 (already inexact: pass a bigint), or a
 * currency that is not three letters.
 */
export function formatMoney(minor: number | bigint, currency: string): string {
	let amount: bigint;
	if (typeof minor === "bigint") {
		amount = minor;
	} else if (typeof minor === "number" && Number.isSafeInteger(minor)) {
		amount = BigInt(minor);
	} else {
		throw new RangeError(`formatMoney: amount must be an integer number of minor units, got ${String(minor)}`);
	}
	const code = typeof currency === "string" ? currency.toUpperCase() : "";
	if (!/^[A-Z]{3}$/.test(code)) throw new RangeError(`formatMoney: not an ISO 4217 currency code: ${String(currency)}`);

	const negative = amount < 0n;
	const abs = negative ? -amount : amount;
	const exponent = exponentOf(code);
	const scale = 10n ** BigInt(exponent);
	const major = groupThousands((abs / scale).toString());
	const fraction = exponent === 0 ? "" : (abs % scale).toString().padStart(exponent, "0");
	const sign = negative ? "-" : "";

	if (code === "NGN") {
		return `${sign}₦${major}${/^0*$/.test(fraction) ? "" : `.${fraction}`}`;
	}
	return `${sign}${code} ${major}${fraction === "" ? "" : `.${fraction}`}`;
}
