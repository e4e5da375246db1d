import { type Currency, formatMoney, type StorefrontProduct } from "@oja/contracts";

type StorefrontVariant = StorefrontProduct["variants"][number];

const AVAILABILITY: Record<StorefrontVariant["availability"], string> = {
	in_stock: "In stock",
	low: "Only a few left",
	sold_out: "Sold out",
};

export function availabilityText(variant: Pick<StorefrontVariant, "availability" | "available">): string {
	if (variant.available !== undefined) return variant.available > 0 ? `${variant.available} in stock` : "Sold out";
	return AVAILABILITY[variant.availability];
}

export function Price({ variant }: { variant: Pick<StorefrontVariant, "priceMinor" | "compareAtMinor" | "currency"> }) {
	const currency = variant.currency as Currency;
	return (
		<span>
			<span class="price">{formatMoney(variant.priceMinor, currency)}</span>
			{variant.compareAtMinor !== null ? (
				<span class="was">
					<span class="skip">was </span>
					{formatMoney(variant.compareAtMinor, currency)}
				</span>
			) : null}
		</span>
	);
}

/** The cheapest variant is what a card shows ("from ₦…" when prices differ). */
export function cheapest(product: StorefrontProduct): StorefrontVariant | undefined {
	return product.variants.reduce<StorefrontVariant | undefined>(
		(best, v) => (!best || v.priceMinor < best.priceMinor ? v : best),
		undefined,
	);
}

export function ProductGrid({ products, base }: { products: StorefrontProduct[]; base: string }) {
	if (products.length === 0) return <p>Nothing here yet.</p>;
	return (
		<ul class="grid">
			{products.map((p) => {
				const from = cheapest(p);
				const varies = new Set(p.variants.map((v) => v.priceMinor)).size > 1;
				const soldOut = p.variants.every((v) => v.availability === "sold_out");
				const image = p.images[0];
				return (
					<li class="card">
						<a href={`${base}/products/${p.handle}`}>
							{image ? <img src={image.url} alt={image.alt} loading="lazy" /> : <span class="noimg" aria-hidden="true" />}
							<div class="t">{p.title}</div>
							<div class="p">
								{varies ? "From " : ""}
								{from ? <Price variant={from} /> : null}
								{soldOut ? (
									<>
										{" "}
										<span class="badge sold_out">Sold out</span>
									</>
								) : null}
							</div>
						</a>
					</li>
				);
			})}
		</ul>
	);
}

export function MoreLink({ href }: { href: string | null }) {
	return href ? (
		<p class="more">
			<a class="button" href={href} rel="next">
				More products
			</a>
		</p>
	) : null;
}
