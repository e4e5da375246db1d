// An incremental RFC 4180 CSV tokenizer: feed it text chunks as they arrive (split anywhere,
// even inside a quoted field or between CR and LF) and it returns the records completed so
// far. Quoted fields may hold commas, newlines and doubled quotes; CRLF, LF and lone CR end
// records; a leading byte-order mark is dropped. A quote inside an unquoted field is kept as
// text (5" screen), as spreadsheets do.

export interface CsvRecord {
	/** 1-based record number (the header is row 1): what a spreadsheet shows as the row. */
	row: number;
	fields: string[];
}

export class CsvSyntaxError extends Error {
	readonly row: number;
	constructor(row: number, message: string) {
		super(message);
		this.name = "CsvSyntaxError";
		this.row = row;
	}
}

const COMMA = 44;
const CR = 13;
const LF = 10;

export class CsvTokenizer {
	private fields: string[] = [];
	private field = "";
	private fieldsChars = 0;
	/** start: at a field's beginning; quoted: inside quotes; quote: just after a quote inside quotes. */
	private state: "start" | "unquoted" | "quoted" | "quote" = "start";
	private skipLf = false;
	private atStart = true;
	private row = 1;
	private readonly maxRecordChars: number;

	constructor(options: { maxRecordChars?: number } = {}) {
		this.maxRecordChars = options.maxRecordChars ?? 1024 * 1024;
	}

	push(chunk: string): CsvRecord[] {
		const out: CsvRecord[] = [];
		const n = chunk.length;
		let i = 0;
		if (this.atStart && n > 0) {
			this.atStart = false;
			if (chunk.charCodeAt(0) === 0xfeff) i = 1;
		}
		if (this.skipLf && i < n) {
			this.skipLf = false;
			if (chunk.charCodeAt(i) === LF) i++;
		}
		while (i < n) {
			if (this.state === "quoted") {
				const q = chunk.indexOf('"', i);
				if (q === -1) {
					this.field += chunk.slice(i);
					break;
				}
				this.field += chunk.slice(i, q);
				this.state = "quote";
				i = q + 1;
				continue;
			}
			const c = chunk.charCodeAt(i);
			if (this.state === "quote") {
				if (c === 34) {
					this.field += '"';
					this.state = "quoted";
					i++;
					continue;
				}
				if (c !== COMMA && c !== CR && c !== LF) {
					throw new CsvSyntaxError(this.row, `Row ${this.row}: unexpected text after a closing quote (write a quote as "")`);
				}
				this.state = "unquoted";
			}
			if (this.state === "start") {
				if (c === 34) {
					this.state = "quoted";
					i++;
					continue;
				}
				this.state = "unquoted";
			}
			let j = i;
			while (j < n) {
				const d = chunk.charCodeAt(j);
				if (d === COMMA || d === CR || d === LF) break;
				j++;
			}
			this.field += chunk.slice(i, j);
			if (j === n) break;
			const d = chunk.charCodeAt(j);
			i = j + 1;
			this.endField();
			if (d === COMMA) continue;
			out.push(this.endRecord());
			if (d === CR) {
				if (i < n) {
					if (chunk.charCodeAt(i) === LF) i++;
				} else {
					this.skipLf = true;
				}
			}
		}
		if (this.fieldsChars + this.field.length > this.maxRecordChars) {
			throw new CsvSyntaxError(this.row, `Row ${this.row} is longer than ${this.maxRecordChars} characters`);
		}
		return out;
	}

	/** The last record (if the text did not end with a newline); throws on an unclosed quote. */
	end(): CsvRecord[] {
		if (this.state === "quoted") {
			throw new CsvSyntaxError(this.row, `Row ${this.row}: a quoted field is never closed`);
		}
		if (this.fields.length === 0 && this.field === "" && this.state === "start") return [];
		this.endField();
		return [this.endRecord()];
	}

	private endField(): void {
		this.fields.push(this.field);
		this.fieldsChars += this.field.length;
		this.field = "";
		this.state = "start";
	}

	private endRecord(): CsvRecord {
		const record = { row: this.row, fields: this.fields };
		this.fields = [];
		this.fieldsChars = 0;
		this.row++;
		return record;
	}
}

/** One CSV record (no line ending), quoting only where needed. */
export function csvRecord(fields: readonly string[]): string {
	if (fields.length === 1 && fields[0] === "") return '""';
	return fields.map((f) => (/[",\r\n]/.test(f) || f.startsWith("\uFEFF") ? `"${f.replaceAll('"', '""')}"` : f)).join(",");
}
