/** Errors a caller can act on carry a status (4xx shown to the caller, 5xx hidden). */
export class BillingError extends Error {
	readonly statusCode: number;
	constructor(message: string, statusCode = 500, options?: { cause?: unknown }) {
		super(message, options);
		this.name = "BillingError";
		this.statusCode = statusCode;
	}
}

export class ValidationError extends BillingError {
	constructor(message: string, options?: { cause?: unknown }) {
		super(message, 400, options);
		this.name = "ValidationError";
	}
}

export class SignatureError extends BillingError {
	constructor(message: string, options?: { cause?: unknown }) {
		super(message, 401, options);
		this.name = "SignatureError";
	}
}

export class PayloadTooLargeError extends BillingError {
	constructor(message: string) {
		super(message, 413);
		this.name = "PayloadTooLargeError";
	}
}

/**
 * An issued document's key already holds different bytes: documents are never rewritten
 * (DESIGN.md section 15), so the second writer is refused and the stored one stands.
 */
export class DocumentConflictError extends BillingError {
	constructor(message: string, options?: { cause?: unknown }) {
		super(message, 409, options);
		this.name = "DocumentConflictError";
	}
}

export class ConfigError extends Error {
	constructor(message: string) {
		super(message);
		this.name = "ConfigError";
	}
}

/** Thrown for faults worth retrying; the state machine's Retry names it. */
export class TransientError extends Error {
	constructor(message: string, options?: { cause?: unknown }) {
		super(message, options);
		this.name = "TransientError";
	}
}

/** A stored record that no longer matches its schema: named, so an operator can find and fix it. */
export class CorruptRecordError extends Error {
	constructor(message: string) {
		super(message);
		this.name = "CorruptRecordError";
	}
}
