import {
	type EInvoiceDetails,
	readBuyerReference,
	readCity,
	readCountryCode,
	readEInvoiceKind,
	readPostalCode,
} from "../core/einvoice-account.js";
import { accountIdSchema, type PaymentTerms, paymentTermsSchema } from "../core/model.js";
import { MINOR_UNIT_DIGITS, parsePercentPpm, parseQuantity, type Quantity } from "../core/money.js";
import { readPeppolId } from "../core/peppol-schemes.js";
import { readVatId } from "../core/vat-ids.js";
import { isDeliverableEmailAddress } from "../documents/email-address.js";
import type { ImportRow } from "./read.js";

/**
 * The rows of each kind of import file (DESIGN.md section 8), checked field by field on
 * their own. What needs other rows or the store (an account's currency, an id seen twice)
 * is checked by the import (import.ts).
 */

export const IMPORT_KINDS = ["accounts", "plans", "subscriptions", "charges"] as const;
export type ImportKind = (typeof IMPORT_KINDS)[number];

export const COLUMNS: Readonly<Record<ImportKind, { readonly required: readonly string[]; readonly optional: readonly string[] }>> = {
	accounts: {
		required: ["account_id", "name", "currency"],
		optional: [
			"email",
			"delivery",
			"address",
			"tax_rate",
			"jurisdiction",
			"tax_exempt",
			"payment_terms",
			"status",
			"closed_on",
			"external_ref",
			"einvoice",
			"vat_id",
			"peppol_id",
			"buyer_reference",
			"city",
			"postal_code",
			"country",
		],
	},
	plans: { required: ["plan_code", "description", "currency", "unit_price"], optional: [] },
	subscriptions: { required: ["subscription_id", "account_id", "plan_code", "start_date"], optional: ["quantity", "end_date"] },
	charges: { required: ["charge_id", "account_id", "date", "description", "quantity", "unit_price"], optional: ["kind"] },
};

export function columnsOf(kind: ImportKind): string[] {
	return [...COLUMNS[kind].required, ...COLUMNS[kind].optional];
}

export interface FieldError {
	readonly line: number;
	readonly field: string;
	readonly reason: string;
}

export interface AccountRow {
	readonly line: number;
	readonly accountId: string;
	readonly name: string;
	readonly currency: string;
	readonly email: string;
	readonly delivery: "email" | "postal";
	readonly addressLines: string[];
	readonly taxRatePpm?: number;
	readonly jurisdiction?: string;
	readonly taxExempt: boolean;
	readonly paymentTerms: PaymentTerms;
	readonly status: "active" | "closed";
	readonly closedOn?: string;
	readonly externalRef?: string;
	/**
	 * The e-invoice columns the row has (DESIGN.md section 13): a field is here when its
	 * column is (undefined when empty: the account's value is cleared); a column the file
	 * leaves out leaves the account's value as it is.
	 */
	readonly einvoice: EInvoiceDetails;
}

/** The account's e-invoice fields by their import column. */
export const EINVOICE_COLUMNS: Readonly<Record<keyof EInvoiceDetails, string>> = {
	einvoice: "einvoice",
	vatId: "vat_id",
	peppolId: "peppol_id",
	buyerReference: "buyer_reference",
	city: "city",
	postalCode: "postal_code",
	country: "country",
};

export interface PlanRow {
	readonly line: number;
	readonly planCode: string;
	readonly description: string;
	readonly currency: string;
	/** As written; read into minor units with the currency (checked here). */
	readonly unitPrice: string;
}

export interface SubscriptionRow {
	readonly line: number;
	readonly subscriptionId: string;
	readonly accountId: string;
	readonly planCode: string;
	readonly quantity: number;
	readonly startDate: string;
	readonly endDate?: string;
}

export interface ChargeRow {
	readonly line: number;
	readonly chargeId: string;
	readonly accountId: string;
	readonly date: string;
	readonly description: string;
	readonly quantity: Quantity;
	/** As written; its currency is the account's, known once the accounts are. */
	readonly unitPrice: string;
	readonly kind: "usage" | "one_time";
}

export type RowOf<K extends ImportKind> = K extends "accounts"
	? AccountRow
	: K extends "plans"
		? PlanRow
		: K extends "subscriptions"
			? SubscriptionRow
			: ChargeRow;

/**
 * The longest value a field may hold, in characters: what a name, an address or a
 * description needs on an invoice, and a bound on every record's size (a charge page or an
 * account item stays far below DynamoDB's 400 KB). Every other field (ids, codes, dates,
 * numbers) is at most DEFAULT_MAX_LENGTH.
 */
export const MAX_LENGTH: Readonly<Record<string, number>> = {
	name: 200,
	email: 254,
	address: 500,
	description: 500,
	external_ref: 128,
};
const DEFAULT_MAX_LENGTH = 64;

