import { raw } from "hono/html";

/** A plain HTML error page for shoppers (the API answers problem+json instead). */
export function ErrorPage({ status, title }: { status: number; title: string }) {
	return (
		<>
			{raw("<!doctype html>")}
			<html lang="en">
				<head>
					<meta charset="utf-8" />
					<meta name="viewport" content="width=device-width, initial-scale=1" />
					<meta name="robots" content="noindex" />
					<title>{title}</title>
				</head>
				<body style="font:16px/1.5 system-ui,sans-serif;padding:24px">
					<h1>{status === 404 ? "We could not find that page" : title}</h1>
					<p>{status === 404 ? "It may have moved or sold out for good." : "Please go back and try again."}</p>
				</body>
			</html>
		</>
	);
}
