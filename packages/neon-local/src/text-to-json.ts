/**
 * Conversion used only when a client omits `Neon-Raw-Text-Output: true` (the official driver
 * always sends it). It follows Neon's proxy: bools, int2/int4, finite floats and json become
 * JSON values, arrays become JSON arrays, and everything else (int8, numeric, dates…) stays text.
 */

/** Built-in array type OID → element type OID (the proxy knows these from its type registry). */
const ARRAY_ELEMENT: Record<number, number> = {
	1000: 16, // bool
	1001: 17, // bytea
	1002: 18, // char
	1003: 19, // name
	1005: 21, // int2
	1007: 23, // int4
	1009: 25, // text
	1014: 1042, // bpchar
	1015: 1043, // varchar
	1016: 20, // int8
	1021: 700, // float4
	1022: 701, // float8
	1028: 26, // oid
	1115: 1114, // timestamp
	1182: 1082, // date
	1183: 1083, // time
	1185: 1184, // timestamptz
	1187: 1186, // interval
	1231: 1700, // numeric
	1270: 1266, // timetz
	199: 114, // json
	2951: 2950, // uuid
	3807: 3802, // jsonb
};

export function textToJson(text: string, typeId: number): unknown {
	const element = ARRAY_ELEMENT[typeId];
	if (element !== undefined) return parseArray(text, element);
	switch (typeId) {
		case 16:
			return text === "t";
		case 21:
		case 23:
			return Number.parseInt(text, 10);
		case 700:
		case 701: {
			const n = Number(text);
			// NaN and ±Infinity have no JSON form; Neon passes them through as strings.
			return Number.isFinite(n) ? n : text;
		}
		case 114:
		case 3802:
			return JSON.parse(text);
		default:
			return text;
	}
}

function parseArray(text: string, element: number): unknown[] {
	// Skip explicit bounds decoration such as `[0:1]={…}`; JSON cannot represent it.
	let pos = text.startsWith("[") ? text.indexOf("=") + 1 : 0;

	const parseLevel = (): unknown[] => {
		const items: unknown[] = [];
		pos++; // the opening brace
		if (text[pos] === "}") {
			pos++;
			return items;
		}
		for (;;) {
			if (text[pos] === "{") {
				items.push(parseLevel());
			} else if (text[pos] === '"') {
				let value = "";
				pos++;
				while (text[pos] !== '"') {
					if (text[pos] === "\\") pos++;
					value += text[pos];
					pos++;
				}
				pos++;
				items.push(textToJson(value, element));
			} else {
				const end = findUnquotedEnd(text, pos);
				const raw = text.slice(pos, end).trim();
				pos = end;
				items.push(raw === "NULL" ? null : textToJson(raw, element));
			}
			const separator = text[pos];
			pos++;
			if (separator === "}") return items;
		}
	};

	return parseLevel();
}

function findUnquotedEnd(text: string, from: number): number {
	let i = from;
	while (i < text.length && text[i] !== "," && text[i] !== "}") i++;
	return i;
}
