import { Duration, RemovalPolicy } from "aws-cdk-lib";
import * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as iam from "aws-cdk-lib/aws-iam";
import * as s3 from "aws-cdk-lib/aws-s3";
import { Construct } from "constructs";
import { tableKeySchema } from "../../shared/store/keys.js";

export interface BillingDataProps {
	/** Days to keep the invoice bucket's server access logs. @default 365 */
	readonly accessLogRetentionDays?: number;
	/** Key patterns of the issued documents (`invoices/*`, ...): never overwritten, never deleted. */
	readonly documentKeys: readonly string[];
}

/**
 * The product's state: one DynamoDB table (single-table design, shared/table.ts) with a
 * stream of its new items, and one bucket for invoice PDFs, manifests and reports. Both
 * outlive the stack.
 *
 * Issued documents are never rewritten (DESIGN.md section 15): the bucket has S3 Object
 * Lock, and each document is put with its own COMPLIANCE retention (the writers set it per
 * object, so the bucket has no default retention and its other folders are not locked).
 * The bucket policy refuses, to every principal, a put of a document without
 * If-None-Match (an overwrite) and any delete of one, a delete marker included.
 */
export class BillingData extends Construct {
	readonly table: dynamodb.Table;
	readonly bucket: s3.Bucket;
	readonly accessLogsBucket: s3.Bucket;

	constructor(scope: Construct, id: string, props: BillingDataProps) {
		super(scope, id);

		this.table = new dynamodb.Table(this, "Table", {
			partitionKey: { name: tableKeySchema.partitionKey, type: dynamodb.AttributeType.STRING },
			sortKey: { name: tableKeySchema.sortKey, type: dynamodb.AttributeType.STRING },
			billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
			encryption: dynamodb.TableEncryption.AWS_MANAGED,
			pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
			deletionProtection: true,
			removalPolicy: RemovalPolicy.RETAIN,
			// Raw webhook events and bodies carry an expiry (WEBHOOK_EVENT_RETENTION_DAYS); nothing else has one.
			timeToLiveAttribute: tableKeySchema.timeToLiveAttribute,
			// The outbox's events reach the publisher through the stream (BillingEvents); it reads only the new item.
			stream: dynamodb.StreamViewType.NEW_IMAGE,
		});
		for (const index of tableKeySchema.globalSecondaryIndexes) {
			this.table.addGlobalSecondaryIndex({
				indexName: index.indexName,
				partitionKey: { name: index.partitionKey, type: dynamodb.AttributeType.STRING },
				sortKey: { name: index.sortKey, type: dynamodb.AttributeType.STRING },
				projectionType: dynamodb.ProjectionType.ALL,
			});
		}

		// Destination of the invoice bucket's server access logs (cdk-nag S1).
		this.accessLogsBucket = new s3.Bucket(this, "AccessLogsBucket", {
			encryption: s3.BucketEncryption.S3_MANAGED,
			enforceSSL: true,
			blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
			objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
			removalPolicy: RemovalPolicy.RETAIN,
			lifecycleRules: [{ expiration: Duration.days(props.accessLogRetentionDays ?? 365) }],
		});

		this.bucket = new s3.Bucket(this, "Bucket", {
			encryption: s3.BucketEncryption.S3_MANAGED,
			enforceSSL: true,
			blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
			objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
			versioned: true,
			// Object Lock can only be turned on when the bucket is created (docs/deploying.md).
			objectLockEnabled: true,
			removalPolicy: RemovalPolicy.RETAIN,
			serverAccessLogsBucket: this.accessLogsBucket,
			serverAccessLogsPrefix: "billing-bucket/",
			lifecycleRules: [{ abortIncompleteMultipartUploadAfter: Duration.days(7) }],
		});

		const documents = props.documentKeys.map((keys) => this.bucket.arnForObjects(keys));
		this.bucket.addToResourcePolicy(
			new iam.PolicyStatement({
				sid: "DenyDeletingDocuments",
				effect: iam.Effect.DENY,
				principals: [new iam.AnyPrincipal()],
				// A version (DeleteObjectVersion), the current one behind a delete marker (DeleteObject),
				// or one under a GOVERNANCE retention someone set by hand (BypassGovernanceRetention).
				actions: ["s3:DeleteObject", "s3:DeleteObjectVersion", "s3:BypassGovernanceRetention"],
				resources: documents,
			}),
		);
		this.bucket.addToResourcePolicy(
			new iam.PolicyStatement({
				sid: "DenyOverwritingDocuments",
				effect: iam.Effect.DENY,
				principals: [new iam.AnyPrincipal()],
				// Every put of a document must carry If-None-Match (S3's s3:if-none-match condition key),
				// so a second writer gets 412, never a new current version. Multipart parts carry no
				// condition and are refused too; documents are single puts.
				actions: ["s3:PutObject"],
				resources: documents,
				conditions: { Null: { "s3:if-none-match": "true" } },
			}),
		);
	}
}
