/**
 * What the desk's pages may load and talk to, defined once for the two places that serve the
 * app: CloudFront's response headers policy (infra/constructs/desk-hosting.ts) and the
 * embedded HTTP front (local/emulator/desk-front.ts), so a page that works embedded is not
 * refused deployed, or the other way round.
 */
export interface DeskPageOrigins {
	/** Where the sign-in form calls the user pool: `https://cognito-idp.REGION.amazonaws.com` deployed, the local pool embedded. */
	readonly userPool: string;
	/** Where an invoice's PDF is shown inline from, when another origin than the app's serves it (deployed). */
	readonly documents?: string;
}

export function deskContentSecurityPolicy(origins: DeskPageOrigins): string {
	return [
		"default-src 'self'",
		"script-src 'self'",
		// Cloudscape sets styles on elements as it lays them out.
		"style-src 'self' 'unsafe-inline'",
		"img-src 'self' data: blob:",
		"font-src 'self' data:",
		`connect-src 'self' ${origins.userPool}`,
		// An invoice's PDF is shown inline from a short-lived signed link on the documents' origin.
		origins.documents ? `frame-src 'self' ${origins.documents}` : "frame-src 'self'",
		"object-src 'none'",
		"base-uri 'self'",
		"form-action 'self'",
		"frame-ancestors 'none'",
	].join("; ");
}

export const DESK_PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=()";

/**
 * The headers every answer of the embedded desk front carries, as CloudFront adds them deployed
 * (but Strict-Transport-Security: the embedded front speaks plain http).
 */
export function deskPageHeaders(origins: DeskPageOrigins): Readonly<Record<string, string>> {
	return {
		"content-security-policy": deskContentSecurityPolicy(origins),
		"x-content-type-options": "nosniff",
		"x-frame-options": "DENY",
		"referrer-policy": "no-referrer",
		"permissions-policy": DESK_PERMISSIONS_POLICY,
	};
}
