import {
	CreateDiscountInput,
	Discount,
	DiscountList,
	DiscountListQuery,
	DiscountParams,
	StoreIdParam,
	UpdateDiscountInput,
} from "@oja/contracts";
import { storeRoute } from "../middleware/store-access.ts";
import { routeGroup } from "../openapi/registry.ts";
import { rpcContext, storeAccessOf } from "../route-context.ts";
import { sendResult, unwrap } from "../validate.ts";

const PROBLEMS = ["unauthorized", "forbidden", "not-found"] as const;

// Discount codes are a pricing lever, so even reading them needs orders:manage.
export const discountRoutes = routeGroup()
	.declare(
		{
			method: "post",
			path: "/v1/stores/:storeId/discounts",
			operationId: "createDiscount",
			summary: "Create a discount code (stored upper-cased; in the store's currency)",
			tags: ["commerce"],
			params: StoreIdParam,
			body: CreateDiscountInput,
			responses: { 201: { description: "The discount", schema: Discount } },
			problems: [...PROBLEMS, "conflict"],
		},
		[storeRoute("orders:manage")],
		async (c, { body }) => sendResult(c, await c.env.COMMERCE.createDiscount(storeAccessOf(c), body, rpcContext(c)), 201),
	)
	.declare(
		{
			method: "get",
			path: "/v1/stores/:storeId/discounts",
			operationId: "listDiscounts",
			summary: "Discount codes, newest first (cursor pagination)",
			tags: ["commerce"],
			params: StoreIdParam,
			query: DiscountListQuery,
			responses: { 200: { description: "A page of discounts", schema: DiscountList } },
			problems: [...PROBLEMS],
		},
		[storeRoute("orders:manage")],
		async (c, { query }) => sendResult(c, await c.env.COMMERCE.listDiscounts(storeAccessOf(c), query, rpcContext(c))),
	)
	.declare(
		{
			method: "get",
			path: "/v1/stores/:storeId/discounts/:discountId",
			operationId: "getDiscount",
			summary: "One discount code with its use count",
			tags: ["commerce"],
			params: DiscountParams,
			responses: { 200: { description: "The discount", schema: Discount } },
			problems: [...PROBLEMS],
		},
		[storeRoute("orders:manage")],
		async (c, { params }) => sendResult(c, await c.env.COMMERCE.getDiscount(storeAccessOf(c), params.discountId, rpcContext(c))),
	)
	.declare(
		{
			method: "patch",
			path: "/v1/stores/:storeId/discounts/:discountId",
			operationId: "updateDiscount",
			summary: "Change a discount's amount, limits, window or active flag (code and kind are fixed)",
			tags: ["commerce"],
			params: DiscountParams,
			body: UpdateDiscountInput,
			responses: { 200: { description: "The discount", schema: Discount } },
			problems: [...PROBLEMS, "conflict"],
		},
		[storeRoute("orders:manage")],
		async (c, { params, body }) =>
			sendResult(c, await c.env.COMMERCE.updateDiscount(storeAccessOf(c), params.discountId, body, rpcContext(c))),
	)
	.declare(
		{
			method: "delete",
			path: "/v1/stores/:storeId/discounts/:discountId",
			operationId: "deleteDiscount",
			summary: "Delete a discount code (orders keep theirs; the code may be created again)",
			tags: ["commerce"],
			params: DiscountParams,
			responses: { 204: { description: "Deleted" } },
			problems: [...PROBLEMS],
		},
		[storeRoute("orders:manage")],
		async (c, { params }) => {
			unwrap(await c.env.COMMERCE.deleteDiscount(storeAccessOf(c), params.discountId, rpcContext(c)));
			return c.body(null, 204);
		},
	).app;