/** A row's fields read one by one; every problem is kept, so one pass names them all. */
class FieldReader {
	readonly errors: FieldError[] = [];
	/** Fields refused for their length: what else is wrong with them is not worth saying. */
	private readonly tooLong = new Set<string>();
	constructor(private readonly row: ImportRow) {
		for (const [field, value] of Object.entries(row.fields)) {
			const max = MAX_LENGTH[field] ?? DEFAULT_MAX_LENGTH;
			const length = [...value.trim()].length;
			if (length > max) {
				this.fail(field, `is ${length.toLocaleString("en-US")} characters long; at most ${max}`);
				this.tooLong.add(field);
			}
		}
	}

	fail(field: string, reason: string): undefined {
		if (!this.tooLong.has(field)) this.errors.push({ line: this.row.line, field, reason });
		return undefined;
	}

	/** The field's value when the row has its column ("" when empty), undefined when it has not. */
	given(field: string): string | undefined {
		return field in this.row.fields ? (this.row.fields[field]?.trim() ?? "") : undefined;
	}

	optional(field: string): string | undefined {
		const value = this.row.fields[field]?.trim();
		return value === undefined || value === "" ? undefined : value;
	}

	required(field: string): string {
		return this.optional(field) ?? this.fail(field, "is required") ?? "";
	}

	oneOf<T extends string>(field: string, values: readonly T[], fallback: T): T {
		const value = this.optional(field);
		if (value === undefined) return fallback;
		return values.includes(value as T)
			? (value as T)
			: (this.fail(field, `must be one of ${values.join(", ")}, not ${JSON.stringify(value)}`) ?? fallback);
	}

	check<T>(field: string, value: string | undefined, read: (v: string) => T): T | undefined {
		if (value === undefined || value === "") return undefined;
		try {
			return read(value);
		} catch (err) {
			return this.fail(field, (err as Error).message);
		}
	}

	date(field: string, value: string | undefined): string | undefined {
		return this.check(field, value, (v) => {
			if (!isCalendarDate(v)) throw new Error(`${JSON.stringify(v)} is not a date that exists (YYYY-MM-DD)`);
			return v;
		});
	}

	id(field: string, value: string): string {
		if (value !== "" && !/^[A-Za-z0-9_.:-]{1,64}$/.test(value)) this.fail(field, "1-64 letters, digits, -, _, . or :");
		return value;
	}

	currency(field: string): string {
		const value = this.required(field).toUpperCase();
		if (value !== "" && !(value in MINOR_UNIT_DIGITS)) this.fail(field, `must be one of ${Object.keys(MINOR_UNIT_DIGITS).join(", ")}`);
		return value;
	}

	/** A price's shape: digits with at most one point (its decimals are checked against its currency). */
	price(field: string): string {
		const value = this.required(field);
		if (value !== "" && !/^\d+(\.\d+)?$/.test(value))
			this.fail(field, `${JSON.stringify(value)} is not a price: digits with at most one decimal point, e.g. 19.99`);
		return value;
	}
}

