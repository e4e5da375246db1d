// Secrets never appear in wrangler.toml, so `wrangler types` cannot see them; they are declared
// here. The dashboard has none: its pages call the public API from the browser.
// biome-ignore lint/suspicious/noEmptyInterface: the place a secret is declared when one is needed.
interface DashboardBindings {}
