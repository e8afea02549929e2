/**
 * Single-table key design. Every access path the product needs is one Query or GetItem:
 * - pk/sk: an entity and what belongs to it (account → charges, ledger; invoice → deliveries, dunning)
 * - gsi1: listings (all accounts, invoices of a period, payments by time)
 * - gsi2: work queues (open invoices by due date, unapplied payments, held invoices, open disputes)
 */
export const GSI1 = "gsi1";
export const GSI2 = "gsi2";

/**
 * The partition of a payment's parked refunds and disputes (and its marker). Taking one off
 * the queue is the only delete the payment webhook makes, and its DeleteItem grant is limited
 * to these partitions (functions/catalog.ts).
 */
export const PARKED_PARTITION_PREFIX = "PARKED#";
/** The partition of the imports' writing leases (keys.importWriting). */
export const IMPORTS_WRITING_PARTITION = "IMPORTS_WRITING";

/** The table's key schema; CDK (infra/) and the embedded runtime (local/) both build the table from it. */
export const tableKeySchema = {
	partitionKey: "pk",
	sortKey: "sk",
	globalSecondaryIndexes: [
		{ indexName: GSI1, partitionKey: "gsi1pk", sortKey: "gsi1sk" },
		{ indexName: GSI2, partitionKey: "gsi2pk", sortKey: "gsi2sk" },
	],
	/** Epoch seconds after which DynamoDB's TTL deletes an item (raw webhook events and bodies); DynamoDB Local ignores it. */
	timeToLiveAttribute: "ttl",
} as const;

