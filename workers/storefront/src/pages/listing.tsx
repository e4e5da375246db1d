import type { PublicStore, StorefrontProduct } from "@oja/contracts";
import { MoreLink, ProductGrid } from "./components.tsx";
import { Layout } from "./layout.tsx";

// Home, collection and search pages: a heading, a grid of products, and a "more" link
// (cursor pagination, so it works without JavaScript and every page is cacheable).

export function ListingPage(props: {
	store: PublicStore;
	base: string;
	origin: string;
	path: string;
	collections: { handle: string; title: string }[];
	heading: string;
	intro?: string;
	query?: string;
	products: StorefrontProduct[];
	more: string | null;
	empty?: string;
}) {
	const { store, base, products } = props;
	const image = products.find((p) => p.images.length > 0)?.images[0];
	return (
		<Layout
			store={store}
			base={base}
			collections={props.collections}
			query={props.query}
			title={props.heading === store.name ? store.name : `${props.heading} · ${store.name}`}
			og={{
				title: props.heading,
				description: (props.intro || `Shop ${store.name}`).slice(0, 200),
				url: `${props.origin}${base}${props.path}`,
				image: image?.url,
				imageAlt: image?.alt,
			}}
		>
			<h1>{props.heading}</h1>
			{props.intro ? <p>{props.intro}</p> : null}
			{products.length === 0 && props.empty ? <p>{props.empty}</p> : <ProductGrid products={products} base={base} />}
			<MoreLink href={props.more} />
		</Layout>
	);
}
