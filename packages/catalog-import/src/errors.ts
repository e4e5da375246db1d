/** The file as a whole cannot be imported (bad header, broken CSV, not UTF-8…): nothing is written. */
export class ImportFileError extends Error {
	readonly errors: { path: string; message: string; code: string }[];
	constructor(message: string, errors: { path: string; message: string; code: string }[] = []) {
		super(message);
		this.name = "ImportFileError";
		this.errors = errors;
	}
}
