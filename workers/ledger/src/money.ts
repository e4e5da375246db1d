/**
 * A bigint amount as a JSON number, refused if it is not exactly representable. Every order
 * total is far below 2^53 (packages/contracts bounds); a balance beyond it would mean a store
 * holding ₦90 trillion, which is a bug to surface, not a number to round.
 */
export function exactMinor(amount: bigint): number {
	if (amount > BigInt(Number.MAX_SAFE_INTEGER) || amount < -BigInt(Number.MAX_SAFE_INTEGER)) {
		throw new RangeError("ledger amount beyond exact JSON range");
	}
	return Number(amount);
}
