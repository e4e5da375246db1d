import { raw } from "hono/html";
import type { Child } from "hono/jsx";

// The pages behind the links in account emails (identity's account-emails.ts): confirm an
// email address, choose a new password; and the page that asks for a password-reset email in
// the first place. Merchants' are the dashboard Worker's (/account/…), shoppers' the storefront
// Worker's (/s/{slug}/account/… and a store's own domain); both render this form and its
// script, so the two flows cannot drift apart.
//
// The token is in the link's fragment (#token=…), which browsers never send to a server: the
// page's script reads it, removes it from the address bar (so it is not left in history, a
// bookmark or a shared screen) and POSTs it with `fetch` as JSON to the existing confirm
// endpoint on the same origin. Without JavaScript the page says so and what to do instead.
// The request page has no token: its script POSTs the address to the request endpoint, whose
// answer is the same whether or not an account uses it, and so is the page's.

export type AccountPageKind = "verify-email" | "reset-password" | "forgot-password";

/** The pages opened from an emailed link, whose fragment carries the token. */
const TOKEN_KINDS: readonly AccountPageKind[] = ["verify-email", "reset-password"];

/** The shortest password the API accepts (@oja/contracts MIN_PASSWORD_LENGTH); the browser checks it first. */
const MIN_PASSWORD = 10;

/** Styles of the form and its outcomes, added to the host page's own. */
export const ACCOUNT_STYLES = `
.account{max-width:28rem}
.account label{display:block;font-weight:600;margin:12px 0 4px}
.account input[type=password],.account input[type=email]{width:100%;padding:10px;font-size:1rem;border:1px solid #8a8a85;border-radius:6px}
.account .hint{margin:4px 0 0;color:#555;font-size:.9rem}
.account button{margin-top:16px}
.account .error{color:#8a1c1c;font-weight:600}
.account .notice{background:#fff4d6;border:1px solid #e5d08f;border-radius:8px;padding:12px}
.account .done{background:#e7f4ec;border:1px solid #a9d3b8;border-radius:8px;padding:12px}
.account .failed{background:#f3e1e1;border:1px solid #dcb1b1;border-radius:8px;padding:12px}
.account [hidden]{display:none}
`;

/**
 * The page's one script. It reads its endpoint and kind from the form's data attributes, so the
 * same bytes (and so the same CSP hash) serve every page. Text goes in with textContent only.
 */
