import { type Currency, formatMoney, type PublicStore, type StorefrontProduct } from "@oja/contracts";
import { availabilityText, Price } from "./components.tsx";
import { Layout } from "./layout.tsx";

export interface CartLine {
	variantId: string;
	quantity: number;
}

type StorefrontVariant = StorefrontProduct["variants"][number];

export interface CartRow {
	product: StorefrontProduct;
	variant: StorefrontVariant;
	quantity: number;
}

/** The cart's lines joined to live catalog data; lines whose variant is gone are dropped. */
export function cartRows(lines: CartLine[], products: StorefrontProduct[]): { rows: CartRow[]; totalMinor: number } {
	const variants = new Map(products.flatMap((p) => p.variants.map((v) => [v.id, { product: p, variant: v }] as const)));
	const rows = lines.flatMap((line) => {
		const found = variants.get(line.variantId);
		return found ? [{ ...found, quantity: line.quantity }] : [];
	});
	// Integer minor units: a safe-integer price times a quantity ≤ 99, summed over ≤ 50 lines.
	return { rows, totalMinor: rows.reduce((sum, r) => sum + r.variant.priceMinor * r.quantity, 0) };
}

/**
 * The cart page reads prices and stock live (never from the edge cache). Lines whose
 * variant no longer exists are dropped; the total is integer minor units.
 */
export function CartPage(props: {
	store: PublicStore;
	base: string;
	origin: string;
	collections: { handle: string; title: string }[];
	lines: CartLine[];
	products: StorefrontProduct[];
}) {
	const { store, base } = props;
	const variants = new Map(props.products.flatMap((p) => p.variants.map((v) => [v.id, { product: p, variant: v }] as const)));
	const rows = props.lines.flatMap((line) => {
		const found = variants.get(line.variantId);
		return found ? [{ ...found, quantity: line.quantity }] : [];
	});
	const total = rows.reduce((sum, r) => sum + r.variant.priceMinor * r.quantity, 0);
	const currency = store.currency as Currency;
	return (
		<Layout
			store={store}
			base={base}
			collections={props.collections}
			title={`Cart · ${store.name}`}
			og={{ title: `Cart · ${store.name}`, description: `Your cart at ${store.name}`, url: `${props.origin}${base}/cart` }}
		>
			<h1>Your cart</h1>
			{rows.length === 0 ? (
				<p>
					Your cart is empty. <a href={`${base}/`}>Keep shopping</a>
				</p>
			) : (
				<>
					<table>
						<thead>
							<tr>
								<th scope="col">Item</th>
								<th scope="col">Price</th>
								<th scope="col">Qty</th>
								<th scope="col">
									<span class="skip">Remove</span>
								</th>
							</tr>
						</thead>
						<tbody>
							{rows.map(({ product, variant, quantity }) => (
								<tr>
									<td>
										<a href={`${base}/products/${product.handle}?variant=${variant.id}`}>{product.title}</a>
										{variant.optionValues.length > 0 ? ` — ${variant.title}` : ""}
										<br />
										<span class={`badge ${variant.availability}`}>{availabilityText(variant)}</span>
									</td>
									<td>
										<Price variant={variant} />
									</td>
									<td>{quantity}</td>
									<td>
										<form method="post" action={`${base}/cart/remove`}>
											<input type="hidden" name="variantId" value={variant.id} />
											<button type="submit" aria-label={`Remove ${product.title}`}>
												Remove
											</button>
										</form>
									</td>
								</tr>
							))}
						</tbody>
					</table>
					<p>
						Total: <strong id="cart-total">{formatMoney(total, currency)}</strong>
					</p>
					<p>
						<a class="button" href={`${base}/checkout`}>
							Checkout
						</a>
					</p>
				</>
			)}
		</Layout>
	);
}
