import { dohResolver } from "@oja/dns";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DnsSandbox, setTxt, startDnsSandbox } from "../src/index.ts";

describe("dns sandbox", () => {
	let dns: DnsSandbox;
	beforeAll(async () => {
		dns = await startDnsSandbox();
	});
	afterAll(() => dns.close());

	it("answers the DoH JSON format the Workers' client reads, as the admin endpoint sets it", async () => {
		const resolver = dohResolver(dns.url);
		expect(await resolver.txt("_oja-challenge.shop.example.ng")).toEqual([]);
		const long = "x".repeat(300);
		await setTxt(dns.adminUrl, "_oja-challenge.Shop.Example.NG.", ["oja-verify=abc", 'with "quotes"', long]);
		expect(await resolver.txt("_oja-challenge.shop.example.ng")).toEqual(["oja-verify=abc", 'with "quotes"', long]);
		const raw = await fetch(`${dns.url}?name=_oja-challenge.shop.example.ng&type=TXT`, {
			headers: { accept: "application/dns-json" },
		});
		expect(raw.headers.get("content-type")).toBe("application/dns-json");
		expect(((await raw.json()) as { Answer: { type: number; data: string }[] }).Answer[0]).toMatchObject({
			type: 16,
			data: '"oja-verify=abc"',
		});
		await setTxt(dns.adminUrl, "_oja-challenge.shop.example.ng", []);
		expect(await resolver.txt("_oja-challenge.shop.example.ng")).toEqual([]);
	});
});
