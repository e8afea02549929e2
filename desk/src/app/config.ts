import { z } from "zod";

/** What `GET /desk/config.json` says: where the API is, and the user pool the sign-in form calls. */
const deskConfigSchema = z.object({
	apiBase: z.string().min(1),
	userPool: z.object({
		endpoint: z.string().url(),
		region: z.string().min(1),
		clientId: z.string().min(1),
	}),
});
export type DeskConfig = z.infer<typeof deskConfigSchema>;

export async function loadConfig(): Promise<DeskConfig> {
	const response = await fetch("/desk/config.json");
	if (!response.ok) throw new Error(`/desk/config.json answered ${response.status}`);
	return deskConfigSchema.parse(await response.json());
}
