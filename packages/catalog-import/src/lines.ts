// Incremental line splitting for JSON lines: LF or CRLF, chunks split anywhere.

export interface Line {
	/** 1-based line number. */
	line: number;
	text: string;
}

export class LineTooLongError extends Error {
	readonly line: number;
	constructor(line: number, max: number) {
		super(`Line ${line} is longer than ${max} characters`);
		this.name = "LineTooLongError";
		this.line = line;
	}
}

export class LineSplitter {
	private pending = "";
	private line = 1;
	private atStart = true;
	private readonly maxLineChars: number;

	constructor(options: { maxLineChars?: number } = {}) {
		this.maxLineChars = options.maxLineChars ?? 1024 * 1024;
	}

	push(chunk: string): Line[] {
		let text = chunk;
		if (this.atStart && text.length > 0) {
			this.atStart = false;
			if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
		}
		const out: Line[] = [];
		let start = 0;
		for (let nl = text.indexOf("\n"); nl !== -1; nl = text.indexOf("\n", start)) {
			const piece = this.pending + text.slice(start, nl);
			this.pending = "";
			out.push({ line: this.line++, text: piece.endsWith("\r") ? piece.slice(0, -1) : piece });
			start = nl + 1;
		}
		this.pending += text.slice(start);
		if (this.pending.length > this.maxLineChars) throw new LineTooLongError(this.line, this.maxLineChars);
		for (const l of out) if (l.text.length > this.maxLineChars) throw new LineTooLongError(l.line, this.maxLineChars);
		return out;
	}

	end(): Line[] {
		if (this.pending === "") return [];
		const text = this.pending.endsWith("\r") ? this.pending.slice(0, -1) : this.pending;
		this.pending = "";
		return [{ line: this.line++, text }];
	}
}