export const ACCOUNT_SCRIPT = `
(function () {
	var form = document.getElementById("account-form");
	if (!form) return;
	var kind = form.getAttribute("data-kind");
	var api = form.getAttribute("data-api");
	var done = document.getElementById("account-done");
	var failed = document.getElementById("account-failed");
	var failedText = document.getElementById("account-failed-text");
	var error = document.getElementById("account-error");
	var button = form.querySelector("button[type=submit]");
	var match = /(?:^#|&)token=([^&]*)/.exec(location.hash);
	// The token leaves the address bar at once: it is kept only in this page's form.
	if (location.hash) history.replaceState(history.state, "", location.pathname + location.search);
	var token = match ? match[1] : "";
	function show(section, focus) {
		form.hidden = true;
		section.hidden = false;
		section.setAttribute("tabindex", "-1");
		if (focus) section.focus();
	}
	function refuse(text) {
		failedText.textContent = text;
		show(failed, true);
	}
	function say(text) {
		error.textContent = text;
		error.hidden = !text;
	}
	var asking = kind === "forgot-password";
	var prefix = kind === "reset-password" ? "pr_" : "ev_";
	if (!asking) {
		if (!token) return refuse("This page needs the code from the link in your email, and this address has none. Open the link from the email again (a reload loses the code).");
		if (token.indexOf(prefix) !== 0 || !/^[A-Za-z0-9_-]{43,103}$/.test(token)) return refuse("This link is not valid; it may have been cut short by your email app.");
		form.elements.namedItem("token").value = token;
	}
	form.addEventListener("submit", function (event) {
		event.preventDefault();
		var body = { token: token };
		if (asking) {
			var email = form.elements.namedItem("email").value.trim();
			body = { email: email };
			document.getElementById("account-done-address").textContent = email;
		}
		if (kind === "reset-password") {
			var password = form.elements.namedItem("password").value;
			if (password !== form.elements.namedItem("confirm").value) return say("The two passwords are not the same.");
			body.password = password;
		}
		say("");
		button.disabled = true;
		fetch(api, {
			method: "POST",
			headers: { "content-type": "application/json", accept: "application/json, application/problem+json" },
			body: JSON.stringify(body),
			credentials: "same-origin",
		})
			.then(function (res) {
				return res.json().then(
					function (data) { return { res: res, data: data || {} }; },
					function () { return { res: res, data: {} }; }
				);
			})
			.then(function (r) {
				button.disabled = false;
				if (r.res.ok) return show(done, true);
				var data = r.data;
				var code = data.code;
				var errors = Array.isArray(data.errors) ? data.errors : [];
				var tokenError = errors.some(function (e) { return e && e.path === "token"; });
				if (!asking && (code === "invalid-token" || code === "token-used" || code === "token-expired" || tokenError)) {
					return refuse(typeof data.detail === "string" && !tokenError ? data.detail : "This link is not valid; ask for a new email.");
				}
				if (r.res.status === 422 && errors.length) return say(errors.map(function (e) { return e.message; }).join(" "));
				if (r.res.status === 429) return say("Too many attempts from your network. Wait a minute, then try again.");
				say("Something went wrong on our side" + (data.requestId ? " (request " + data.requestId + ")" : "") + ". Try again in a moment.");
			})
			.catch(function () {
				button.disabled = false;
				say("Could not reach the server. Check your connection and try again.");
			});
	});
	form.hidden = false;
})();
`;

export interface AccountFormProps {
	kind: AccountPageKind;
	/** The endpoint on the same origin the script POSTs to: confirm, or (forgot-password) request. */
	api: string;
	/** Whose account this is, for the text: "Oja" or the store's name. */
	accountOf: string;
	/** After success: where and how to sign in (not on the request page: nothing changed yet). */
	signIn?: Child;
	/** When the link is used, expired or invalid: how to get a new one (the request page has no link). */
	newLink?: Child;
}

const TITLES: Record<AccountPageKind, string> = {
	"verify-email": "Confirm your email",
	"reset-password": "Choose a new password",
	"forgot-password": "Forgot your password?",
};

export const accountPageTitle = (kind: AccountPageKind) => TITLES[kind];

const SUBMIT: Record<AccountPageKind, string> = {
	"verify-email": "Confirm my email",
	"reset-password": "Set new password",
	"forgot-password": "Email me a link",
};

const NO_SCRIPT: Record<AccountPageKind, string> = {
	"verify-email":
		"This page needs JavaScript: the code in your link stays in your browser, and a small script sends it to confirm. Turn JavaScript on and open the link from the email again.",
	"reset-password":
		"This page needs JavaScript: the code in your link stays in your browser, and a small script sends it to confirm. Turn JavaScript on and open the link from the email again.",
	"forgot-password": "This page needs JavaScript: a small script sends your address. Turn JavaScript on and reload the page.",
};

function Fields({ kind, accountOf }: { kind: AccountPageKind; accountOf: string }) {
	if (kind === "verify-email") return <p>Confirm that this email address is yours, for your {accountOf} account.</p>;
	if (kind === "forgot-password") {
		return (
			<>
				<p>
					Enter the email address of your {accountOf} account. We email it a link to choose a new password; the link works once,
					for an hour.
				</p>
				<label for="email">Email address</label>
				<input id="email" name="email" type="email" autocomplete="email" maxlength={254} required />
			</>
		);
	}
	return (
		<>
			<p>Choose a new password for your {accountOf} account. Every device signed in to it will be signed out.</p>
			<label for="password">New password</label>
			<input
				id="password"
				name="password"
				type="password"
				autocomplete="new-password"
				minlength={MIN_PASSWORD}
				maxlength={256}
				required
				aria-describedby="password-hint"
			/>
			<p id="password-hint" class="hint">
				At least {MIN_PASSWORD} characters. A few words you will remember is a good choice.
			</p>
			<label for="confirm">New password again</label>
			<input id="confirm" name="confirm" type="password" autocomplete="new-password" maxlength={256} required />
		</>
	);
}

