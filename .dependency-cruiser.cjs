// The layout's import rules (DESIGN.md section 2), checked by test/architecture.test.ts and `npm run arch`.
//
// shared/ is in layers and imports only point down:
//   core < platform < events < store < documents < contexts (invoicing, einvoicing, imports, delivery, payments, collections, reporting, cycle, runs, publishing) < desk
// Contexts may import the layers below and each other (no cycles); desk/ (the operations people take, DESIGN.md
// section 12) sits on top and no context imports it. functions/ may import shared/;
// local/ and infra/ may import shared/ and functions/; nothing in shared/ imports the folders around it.
// Type-only imports count (tsPreCompilationDeps), so a type cannot be borrowed from a layer above.

const LAYERS = [
	"core",
	"platform",
	"events",
	"store",
	"documents",
	"invoicing",
	"einvoicing",
	"imports",
	"delivery",
	"payments",
	"collections",
	"reporting",
	"cycle",
	"runs",
	// The events' way out (the publisher, webhook endpoints and their deliveries): over the store, unlike the catalog in events/.
	"publishing",
	"desk",
];

/** A path regex for the given folders of shared/. */
const shared = (...folders) => `^shared/(${folders.join("|")})/`;

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
	forbidden: [
		{
			name: "no-circular",
			severity: "error",
			comment: "An import cycle: the modules on it cannot be understood, tested or moved one at a time.",
			from: {},
			to: { circular: true },
		},
		{
			name: "core-imports-only-core",
			severity: "error",
			comment: "shared/core/ is the bottom layer (money, period, errors, model, csv, aging): it imports nothing else of the project.",
			from: { path: shared("core") },
			to: { path: "^shared/", pathNot: shared("core") },
		},
		{
			name: "platform-imports-only-core",
			severity: "error",
			comment: "shared/platform/ (clients, config, lambda wiring, S3 objects) sits on core/ only.",
			from: { path: shared("platform") },
			to: { path: "^shared/", pathNot: shared("core", "platform") },
		},
		{
			name: "events-imports-only-core",
			severity: "error",
			comment:
				"shared/events/ (the event catalog and the views of the objects events carry) is pure: the store writes events in the transactions of their changes, so it sits below the store, on core/ only.",
			from: { path: shared("events") },
			to: { path: "^shared/", pathNot: shared("core", "events") },
		},
		{
			name: "store-imports-only-core-platform-events",
			severity: "error",
			comment:
				"shared/store/ (table keys, reads, the only writes) sits on core/, platform/ and events/; contexts call it, never the reverse.",
			from: { path: shared("store") },
			to: { path: "^shared/", pathNot: shared("core", "platform", "events", "store") },
		},
		{
			name: "documents-imports-only-core-platform",
			severity: "error",
			comment:
				"shared/documents/ is pure rendering (data in, bytes out): it takes its input types from core/ or defines them, never from store/ or a context.",
			from: { path: shared("documents") },
			to: { path: "^shared/", pathNot: shared("core", "platform", "documents") },
		},
		{
			name: "contexts-not-to-desk",
			severity: "error",
			comment: "shared/desk/ is the top layer (the operations people take, over the contexts): nothing below imports it.",
			from: { path: "^shared/", pathNot: shared("desk") },
			to: { path: shared("desk") },
		},
		{
			name: "shared-outside-layers",
			severity: "error",
			comment: "Every file of shared/ belongs to one of its layers, so the rules above cover it.",
			from: { path: "^shared/", pathNot: shared(...LAYERS) },
			to: {},
		},
		{
			name: "not-to-shared-outside-layers",
			severity: "error",
			comment: "Every file of shared/ belongs to one of its layers, so the rules above cover it.",
			from: {},
			to: { path: "^shared/", pathNot: shared(...LAYERS) },
		},
		{
			name: "shared-not-to-outer-folders",
			severity: "error",
			comment: "shared/ is the domain: it never imports the handlers, the embedded runtime, the CDK app, the benchmarks or the tests.",
			from: { path: "^shared/" },
			to: { path: "^(functions|local|infra|bench|test)/" },
		},
		{
			name: "functions-not-to-local-infra",
			severity: "error",
			comment: "A Lambda handler imports shared/ (and functions/catalog.ts), never the embedded runtime, the CDK app, benchmarks or tests.",
			from: { path: "^functions/" },
			to: { path: "^(local|infra|bench|test)/" },
		},
		{
			name: "local-not-to-infra",
			severity: "error",
			comment: "local/ (emulator, cli, demo) imports shared/ and functions/, not the CDK app, benchmarks or tests.",
			from: { path: "^local/" },
			to: { path: "^(infra|bench|test)/" },
		},
		{
			name: "infra-not-to-local",
			severity: "error",
			comment: "infra/ (the CDK app) imports shared/ and functions/, not the embedded runtime, benchmarks or tests.",
			from: { path: "^infra/" },
			to: { path: "^(local|bench|test)/" },
		},
		{
			name: "not-to-unresolvable",
			severity: "error",
			comment: "A relative import that does not resolve to a file: the rules above could not see where it points.",
			from: {},
			to: { couldNotResolve: true, path: "^\\.\\.?/" },
		},
	],
	options: {
		// Type-only imports (`import type`, `import { type X }`) are dependencies too.
		tsPreCompilationDeps: true,
		tsConfig: { fileName: "tsconfig.json" },
		doNotFollow: { path: "node_modules" },
	},
};
