// Token verification on its own: the same @oja/auth code the gateway runs per request
// (jose + WebCrypto ES256), timed in-process so the HTTP stack is not part of the number.
import { generateSigningJwk, loadSigningKeys, signAccessToken, verifyAccessToken } from "@oja/auth";

export interface MicroResult {
	name: string;
	iterations: number;
	p50Us: number;
	p99Us: number;
	where: string;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;

export async function measureTokenVerification(iterations = 5000): Promise<MicroResult> {
	const issuer = "https://oja.dev";
	const keys = await loadSigningKeys(JSON.stringify({ keys: [await generateSigningJwk("bench")] }));
	const token = await signAccessToken(keys, issuer, { sub: "usr_bench", sid: "ses_bench", aud: "merchant" });
	const options = { publicJwks: keys.publicJwks, issuer, audience: "merchant" as const };
	for (let i = 0; i < 200; i++) await verifyAccessToken(token, options);
	const samples: number[] = [];
	for (let i = 0; i < iterations; i++) {
		const started = performance.now();
		await verifyAccessToken(token, options);
		samples.push((performance.now() - started) * 1000);
	}
	samples.sort((a, b) => a - b);
	return {
		name: "verifyAccessToken (ES256, cached key)",
		iterations,
		p50Us: Math.round(percentile(samples, 0.5)),
		p99Us: Math.round(percentile(samples, 0.99)),
		where: `Node ${process.version}, in-process (the gateway runs the same code in workerd)`,
	};
}
