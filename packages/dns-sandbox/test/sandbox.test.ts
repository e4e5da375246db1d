import { dohResolver } from "@oja/dns";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DnsSandbox, setAddresses, setTxt, startDnsSandbox } from "../src/index.ts";

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

	it("answers A and AAAA separately from TXT, as the webhook checks ask", async () => {
		const resolver = dohResolver(dns.url);
		expect(await resolver.addresses("hooks.example.ng")).toEqual([]);
		await setAddresses(dns.adminUrl, "hooks.example.ng", "a", ["10.0.0.5"]);
		await setAddresses(dns.adminUrl, "hooks.example.ng", "aaaa", ["fd00:ec2::254"]);
		expect(await resolver.addresses("Hooks.Example.NG.")).toEqual(["10.0.0.5", "fd00:ec2::254"]);
		expect(await resolver.txt("hooks.example.ng")).toEqual([]);
		await setAddresses(dns.adminUrl, "hooks.example.ng", "a", []);
		expect(await resolver.addresses("hooks.example.ng")).toEqual(["fd00:ec2::254"]);
	});
});