export const keys = {
	account: (accountId: string) => ({ pk: `ACCOUNT#${accountId}`, sk: "ACCOUNT" }),
	/** A desk user lives in the user pool, not the table: only their audit trail is here, by email. */
	deskUser: (email: string) => ({ pk: `USER#${email}`, sk: "USER" }),
	accountListing: (accountId: string) => ({ gsi1pk: "ACCOUNTS", gsi1sk: accountId }),
	/** On the account while its address is marked undeliverable (a bounce or complaint), oldest first: the worklist reads these. */
	undeliverableAddress: (at: string, accountId: string) => ({ gsi2pk: "UNDELIVERABLE_ADDRESSES", gsi2sk: `${at}#${accountId}` }),
	/** One bounce or complaint report of SES for one recipient, kept so a redelivered event records nothing twice. */
	emailFeedback: (feedbackId: string, address: string) => ({ pk: `EMAIL_FEEDBACK#${feedbackId}`, sk: address.toLowerCase() }),
	/** A page of the account's charges of a month: imports write many charges as few items. */
	chargePage: (accountId: string, period: string, pageId: string) => ({
		pk: `ACCOUNT#${accountId}`,
		sk: `CHARGES#${period}#${pageId}`,
	}),
	/**
	 * The account's charge book: its version is raised by every write of the account's charge
	 * pages, each conditional on the version its writer read, so two imports never both add a charge.
	 */
	chargeBook: (accountId: string) => ({ pk: `ACCOUNT#${accountId}`, sk: "CHARGES" }),
	/** The pages of a month, or of every month without one. */
	chargePagesPrefix: (period?: string) => (period ? `CHARGES#${period}#` : "CHARGES#"),
	invoiceForPeriod: (accountId: string, period: string) => ({
		pk: `ACCOUNT#${accountId}`,
		sk: `INVOICE_FOR#${period}`,
	}),
	invoiceForPeriodPrefix: "INVOICE_FOR#",
	invoice: (number: string) => ({ pk: `INVOICE#${number}`, sk: "INVOICE" }),
	invoiceListing: (period: string, number: string) => ({ gsi1pk: `INVOICES#${period}`, gsi1sk: number }),
	openInvoice: (dueDate: string, number: string) => ({ gsi2pk: "OPEN_INVOICES", gsi2sk: `${dueDate}#${number}` }),
	/**
	 * An invoice's place on the held invoices' queue: a marker item beside the invoice (whose
	 * gsi2 is the open invoices' queue), in the queue's index while the invoice is held with
	 * something due.
	 */
	heldInvoiceMarker: (number: string) => ({ pk: `HELD_INVOICE#${number}`, sk: "MARKER" }),
	heldInvoiceQueued: (since: string, number: string) => ({ gsi2pk: "HELD_INVOICES", gsi2sk: `${since}#${number}` }),
	/** Written once the holds and disputes stored before their queues existed are on them. */
	worklistQueuesFilled: { pk: "WORKLIST_QUEUES", sk: "FILLED" },
	invoiceSeries: (series: string) => ({ pk: `SERIES#${series}`, sk: "SERIES" }),
	delivery: (number: string, channel: string) => ({ pk: `INVOICE#${number}`, sk: `DELIVERY#${channel}` }),
	dunning: (number: string, stage: string) => ({ pk: `INVOICE#${number}`, sk: `DUNNING#${stage}` }),
	/** One per dunning email sent to the account, by date: the rolling-week cap counts these. */
	dunningSent: (accountId: string, asOf: string, number: string, stage: string) => ({
		pk: `ACCOUNT#${accountId}`,
		sk: `DUNNING_SENT#${asOf}#${number}#${stage}`,
	}),
	dunningSentPrefix: "DUNNING_SENT#",
	collectionsCase: (accountId: string, openedOn: string) => ({ pk: `ACCOUNT#${accountId}`, sk: `COLLECTIONS_CASE#${openedOn}` }),
	collectionsCasePrefix: "COLLECTIONS_CASE#",
	/** Cases by the month they were opened in: the agency's CSV of that month. */
	collectionsCaseListing: (month: string, accountId: string) => ({ gsi1pk: `COLLECTIONS_CASES#${month}`, gsi1sk: accountId }),
	/** Present while the case is open: `billing collections list`. */
	openCollectionsCase: (openedOn: string, accountId: string) => ({ gsi2pk: "OPEN_COLLECTIONS_CASES", gsi2sk: `${openedOn}#${accountId}` }),
	ledgerEntry: (accountId: string, recordedAt: string, entryId: string) => ({
		pk: `ACCOUNT#${accountId}`,
		sk: `LEDGER#${recordedAt}#${entryId}`,
	}),
	ledgerPrefix: "LEDGER#",
	payment: (provider: string, paymentId: string) => ({ pk: `PAYMENT#${provider}#${paymentId}`, sk: "PAYMENT" }),
	/**
	 * A payment's place on the open disputes' queue: a marker item beside the payment (whose
	 * gsi2 is the unapplied queue), in the queue's index while its dispute is open.
	 */
	openDisputeMarker: (provider: string, paymentId: string) => ({ pk: `OPEN_DISPUTE#${provider}#${paymentId}`, sk: "MARKER" }),
	openDisputeQueued: (since: string, provider: string, paymentId: string) => ({
		gsi2pk: "OPEN_DISPUTES",
		gsi2sk: `${since}#${provider}#${paymentId}`,
	}),
	paymentListing: (receivedAt: string, provider: string, paymentId: string) => ({
		gsi1pk: "PAYMENTS",
		gsi1sk: `${receivedAt}#${provider}#${paymentId}`,
	}),
	unappliedPayment: (receivedAt: string, provider: string, paymentId: string) => ({
		gsi2pk: "UNAPPLIED_PAYMENTS",
		gsi2sk: `${receivedAt}#${provider}#${paymentId}`,
	}),
	webhookEvent: (provider: string, eventId: string) => ({ pk: `EVENT#${provider}#${eventId}`, sk: "EVENT" }),
	/** A delivery's raw body stored once for the events it carried (a GoCardless batch), by its SHA-256. */
	webhookBody: (provider: string, bodyId: string) => ({ pk: `WEBHOOK_BODY#${provider}#${bodyId}`, sk: "BODY" }),
	/** A refund or dispute waiting for its payment, oldest first under the payment. */
	parkedEvent: (provider: string, paymentId: string, occurredAt: string, eventId: string) => ({
		pk: `${PARKED_PARTITION_PREFIX}${provider}#${paymentId}`,
		sk: `EVENT#${occurredAt}#${eventId}`,
	}),
	parkedEventPrefix: "EVENT#",
	/** Written with every parked event so that recording the payment can check for them inside its own transaction. */
	parkedMarker: (provider: string, paymentId: string) => ({ pk: `${PARKED_PARTITION_PREFIX}${provider}#${paymentId}`, sk: "MARKER" }),
	parkedListing: (provider: string, paymentId: string, occurredAt: string, eventId: string) => ({
		gsi2pk: "PARKED_EVENTS",
		gsi2sk: `${provider}#${paymentId}#${occurredAt}#${eventId}`,
	}),
	runFailure: (period: string, accountId: string, stage: string) => ({
		pk: `RUN#${period}`,
		sk: `FAILURE#${accountId}#${stage}`,
	}),
	runFailurePrefix: "FAILURE#",
	creditMemo: (number: string) => ({ pk: `CREDIT_MEMO#${number}`, sk: "CREDIT_MEMO" }),
	/** A document's e-invoice (DESIGN.md section 13): where it is stored and what the rules said, beside the invoice or credit memo. */
	einvoice: (document: "invoice" | "credit_memo", number: string) => ({
		pk: document === "invoice" ? `INVOICE#${number}` : `CREDIT_MEMO#${number}`,
		sk: "EINVOICE",
	}),
	/** On the e-invoice record while the rules refuse it, oldest first: the worklist reads these. */
	einvoiceRefused: (at: string, number: string) => ({ gsi2pk: "EINVOICES_REFUSED", gsi2sk: `${at}#${number}` }),
	creditMemoListing: (number: string) => ({ gsi1pk: "CREDIT_MEMOS", gsi1sk: number }),
	/** Audit entries live in their subject's partition: ACCOUNT#id, INVOICE#number or CREDIT_MEMO#number. */
	auditEntry: (subjectPk: string, at: string, entryId: string) => ({ pk: subjectPk, sk: `AUDIT#${at}#${entryId}` }),
	auditPrefix: "AUDIT#",
	statement: (accountId: string, period: string) => ({ pk: `ACCOUNT#${accountId}`, sk: `STATEMENT#${period}` }),
	statementPrefix: "STATEMENT#",
	/** Its own partition, so the statement chain's range query under the account never meets it. */
	statementDelivery: (accountId: string, period: string, channel: string) => ({
		pk: `STATEMENT#${accountId}#${period}`,
		sk: `DELIVERY#${channel}`,
	}),
	/**
	 * A delivery claimed (status "sending") and not yet marked sent or failed: a crash between
	 * the claim and the send leaves it so, its outcome unknown. Indexed by period until settled.
	 */
	deliveryOutcomeUnknown: (period: string, delivery: { readonly pk: string; readonly sk: string }) => ({
		gsi2pk: "DELIVERIES_SENDING",
		gsi2sk: `${period}#${delivery.pk}#${delivery.sk}`,
	}),
	deliveriesOutcomeUnknownOf: (period: string) => ({ gsi2pk: "DELIVERIES_SENDING", gsi2skPrefix: `${period}#` }),
	/** A postal delivery queued for the period's print batch, so the batch reads its documents only, not every invoice. */
	queuedForPrint: (period: string, delivery: { readonly pk: string; readonly sk: string }) => ({
		gsi2pk: `PRINT_QUEUE#${period}`,
		gsi2sk: `${delivery.pk}#${delivery.sk}`,
	}),
	run: (period: string) => `RUN#${period}`,
	/** How a billing cycle's execution ended (succeeded or failed), once per execution, in its period's run partition. */
	runOutcome: (period: string, execution: string) => ({ pk: `RUN#${period}`, sk: `OUTCOME#${execution}` }),
	plan: (planCode: string) => ({ pk: `PLAN#${planCode}`, sk: "PLAN" }),
	planListing: (planCode: string) => ({ gsi1pk: "PLANS", gsi1sk: planCode }),
	subscription: (subscriptionId: string) => ({ pk: `SUBSCRIPTION#${subscriptionId}`, sk: "SUBSCRIPTION" }),
	/** An account's subscriptions, for its invoice. */
	subscriptionListing: (accountId: string, subscriptionId: string) => ({ gsi1pk: `SUBSCRIPTIONS_OF#${accountId}`, gsi1sk: subscriptionId }),
	/** The books' lock: every period up to `closedThrough` is closed (`billing books close`). */
	booksLock: { pk: "BOOKS", sk: "LOCK" },
	ledgerCheck: (scope: string) => ({ pk: "LEDGER_CHECK", sk: scope }),
	/** Who closed a period, when and why. */
	periodClose: (period: string) => ({ pk: "BOOKS", sk: `CLOSE#${period}` }),
	periodClosePrefix: "CLOSE#",
	/** Who works an item of the worklist (`billing worklist assign`). */
	worklistAssignment: (itemId: string) => ({ pk: `WORKLIST#${itemId}`, sk: "ASSIGNMENT" }),
	worklistAssignmentListing: (itemId: string) => ({ gsi1pk: "WORKLIST_ASSIGNMENTS", gsi1sk: itemId }),
	/**
	 * A billing event (the outbox, DESIGN.md section 14) in the partition of the object it is
	 * about, so a stream delivers one object's events in the order they were committed.
	 */
	event: (objectPk: string, occurredAt: string, eventId: string) => ({ pk: objectPk, sk: `EVENT#${occurredAt}#${eventId}` }),
	eventPrefix: "EVENT#",
	/** Events by the day they occurred, then by time: `billing events list --since`. */
	eventListing: (occurredAt: string, eventId: string) => ({
		gsi1pk: `EVENTS#${occurredAt.slice(0, 10)}`,
		gsi1sk: `${occurredAt}#${eventId}`,
	}),
	/** The last `sequence` the publisher gave an event of the object whose partition it is in. */
	eventSequence: (objectPk: string) => ({ pk: objectPk, sk: "EVENT_SEQUENCE" }),
	/** Where the embedded publisher has read a shard of the table's stream up to. */
	streamCheckpoint: (streamArn: string, shardId: string) => ({ pk: `STREAM#${streamArn}`, sk: shardId }),
	/** A webhook endpoint (DESIGN.md section 14): its URL, the events it takes, its signing secrets. */
	webhookEndpoint: (endpointId: string) => ({ pk: `WEBHOOK_ENDPOINT#${endpointId}`, sk: "ENDPOINT" }),
	webhookEndpointListing: (createdAt: string, endpointId: string) => ({
		gsi1pk: "WEBHOOK_ENDPOINTS",
		gsi1sk: `${createdAt}#${endpointId}`,
	}),
	/** On the endpoint while events to it are dead-lettered: the worklist reads these. */
	webhookEndpointFailing: (since: string, endpointId: string) => ({ gsi2pk: "WEBHOOK_DEAD_LETTERS", gsi2sk: `${since}#${endpointId}` }),
	/** One event's delivery to one endpoint, with every attempt; by event id, so in the order events were made. */
	webhookDelivery: (endpointId: string, eventId: string) => ({ pk: `WEBHOOK_ENDPOINT#${endpointId}`, sk: `DELIVERY#${eventId}` }),
	webhookDeliveryPrefix: "DELIVERY#",
	/** On a delivery while it waits for its next attempt, by when that is due. */
	webhookDeliveryDue: (dueAt: string, endpointId: string, eventId: string) => ({
		gsi2pk: "WEBHOOK_DELIVERIES_DUE",
		gsi2sk: `${dueAt}#${endpointId}#${eventId}`,
	}),
	/** A dispute's events' partition: a dispute is stored on its payment, but its events are about it. */
	dispute: (disputeId: string) => ({ pk: `DISPUTE#${disputeId}` }),
	/** One import of files (`billing import`, an object under imports/): what it read and wrote. */
	/** Present while an import writes, with its lease: billing runs wait for it (shared/imports/writing.ts). */
	importWriting: (importId: string) => ({ pk: IMPORTS_WRITING_PARTITION, sk: importId }),
	importRun: (importId: string) => ({ pk: `IMPORT#${importId}`, sk: "IMPORT" }),
} as const;

/** Strips key attributes so records read back match their schemas. */
export function withoutKeys<T extends Record<string, unknown>>(item: T): Omit<T, "pk" | "sk" | "gsi1pk" | "gsi1sk" | "gsi2pk" | "gsi2sk"> {
	const { pk: _pk, sk: _sk, gsi1pk: _a, gsi1sk: _b, gsi2pk: _c, gsi2sk: _d, ...rest } = item;
	return rest;
}
