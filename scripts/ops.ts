// `npm run ops -- <command>`: operator tasks that must never be reachable over HTTP.
//
//   npm run ops -- create-operator --email ada@oja.dev --name "Ada" --role super_admin
//
// Against Neon: DATABASE_URL=postgres://…neon.tech/… OPERATOR_TOTP_KEY=<the identity
// Worker's secret> npm run ops -- create-operator … . Locally (no DATABASE_URL, or a local
// PostgreSQL) it starts neon-local and uses the key `npm start` keeps in .data/.
// Prints the one-time password and the TOTP enrolment URI once; neither is stored in clear.
import { existsSync, readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { neon, neonConfig } from "@neondatabase/serverless";
import { newOperatorCredentials } from "@oja/auth";
import { email as emailSchema, OperatorRole, plainText } from "@oja/contracts";
import { newId } from "@oja/db";
import { startNeonLocal } from "@oja/neon-local";
import { LOCAL_TOTP_KEY_PATH, localDatabaseName, workerDatabaseUrl } from "./local-database.ts";

const [command, ...rest] = process.argv.slice(2);
if (command !== "create-operator") {
	console.error("usage: npm run ops -- create-operator --email <email> --name <name> --role support|admin|super_admin");
	process.exit(2);
}
const { values } = parseArgs({
	args: rest,
	options: { email: { type: "string" }, name: { type: "string" }, role: { type: "string" } },
});
const email = emailSchema.parse(values.email);
const name = plainText(100).parse(values.name);
const role = OperatorRole.parse(values.role);

const databaseUrl = process.env.DATABASE_URL || undefined;
const local = !databaseUrl || /@(127\.0\.0\.1|localhost)[:/]/.test(databaseUrl);
const totpKey =
	process.env.OPERATOR_TOTP_KEY || (existsSync(LOCAL_TOTP_KEY_PATH) ? readFileSync(LOCAL_TOTP_KEY_PATH, "utf8").trim() : "");
if (!totpKey) {
	console.error("OPERATOR_TOTP_KEY is not set (locally, run `npm start` once to create one).");
	process.exit(2);
}

// If `npm start` is running, use its neon-local: PGlite's data directory must have one owner.
const running = `http://127.0.0.1:${process.env.NEON_LOCAL_PORT || 5445}`;
const reuse =
	local &&
	(await fetch(`${running}/_local/health`).then(
		(r) => r.ok,
		() => false,
	));
const server = local && !reuse ? await startNeonLocal({ port: 0, databaseUrl }) : undefined;
try {
	if (local) neonConfig.fetchEndpoint = server ? server.sqlEndpoint : `${running}/sql`;
	const sql = neon(local ? workerDatabaseUrl(localDatabaseName(databaseUrl)) : (databaseUrl as string));
	const creds = await newOperatorCredentials(email, totpKey);
	const id = newId("operator");
	const rows = await sql.query(
		`INSERT INTO operators (id, email, name, role, password_hash, totp_secret_sealed) VALUES ($1, $2, $3, $4, $5, $6)
		 ON CONFLICT (email) DO NOTHING RETURNING id`,
		[id, email, name, role, creds.passwordHash, creds.totpSecretSealed],
	);
	if (rows.length === 0) {
		console.error(`An operator with email ${email} already exists; nothing changed.`);
		process.exitCode = 1;
	} else {
		console.log(`Created operator ${id} (${email}, ${role}).
  One-time password:   ${creds.password}
  TOTP enrolment URI:  ${creds.otpauthUri}
  (or enter the secret ${creds.totpSecret} in an authenticator app)
Neither is shown again. Sign in with POST /v1/ops/auth/login {email, password, totp}.`);
	}
} finally {
	await server?.close();
}
