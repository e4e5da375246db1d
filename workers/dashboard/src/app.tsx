import { ACCOUNT_STYLES, AccountForm, type AccountPageKind, accountPageHeaders, accountPageTitle } from "@oja/account-pages";
import { logUnhandled, requestContext, requestIdOf } from "@oja/http-conventions";
import { type Context, Hono } from "hono";
import { raw } from "hono/html";
import type { Child } from "hono/jsx";
import { methodNotAllowed } from "hono/method-not-allowed";

// Merchants' account pages: the targets of the links in their verification and password-reset
// emails, and the page that asks for a password-reset email. Each is a form its script submits
// to the public API (@oja/account-pages); the Worker itself reads nothing and stores nothing.

interface DashboardEnv {
	Bindings: DashboardBindings;
	Variables: { requestId: string };
}

const STYLES = `
*,*::before,*::after{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1b1b;background:#fafaf7}
a{color:#0b5d3b}
a:focus-visible,button:focus-visible,input:focus-visible{outline:3px solid #f2a900;outline-offset:2px}
header{background:#0b5d3b;color:#fff;padding:12px 16px}
header a{color:#fff;text-decoration:none;font-size:1.25rem;font-weight:700}
main{padding:16px;max-width:720px;margin:0 auto}
h1{font-size:1.5rem;margin:0 0 12px}
h2{font-size:1.15rem;margin:0 0 8px}
button{background:#f2a900;color:#1b1b1b;border:0;border-radius:6px;padding:10px 14px;font-size:1rem;font-weight:600;cursor:pointer}
button:disabled{background:#ccc;cursor:not-allowed}
footer{padding:24px 16px;color:#555;font-size:.9rem;text-align:center}
`;

function Page({ title, children }: { title: string; children: Child }) {
	return (
		<>
			{raw("<!doctype html>")}
			<html lang="en">
				<head>
					<meta charset="utf-8" />
					<meta name="viewport" content="width=device-width, initial-scale=1" />
					<meta name="robots" content="noindex" />
					<title>{`${title} · Oja`}</title>
					<style>{raw(STYLES)}</style>
					<style>{raw(ACCOUNT_STYLES)}</style>
				</head>
				<body>
					<header>
						<a href="/">Oja</a>
					</header>
					<main id="main">{children}</main>
					<footer>Oja</footer>
				</body>
			</html>
		</>
	);
}

// There is no sign-in page yet (the dashboard is these pages so far): merchants sign in through
// the API, so that is what the pages point to.
const SIGN_IN = (
	<p>
		Sign in with your email and password: the merchant dashboard is on its way, and until then you sign in through the API (
		<a href="/docs">the reference</a>, <code>POST /v1/auth/login</code>).
	</p>
);

const NEW_LINK: Record<AccountPageKind, Child | undefined> = {
	"verify-email": (
		<p>
			Sign in and ask for a new verification email (<code>POST /v1/auth/email-verification</code>); each link works once, for 24
			hours, and only the newest one works.
		</p>
	),
	"reset-password": (
		<p>
			<a href="/account/forgot-password">Ask for a new password-reset email</a>. Each link works once, for an hour, and only the
			newest one works.
		</p>
	),
	"forgot-password": undefined,
};

const API: Record<AccountPageKind, string> = {
	"verify-email": "/v1/auth/email-verification/confirm",
	"reset-password": "/v1/auth/password-reset/confirm",
	"forgot-password": "/v1/auth/password-reset",
};

async function accountPage(c: Context<DashboardEnv>, kind: AccountPageKind): Promise<Response> {
	const headers = await accountPageHeaders([STYLES, ACCOUNT_STYLES]);
	return c.html(
		<Page title={accountPageTitle(kind)}>
			<AccountForm
				kind={kind}
				api={API[kind]}
				accountOf="Oja"
				{...(kind === "forgot-password" ? {} : { signIn: SIGN_IN })}
				{...(NEW_LINK[kind] ? { newLink: NEW_LINK[kind] } : {})}
			/>
		</Page>,
		200,
		headers,
	);
}

function NotFound() {
	return (
		<Page title="Not found">
			<h1>We could not find that page</h1>
			<p>
				<a href="/">Oja's front page</a> says where to go.
			</p>
		</Page>
	);
}

async function plain(c: Context<DashboardEnv>, status: 404 | 405, extra: Record<string, string> = {}): Promise<Response> {
	const headers = await accountPageHeaders([STYLES, ACCOUNT_STYLES]);
	return c.html(<NotFound />, status, { ...headers, ...extra });
}

const app = new Hono<DashboardEnv>();

// A request id on every response and one JSON log line per request (never the query or body;
// the token is in the fragment, which no server sees).
app.use(requestContext());
app.use(methodNotAllowed({ app, onMethodNotAllowed: (c, methods) => plain(c, 405, { allow: methods.join(", ") }) }));

app.get("/account/verify-email", (c) => accountPage(c, "verify-email"));
app.get("/account/reset-password", (c) => accountPage(c, "reset-password"));
app.get("/account/forgot-password", (c) => accountPage(c, "forgot-password"));

app.notFound((c) => plain(c, 404));
// An HTML page like the others, never Hono's plain-text default; logged without the message.
app.onError(async (error, c) => {
	const requestId = requestIdOf(c);
	logUnhandled(requestId, error);
	const headers = await accountPageHeaders([STYLES, ACCOUNT_STYLES]);
	return c.html(
		<Page title="Something went wrong">
			<h1>Something went wrong on our side</h1>
			<p>Try again in a moment. If it keeps happening, quote this to support: {requestId}</p>
		</Page>,
		500,
		{ ...headers, "cache-control": "no-store" },
	);
});

export { app };
