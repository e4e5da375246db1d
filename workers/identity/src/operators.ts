import { openSealed, signAccessToken, verifyTotp } from "@oja/auth";
import type {
	AuditEntry,
	AuditInput,
	Operator,
	OperatorLoginInput,
	OperatorLoginResult,
	OperatorPrincipal,
	RequestContext,
} from "@oja/contracts";
import { ProblemError, problem } from "@oja/contracts";
import { type Database, newId, schema } from "@oja/db";
import { and, desc, eq, isNull, lt, or } from "drizzle-orm";
import { attemptSignIn, passwordMatches, type Throttle } from "./credentials.ts";
import type { AuthConfig } from "./sessions.ts";

/**
 * Password, then TOTP (±1 step), then a conditional UPDATE that accepts each time step at
 * most once: a code seen over someone's shoulder cannot be replayed, even within its window.
 * Operator tokens last 15 minutes and are not refreshable.
 */
export async function operatorLogin(
	db: Database,
	auth: AuthConfig,
	totpKey: string,
	input: OperatorLoginInput,
	throttle: Throttle,
	meta: { requestId: string; ip: string | null },
): Promise<OperatorLoginResult> {
	// Password and code are judged inside one reserved attempt: a wrong code costs the same as a wrong password.
	const { value: op, afterwards } = await attemptSignIn(
		throttle,
		async () => {
			const [found] = await db.select().from(schema.operators).where(eq(schema.operators.email, input.email)).limit(1);
			const passwordOk = await passwordMatches(input.password, found?.passwordHash);
			if (!found || !passwordOk || found.disabledAt) return null;
			const step = await verifyTotp(await openSealed(totpKey, found.totpSecretSealed), input.totp);
			if (step === null) return null;
			const claimed = await db
				.update(schema.operators)
				.set({ lastTotpStep: step })
				.where(
					and(
						eq(schema.operators.id, found.id),
						or(isNull(schema.operators.lastTotpStep), lt(schema.operators.lastTotpStep, step)),
					),
				)
				.returning({ id: schema.operators.id });
			if (claimed.length === 0) {
				console.warn(JSON.stringify({ level: "warn", msg: "ops.totp_replay", operatorId: found.id, step }));
				return null;
			}
			return found;
		},
		"Email, password or code is incorrect.",
	);
	const loginId = `ol_${crypto.randomUUID().replaceAll("-", "")}`;
	await db.insert(schema.auditLog).values({
		id: newId("audit"),
		actorId: op.id,
		actorEmail: op.email,
		action: "operator.login",
		targetType: "operator",
		targetId: op.id,
		requestId: meta.requestId,
		ip: meta.ip,
	});
	await afterwards;
	const accessToken = await signAccessToken(auth.keys, auth.issuer, { sub: op.id, sid: loginId, aud: "ops" });
	return { operator: { id: op.id, email: op.email, name: op.name, role: op.role }, accessToken };
}

/** The operator behind an ops token, if still enabled. */
export async function operatorFor(db: Database, principal: OperatorPrincipal): Promise<Operator> {
	const [op] = await db
		.select({ id: schema.operators.id, email: schema.operators.email, name: schema.operators.name, role: schema.operators.role })
		.from(schema.operators)
		.where(and(eq(schema.operators.id, principal.operatorId), isNull(schema.operators.disabledAt)));
	if (!op)
		throw new ProblemError(
			problem("unauthorized", "This operator account is not active.", { extensions: { code: "operator-disabled" } }),
		);
	return op;
}

export async function recordAudit(db: Database, operator: Operator, entry: AuditInput, ctx: RequestContext, ip: string | null) {
	await db.insert(schema.auditLog).values({
		id: newId("audit"),
		actorId: operator.id,
		actorEmail: operator.email,
		action: entry.action,
		targetType: entry.targetType ?? null,
		targetId: entry.targetId ?? null,
		before: entry.before ?? null,
		after: entry.after ?? null,
		requestId: ctx.requestId,
		ip,
	});
}

export async function listAudit(db: Database, limit: number): Promise<AuditEntry[]> {
	const rows = await db.select().from(schema.auditLog).orderBy(desc(schema.auditLog.at), desc(schema.auditLog.id)).limit(limit);
	return rows.map((r) => ({ ...r, at: r.at.toISOString() }));
}
