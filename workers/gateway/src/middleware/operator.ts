import { type OperatorRole, ProblemError, problem } from "@oja/contracts";
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { GatewayEnv } from "../app-env.ts";
import { unwrap } from "../validate.ts";
import { verifyOperator } from "./authenticate.ts";

const RANK: Record<OperatorRole, number> = { support: 1, admin: 2, super_admin: 3 };

/** For `/v1/ops/…`: an ops-audience token from an enabled operator of at least `minRole`. */
export function opsRoute(minRole: OperatorRole) {
	return createMiddleware<GatewayEnv>(async (c, next) => {
		const principal = await verifyOperator(c);
		if (!principal) {
			throw new ProblemError(
				problem("unauthorized", "Send an operator token as `Authorization: Bearer …`.", { extensions: { code: "missing" } }),
			);
		}
		const operator = unwrap(await c.env.IDENTITY.operator({ requestId: c.get("requestId"), principal }));
		if (RANK[operator.role] < RANK[minRole]) {
			throw new ProblemError(problem("forbidden", `This needs the ${minRole} operator role; you are ${operator.role}.`));
		}
		c.set("operator", operator);
		await next();
	});
}

/**
 * Whether the request carries a valid ops token (no token → false; a bad one → 401). Only the
 * signature and expiry are checked, not whether the operator is still enabled: that needs the
 * database, and readiness detail must be readable while the database is down. Ops tokens last
 * 15 minutes.
 */
export async function operatorAsking(c: Context<GatewayEnv>): Promise<boolean> {
	if (c.req.header("authorization") === undefined) return false;
	return (await verifyOperator(c)) !== undefined;
}
