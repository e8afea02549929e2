import { type Command, Option } from "commander";
import { BillingError } from "../../../shared/core/errors.js";
import { ROLES, type Role } from "../../../shared/desk/roles.js";
import { actorOption, dataDirOption, jsonOption, performOperation, printJson, table, withSession } from "./common.js";

const userOperations = () => import("../../../shared/desk/operations/users.js");
const userPool = () => import("../../../shared/desk/users.js");

/** The password as piped in (`--password-stdin`), without the newline that ends the line. */
async function readPassword(): Promise<string> {
	const chunks: Buffer[] = [];
	for await (const chunk of process.stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
	const password = Buffer.concat(chunks)
		.toString("utf8")
		.replace(/\r?\n$/, "");
	if (password === "")
		throw new BillingError("no password on stdin: pipe it in, e.g. `billing users token EMAIL --password-stdin < file`", 400);
	return password;
}

/** The web desk's users (DESIGN.md section 12): who signs in, with which role. */
export function registerUserCommands(program: Command): void {
	const users = program.command("users").description("The web desk's users: who signs in, and with which role");
	users
		.command("add")
		.description(
			"Add a desk user. Embedded: prints a generated password once, which signs in as it is. Deployed: Cognito emails a temporary password, changed at the first sign-in",
		)
		.argument("<email>", "their email, which is their username")
		.addOption(
			new Option("--role <role>", "what they may do: viewer reads, billing works the desk, admin also closes and manages users")
				.choices(ROLES)
				.makeOptionMandatory(),
		)
		.addOption(jsonOption())
		.addOption(actorOption())
		.addOption(dataDirOption())
		.action(async (email: string, opts: { role: Role; json?: boolean; actor: string; dataDir: string }) => {
			const added = await performOperation(opts.dataDir, (await userOperations()).addUserOperation, { email, role: opts.role }, opts.actor);
			if (opts.json) return printJson(added);
			process.stdout.write(`added ${added.email} as ${added.role}\n`);
			if (added.password) process.stdout.write(`password: ${added.password}\n(shown this once; it signs in as it is)\n`);
			else process.stdout.write("Cognito emailed them a temporary password; they set their own at their first sign-in\n");
		});
	users
		.command("list")
		.description("Every desk user: email, role, whether they may sign in, and their status")
		.addOption(jsonOption())
		.addOption(dataDirOption())
		.action(async (opts: { json?: boolean; dataDir: string }) => {
			const { listUsers, requireUserPool, userPoolServices } = await userPool();
			const listed = await withSession(opts.dataDir, async () => listUsers(requireUserPool({ userPool: userPoolServices() })));
			if (opts.json) return printJson(listed);
			if (listed.length === 0) return void process.stdout.write("no users; billing users add EMAIL --role admin adds one\n");
			const rows = listed.map((u) => ({ email: u.email, role: u.role ?? "(none)", enabled: u.enabled ? "yes" : "no", status: u.status }));
			process.stdout.write(`${table(rows, ["email", "role", "enabled", "status"])}\n`);
		});
	users
		.command("disable")
		.description("Stop a user signing in; they stay listed")
		.argument("<email>", "their email")
		.addOption(actorOption())
		.addOption(dataDirOption())
		.action(async (email: string, opts: { actor: string; dataDir: string }) => {
			const disabled = await performOperation(opts.dataDir, (await userOperations()).disableUserOperation, { email }, opts.actor);
			process.stdout.write(`disabled ${disabled.email}: they can no longer sign in\n`);
		});
	users
		.command("token")
		.description("Sign in as a user and print only their access token, for scripting the desk API (like `gh auth token`)")
		.argument("<email>", "their email")
		.requiredOption("--password-stdin", "read the password from stdin (never from an argument, which others can see)")
		.addOption(dataDirOption())
		.action(async (email: string, opts: { dataDir: string }) => {
			const password = await readPassword();
			const { requireUserPool, userPoolServices, userToken } = await userPool();
			const token = await withSession(opts.dataDir, async () =>
				userToken(requireUserPool({ userPool: userPoolServices() }), email, password),
			);
			process.stdout.write(`${token}\n`);
		});
}
