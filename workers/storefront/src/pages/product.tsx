import { type Currency, formatMoney, minorToDecimal, type PublicStore, type StorefrontProduct } from "@oja/contracts";
import { raw } from "hono/html";
import { availabilityText, Price } from "./components.tsx";
import { Layout } from "./layout.tsx";

type StorefrontVariant = StorefrontProduct["variants"][number];

/**
 * The variant a request asks for: `?variant=var_…`, or one value per option as `?o0=M&o1=Red`
 * (what the option form submits without JavaScript); otherwise the first in stock.
 */
export function selectVariant(product: StorefrontProduct, query: Record<string, string>): StorefrontVariant | undefined {
	const byId = query.variant ? product.variants.find((v) => v.id === query.variant) : undefined;
	if (byId) return byId;
	const wanted = product.options.map((_, i) => query[`o${i}`]);
	if (wanted.length > 0 && wanted.every((w) => w !== undefined)) {
		const match = product.variants.find((v) => v.optionValues.every((value, i) => value === wanted[i]));
		if (match) return match;
	}
	return product.variants.find((v) => v.availability !== "sold_out") ?? product.variants[0];
}

// Progressive enhancement: with JavaScript, changing an option swaps price, availability
// and the variant to add without a reload; without it, "Show this option" reloads the page.
const PICKER_SCRIPT = `
document.documentElement.classList.add("js");
(function(){
var form=document.getElementById("options");if(!form)return;
var data=JSON.parse(document.getElementById("variants").textContent);
form.addEventListener("change",function(){
var picked=[];for(var i=0;;i++){var el=form.querySelector('input[name="o'+i+'"]:checked');if(!el)break;picked.push(el.value)}
var v=data.find(function(x){return x.o.join("\\u0000")===picked.join("\\u0000")});
var add=document.getElementById("add"),price=document.getElementById("price"),stock=document.getElementById("stock"),id=document.getElementById("variant-id");
if(!v){price.textContent="Not available";stock.textContent="";add.disabled=true;return}
price.textContent=v.h;stock.textContent=v.s;stock.className="badge "+v.a;id.value=v.id;add.disabled=v.x;
history.replaceState(null,"","?variant="+v.id);
});
})();`;

export function ProductPage(props: {
	store: PublicStore;
	base: string;
	origin: string;
	collections: { handle: string; title: string }[];
	product: StorefrontProduct;
	selected: StorefrontVariant;
}) {
	const { store, base, origin, product, selected } = props;
	const image = product.images[0];
	const currency = selected.currency as Currency;
	const picker = product.variants.map((v) => ({
		id: v.id,
		o: v.optionValues,
		h:
			formatMoney(v.priceMinor, v.currency as Currency) +
			(v.compareAtMinor !== null ? ` (was ${formatMoney(v.compareAtMinor, v.currency as Currency)})` : ""),
		s: availabilityText(v),
		a: v.availability,
		x: v.availability === "sold_out",
	}));
	const description = product.description || `${product.title} at ${store.name}`;
	return (
		<Layout
			store={store}
			base={base}
			collections={props.collections}
			title={`${product.title} · ${store.name}`}
			og={{
				title: product.title,
				description: description.slice(0, 200),
				url: `${origin}${base}/products/${product.handle}`,
				image: image?.url,
				imageAlt: image?.alt,
				type: "product",
				price: { amount: minorToDecimal(selected.priceMinor, currency), currency },
			}}
		>
			<article class="product">
				<div>
					{image ? <img src={image.url} alt={image.alt} /> : null}
					{product.images.slice(1).map((img) => (
						<img src={img.url} alt={img.alt} loading="lazy" />
					))}
				</div>
				<div>
					<h1>{product.title}</h1>
					<p id="price" aria-live="polite">
						<Price variant={selected} />
					</p>
					<p>
						<span id="stock" class={`badge ${selected.availability}`}>
							{availabilityText(selected)}
						</span>
					</p>
					{product.options.length > 0 ? (
						<form id="options" method="get" action={`${base}/products/${product.handle}`}>
							{product.options.map((option, i) => (
								<fieldset>
									<legend>{option.name}</legend>
									{option.values.map((value) => (
										<label class="opt">
											<input type="radio" name={`o${i}`} value={value} checked={selected.optionValues[i] === value} />
											{value}
										</label>
									))}
								</fieldset>
							))}
							<button type="submit" class="nojs">
								Show this option
							</button>
						</form>
					) : null}
					<form method="post" action={`${base}/cart`}>
						<input type="hidden" id="variant-id" name="variantId" value={selected.id} />
						<label>
							Quantity <input type="number" name="quantity" value="1" min="1" max="99" inputmode="numeric" style="width:4em" />
						</label>{" "}
						<button id="add" type="submit" disabled={selected.availability === "sold_out"}>
							Add to cart
						</button>
					</form>
					{product.description ? <p>{product.description}</p> : null}
				</div>
			</article>
			{product.variants.length > 1 ? (
				<>
					<script id="variants" type="application/json">
						{raw(JSON.stringify(picker).replace(/</g, "\\u003c"))}
					</script>
					<script>{raw(PICKER_SCRIPT)}</script>
				</>
			) : null}
		</Layout>
	);
}
