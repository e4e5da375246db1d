import {
	errorProblem,
	methodNotAllowedProblem,
	notFoundProblem,
	payloadTooLargeProblem,
	requestContext,
} from "@oja/http-conventions";
import { Hono, type MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { methodNotAllowed } from "hono/method-not-allowed";
import type { StorefrontEnv } from "./app-env.ts";
import { publicLimit } from "./http.ts";
import { storefrontPageRoutes } from "./routes.tsx";

const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/** The storefront's routes and middleware; `index.ts` maps custom domains onto them first. */
const app = new Hono<StorefrontEnv>();

app.use(requestContext());
app.use(methodNotAllowed({ app, onMethodNotAllowed: methodNotAllowedProblem }));
// Built once per isolate: the limit depends only on a var.
let limitBody: MiddlewareHandler<StorefrontEnv> | undefined;
app.use((c, next) => {
	limitBody ??= (() => {
		const maxSize = Number(c.env.MAX_BODY_BYTES) || DEFAULT_MAX_BODY_BYTES;
		return bodyLimit({ maxSize, onError: (ctx) => payloadTooLargeProblem(ctx, maxSize) });
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

app.notFound(notFoundProblem());
app.onError(errorProblem());

export { app };
