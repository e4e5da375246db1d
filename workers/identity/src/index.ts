import { WorkerEntrypoint } from "cloudflare:workers";
import type { PublicJwk } from "@oja/auth";
import {
	type Accepted,
	AddMemberInput,
	type ApiKeyInfo,
	type ApiKeyPrincipal,
	type AuditEntry,
	type AuditInput,
	AuditQuery,
	type ClientMeta,
	CreateApiKeyInput,
	type CreatedApiKey,
	type CustomDomain,
	type Customer,
	type CustomerAuthResult,
	CustomerLoginInput,
	type CustomerPrincipal,
	CustomerSignupInput,
	EmailVerificationConfirmInput,
	type IssuedTokens,
	LoginInput,
	type LoginResult,
	type Me,
	type Member,
	type Operator,
	OperatorLoginInput,
	type OperatorLoginResult,
	type OperatorPrincipal,
	PasswordResetConfirmInput,
	PasswordResetRequestInput,
	ProblemError,
	type PublicStore,
	parseHostList,
	parseOrThrow,
	problem,
	type RequestContext,
	type Result,
	runRpc,
	type SessionInfo,
	SignupInput,
	type SignupResult,
	type StoreAccess,
	type StoreDetails,
	slug as slugSchema,
	UpdateStoreInput,
	type UserPrincipal,
} from "@oja/contracts";
import { createDb } from "@oja/db";
import { dohResolver } from "@oja/dns";
import { relayAfterResponse } from "@oja/events";
import { z } from "zod";
import { createApiKey, listApiKeys, resolveStoreAccess, revokeApiKey, verifyApiKey } from "./access.ts";
import {
	type AccountEmailDeps,
	confirmReset,
	confirmVerification,
	inBackground,
	requestCustomerReset,
	requestCustomerVerification,
	requestUserReset,
	requestUserVerification,
} from "./account-emails.ts";
import { currentCustomer, customerLogin, customerLogout, customerSignup } from "./customers.ts";
import { recheckCustomDomains, verifyCustomDomain } from "./domains.ts";
import { login } from "./login.ts";
import { listAudit, operatorFor, operatorLogin, recordAudit } from "./operators.ts";
import {
	type AuthConfig,
	assertLiveSession,
	listSessions,
	me,
	refreshSession,
	revokeByRefreshToken,
	revokeSession,
	signingKeys,
} from "./sessions.ts";
import { signup } from "./signup.ts";
import { storeBySlug } from "./stores.ts";
import { addMember, getStore, listMembers, removeMember, updateStore } from "./team.ts";

export { LoginThrottle } from "./login-throttle.ts";

const WORKER = "identity";
/** Custom domains re-checked per cron run (each is one DoH subrequest). */
const DOMAIN_RECHECK_BATCH = 200;

const UserId = z.string().regex(/^usr_[0-9A-HJKMNP-TV-Z]{26}$/, { message: "Must be a usr_ id" });
const KeyId = z.string().regex(/^key_[0-9A-HJKMNP-TV-Z]{26}$/, { message: "Must be a key_ id" });
const StoreId = z.string().regex(/^st_[0-9A-HJKMNP-TV-Z]{26}$/, { message: "Must be a st_ id" });

const ACCEPTED: Accepted = { accepted: true };

const SessionId = z.string().regex(/^ses_[0-9A-HJKMNP-TV-Z]{26}$/, { message: "Must be a ses_ id" });

function requireCustomer(ctx: RequestContext): CustomerPrincipal {
	if (ctx.principal?.kind !== "customer") throw new ProblemError(problem("unauthorized", "Sign in to this store."));
	return ctx.principal;
}

function requireOperator(ctx: RequestContext): OperatorPrincipal {
	if (ctx.principal?.kind !== "operator") throw new ProblemError(problem("unauthorized", "Operators only."));
	return ctx.principal;
}

function requirePrincipal(ctx: RequestContext): UserPrincipal {
	// The gateway only calls authenticated methods after verifying a token; this guards
	// against a routing mistake ever reaching user data without one.
	if (ctx.principal?.kind !== "user") throw new ProblemError(problem("unauthorized", "Sign in first."));
	return ctx.principal;
}

