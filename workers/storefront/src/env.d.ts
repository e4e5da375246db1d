// Secrets never appear in wrangler.toml, so `wrangler types` cannot see them; they are declared
// here. The storefront has none: it reads only through catalog's RPC and KV, never the database.
// biome-ignore lint/suspicious/noEmptyInterface: the place a secret is declared when one is needed.
interface StorefrontBindings {}
