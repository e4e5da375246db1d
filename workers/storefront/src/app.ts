import { errorLogRecord, ProblemError, problem } from "@oja/contracts";
import { Hono, type MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { methodNotAllowed } from "hono/method-not-allowed";
import type { StorefrontEnv } from "./app-env.ts";
import { problemResponse, publicLimit, requestContext } from "./http.ts";
import { storefrontPageRoutes } from "./routes.tsx";

const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/** The storefront's routes and middleware; `index.ts` maps custom domains onto them first. */
const app = new Hono<StorefrontEnv>();

app.use(requestContext);
app.use(
	methodNotAllowed({
		app,
		onMethodNotAllowed: (c, methods) =>
			problemResponse(
				problem("method-not-allowed", `${c.req.method} is not supported here; use ${methods.join(", ")}.`),
				c.get("requestId"),
				{ allow: methods.join(", ") },
			),
	}),
);
// Built once per isolate: the limit depends only on a var.
let limitBody: MiddlewareHandler<StorefrontEnv> | undefined;
app.use((c, next) => {
	limitBody ??= (() => {
		const maxSize = Number(c.env.MAX_BODY_BYTES) || DEFAULT_MAX_BODY_BYTES;
		return bodyLimit({
			maxSize,
			onError: (ctx) =>
				problemResponse(problem("payload-too-large", `Bodies are limited to ${maxSize} bytes.`), ctx.get("requestId")),
		});
	})();
	return limitBody(c, next);
});
// Catalog pages are limited only when they miss the edge cache (routes.tsx); the cart and
// checkout reach the origin on every request. `/cart/*` matches `/cart` itself too (Hono), so
// one pattern covers both: a second one for `/cart` counted each cart request twice.
app.use("/s/:slug/cart/*", publicLimit);
app.use("/s/:slug/checkout", publicLimit);
app.use("/s/:slug/orders/*", publicLimit);
// The account pages read the store on every request (never cached).
app.use("/s/:slug/account/*", publicLimit);

app.route("/", storefrontPageRoutes);

app.notFound((c) => problemResponse(problem("not-found", `No route for ${c.req.method} ${c.req.path}.`), c.get("requestId")));
app.onError((error, c) => {
	const requestId = c.get("requestId") ?? "unknown";
	if (error instanceof ProblemError) return problemResponse(error.problem, requestId);
	// Logged by name, codes and stack frames (never the message, which can carry request data).
	console.error(JSON.stringify({ level: "error", msg: "unhandled", requestId, error: errorLogRecord(error) }));
	return problemResponse(problem("internal", "Something went wrong on our side. Quote the request id to support."), requestId);
});

export { app };