export function isCalendarDate(value: string): boolean {
	const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
	if (!match) return false;
	const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
	const date = new Date(Date.UTC(year, month - 1, day));
	return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** How many decimals a price has, to compare with its currency's. */
export function priceDecimals(price: string): number {
	return price.split(".")[1]?.length ?? 0;
}

function accountRow(r: FieldReader, line: number): AccountRow {
	const accountId = r.required("account_id");
	if (accountId !== "" && !accountIdSchema.safeParse(accountId).success) r.fail("account_id", "1-64 letters, digits, - or _");
	const delivery = r.oneOf("delivery", ["email", "postal"] as const, "email");
	const email = r.optional("email") ?? "";
	if (delivery === "email" && email === "") r.fail("email", "is required for email delivery");
	const address = r.optional("address");
	const addressLines = address ? address.split("|").map((l) => l.trim()) : [];
	if (delivery === "postal" && addressLines.length === 0) r.fail("address", "is required for postal delivery (its lines joined by |)");
	if (addressLines.some((l) => l === "")) r.fail("address", "has an empty line");
	const status = r.oneOf("status", ["active", "closed"] as const, "active");
	const closedOn = r.date("closed_on", r.optional("closed_on"));
	if (status === "closed" && closedOn === undefined && r.optional("closed_on") === undefined)
		r.fail("closed_on", "is required for a closed account");
	if (status !== "closed" && r.optional("closed_on") !== undefined) r.fail("closed_on", "is only for status closed");
	const taxExempt = r.oneOf("tax_exempt", ["true", "false"] as const, "false") === "true";
	const taxRatePpm = r.check("tax_rate", r.optional("tax_rate"), parsePercentPpm);
	return {
		line,
		accountId,
		name: r.required("name"),
		currency: r.currency("currency"),
		email,
		delivery,
		addressLines,
		...(taxRatePpm !== undefined ? { taxRatePpm } : {}),
		...(r.optional("jurisdiction") ? { jurisdiction: r.optional("jurisdiction") } : {}),
		taxExempt,
		paymentTerms: r.oneOf("payment_terms", paymentTermsSchema.options, "net_30"),
		status,
		...(closedOn ? { closedOn } : {}),
		...(r.optional("external_ref") ? { externalRef: r.optional("external_ref") } : {}),
		einvoice: einvoiceColumns(r),
	};
}

function einvoiceColumns(r: FieldReader): EInvoiceDetails {
	const details: { -readonly [K in keyof EInvoiceDetails]?: EInvoiceDetails[K] } = {};
	const kind = r.given("einvoice");
	if (kind !== undefined) {
		const read = r.check("einvoice", kind, readEInvoiceKind);
		details.einvoice = read === "none" ? undefined : read;
	}
	const readers = {
		vatId: readVatId,
		peppolId: readPeppolId,
		buyerReference: readBuyerReference,
		city: readCity,
		postalCode: readPostalCode,
		country: readCountryCode,
	} as const;
	for (const field of ["vatId", "peppolId", "buyerReference", "city", "postalCode", "country"] as const) {
		const column = EINVOICE_COLUMNS[field];
		const value = r.given(column);
		if (value !== undefined) details[field] = r.check(column, value, readers[field]);
	}
	return details;
}

function planRow(r: FieldReader, line: number): PlanRow {
	const planCode = r.id("plan_code", r.required("plan_code"));
	const currency = r.currency("currency");
	const unitPrice = r.price("unit_price");
	if (currency in MINOR_UNIT_DIGITS && priceDecimals(unitPrice) > (MINOR_UNIT_DIGITS[currency] ?? 0)) {
		r.fail("unit_price", `${JSON.stringify(unitPrice)} has more decimals than ${currency} has (${MINOR_UNIT_DIGITS[currency]})`);
	}
	return { line, planCode, description: r.required("description"), currency, unitPrice };
}

function subscriptionRow(r: FieldReader, line: number): SubscriptionRow {
	const startDate = r.date("start_date", r.required("start_date")) ?? "";
	const endDate = r.date("end_date", r.optional("end_date"));
	if (startDate && endDate && endDate < startDate) r.fail("end_date", `${endDate} is before start_date ${startDate}`);
	const quantity =
		r.check("quantity", r.optional("quantity"), (v) => {
			if (!/^\d+$/.test(v) || Number(v) < 1 || !Number.isSafeInteger(Number(v)))
				throw new Error(`${JSON.stringify(v)} is not a whole number above 0`);
			return Number(v);
		}) ?? 1;
	return {
		line,
		subscriptionId: r.id("subscription_id", r.required("subscription_id")),
		accountId: r.required("account_id"),
		planCode: r.required("plan_code"),
		quantity,
		startDate,
		...(endDate ? { endDate } : {}),
	};
}

function chargeRow(r: FieldReader, line: number): ChargeRow {
	const quantity =
		r.check("quantity", r.required("quantity"), (v) => {
			const q = parseQuantity(v);
			if (q === 0) throw new Error("must be above 0");
			return q;
		}) ?? 0;
	return {
		line,
		chargeId: r.id("charge_id", r.required("charge_id")),
		accountId: r.required("account_id"),
		date: r.date("date", r.required("date")) ?? "",
		description: r.required("description"),
		quantity,
		unitPrice: r.price("unit_price"),
		kind: r.oneOf("kind", ["usage", "one_time"] as const, "usage"),
	};
}

const READERS: { readonly [K in ImportKind]: (r: FieldReader, line: number) => RowOf<K> } = {
	accounts: accountRow,
	plans: planRow,
	subscriptions: subscriptionRow,
	charges: chargeRow,
};

export type KindRow = { [K in ImportKind]: { readonly kind: K; readonly row: RowOf<K> } }[ImportKind];

/** The row as its kind's record, or every field that is wrong with it. */
export function readRow(kind: ImportKind, row: ImportRow): KindRow | { readonly errors: FieldError[] } {
	const reader = new FieldReader(row);
	const read = READERS[kind](reader, row.line);
	return reader.errors.length > 0 ? { errors: reader.errors } : ({ kind, row: read } as KindRow);
}

/** An address delivery would refuse: the row still imports (the customer is billed), with a warning to correct it. */
export function emailWarning(row: AccountRow): FieldError | undefined {
	if (row.email === "" || isDeliverableEmailAddress(row.email)) return undefined;
	return {
		line: row.line,
		field: "email",
		reason: `${JSON.stringify(row.email)} is not a deliverable address; its documents fail until it is corrected (billing accounts update ${row.accountId} --email ...)`,
	};
}
