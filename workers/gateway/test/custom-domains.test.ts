import { env } from "cloudflare:workers";
import { hostKey, storeVersionKey } from "@oja/contracts";
import {
	asMerchant as as,
	eventually,
	gatewayAt,
	jsonOf,
	problemOf,
	type StoreDomain,
	setDnsTxt,
	signUpMerchant,
	type TestMerchant,
	verifiedDomain,
} from "@oja/test-helpers";
import { describe, expect, it } from "vitest";

// Custom domains: a claim is pending (not served) until the store proves control of the
// domain with a DNS TXT record; the proof is re-checked periodically; Oja's own hosts can
// never be claimed or served as a store. DNS here is the sandbox scripts/test.ts started.

interface StoreBody {
	slug: string;
	name: string;
	customDomain: string | null;
	domain: StoreDomain | null;
}

const unique = () => `${Date.now().toString(36)}${Math.floor(Math.random() * 1e9).toString(36)}`;

const claim = (m: TestMerchant, customDomain: string | null) => as(m, "PATCH", `/v1/stores/${m.storeId}`, { customDomain });
const verify = (m: TestMerchant) => as(m, "POST", `/v1/stores/${m.storeId}/domain/verify`);
const storeOf = async (m: TestMerchant) => jsonOf<StoreBody>(await as(m, "GET", `/v1/stores/${m.storeId}`));

/** The store name the domain's home page shows, or undefined while it is not served. */
async function servedStore(domain: string): Promise<string | undefined> {
	const res = await gatewayAt(`https://${domain}/`);
	const html = await res.text();
	if (res.status !== 200) return undefined;
	return /<title>([^<]*)<\/title>/.exec(html)?.[1];
}

/** Waits until catalog's consumer has applied the store's latest settings event. */
async function settled(m: TestMerchant, before: string | null): Promise<void> {
	await eventually(
		async () => ((await env.STOREFRONT_VERSIONS.get(storeVersionKey(m.slug))) !== before ? true : undefined),
		10_000,
		"the store's settings event to be consumed",
	);
}