/**
 * The identity Worker's RPC surface. Only the gateway calls it; every method re-validates
 * its input (the gateway is a client like any other) and returns a Result.
 */
export default class IdentityService extends WorkerEntrypoint<IdentityEnv> {
	override async fetch(): Promise<Response> {
		// No public HTTP surface: everything arrives over RPC from the gateway.
		return new Response(null, { status: 404 });
	}

	async ping(): Promise<{ ok: true; worker: string }> {
		return { ok: true, worker: WORKER };
	}

	private async auth(): Promise<AuthConfig> {
		return { keys: await signingKeys(this.env.AUTH_SIGNING_KEYS), issuer: this.env.AUTH_ISSUER };
	}

	/** Public keys for verifying access tokens; the gateway caches them per isolate. */
	async jwks(): Promise<{ keys: PublicJwk[] }> {
		return { keys: (await signingKeys(this.env.AUTH_SIGNING_KEYS)).publicJwks };
	}

	async signup(
		input: unknown,
		ctx: RequestContext,
		meta: ClientMeta,
	): Promise<Result<{ body: SignupResult; tokens: IssuedTokens }>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			const db = createDb(this.env);
			const { result, tokens, eventIds } = await signup(db, await this.auth(), parseOrThrow(SignupInput, input), ctx, meta);
			// Publish right after the response; the ops cron sweep catches anything this misses.
			this.relay(eventIds);
			return { body: result, tokens };
		});
	}

	async login(
		input: unknown,
		ctx: RequestContext,
		meta: ClientMeta,
	): Promise<Result<{ body: LoginResult; tokens: IssuedTokens }>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			const credentials = parseOrThrow(LoginInput, input);
			const throttle = this.env.LOGIN_THROTTLE.get(this.env.LOGIN_THROTTLE.idFromName(credentials.email));
			const { result, tokens, afterwards } = await login(createDb(this.env), await this.auth(), credentials, meta, throttle);
			this.ctx.waitUntil(afterwards);
			return { body: result, tokens };
		});
	}

	async refresh(refreshToken: unknown, ctx: RequestContext): Promise<Result<IssuedTokens>> {
		return runRpc(ctx.requestId, WORKER, async () =>
			refreshSession(createDb(this.env), await this.auth(), parseOrThrow(z.string().max(200), refreshToken, "refresh token")),
		);
	}

	/** Signs out the caller's session, and the one a refresh cookie names if that differs. */
	async logout(ctx: RequestContext, refreshToken: string | null): Promise<Result<{ ok: true }>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			const db = createDb(this.env);
			if (ctx.principal?.kind === "user") await revokeSession(db, ctx.principal.userId, ctx.principal.sessionId, "logout");
			if (refreshToken) await revokeByRefreshToken(db, refreshToken);
			return { ok: true as const };
		});
	}

	async me(ctx: RequestContext): Promise<Result<Me>> {
		return runRpc(ctx.requestId, WORKER, () => me(createDb(this.env), requirePrincipal(ctx)));
	}

	async sessions(ctx: RequestContext): Promise<Result<SessionInfo[]>> {
		return runRpc(ctx.requestId, WORKER, () => listSessions(createDb(this.env), requirePrincipal(ctx)));
	}

	async revokeSession(sessionId: unknown, ctx: RequestContext): Promise<Result<{ ok: true }>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			const principal = requirePrincipal(ctx);
			const id = parseOrThrow(SessionId, sessionId, "session id");
			const db = createDb(this.env);
			// A token of a session that was signed out (perhaps by its owner, after a theft) cannot end the others.
			await assertLiveSession(db, principal);
			// Scoped by user: someone else's session id is indistinguishable from a missing one.
			if (!(await revokeSession(db, principal.userId, id, "revoked-by-user"))) {
				throw new ProblemError(problem("not-found", "No such active session."));
			}
			return { ok: true as const };
		});
	}

	/** Authenticates a secret API key (`sk_…`) as a store-scoped principal. */
	async authenticateApiKey(key: unknown, ctx: RequestContext): Promise<Result<ApiKeyPrincipal>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			const { principal, touch } = await verifyApiKey(createDb(this.env), parseOrThrow(z.string().max(200), key, "API key"));
			if (touch) this.ctx.waitUntil(touch.catch(() => undefined));
			return principal;
		});
	}

	/** The caller's role in a store: 404 when they are not a member (or it does not exist). */
	async storeAccess(storeId: unknown, ctx: RequestContext): Promise<Result<StoreAccess>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			if (!ctx.principal) throw new ProblemError(problem("unauthorized", "Sign in first."));
			return resolveStoreAccess(createDb(this.env), ctx.principal, parseOrThrow(StoreId, storeId, "store id"));
		});
	}

	// The methods below take a StoreAccess the gateway obtained from storeAccess() and
	// checked against the route's permission; their queries are scoped by its storeId.

	async getStore(access: StoreAccess, ctx: RequestContext): Promise<Result<StoreDetails>> {
		return runRpc(ctx.requestId, WORKER, () => getStore(createDb(this.env), access));
	}

	async updateStore(access: StoreAccess, input: unknown, ctx: RequestContext): Promise<Result<StoreDetails>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			const db = createDb(this.env);
			const { store, eventIds } = await updateStore(db, access, parseOrThrow(UpdateStoreInput, input), ctx, this.platformHosts());
			this.relay(eventIds);
			return store;
		});
	}

	/** Checks the store's custom-domain TXT record now; verified → the domain is mapped and served. */
	async verifyCustomDomain(access: StoreAccess, ctx: RequestContext): Promise<Result<CustomDomain>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			const db = createDb(this.env);
			const { domain, eventIds } = await verifyCustomDomain(db, this.resolver(), access, this.platformHosts(), ctx);
			this.relay(eventIds);
			return domain;
		});
	}

	/**
	 * The periodic re-verification (identity's cron, and `npm start`'s ticker through the
	 * gateway): verified domains whose record is gone are marked failed and unmapped.
	 */
	async recheckCustomDomains(): Promise<{ checked: number; failed: number; unknown: number }> {
		const { eventIds, ...counts } = await recheckCustomDomains(createDb(this.env), this.resolver(), {
			platformHosts: this.platformHosts(),
			recheckSeconds: Number(this.env.DOMAIN_RECHECK_SECONDS ?? 3600),
			limit: DOMAIN_RECHECK_BATCH,
		});
		this.relay(eventIds);
		return counts;
	}

	override async scheduled(): Promise<void> {
		const counts = await this.recheckCustomDomains();
		if (counts.checked > 0) console.log(JSON.stringify({ level: "info", msg: "domains.rechecked", worker: WORKER, ...counts }));
	}

	private resolver() {
		return dohResolver(this.env.DNS_RESOLVER_URL);
	}

	private platformHosts(): string[] {
		return parseHostList(this.env.PLATFORM_HOSTS);
	}

	async listMembers(access: StoreAccess, ctx: RequestContext): Promise<Result<Member[]>> {
		return runRpc(ctx.requestId, WORKER, () => listMembers(createDb(this.env), access));
	}

	async addMember(access: StoreAccess, input: unknown, ctx: RequestContext): Promise<Result<Member>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			const { member, eventIds } = await addMember(createDb(this.env), access, parseOrThrow(AddMemberInput, input), ctx);
			this.relay(eventIds);
			return member;
		});
	}

	async removeMember(access: StoreAccess, userId: unknown, ctx: RequestContext): Promise<Result<{ ok: true }>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			const { eventIds } = await removeMember(createDb(this.env), access, parseOrThrow(UserId, userId, "user id"), ctx);
			this.relay(eventIds);
			return { ok: true as const };
		});
	}

	async createApiKey(access: StoreAccess, input: unknown, ctx: RequestContext): Promise<Result<CreatedApiKey>> {
		return runRpc(ctx.requestId, WORKER, () =>
			createApiKey(createDb(this.env), access, parseOrThrow(CreateApiKeyInput, input), ctx.requestId),
		);
	}

	async listApiKeys(access: StoreAccess, ctx: RequestContext): Promise<Result<ApiKeyInfo[]>> {
		return runRpc(ctx.requestId, WORKER, () => listApiKeys(createDb(this.env), access));
	}

	async revokeApiKey(access: StoreAccess, keyId: unknown, ctx: RequestContext): Promise<Result<{ ok: true }>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			await revokeApiKey(createDb(this.env), access, parseOrThrow(KeyId, keyId, "API key id"), ctx.requestId);
			return { ok: true as const };
		});
	}

	private relay(eventIds: string[]): void {
		relayAfterResponse((p) => this.ctx.waitUntil(p), {
			db: createDb(this.env),
			queues: { EVENTS: this.env.EVENTS, STOREFRONT_CACHE: this.env.STOREFRONT_CACHE },
			ids: eventIds,
			worker: WORKER,
		});
	}

	async operatorLogin(input: unknown, ctx: RequestContext, meta: ClientMeta): Promise<Result<OperatorLoginResult>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			const credentials = parseOrThrow(OperatorLoginInput, input);
			// Operators get their own lockout counters, separate from any merchant account.
			const throttle = this.env.LOGIN_THROTTLE.get(this.env.LOGIN_THROTTLE.idFromName(`operator:${credentials.email}`));
			return operatorLogin(createDb(this.env), await this.auth(), this.totpKey(), credentials, throttle, {
				requestId: ctx.requestId,
				ip: meta.ip,
			});
		});
	}

	/** The operator behind an ops token (refused once disabled). */
	async operator(ctx: RequestContext): Promise<Result<Operator>> {
		return runRpc(ctx.requestId, WORKER, () => operatorFor(createDb(this.env), requireOperator(ctx)));
	}

	async recordAudit(entry: AuditInput, ctx: RequestContext, meta: ClientMeta): Promise<Result<{ ok: true }>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			const db = createDb(this.env);
			await recordAudit(db, await operatorFor(db, requireOperator(ctx)), entry, ctx, meta.ip);
			return { ok: true as const };
		});
	}

	async auditLog(query: unknown, ctx: RequestContext): Promise<Result<AuditEntry[]>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			requireOperator(ctx);
			return listAudit(createDb(this.env), parseOrThrow(AuditQuery, query, "query").limit);
		});
	}

	private totpKey(): string {
		if (!this.env.OPERATOR_TOTP_KEY) throw new Error("OPERATOR_TOTP_KEY is not configured");
		return this.env.OPERATOR_TOTP_KEY;
	}

	// Storefront shoppers. The store comes from the storefront slug in the route.

	async customerSignup(storeSlug: unknown, input: unknown, ctx: RequestContext): Promise<Result<CustomerAuthResult>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			const db = createDb(this.env);
			const store = await storeBySlug(db, parseOrThrow(slugSchema, storeSlug, "store slug"));
			return customerSignup(db, await this.auth(), store.id, parseOrThrow(CustomerSignupInput, input));
		});
	}

	async customerLogin(storeSlug: unknown, input: unknown, ctx: RequestContext): Promise<Result<CustomerAuthResult>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			const db = createDb(this.env);
			const store = await storeBySlug(db, parseOrThrow(slugSchema, storeSlug, "store slug"));
			const credentials = parseOrThrow(CustomerLoginInput, input);
			const throttle = this.env.LOGIN_THROTTLE.get(
				this.env.LOGIN_THROTTLE.idFromName(`customer:${store.id}:${credentials.email}`),
			);
			return customerLogin(db, await this.auth(), store.id, credentials, throttle);
		});
	}

	async customer(storeSlug: unknown, ctx: RequestContext): Promise<Result<Customer>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			const db = createDb(this.env);
			const store = await storeBySlug(db, parseOrThrow(slugSchema, storeSlug, "store slug"));
			return currentCustomer(db, requireCustomer(ctx), store.id);
		});
	}

	async customerLogout(ctx: RequestContext): Promise<Result<{ ok: true }>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			await customerLogout(createDb(this.env), requireCustomer(ctx));
			return { ok: true as const };
		});
	}

	// Email verification and password reset (account-emails.ts). Requests by address answer the
	// same whatever the address, before any lookup (the work continues after the response), so
	// neither the answer nor its timing tells whether an account exists.

	private accountEmails(): AccountEmailDeps {
		return {
			db: createDb(this.env),
			send: async (message) => {
				await this.env.EMAIL.send(message, { contentType: "json" });
			},
			baseUrl: this.env.PUBLIC_BASE_URL,
			log: (line) => console.log(JSON.stringify({ worker: WORKER, ...line })),
		};
	}

	async requestEmailVerification(ctx: RequestContext): Promise<Result<Accepted>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			await requestUserVerification(this.accountEmails(), requirePrincipal(ctx));
			return ACCEPTED;
		});
	}

	async confirmEmailVerification(input: unknown, ctx: RequestContext): Promise<Result<{ verified: true }>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			const { token } = parseOrThrow(EmailVerificationConfirmInput, input);
			await confirmVerification(createDb(this.env), { kind: "user" }, token);
			return { verified: true as const };
		});
	}

	async requestPasswordReset(input: unknown, ctx: RequestContext): Promise<Result<Accepted>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			const { email } = parseOrThrow(PasswordResetRequestInput, input);
			const deps = this.accountEmails();
			inBackground(
				deps,
				(p) => this.ctx.waitUntil(p),
				() => requestUserReset(deps, email),
			);
			return ACCEPTED;
		});
	}

	async confirmPasswordReset(input: unknown, ctx: RequestContext): Promise<Result<{ reset: true }>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			const { token, password } = parseOrThrow(PasswordResetConfirmInput, input);
			await confirmReset(createDb(this.env), { kind: "user" }, token, password);
			return { reset: true as const };
		});
	}

	async customerRequestEmailVerification(storeSlug: unknown, ctx: RequestContext): Promise<Result<Accepted>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			const deps = this.accountEmails();
			const store = await storeBySlug(deps.db, parseOrThrow(slugSchema, storeSlug, "store slug"));
			// A live session at this store, or 401: a token for another store is refused here.
			const customer = await currentCustomer(deps.db, requireCustomer(ctx), store.id);
			await requestCustomerVerification(deps, store, customer.id);
			return ACCEPTED;
		});
	}

	async customerConfirmEmailVerification(
		storeSlug: unknown,
		input: unknown,
		ctx: RequestContext,
	): Promise<Result<{ verified: true }>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			const db = createDb(this.env);
			const store = await storeBySlug(db, parseOrThrow(slugSchema, storeSlug, "store slug"));
			const { token } = parseOrThrow(EmailVerificationConfirmInput, input);
			await confirmVerification(db, { kind: "customer", storeId: store.id }, token);
			return { verified: true as const };
		});
	}

	async customerRequestPasswordReset(storeSlug: unknown, input: unknown, ctx: RequestContext): Promise<Result<Accepted>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			const deps = this.accountEmails();
			const slug = parseOrThrow(slugSchema, storeSlug, "store slug");
			const { email } = parseOrThrow(PasswordResetRequestInput, input);
			inBackground(
				deps,
				(p) => this.ctx.waitUntil(p),
				async () => requestCustomerReset(deps, await storeBySlug(deps.db, slug), email),
			);
			return ACCEPTED;
		});
	}

	async customerConfirmPasswordReset(storeSlug: unknown, input: unknown, ctx: RequestContext): Promise<Result<{ reset: true }>> {
		return runRpc(ctx.requestId, WORKER, async () => {
			const db = createDb(this.env);
			const store = await storeBySlug(db, parseOrThrow(slugSchema, storeSlug, "store slug"));
			const { token, password } = parseOrThrow(PasswordResetConfirmInput, input);
			await confirmReset(db, { kind: "customer", storeId: store.id }, token, password);
			return { reset: true as const };
		});
	}

	async storeBySlug(slug: unknown, ctx: RequestContext): Promise<Result<PublicStore>> {
		return runRpc(ctx.requestId, WORKER, () => storeBySlug(createDb(this.env), parseOrThrow(slugSchema, slug, "store slug")));
	}
}
