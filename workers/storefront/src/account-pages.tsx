import { ACCOUNT_STYLES, AccountForm, type AccountPageKind, accountPageHeaders, accountPageTitle } from "@oja/account-pages";
import { type Context, Hono } from "hono";
import { raw } from "hono/html";
import type { StorefrontEnv } from "./app-env.ts";
import { htmlPage, view } from "./page-kit.tsx";
import { Layout, STYLES } from "./pages/layout.tsx";

// A store's shopper-account pages: the targets of the links in its verification and
// password-reset emails, and the page that asks for a reset email (/s/{slug}/account/…, and
// /account/… on the store's own domain). The
// form is @oja/account-pages', shared with the merchants' pages; its script POSTs the token from
// the link's fragment to the storefront API on the same origin (/v1/ is the gateway's on every
// host). Never edge-cached: per-request, `no-store`, with a CSP that allows only this page's
// script and styles. The store is read for its name and navigation (404 for an unknown store).

const API: Record<AccountPageKind, string> = {
	"verify-email": "email-verification/confirm",
	"reset-password": "password-reset/confirm",
	"forgot-password": "password-reset",
};

/** Sent on every answer of these routes, error pages included. */
const ALWAYS = { "cache-control": "no-store", "referrer-policy": "no-referrer", "x-robots-tag": "noindex" };

interface StoreContact {
	name: string;
	contact: { email?: string | null };
}

function signIn(kind: AccountPageKind, storeName: string, home: string) {
	return (
		<p>
			{kind === "reset-password"
				? `Sign in to ${storeName} with your new password.`
				: `Thank you: ${storeName} can now show you the orders you placed with this address.`}{" "}
			<a href={home}>Back to {storeName}</a>
		</p>
	);
}

function newLink(kind: AccountPageKind, base: string, store: StoreContact) {
	return (
		<p>
			{kind === "reset-password" ? (
				<a href={`${base}/account/forgot-password`}>Ask for a new password-reset email.</a>
			) : (
				`Sign in to ${store.name} and ask for a new verification email.`
			)}{" "}
			Each link works once, and only the newest one.{" "}
			{store.contact.email ? (
				<>
					Stuck? Write to <a href={`mailto:${store.contact.email}`}>{store.contact.email}</a>.
				</>
			) : null}
		</p>
	);
}

function accountPage(kind: AccountPageKind) {
	return (c: Context<StorefrontEnv>) => {
		for (const [name, value] of Object.entries(ALWAYS)) c.header(name, value);
		return htmlPage(c, async (page) => {
			const data = await view(c, page.slug, { kind: "home", limit: 1 });
			const store = data.store;
			const title = accountPageTitle(kind);
			const home = `${page.base}/`;
			return c.html(
				<Layout
					store={store}
					base={page.base}
					title={`${title} · ${store.name}`}
					og={{ title, description: `${title} at ${store.name}`, url: `${page.origin}${page.base}/account/${kind}` }}
					collections={data.collections}
					head={
						<>
							<meta name="robots" content="noindex" />
							<style>{raw(ACCOUNT_STYLES)}</style>
						</>
					}
				>
					<AccountForm
						kind={kind}
						api={`/v1/storefront/${page.slug}/account/${API[kind]}`}
						accountOf={store.name}
						{...(kind === "forgot-password"
							? {}
							: { signIn: signIn(kind, store.name, home), newLink: newLink(kind, page.base, store) })}
					/>
				</Layout>,
				200,
				await accountPageHeaders([STYLES, ACCOUNT_STYLES]),
			);
		});
	};
}

export const accountPageRoutes = new Hono<StorefrontEnv>()
	.get("/s/:slug/account/verify-email", accountPage("verify-email"))
	.get("/s/:slug/account/reset-password", accountPage("reset-password"))
	.get("/s/:slug/account/forgot-password", accountPage("forgot-password"));