function Done({ kind, accountOf, signIn }: { kind: AccountPageKind; accountOf: string; signIn?: Child }) {
	if (kind === "forgot-password") {
		// The same words whether or not an account uses the address: the API does not say either.
		return (
			<>
				<h2 id="account-done-heading">Check your email</h2>
				<p>
					If <strong id="account-done-address"></strong> has an account with {accountOf}, we have sent it a link to choose a new
					password. It works once, for an hour, and only the newest link works. Nothing after a few minutes? Look in your spam
					folder, then ask again.
				</p>
			</>
		);
	}
	return (
		<>
			<h2 id="account-done-heading">{kind === "verify-email" ? "Your email is confirmed" : "Your password is changed"}</h2>
			{kind === "reset-password" ? <p>Every session was signed out, this one too.</p> : null}
			{signIn}
		</>
	);
}

/** The page's content: the form (shown by the script), its outcomes, the no-JavaScript note and the script. */
export function AccountForm({ kind, api, accountOf, signIn, newLink }: AccountFormProps) {
	return (
		<div class="account">
			<h1>{accountPageTitle(kind)}</h1>
			<noscript>
				<p class="notice">{NO_SCRIPT[kind]}</p>
			</noscript>
			<form id="account-form" method="post" data-kind={kind} data-api={api} hidden>
				{TOKEN_KINDS.includes(kind) ? <input type="hidden" name="token" value="" /> : null}
				<Fields kind={kind} accountOf={accountOf} />
				<p id="account-error" class="error" role="alert" hidden></p>
				<button type="submit">{SUBMIT[kind]}</button>
			</form>
			<section id="account-done" class="done" aria-labelledby="account-done-heading" hidden>
				<Done kind={kind} accountOf={accountOf} signIn={signIn} />
			</section>
			<section id="account-failed" class="failed" aria-labelledby="account-failed-heading" hidden>
				<h2 id="account-failed-heading">This link cannot be used</h2>
				<p id="account-failed-text"></p>
				{newLink}
			</section>
			<script>{raw(ACCOUNT_SCRIPT)}</script>
		</div>
	);
}

/** A CSP hash source for an inline script or style: `'sha256-…'`. */
export async function hashSource(text: string): Promise<string> {
	const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
	let binary = "";
	for (const byte of digest) binary += String.fromCharCode(byte);
	return `'sha256-${btoa(binary)}'`;
}

const headerCache = new Map<string, Promise<Record<string, string>>>();

/**
 * Response headers of an account page, whose inline styles are `styles` (exactly as rendered):
 * never stored by a browser or cache, a CSP allowing only this script and these styles and
 * requests to the same origin, no Referer, no framing, not indexed.
 */
export function accountPageHeaders(styles: readonly string[]): Promise<Record<string, string>> {
	const key = styles.join("\u0000");
	let headers = headerCache.get(key);
	if (!headers) {
		headers = (async () => {
			const [script, ...styleHashes] = await Promise.all([ACCOUNT_SCRIPT, ...styles].map(hashSource));
			return {
				"cache-control": "no-store",
				"content-security-policy": [
					"default-src 'none'",
					`script-src ${script}`,
					`style-src ${styleHashes.join(" ")}`,
					"connect-src 'self'",
					"img-src 'self'",
					"form-action 'self'",
					"base-uri 'none'",
					"frame-ancestors 'none'",
				].join("; "),
				"referrer-policy": "no-referrer",
				"x-content-type-options": "nosniff",
				"x-frame-options": "DENY",
				"x-robots-tag": "noindex",
			};
		})();
		headerCache.set(key, headers);
	}
	return headers;
}
