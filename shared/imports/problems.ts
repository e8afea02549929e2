import { ValidationError } from "../core/errors.js";
import type { FieldError } from "./rows.js";

const MAX_ERRORS_LISTED = 100;

/** One bad row's problem, as the desk lists it. */
export interface RowProblem {
	readonly file: string;
	readonly line: number;
	readonly field: string;
	readonly message: string;
}

/** The file was refused: every bad row, up to 100, as "line N: field: reason"; nothing was written. */
export class ImportRefused extends ValidationError {
	/** The listed rows' problems one by one, for the desk's table of line errors. */
	readonly details: { readonly errorCount: number; readonly rows: readonly RowProblem[] };
	constructor(
		readonly errors: readonly string[],
		readonly errorCount: number,
		rows: readonly RowProblem[] = [],
	) {
		super(
			`import refused, nothing written: ${errorCount} error${errorCount === 1 ? "" : "s"}${errorCount > errors.length ? ` (the first ${errors.length} listed)` : ""}\n${errors.join("\n")}`,
		);
		this.name = "ImportRefused";
		this.details = { errorCount, rows };
	}
}

/** Every bad row of an import, counted; the first 100 kept to be listed. */
export class Problems {
	readonly errors: string[] = [];
	readonly rows: RowProblem[] = [];
	count = 0;
	constructor(private readonly prefixWithFile: boolean) {}

	add(file: string, e: FieldError): void {
		this.count++;
		if (this.errors.length < MAX_ERRORS_LISTED) {
			this.errors.push(`${this.prefixWithFile ? `${file}: ` : ""}line ${e.line}: ${e.field}: ${e.reason}`);
			this.rows.push({ file, line: e.line, field: e.field, message: e.reason });
		}
	}

	/** Refuses the import when any row was bad. */
	refuseIfAny(): void {
		if (this.count > 0) throw new ImportRefused(this.errors, this.count, this.rows);
	}
}
