import { sha256Hex } from "@oja/auth";
import { newId, schema } from "@oja/db";
import { asMerchant, gateway, jsonOf, problemOf, signUpMerchant, testDb } from "@oja/test-helpers";
import { asc, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";

// Issue 8, defect 6: a leaked secret key must not outlive its revocation, and key kinds
// mean what they say. Team and key management need a signed-in person; every team and key
// change leaves a store_audit_log row naming the user and the session it came from.

const sidOf = (token: string) =>
	(JSON.parse(atob((token.split(".")[1] ?? "").replace(/-/g, "+").replace(/_/g, "/"))) as { sid: string }).sid;

const withKey = (key: string, method: string, path: string, body?: unknown) =>
	gateway(path, {
		method,
		headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
		body: body === undefined ? undefined : JSON.stringify(body),
	});

async function counts(storeId: string) {
	const db = testDb();
	return {
		members: (await db.select().from(schema.memberships).where(eq(schema.memberships.storeId, storeId))).length,
		keys: (await db.select().from(schema.apiKeys).where(eq(schema.apiKeys.storeId, storeId))).map((k) => [k.id, k.revokedAt]),
		audit: (await db.select().from(schema.storeAuditLog).where(eq(schema.storeAuditLog.storeId, storeId))).length,
	};
}

describe("a secret key cannot manage the team or the keys", () => {
	it("an admin sk_live_ key gets 403 person-required on every team and key change, and nothing is written", async () => {
		const owner = await signUpMerchant();
		const colleague = await signUpMerchant();
		const key = await jsonOf<{ id: string; key: string }>(
			await asMerchant(owner, "POST", `/v1/stores/${owner.storeId}/api-keys`, { name: "integration", role: "admin" }),
			201,
		);
		const ownerId = (await jsonOf<{ user: { id: string } }>(await asMerchant(owner, "GET", "/v1/auth/me"))).user.id;
		const before = await counts(owner.storeId);
		const attempts: [string, string, unknown?][] = [
			["POST", `/v1/stores/${owner.storeId}/members`, { email: colleague.email, role: "staff" }],
			["DELETE", `/v1/stores/${owner.storeId}/members/${ownerId}`],
			["POST", `/v1/stores/${owner.storeId}/api-keys`, { name: "successor", role: "admin" }],
			["GET", `/v1/stores/${owner.storeId}/api-keys`],
			["DELETE", `/v1/stores/${owner.storeId}/api-keys/${key.id}`],
		];
		for (const [method, path, body] of attempts) {
			const problem = await problemOf(await withKey(key.key, method, path, body), 403);
			expect(problem.code, `${method} ${path}`).toBe("person-required");
		}
		expect(await counts(owner.storeId)).toEqual(before);
		// It still does what a key is for.
		expect((await withKey(key.key, "GET", `/v1/stores/${owner.storeId}`)).status).toBe(200);
		expect((await withKey(key.key, "GET", `/v1/stores/${owner.storeId}/members`)).status).toBe(200);
		// Revoked by the owner, it stops, and it left no successor behind.
		expect((await asMerchant(owner, "DELETE", `/v1/stores/${owner.storeId}/api-keys/${key.id}`)).status).toBe(204);
		await problemOf(await withKey(key.key, "GET", `/v1/stores/${owner.storeId}`), 401);
		const live = await jsonOf<{ apiKeys: unknown[] }>(await asMerchant(owner, "GET", `/v1/stores/${owner.storeId}/api-keys`));
		expect(live.apiKeys).toEqual([]);
	});
});

describe("key kinds", () => {
	it("creates only sk_live_ keys; publishable and test-mode keys are refused with 422 naming the field", async () => {
		const owner = await signUpMerchant();
		const created = await jsonOf<{ key: string; kind: string; mode: string }>(
			await asMerchant(owner, "POST", `/v1/stores/${owner.storeId}/api-keys`, { name: "default", role: "staff" }),
			201,
		);
		expect(created.key).toMatch(/^sk_live_/);
		expect([created.kind, created.mode]).toEqual(["secret", "live"]);
		const before = await counts(owner.storeId);
		for (const [field, body] of [
			["kind", { name: "pk", kind: "publishable" }],
			["mode", { name: "test", role: "staff", mode: "test" }],
		] as const) {
			const problem = await problemOf(await asMerchant(owner, "POST", `/v1/stores/${owner.storeId}/api-keys`, body), 422);
			expect(problem.errors?.map((e) => e.path)).toContain(field);
		}
		expect(await counts(owner.storeId)).toEqual(before);
	});

	it("refuses test-mode and publishable keys without a lookup, and the database keeps them from being active", async () => {
		const owner = await signUpMerchant();
		const oldKey = `sk_test_${"a".repeat(43)}`;
		// A key of a removed kind, as migration 0011 left it: revoked.
		await testDb()
			.insert(schema.apiKeys)
			.values({
				id: newId("apiKey"),
				storeId: owner.storeId,
				name: "old test key",
				kind: "secret",
				mode: "test",
				role: "admin",
				prefix: oldKey.slice(0, 12),
				tokenHash: await sha256Hex(oldKey),
				revokedAt: new Date(),
			});
		for (const key of [oldKey, `pk_live_${"b".repeat(43)}`, `pk_test_${"c".repeat(43)}`]) {
			const problem = await problemOf(await withKey(key, "GET", `/v1/stores/${owner.storeId}`), 401);
			expect(problem.code).toBe("api-key-kind-removed");
		}
		// An active key of a removed kind cannot exist.
		await expect(
			testDb()
				.insert(schema.apiKeys)
				.values({
					id: newId("apiKey"),
					storeId: owner.storeId,
					name: "sneaky",
					kind: "publishable",
					mode: "live",
					prefix: "pk_live_xxxx",
					tokenHash: "0".repeat(64),
				}),
		).rejects.toThrow();
	});
});

describe("store audit log", () => {
	it("records every team and key change with the user and session, in the change's transaction", async () => {
		const owner = await signUpMerchant();
		const colleague = await signUpMerchant();
		const colleagueId = (await jsonOf<{ user: { id: string } }>(await asMerchant(colleague, "GET", "/v1/auth/me"))).user.id;
		const ownerId = (await jsonOf<{ user: { id: string } }>(await asMerchant(owner, "GET", "/v1/auth/me"))).user.id;
		const base = `/v1/stores/${owner.storeId}`;
		const key = await jsonOf<{ id: string }>(
			await asMerchant(owner, "POST", `${base}/api-keys`, { name: "k", role: "staff" }),
			201,
		);
		expect((await asMerchant(owner, "DELETE", `${base}/api-keys/${key.id}`)).status).toBe(204);
		expect((await asMerchant(owner, "POST", `${base}/members`, { email: colleague.email, role: "staff" })).status).toBe(201);
		expect((await asMerchant(owner, "DELETE", `${base}/members/${colleagueId}`)).status).toBe(204);
		// Changes that change nothing leave no row.
		await problemOf(await asMerchant(owner, "DELETE", `${base}/api-keys/${key.id}`), 404);
		await problemOf(await asMerchant(owner, "DELETE", `${base}/members/${colleagueId}`), 404);

		const rows = await testDb()
			.select()
			.from(schema.storeAuditLog)
			.where(eq(schema.storeAuditLog.storeId, owner.storeId))
			.orderBy(asc(schema.storeAuditLog.id));
		expect(rows.map((r) => [r.action, r.targetId])).toEqual([
			["member.added", ownerId],
			["api_key.created", key.id],
			["api_key.revoked", key.id],
			["member.added", colleagueId],
			["member.removed", colleagueId],
		]);
		for (const row of rows) {
			expect(row.actorUserId).toBe(ownerId);
			expect(row.actorApiKeyId).toBeNull();
			expect(row.requestId).toMatch(/^req_/);
		}
		// Signup's session for the first row; the owner's token's session for the rest.
		for (const row of rows.slice(1)) expect(row.actorSessionId).toBe(sidOf(owner.token));
		// Append-only.
		await expect(testDb().delete(schema.storeAuditLog).where(eq(schema.storeAuditLog.storeId, owner.storeId))).rejects.toThrow();
	});
});
