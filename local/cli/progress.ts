/**
 * One progress line on stderr for long CLI work (a billing run, a big seed): the current
 * step and, where there is one, a count with its rate. On a terminal the line is redrawn in
 * place; otherwise (a log, a pipe) it is printed at most once per interval and at each
 * change of step, so a long run writes a few lines, not one per state.
 */

/** Progress goes to stderr so stdout stays clean for --json. */
export function progress(message: string): void {
	process.stderr.write(`${message}\n`);
}

export interface ProgressStream {
	write(text: string): unknown;
	readonly isTTY?: boolean;
	readonly columns?: number;
}

export interface ProgressLineOptions {
	/** Default: process.stderr. */
	readonly stream?: ProgressStream;
	/** Epoch milliseconds (default Date.now). */
	readonly now?: () => number;
	/** Off a terminal, the least time between two lines of the same step (default 5 s). */
	readonly intervalMs?: number;
}

export interface ProgressLine {
	/** The current step and what it has done so far (one line's worth). */
	update(step: string, detail?: string): void;
	/** Ends the line, leaving `final` (or the last update) as the last line printed. */
	done(final?: string): void;
}

export interface Counts {
	/** What is counted, e.g. "accounts invoiced". */
	readonly label: string;
	readonly done: number;
	readonly total: number;
	readonly failed?: number;
	/** The rate's unit, e.g. "accounts" for "12 accounts/s". */
	readonly unit: string;
	/** Seconds since counting began (the rate is done / seconds). */
	readonly seconds: number;
}

const number = (n: number) => Math.round(n).toLocaleString("en-US");

/** "accounts invoiced 1,234 of 10,000 (12%), 56 accounts/s, 3 failed". */
export function formatCounts(c: Counts): string {
	const percent = c.total > 0 ? Math.floor((c.done * 100) / c.total) : 100;
	const rate = c.seconds > 0 ? c.done / c.seconds : 0;
	const rateText = rate >= 10 || rate === 0 ? number(rate) : rate.toFixed(1);
	const failed = c.failed === undefined ? "" : `, ${number(c.failed)} failed`;
	return `${c.label} ${number(c.done)} of ${number(c.total)} (${percent}%), ${rateText} ${c.unit}/s${failed}`;
}

const CLEAR_LINE = "\r\x1b[2K";

export function progressLine(options: ProgressLineOptions = {}): ProgressLine {
	const stream = options.stream ?? process.stderr;
	const now = options.now ?? Date.now;
	const intervalMs = options.intervalMs ?? 5_000;
	const tty = stream.isTTY === true;
	let step: string | undefined;
	let shown: string | undefined;
	let latest: string | undefined;
	let shownAt = Number.NEGATIVE_INFINITY;
	let ended = false;

	const truncate = (text: string) => {
		const width = (stream.columns ?? 0) - 1;
		return tty && width > 0 && text.length > width ? `${text.slice(0, width - 1)}…` : text;
	};
	const show = (text: string) => {
		stream.write(tty ? `${CLEAR_LINE}${truncate(text)}` : `${text}\n`);
		shown = text;
		shownAt = now();
	};

	return {
		update(nextStep, detail) {
			if (ended) return;
			const text = detail ? `${nextStep}: ${detail}` : nextStep;
			latest = text;
			const stepChanged = nextStep !== step;
			step = nextStep;
			if (text === shown) return;
			if (tty || stepChanged || now() - shownAt >= intervalMs) show(text);
		},
		done(final) {
			if (ended) return;
			ended = true;
			const text = final ?? latest;
			if (tty) {
				if (text !== undefined) stream.write(`${CLEAR_LINE}${text}\n`);
				else if (shown !== undefined) stream.write(CLEAR_LINE);
			} else if (text !== undefined && text !== shown) stream.write(`${text}\n`);
		},
	};
}
