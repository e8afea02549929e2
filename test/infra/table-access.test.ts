import { join, relative } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { functionCatalog, type TableAccess } from "../../functions/catalog.js";

/**
 * Each function's DynamoDB grant is what its catalog entry names (functions/catalog.ts);
 * embedded, DynamoDB Local enforces no IAM, so a code path that starts taking another action
 * would fail only on AWS, with AccessDenied. This test names it first: from each handler it
 * follows every top-level declaration the code refers to (through shared/), and collects the
 * SDK commands, transaction items and queried indexes in what it reaches. An over-approximation
 * at declaration level: a branch never taken still counts (the exceptions below say which).
 */

const root = new URL("../../", import.meta.url).pathname;

const COMMAND_ACTIONS: Record<string, string[]> = {
	GetCommand: ["GetItem"],
	BatchGetCommand: ["BatchGetItem"],
	QueryCommand: [],
	ScanCommand: ["Scan"],
	PutCommand: ["PutItem"],
	UpdateCommand: ["UpdateItem"],
	DeleteCommand: ["DeleteItem"],
	BatchWriteCommand: ["BatchWriteItem"],
	// Its items' actions are counted from the items (below); TransactGetItems reads with GetItem.
	TransactWriteCommand: [],
	TransactGetCommand: ["GetItem"],
};
const TRANSACT_ITEM_ACTIONS: Record<string, string> = {
	Put: "PutItem",
	Update: "UpdateItem",
	Delete: "DeleteItem",
	ConditionCheck: "ConditionCheckItem",
};
const INDEX_NAMES: Record<string, string> = { GSI1: "gsi1", GSI2: "gsi2", '"gsi1"': "gsi1", '"gsi2"': "gsi2" };

/** Uses the analysis counts that the code cannot reach, each with the reason. */
const NOT_REACHED: Record<string, Record<string, string>> = {
	DeliverInvoices: {
		ConditionCheckItem: "transactWrite checks the books' lock only for ledger entries, and delivery writes none",
	},
	PaymentWebhook: {
		"Query gsi2": "listParkedEvents reads the index only when no payment is named; the webhook always names the payment",
	},
};

interface Use {
	readonly what: string;
	readonly where: string;
}

/** The top-level statement of a file that holds the node. */
function unitOf(node: ts.Node): ts.Node {
	let current = node;
	while (current.parent && !ts.isSourceFile(current.parent)) current = current.parent;
	return current;
}

const propertyName = (p: ts.ObjectLiteralElementLike) => (p.name && ts.isIdentifier(p.name) ? p.name.text : undefined);

