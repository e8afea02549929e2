import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RoleRequiredError } from "../../shared/desk/errors.js";
import { bearerAuthenticator, userPoolConfig } from "../../shared/desk/identity.js";
import { perform } from "../../shared/desk/operation.js";
import { addUserOperation } from "../../shared/desk/operations/users.js";
import { deskServices } from "../../shared/desk/services.js";
import { listUsers, requireUserPool } from "../../shared/desk/users.js";
import { createClients } from "../../shared/platform/clients.js";
import { cliInProcess, runCliCaptured } from "../support/cli.js";
import { startTestStack } from "../support/embedded.js";

/**
 * `billing users` on an embedded stack, as an admin runs it: users added for each role sign
 * in with the password printed once, and their tokens pass the desk API's check with their
 * role, email and subject; a disabled user signs in no more.
 */
let stack: Awaited<ReturnType<typeof startTestStack>>;
let billing: ReturnType<typeof cliInProcess>;
const token = (email: string, password: string) =>
	runCliCaptured(["users", "token", email, "--password-stdin", "--data-dir", stack.dataDir], { stdin: `${password}\n` });
const added = new Map<string, { password: string; subject: string }>();

beforeAll(async () => {
	stack = await startTestStack("users-cli");
	billing = cliInProcess(stack);
});

afterAll(async () => {
	await stack?.stop();
});

describe("billing users", () => {
	it.each(["admin", "billing", "viewer"] as const)("add --role %s prints a password once, which signs in with that role", async (role) => {
		const email = `${role}@example.com`;
		const out = await billing("users", "add", email, "--role", role, "--json");
		expect(out.code).toBe(0);
		const user = JSON.parse(out.stdout) as {
			email: string;
			role: string;
			enabled: boolean;
			status: string;
			subject: string;
			password: string;
		};
		expect(user).toMatchObject({ email, role, enabled: true, status: "CONFIRMED" });
		expect(user.password).toMatch(/^\S{20}$/);
		added.set(email, { password: user.password, subject: user.subject });

		const signedIn = await token(email, user.password);
		expect(signedIn.code).toBe(0);
		// Only the token, on one line: `$(billing users token ...)` is the header's value.
		expect(signedIn.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
		const caller = await bearerAuthenticator(userPoolConfig())(`Bearer ${signedIn.stdout.trim()}`);
		expect(caller).toEqual({ role, email, subject: user.subject, actor: `${email} (sub ${user.subject})` });
	});

	it("add without --json says the password is shown once; the email is taken in lower case", async () => {
		const out = await billing("users", "add", "Carol@Example.COM", "--role", "billing");
		expect(out.code).toBe(0);
		const password = /^password: (\S+)$/m.exec(out.stdout)?.[1] ?? "";
		expect(out.stdout).toContain("added carol@example.com as billing");
		expect(out.stdout).toContain("shown this once");
		expect((await token("carol@example.com", password)).code).toBe(0);
	});

	it("refuses an email that is a user already (409), a malformed email and an unknown role, changing nothing", async () => {
		const before = await billing("users", "list", "--json");
		const again = await billing("users", "add", "admin@example.com", "--role", "viewer");
		expect(again.code).toBe(2);
		expect(again.stderr).toContain("admin@example.com is a user already");
		const malformed = await billing("users", "add", "not-an-email", "--role", "viewer");
		expect(malformed.code).toBe(2);
		expect(malformed.stderr).toContain("email: an email address");
		const unknownRole = await billing("users", "add", "dave@example.com", "--role", "owner");
		expect(unknownRole.code).toBe(2);
		expect(unknownRole.stderr).toContain("Allowed choices are viewer, billing, admin");
		expect((await billing("users", "list", "--json")).stdout).toBe(before.stdout);
	});

	it("token refuses a wrong password (exit 2) and a missing one", async () => {
		const wrong = await token("billing@example.com", "not-the-password");
		expect(wrong.code).toBe(2);
		expect(wrong.stdout).toBe("");
		expect(wrong.stderr).toContain("Incorrect username or password.");
		const empty = await token("billing@example.com", "");
		expect(empty.code).toBe(2);
		expect(empty.stderr).toContain("no password on stdin");
		const noFlag = await billing("users", "token", "billing@example.com");
		expect(noFlag.code).toBe(2);
		expect(noFlag.stderr).toContain("--password-stdin");
	});

	it("disable stops a user signing in; list shows every user with role, enabled and status", async () => {
		const disabled = await billing("users", "disable", "viewer@example.com");
		expect(disabled.code).toBe(0);
		expect(disabled.stdout).toBe("disabled viewer@example.com: they can no longer sign in\n");
		const refused = await token("viewer@example.com", added.get("viewer@example.com")?.password ?? "");
		expect(refused.code).toBe(2);
		expect(refused.stderr).toContain("User is disabled.");

		const listed = await billing("users", "list", "--json");
		expect(listed.code).toBe(0);
		expect(JSON.parse(listed.stdout)).toEqual([
			{ email: "admin@example.com", role: "admin", enabled: true, status: "CONFIRMED", subject: added.get("admin@example.com")?.subject },
			{
				email: "billing@example.com",
				role: "billing",
				enabled: true,
				status: "CONFIRMED",
				subject: added.get("billing@example.com")?.subject,
			},
			expect.objectContaining({ email: "carol@example.com", role: "billing", enabled: true }),
			{
				email: "viewer@example.com",
				role: "viewer",
				enabled: false,
				status: "CONFIRMED",
				subject: added.get("viewer@example.com")?.subject,
			},
		]);
		const text = await billing("users", "list");
		expect(text.stdout.split("\n")[0]).toMatch(/^email\s+role\s+enabled\s+status$/);
		expect(text.stdout).toMatch(/viewer@example\.com\s+viewer\s+no\s+CONFIRMED/);
	});

	it("disable of an unknown email is 404 (exit 2)", async () => {
		const out = await billing("users", "disable", "nobody@example.com");
		expect(out.code).toBe(2);
		expect(out.stderr).toContain("no user nobody@example.com");
	});

	it("adding a user is an admin's: a billing caller is refused (403) and nobody is added", async () => {
		const services = deskServices(createClients(), stack);
		const before = await listUsers(requireUserPool(services));
		const err = await perform(
			addUserOperation,
			services,
			{ role: "billing", actor: "billing@example.com (sub x)" },
			{
				email: "eve@example.com",
				role: "admin",
			},
		).catch((e: unknown) => e);
		expect(err).toBeInstanceOf(RoleRequiredError);
		expect(err).toMatchObject({ statusCode: 403, details: { operation: "users.add", roleNeeded: "admin", role: "billing" } });
		expect(await listUsers(requireUserPool(services))).toEqual(before);
	});
});
