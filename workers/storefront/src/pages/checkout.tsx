import { type Currency, formatMoney, type PublicStore, type StorefrontProduct } from "@oja/contracts";
import { type CartLine, cartRows } from "./cart.tsx";
import { Layout } from "./layout.tsx";

export type CheckoutValues = Partial<Record<"fullName" | "phone" | "email" | "address" | "city" | "state" | "note", string>>;

const FIELDS: { name: keyof CheckoutValues; label: string; type?: string; autocomplete: string; optional?: boolean }[] = [
	{ name: "fullName", label: "Full name", autocomplete: "name" },
	{ name: "phone", label: "Phone (WhatsApp)", type: "tel", autocomplete: "tel" },
	{ name: "email", label: "Email", type: "email", autocomplete: "email", optional: true },
	{ name: "address", label: "Delivery address", autocomplete: "street-address" },
	{ name: "city", label: "City or town", autocomplete: "address-level2" },
	{ name: "state", label: "State", autocomplete: "address-level1" },
	{ name: "note", label: "Note for the seller", autocomplete: "off", optional: true },
];

/**
 * Checkout: the order summary (live prices) and the shopper's contact and delivery details,
 * checked on the server so it works without JavaScript. Payment (Paystack) and the order it
 * creates belong to the commerce and payments issues; until they land, valid details are
 * confirmed back and the pay button stays off, and nothing is charged or stored.
 */
export function CheckoutPage(props: {
	store: PublicStore;
	base: string;
	origin: string;
	collections: { handle: string; title: string }[];
	lines: CartLine[];
	products: StorefrontProduct[];
	values: CheckoutValues;
	errors: Partial<Record<keyof CheckoutValues, string>>;
	confirmed: boolean;
}) {
	const { store, base, values, errors } = props;
	const { rows, totalMinor } = cartRows(props.lines, props.products);
	const currency = store.currency as Currency;
	const invalid = Object.keys(errors).length > 0;
	return (
		<Layout
			store={store}
			base={base}
			collections={props.collections}
			title={`Checkout · ${store.name}`}
			og={{ title: `Checkout · ${store.name}`, description: `Checkout at ${store.name}`, url: `${props.origin}${base}/checkout` }}
		>
			<h1>Checkout</h1>
			{rows.length === 0 ? (
				<p>
					Your cart is empty. <a href={`${base}/`}>Keep shopping</a>
				</p>
			) : (
				<>
					<h2>Your order</h2>
					<ul>
						{rows.map(({ product, variant, quantity }) => (
							<li>
								{quantity} × {product.title}
								{variant.optionValues.length > 0 ? ` (${variant.title})` : ""} —{" "}
								{formatMoney(variant.priceMinor * quantity, currency)}
								{variant.availability === "sold_out" ? <strong> — sold out</strong> : null}
							</li>
						))}
					</ul>
					<p>
						Total: <strong id="checkout-total">{formatMoney(totalMinor, currency)}</strong> (delivery is arranged with the seller)
					</p>
					{invalid ? (
						<p role="alert" id="form-errors">
							Please check the highlighted fields.
						</p>
					) : null}
					{props.confirmed ? (
						<p role="status" id="confirmed">
							Thanks, {values.fullName}. Your details are complete. Online payment with Paystack is not open at this store yet, so
							nothing has been charged{store.contact.phone ? " — message the seller on WhatsApp to order" : ""}.
						</p>
					) : null}
					<form method="post" action={`${base}/checkout`} novalidate>
						{FIELDS.map((field) => (
							<p>
								<label for={field.name}>
									{field.label}
									{field.optional ? " (optional)" : ""}
								</label>
								<br />
								{field.name === "note" ? (
									<textarea id={field.name} name={field.name} rows={3} maxlength={500} autocomplete={field.autocomplete}>
										{values.note ?? ""}
									</textarea>
								) : (
									<input
										id={field.name}
										name={field.name}
										type={field.type ?? "text"}
										value={values[field.name] ?? ""}
										autocomplete={field.autocomplete}
										required={!field.optional}
										aria-invalid={errors[field.name] ? "true" : undefined}
										aria-describedby={errors[field.name] ? `${field.name}-error` : undefined}
										style="width:100%;max-width:28em;padding:8px"
									/>
								)}
								{errors[field.name] ? (
									<>
										<br />
										<span id={`${field.name}-error`} class="badge sold_out">
											{errors[field.name]}
										</span>
									</>
								) : null}
							</p>
						))}
						<button type="submit">Check my details</button>{" "}
						<button type="button" disabled aria-describedby="pay-note">
							Pay with Paystack
						</button>
						<p id="pay-note">Payment opens with Paystack soon; you will not be charged from this page.</p>
					</form>
				</>
			)}
		</Layout>
	);
}
