import type { PricedCart } from "@oja/cart";
import { type Currency, formatMoney, type PublicStore } from "@oja/contracts";
import { Layout } from "./layout.tsx";

/**
 * The cart page: the shopper's cart Durable Object, every line at the price checkout will
 * charge now (and a note where that moved since it was added). Quantity and remove are plain
 * forms, so it works without JavaScript.
 */
export function CartPage(props: {
	store: PublicStore;
	base: string;
	origin: string;
	collections: { handle: string; title: string }[];
	cart: PricedCart | null;
	notice?: string;
}) {
	const { store, base, cart } = props;
	const currency = store.currency as Currency;
	const lines = cart?.lines ?? [];
	return (
		<Layout
			store={store}
			base={base}
			collections={props.collections}
			title={`Cart · ${store.name}`}
			og={{ title: `Cart · ${store.name}`, description: `Your cart at ${store.name}`, url: `${props.origin}${base}/cart` }}
		>
			<h1>Your cart</h1>
			{props.notice ? (
				<p role="alert" id="cart-notice">
					{props.notice}
				</p>
			) : null}
			{lines.length === 0 ? (
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
							{lines.map((line) => (
								<tr>
									<td>
										<a href={`${base}/products/${line.handle}?variant=${line.variantId}`}>{line.title}</a>
										{line.variantTitle && line.variantTitle !== "Default" ? ` — ${line.variantTitle}` : ""}
										{line.priceChanged ? (
											<>
												<br />
												<span class="badge low">Price changed from {formatMoney(line.priceWhenAddedMinor, currency)}</span>
											</>
										) : null}
									</td>
									<td>{formatMoney(line.unitPriceMinor, currency)}</td>
									<td>
										<form method="post" action={`${base}/cart/update`}>
											<input type="hidden" name="lineId" value={line.id} />
											<label class="skip" for={`qty-${line.id}`}>
												Quantity of {line.title}
											</label>
											<input
												id={`qty-${line.id}`}
												name="quantity"
												type="number"
												min="1"
												max={String(Math.max(1, Math.min(999, line.available)))}
												value={String(line.quantity)}
												style="width:4em"
											/>{" "}
											<button type="submit">Update</button>
										</form>
									</td>
									<td>
										<form method="post" action={`${base}/cart/remove`}>
											<input type="hidden" name="lineId" value={line.id} />
											<button type="submit" aria-label={`Remove ${line.title}`}>
												Remove
											</button>
										</form>
									</td>
								</tr>
							))}
						</tbody>
					</table>
					<p>
						Total: <strong id="cart-total">{formatMoney(cart?.totalMinor ?? 0, currency)}</strong>
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
