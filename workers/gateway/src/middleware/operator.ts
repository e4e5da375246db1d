import { type OperatorRole, ProblemError, problem } from "@oja/contracts";
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
