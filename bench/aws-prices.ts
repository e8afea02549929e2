/**
 * AWS list prices in us-east-1 that `npm run bench:cycle` prices a month with, each in
 * integer picodollars (10⁻¹² USD) per unit so that the smallest (a DynamoDB read request
 * unit, $0.125 per million) is a whole number. Free tiers are left out: a billing run of
 * thousands of accounts is past them.
 *
 * Written from the published price pages as known on the date below, without a network to
 * read them again at writing: check the pages before quoting a number to a customer.
 */
export const PRICES_READ_ON = "2026-12-08";

export interface UnitPrice {
	/** Picodollars per unit. */
	readonly picoUsd: number;
	readonly unit: string;
	/** The price as the page states it. */
	readonly listed: string;
	readonly source: string;
}

export const AWS_PRICES = {
	dynamodbWriteRequestUnit: {
		picoUsd: 625_000,
		unit: "write request unit (on-demand)",
		listed: "$0.625 per million write request units (after the November 2024 price cut)",
		source: "https://aws.amazon.com/dynamodb/pricing/on-demand/",
	},
	dynamodbReadRequestUnit: {
		picoUsd: 125_000,
		unit: "read request unit (on-demand)",
		listed: "$0.125 per million read request units (after the November 2024 price cut)",
		source: "https://aws.amazon.com/dynamodb/pricing/on-demand/",
	},
	s3PutRequest: {
		picoUsd: 5_000_000,
		unit: "PUT, COPY, POST or LIST request (S3 Standard)",
		listed: "$0.005 per 1,000 requests",
		source: "https://aws.amazon.com/s3/pricing/",
	},
	s3GetRequest: {
		picoUsd: 400_000,
		unit: "GET, HEAD or other request (S3 Standard)",
		listed: "$0.0004 per 1,000 requests",
		source: "https://aws.amazon.com/s3/pricing/",
	},
	sesEmail: {
		picoUsd: 100_000_000,
		unit: "email sent (per recipient)",
		listed: "$0.10 per 1,000 emails",
		source: "https://aws.amazon.com/ses/pricing/",
	},
	lambdaRequest: {
		picoUsd: 200_000,
		unit: "Lambda request",
		listed: "$0.20 per 1 million requests",
		source: "https://aws.amazon.com/lambda/pricing/",
	},
	lambdaGbSecond: {
		picoUsd: 16_666_700,
		unit: "Lambda GB-second (x86, first 6 billion GB-seconds a month)",
		listed: "$0.0000166667 per GB-second",
		source: "https://aws.amazon.com/lambda/pricing/",
	},
	standardTransition: {
		picoUsd: 25_000_000,
		unit: "Step Functions Standard state transition",
		listed: "$0.025 per 1,000 state transitions",
		source: "https://aws.amazon.com/step-functions/pricing/",
	},
	expressRequest: {
		picoUsd: 1_000_000,
		unit: "Step Functions Express request (one per Distributed Map child)",
		listed: "$1.00 per 1 million requests",
		source: "https://aws.amazon.com/step-functions/pricing/",
	},
	expressGbSecond: {
		picoUsd: 16_670_000,
		unit: "Step Functions Express GB-second (first 1,000 GB-hours a month; 64 MB chunks, 100 ms rounding)",
		listed: "$0.00001667 per GB-second",
		source: "https://aws.amazon.com/step-functions/pricing/",
	},
} as const satisfies Record<string, UnitPrice>;

export type PricedUsage = keyof typeof AWS_PRICES;