function analyse(): Map<string, Use[]> {
	const config = ts.getParsedCommandLineOfConfigFile(
		join(root, "tsconfig.json"),
		{},
		{
			...ts.sys,
			onUnRecoverableConfigFileDiagnostic: (d) => {
				throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n"));
			},
		},
	);
	if (!config) throw new Error("tsconfig.json unreadable");
	const handlers = functionCatalog.map((f) => join(root, "functions", f.dir, "handler.ts"));
	const program = ts.createProgram({ rootNames: handlers, options: config.options });
	const checker = program.getTypeChecker();
	const inProject = (file: ts.SourceFile) =>
		!file.isDeclarationFile && file.fileName.startsWith(root) && !file.fileName.includes("node_modules");
	const where = (node: ts.Node) => {
		const file = node.getSourceFile();
		return `${relative(root, file.fileName)}:${file.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
	};

	const facts = new Map<ts.Node, { uses: Use[]; refs: Set<ts.Node> }>();
	const factsOf = (unit: ts.Node) => {
		const known = facts.get(unit);
		if (known) return known;
		const uses: Use[] = [];
		const refs = new Set<ts.Node>();
		const visit = (node: ts.Node): void => {
			if (ts.isNewExpression(node) && ts.isIdentifier(node.expression)) {
				const name = node.expression.text.replace(/ItemCommand$|ItemsCommand$/, "Command");
				for (const action of COMMAND_ACTIONS[name] ?? []) uses.push({ what: action, where: where(node) });
			}
			if (ts.isPropertyAssignment(node) && ts.isIdentifier(node.name)) {
				const action = TRANSACT_ITEM_ACTIONS[node.name.text];
				if (action && ts.isObjectLiteralExpression(node.initializer)) uses.push({ what: action, where: where(node) });
			}
			if (ts.isObjectLiteralExpression(node) && node.properties.some((p) => propertyName(p) === "KeyConditionExpression")) {
				const index = node.properties.find((p) => propertyName(p) === "IndexName");
				const indexText = index && ts.isPropertyAssignment(index) ? index.initializer.getText() : undefined;
				const query = indexText === undefined ? "Query" : `Query ${INDEX_NAMES[indexText] ?? `(index ${indexText})`}`;
				uses.push({ what: query, where: where(node) });
			}
			if (ts.isIdentifier(node)) {
				let symbol = checker.getSymbolAtLocation(node);
				if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
				for (const declaration of symbol?.declarations ?? []) {
					if (!inProject(declaration.getSourceFile())) continue;
					const target = unitOf(declaration);
					if (target !== unit) refs.add(target);
				}
			}
			ts.forEachChild(node, visit);
		};
		visit(unit);
		const result = { uses, refs };
		facts.set(unit, result);
		return result;
	};

	const byFunction = new Map<string, Use[]>();
	for (const spec of functionCatalog) {
		const file = program.getSourceFile(join(root, "functions", spec.dir, "handler.ts"));
		if (!file) throw new Error(`no handler for ${spec.id}`);
		const seen = new Set<ts.Node>();
		const pending: ts.Node[] = [...file.statements];
		const uses: Use[] = [];
		for (let unit = pending.pop(); unit !== undefined; unit = pending.pop()) {
			if (seen.has(unit)) continue;
			seen.add(unit);
			const found = factsOf(unit);
			uses.push(...found.uses);
			pending.push(...found.refs);
		}
		byFunction.set(spec.id, uses);
	}
	return byFunction;
}

function granted(access: TableAccess | "none"): Set<string> {
	if (access === "none") return new Set();
	return new Set([...access.actions, ...(access.indexes ?? []).map((index) => `Query ${index}`)]);
}

describe("the functions' DynamoDB grants", () => {
	const uses = analyse();

	it("the analysis sees the code: the webhook's transactions, the imports' writes, the delivery's release of a claim", () => {
		const what = (id: string) => new Set(uses.get(id)?.map((u) => u.what));
		expect(what("PaymentWebhook")).toEqual(
			new Set(["GetItem", "BatchGetItem", "Query", "Query gsi2", "PutItem", "UpdateItem", "DeleteItem", "ConditionCheckItem"]),
		);
		// Charge pages go in transactions now (a page emptied is a Delete), and the lease ends with a DeleteItem: no batch write.
		expect(what("ImportFile")).toEqual(
			new Set(["GetItem", "BatchGetItem", "Query", "PutItem", "UpdateItem", "DeleteItem", "ConditionCheckItem"]),
		);
		expect(what("IdentifyOutstandingAccounts")).toEqual(new Set(["Query", "Query gsi1"]));
		expect(what("DeliverInvoices").has("DeleteItem")).toBe(true);
		// The report's record, the account's mark and its audit entry: one transaction's Put, Update and Put.
		expect(what("EmailEvents")).toEqual(new Set(["GetItem", "PutItem", "UpdateItem"]));
		expect(what("ResolveBillingPeriod")).toEqual(new Set());
	});

	for (const spec of functionCatalog) {
		it(`${spec.id}'s catalog entry grants every action its code can take`, () => {
			const grant = granted(spec.table);
			const notReached = NOT_REACHED[spec.id] ?? {};
			const missing = (uses.get(spec.id) ?? [])
				.filter((u) => !grant.has(u.what) && !(u.what in notReached))
				.map((u) => `${u.what} (${u.where})`);
			expect(
				[...new Set(missing)],
				"add the action to its `table` in functions/catalog.ts and to test/infra/least-privilege.test.ts",
			).toEqual([]);
			// An exception that no longer applies goes.
			for (const what of Object.keys(notReached)) expect(grant.has(what), `${spec.id}: ${what} is granted now`).toBe(false);
		});
	}
});
