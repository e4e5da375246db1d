/**
 * A store's platform fee on a sale: a percentage in basis points plus a fixed amount, capped.
 *
 * Rounding: the percentage part is rounded half-up to the whole minor unit (kobo), i.e.
 * ⌊(total × bps + 5,000) ÷ 10,000⌋; then the fixed part is added, the cap applied, and the
 * result never exceeds the order total (a ₦50 order cannot cost a ₦100 fixed fee). All in
 * bigint: no float ever touches money.
 */
export interface FeeSchedule {
	/** 0–10,000 (0%–100%). */
	bps: number;
	fixedMinor: bigint;
	/** The most one sale's fee may be. */
	capMinor: bigint;
}

export const MAX_FEE_BPS = 10_000;

export function platformFee(totalMinor: bigint, schedule: FeeSchedule): bigint {
	if (totalMinor < 0n) throw new RangeError("platformFee: negative total");
	if (!Number.isInteger(schedule.bps) || schedule.bps < 0 || schedule.bps > MAX_FEE_BPS) {
		throw new RangeError("platformFee: bps must be an integer in 0..10000");
	}
	if (schedule.fixedMinor < 0n || schedule.capMinor < 0n) throw new RangeError("platformFee: negative fee terms");
	const percentage = (totalMinor * BigInt(schedule.bps) + 5_000n) / 10_000n;
	let fee = percentage + schedule.fixedMinor;
	if (fee > schedule.capMinor) fee = schedule.capMinor;
	if (fee > totalMinor) fee = totalMinor;
	return fee;
}

/** The smaller of two amounts (Math.min does not take bigint). */
export function minMinor(a: bigint, b: bigint): bigint {
	return a < b ? a : b;
}
