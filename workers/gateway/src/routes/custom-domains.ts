import { CustomDomain, StoreIdParam } from "@oja/contracts";
import { storeRoute } from "../middleware/store-access.ts";
import { routeGroup } from "../openapi/registry.ts";
import { rpcContext, storeAccessOf } from "../route-context.ts";
import { sendResult } from "../validate.ts";

// Setting `customDomain` (PATCH /v1/stores/{storeId}) only claims a domain; this proves it.

export const customDomainRoutes = routeGroup().declare(
	{
		method: "post",
		path: "/v1/stores/:storeId/domain/verify",
		operationId: "verifyCustomDomain",
		summary: "Check the custom domain's TXT record now (owner, admin)",
		description:
			"Looks up `_oja-challenge.<domain>` TXT (name and value are in the store's `domain.verification`). When it carries this store's `oja-verify=<token>`, the domain becomes verified and the storefront is served there within a minute. Answers 422 while the record is missing, 409 while another store's proof for the domain is still published, 503 when DNS could not be checked.",
		tags: ["stores"],
		params: StoreIdParam,
		responses: { 200: { description: "The domain, verified", schema: CustomDomain } },
		problems: ["unauthorized", "forbidden", "not-found", "conflict", "service-unavailable"],
	},
	[storeRoute("store:update")],
	async (c) => sendResult(c, await c.env.IDENTITY.verifyCustomDomain(storeAccessOf(c), rpcContext(c))),
).app;
