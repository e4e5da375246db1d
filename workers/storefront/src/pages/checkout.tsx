import type { PricedCart } from "@oja/cart";
import { type Currency, type DeliveryOption, formatMoney, type PublicStore } from "@oja/contracts";
import { Layout } from "./layout.tsx";

export type CheckoutField =
	| "name"
	| "phone"
	| "email"
	| "address"
	| "city"
	| "state"
	| "note"
	| "deliveryOptionId"
	| "paymentMethod";
export type CheckoutValues = Partial<Record<CheckoutField, string>>;

const FIELDS: { name: CheckoutField; label: string; type?: string; autocomplete: string; optional?: boolean }[] = [
	{ name: "name", label: "Full name", autocomplete: "name" },
	{ name: "phone", label: "Phone (WhatsApp)", type: "tel", autocomplete: "tel" },
	{ name: "email", label: "Email", type: "email", autocomplete: "email", optional: true },
	{ name: "address", label: "Delivery address", autocomplete: "street-address", optional: true },
	{ name: "city", label: "City or town", autocomplete: "address-level2", optional: true },
	{ name: "state", label: "State", autocomplete: "address-level1", optional: true },
	{ name: "note", label: "Note for the seller", autocomplete: "off", optional: true },
];

/**
 * Checkout: the order summary at the prices that will be charged, the shopper's details, a
 * delivery option and how to pay. A plain form (no JavaScript needed); placing the order
 * redirects to the order page. `idempotencyKey` is fixed when the page is rendered, so a
 * double submit (or a retry after a timeout) places the order once.
 */
export function CheckoutPage(props: {
	store: PublicStore;
	base: string;
	origin: string;
	collections: { handle: string; title: string }[];
	cart: PricedCart | null;
	options: DeliveryOption[];
	values: CheckoutValues;
	errors: Partial<Record<CheckoutField, string>>;
	message?: string;
	idempotencyKey: string;
}) {
	const { store, base, values, errors, cart } = props;
	const currency = store.currency as Currency;
	const lines = cart?.lines ?? [];
	const chosen = values.deliveryOptionId ?? props.options[0]?.id;
	const anyPod = props.options.some((o) => o.payOnDelivery);
	return (
		<Layout
			store={store}
			base={base}
			collections={props.collections}
			title={`Checkout · ${store.name}`}
			og={{ title: `Checkout · ${store.name}`, description: `Checkout at ${store.name}`, url: `${props.origin}${base}/checkout` }}
		>
			<h1>Checkout</h1>
			{lines.length === 0 ? (
				<p>
					Your cart is empty. <a href={`${base}/`}>Keep shopping</a>
				</p>
			) : (
				<>
					<h2>Your order</h2>
					<ul>
						{lines.map((line) => (
							<li>
								{line.quantity} × {line.title}
								{line.variantTitle && line.variantTitle !== "Default" ? ` (${line.variantTitle})` : ""} —{" "}
								{formatMoney(line.lineTotalMinor, currency)}
							</li>
						))}
					</ul>
					<p>
						Subtotal: <strong id="checkout-total">{formatMoney(cart?.totalMinor ?? 0, currency)}</strong> (delivery is added
						below)
					</p>
					{props.message || Object.keys(errors).length > 0 ? (
						<p role="alert" id="form-errors">
							{props.message ?? "Please check the highlighted fields."}
						</p>
					) : null}
					<form method="post" action={`${base}/checkout`} novalidate>
						<input type="hidden" name="idempotencyKey" value={props.idempotencyKey} />
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
						<fieldset>
							<legend>Delivery</legend>
							{props.options.length === 0 ? <p>This store has not set up delivery yet; contact the seller.</p> : null}
							{props.options.map((option) => (
								<p>
									<label>
										<input type="radio" name="deliveryOptionId" value={option.id} checked={option.id === chosen} /> {option.name}{" "}
										— {option.feeMinor > 0 ? formatMoney(option.feeMinor, currency) : "free"}
										{option.payOnDelivery ? " · pay on delivery available" : ""}
									</label>
								</p>
							))}
							{errors.deliveryOptionId ? (
								<span id="deliveryOptionId-error" class="badge sold_out">
									{errors.deliveryOptionId}
								</span>
							) : null}
						</fieldset>
						<fieldset>
							<legend>Payment</legend>
							{anyPod ? (
								<p>
									<label>
										<input
											type="radio"
											name="paymentMethod"
											value="pay_on_delivery"
											checked={(values.paymentMethod ?? "pay_on_delivery") === "pay_on_delivery"}
										/>{" "}
										Pay on delivery (cash or transfer when it arrives)
									</label>
								</p>
							) : null}
							<p>
								<label>
									<input
										type="radio"
										name="paymentMethod"
										value="online"
										checked={values.paymentMethod === "online" || (!anyPod && values.paymentMethod === undefined)}
									/>{" "}
									Pay online (card, bank transfer)
								</label>
							</p>
							{errors.paymentMethod ? (
								<span id="paymentMethod-error" class="badge sold_out">
									{errors.paymentMethod}
								</span>
							) : null}
						</fieldset>
						<p>
							<button type="submit">Place order</button>
						</p>
					</form>
				</>
			)}
		</Layout>
	);
}
