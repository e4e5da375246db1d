import { can, PERSON_ONLY, type Permission } from "@oja/auth";
import { ProblemError, problem } from "@oja/contracts";
import { createMiddleware } from "hono/factory";
import type { GatewayEnv } from "../app-env.ts";
import { unwrap } from "../validate.ts";
import { verifyPrincipalOrApiKey } from "./authenticate.ts";

const STORE_ID = /^st_[0-9A-HJKMNP-TV-Z]{26}$/;

/**
 * For `/v1/stores/:storeId/…`: authenticates (merchant token or secret API key), resolves
 * the caller's role in the store named by the path, and checks `permission`. Not a member →
 * 404 (indistinguishable from a missing store); a member without the permission → 403.
 */
export function storeRoute(permission: Permission) {
	return createMiddleware<GatewayEnv>(async (c, next) => {
		const principal = await verifyPrincipalOrApiKey(c, "merchant");
		if (!principal) {
			throw new ProblemError(
				problem("unauthorized", "Send an access token or a secret API key as `Authorization: Bearer …`.", {
					extensions: { code: "missing" },
				}),
			);
		}
		if (principal.kind === "api_key" && PERSON_ONLY.has(permission)) {
			throw new ProblemError(
				problem("forbidden", `${permission} needs a signed-in person, not an API key.`, {
					extensions: { code: "person-required" },
				}),
			);
		}
		const storeId = c.req.param("storeId") ?? "";
		if (!STORE_ID.test(storeId)) throw new ProblemError(problem("not-found", "No such store."));
		const access = unwrap(await c.env.IDENTITY.storeAccess(storeId, { requestId: c.get("requestId"), principal }));
		c.set("storeId", storeId);
		if (!can(access.role, permission)) {
			throw new ProblemError(
				problem("forbidden", `The ${access.role} role cannot ${permission.replace(":", " ")} in this store.`),
			);
		}
		c.set("storeAccess", access);
		await next();
	});
}
