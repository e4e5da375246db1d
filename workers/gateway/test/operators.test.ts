import { totpCode, totpStep } from "@oja/auth";
import { schema } from "@oja/db";
import { gateway, postJson, problemOf, provisionOperator, signupInput, testDb } from "@oja/test-helpers";
import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";

// Operators are provisioned the way the CLI does it (scripts/ops.ts), then sign in with a
// password and a TOTP code over HTTP.

const provision = (role: "support" | "admin" | "super_admin") => provisionOperator(role);

type Op = Awaited<ReturnType<typeof provision>>;

const codeAt = (op: Op, offsetSteps = 0) => totpCode(op.secret, totpStep(Date.now()) + offsetSteps);

async function signIn(op: Op, code?: string): Promise<string> {
	const res = await postJson("/v1/ops/auth/login", { email: op.email, password: op.password, totp: code ?? (await codeAt(op)) });
	const body = (await res.json()) as { accessToken: string; operator: { role: string } };
	expect(res.status, JSON.stringify(body)).toBe(200);
	return body.accessToken;
}

const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

describe("operator sign-in", () => {
	it("needs the password and a current TOTP code, and issues a 15-minute ops token", async () => {
		const op = await provision("support");
		const token = await signIn(op);
		const [, payload] = token.split(".");
		const claims = JSON.parse(atob((payload ?? "").replace(/-/g, "+").replace(/_/g, "/"))) as {
			aud: string;
			exp: number;
			iat: number;
			sub: string;
		};
		expect(claims).toMatchObject({ aud: "ops", sub: op.id });
		expect(claims.exp - claims.iat).toBe(15 * 60);

		const wrongPassword = await postJson("/v1/ops/auth/login", { email: op.email, password: "nope", totp: await codeAt(op, 1) });
		expect((await problemOf(wrongPassword, 401)).code).toBe("invalid-credentials");
		const valid = new Set([await codeAt(op, -1), await codeAt(op), await codeAt(op, 1)]);
		let bad = 0;
		while (valid.has(String(bad).padStart(6, "0"))) bad++;
		const wrongCode = await postJson("/v1/ops/auth/login", {
			email: op.email,
			password: op.password,
			totp: String(bad).padStart(6, "0"),
		});
		expect((await problemOf(wrongCode, 401)).code).toBe("invalid-credentials");
	});

	it("refuses a code that was already used, and earlier codes after a later one", async () => {
		const op = await provision("support");
		const code = await codeAt(op);
		await signIn(op, code);
		await problemOf(await postJson("/v1/ops/auth/login", { email: op.email, password: op.password, totp: code }), 401);
		// The previous step is inside the ±1 window but older than the step just used.
		await problemOf(
			await postJson("/v1/ops/auth/login", { email: op.email, password: op.password, totp: await codeAt(op, -1) }),
			401,
		);
		// The next step (clock drift ahead) is accepted once.
		await signIn(op, await codeAt(op, 1));
	});

	it("accepts the previous step's code (clock drift behind) and nothing two steps away", async () => {
		const op = await provision("support");
		await problemOf(
			await postJson("/v1/ops/auth/login", { email: op.email, password: op.password, totp: await codeAt(op, -2) }),
			401,
		);
		await problemOf(
			await postJson("/v1/ops/auth/login", { email: op.email, password: op.password, totp: await codeAt(op, 2) }),
			401,
		);
		await signIn(op, await codeAt(op, -1));
	});

	it("keeps operator and merchant tokens apart", async () => {
		const op = await provision("super_admin");
		const opsToken = await signIn(op);
		await problemOf(await gateway("/v1/auth/me", bearer(opsToken)), 401);
		const merchant = await postJson("/v1/auth/signup", signupInput());
		const { accessToken, store } = (await merchant.json()) as { accessToken: string; store: { slug: string; id: string } };
		await problemOf(await gateway(`/v1/ops/stores/${store.slug}`, bearer(accessToken)), 401);
		// Store routes want a merchant-audience token: an ops token fails verification there.
		await problemOf(await gateway(`/v1/stores/${store.id}`, bearer(opsToken)), 401);
	});
});

describe("operator actions and the audit log", () => {
	it("audits every action with actor, target and request id; only admins read the log", async () => {
		const support = await provision("support");
		const admin = await provision("admin");
		const supportToken = await signIn(support);
		const adminToken = await signIn(admin);
		const merchant = await postJson("/v1/auth/signup", signupInput());
		const { store } = (await merchant.json()) as { store: { slug: string; id: string } };

		const lookup = await gateway(`/v1/ops/stores/${store.slug}`, bearer(supportToken));
		expect(lookup.status).toBe(200);
		const lookupRequestId = lookup.headers.get("x-request-id");
		await problemOf(await gateway("/v1/ops/audit-log", bearer(supportToken)), 403);
		await problemOf(await gateway("/v1/ops/outbox/relay", { method: "POST", ...bearer(supportToken) }), 403);

		const relay = await gateway("/v1/ops/outbox/relay", { method: "POST", ...bearer(adminToken) });
		expect(relay.status).toBe(200);

		const log = await gateway("/v1/ops/audit-log?limit=20", bearer(adminToken));
		const { entries } = (await log.json()) as {
			entries: { action: string; actorId: string; targetId: string | null; requestId: string; after: unknown }[];
		};
		const viewed = entries.find((e) => e.action === "store.viewed" && e.targetId === store.id);
		expect(viewed).toMatchObject({ actorId: support.id, requestId: lookupRequestId });
		expect(entries.find((e) => e.action === "outbox.relayed")).toMatchObject({
			actorId: admin.id,
			after: { published: expect.any(Number) },
		});
		expect(entries.filter((e) => e.action === "operator.login").map((e) => e.actorId)).toEqual(
			expect.arrayContaining([support.id, admin.id]),
		);
	});

	it("keeps the audit log append-only at the database", async () => {
		const op = await provision("admin");
		await signIn(op);
		await expect(testDb().execute(sql`UPDATE audit_log SET action = 'tampered'`)).rejects.toThrow();
		await expect(testDb().execute(sql`DELETE FROM audit_log`)).rejects.toThrow();
		const rows = await testDb().select().from(schema.auditLog).where(eq(schema.auditLog.actorId, op.id));
		expect(rows.map((r) => r.action)).toEqual(["operator.login"]);
	});

	it("stops honouring a disabled operator's token at once", async () => {
		const op = await provision("admin");
		const token = await signIn(op);
		expect((await gateway("/v1/ops/audit-log", bearer(token))).status).toBe(200);
		await testDb().update(schema.operators).set({ disabledAt: new Date() }).where(eq(schema.operators.id, op.id));
		expect((await problemOf(await gateway("/v1/ops/audit-log", bearer(token)), 401)).code).toBe("operator-disabled");
	});
});