describe("custom domains", () => {
	it("refuses Oja's own hosts and every name under them, in any spelling, and writes nothing", async () => {
		const m = await signUpMerchant();
		for (const host of [
			"api.oja.dev",
			"Shop-x.OJA.dev",
			"oja.dev",
			"www.oja.dev",
			"OJA.DEV.",
			"api.oja.dev.",
			"ＡＰＩ．ｏｊａ．ｄｅｖ",
			"api。oja。dev",
			"deep.shop.oja.dev",
			"shop.localhost",
		]) {
			const problem = await problemOf(await claim(m, host), 422);
			expect(
				problem.errors?.map((e) => [e.path, e.code]),
				host,
			).toEqual([["customDomain", "reserved"]]);
		}
		expect((await problemOf(await claim(m, "oja.dev:443"), 422)).errors?.[0]?.path).toBe("customDomain");
		expect((await storeOf(m)).customDomain).toBeNull();

		// Even a mapping that exists (from before, or written by mistake) never serves a store
		// on a platform host.
		await env.STOREFRONT_VERSIONS.put(hostKey("api.oja.dev"), m.slug);
		await env.STOREFRONT_VERSIONS.put(hostKey("shop-x.oja.dev"), m.slug);
		for (const host of ["api.oja.dev", "Shop-x.OJA.dev", "shop-x.oja.dev."]) {
			const res = await gatewayAt(`https://${host}/`);
			expect(res.status, host).toBe(404);
			expect(res.headers.get("content-type"), host).toContain("application/problem+json");
		}
	});

	it("keeps a claim pending and unserved until the TXT record proves it, then serves it", async () => {
		const m = await signUpMerchant({ storeName: "Pending Proof" });
		const domain = `shop-${unique()}.example.ng`;
		const before = await env.STOREFRONT_VERSIONS.get(storeVersionKey(m.slug));
		const claimed = await jsonOf<StoreBody>(await claim(m, domain.toUpperCase()));
		expect(claimed.customDomain).toBe(domain);
		expect(claimed.domain).toMatchObject({
			name: domain,
			status: "pending",
			verification: { type: "TXT", name: `_oja-challenge.${domain}` },
			verifiedAt: null,
		});
		const record = claimed.domain?.verification as StoreDomain["verification"];
		expect(record.value).toMatch(/^oja-verify=[0-9a-f]{32}$/);

		// The claim's event has been consumed and still nothing is mapped or served.
		await settled(m, before);
		expect(await env.STOREFRONT_VERSIONS.get(hostKey(domain))).toBeNull();
		expect(await servedStore(domain)).toBeUndefined();

		// No record, or a record with someone else's token, proves nothing (and writes nothing).
		const missing = await problemOf(await verify(m), 422);
		expect(missing.errors).toEqual([expect.objectContaining({ path: "customDomain", code: "unverified" })]);
		expect(missing.detail).toContain(record.value);
		await setDnsTxt(record.name, ["oja-verify=00000000000000000000000000000000"]);
		await problemOf(await verify(m), 422);
		expect((await storeOf(m)).domain?.status).toBe("pending");
		expect(await servedStore(domain)).toBeUndefined();

		// Re-saving the same domain keeps the token the merchant already published.
		expect((await jsonOf<StoreBody>(await claim(m, domain))).domain?.verification.value).toBe(record.value);

		await setDnsTxt(record.name, ["v=spf1 -all", record.value]);
		const verified = await jsonOf<StoreDomain>(await verify(m));
		expect(verified).toMatchObject({ name: domain, status: "verified" });
		expect(verified.verifiedAt).not.toBeNull();
		expect(await eventually(() => servedStore(domain), 10_000, "the verified domain to be served")).toContain("Pending Proof");
	});

	it("unmaps a verified domain once a periodic re-check finds its record gone", async () => {
		const m = await signUpMerchant({ storeName: "Recheck Me" });
		const domain = `recheck-${unique()}.example.ng`;
		const proven = await verifiedDomain(m, domain);
		expect(proven.status).toBe("verified");
		await eventually(() => servedStore(domain), 10_000, "the domain to be served");

		// Still published: the re-check keeps it.
		await env.IDENTITY.recheckCustomDomains();
		expect((await storeOf(m)).domain?.status).toBe("verified");
		expect(await servedStore(domain)).toContain("Recheck Me");

		await setDnsTxt(proven.verification.name, []);
		const counts = await env.IDENTITY.recheckCustomDomains();
		expect(counts.failed).toBeGreaterThanOrEqual(1);
		expect((await storeOf(m)).domain).toMatchObject({ name: domain, status: "failed" });
		await eventually(
			async () => ((await servedStore(domain)) === undefined ? true : undefined),
			10_000,
			"the failed domain to stop being served",
		);
		expect(await env.STOREFRONT_VERSIONS.get(hostKey(domain))).toBeNull();

		// Publishing the record again and verifying brings it back.
		await setDnsTxt(proven.verification.name, [proven.verification.value]);
		expect((await jsonOf<StoreDomain>(await verify(m))).status).toBe("verified");
		expect(await eventually(() => servedStore(domain), 10_000, "the domain to be served again")).toContain("Recheck Me");
	});

	it("lets another store take a verified domain only by proving it after the holder's proof is gone", async () => {
		const holder = await signUpMerchant({ storeName: "First Holder" });
		const rival = await signUpMerchant({ storeName: "Second Claimant" });
		const domain = `taken-${unique()}.example.ng`;
		const held = await verifiedDomain(holder, domain);
		await eventually(() => servedStore(domain), 10_000, "the holder's domain to be served");

		// A claim is allowed (it proves nothing) but does not move the domain.
		const claimed = await jsonOf<StoreBody>(await claim(rival, domain));
		expect(claimed.domain?.status).toBe("pending");
		expect(claimed.domain?.verification.value).not.toBe(held.verification.value);
		const rivalRecord = claimed.domain?.verification as StoreDomain["verification"];
		await problemOf(await verify(rival), 422);
		expect(await servedStore(domain)).toContain("First Holder");

		// Both proofs published: the holder keeps it.
		await setDnsTxt(rivalRecord.name, [held.verification.value, rivalRecord.value]);
		const taken = await problemOf(await verify(rival), 409);
		expect(taken.errors?.[0]).toMatchObject({ path: "customDomain", code: "taken" });
		expect((await storeOf(holder)).domain?.status).toBe("verified");
		expect(await servedStore(domain)).toContain("First Holder");

		// Whoever controls the DNS replaced the holder's proof: the rival takes the domain over.
		await setDnsTxt(rivalRecord.name, [rivalRecord.value]);
		expect((await jsonOf<StoreDomain>(await verify(rival))).status).toBe("verified");
		expect((await storeOf(holder)).domain?.status).toBe("failed");
		expect(
			await eventually(
				async () => ((await servedStore(domain))?.includes("Second Claimant") ? servedStore(domain) : undefined),
				10_000,
				"the domain to serve the new holder",
			),
		).toContain("Second Claimant");

		// The old holder cannot take it back without the DNS.
		await problemOf(await verify(holder), 422);
		expect(await servedStore(domain)).toContain("Second Claimant");
	});
});
