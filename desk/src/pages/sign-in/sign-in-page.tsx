import AppLayout from "@cloudscape-design/components/app-layout";
import ContentLayout from "@cloudscape-design/components/content-layout";
import Header from "@cloudscape-design/components/header";
import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useNavigate, useSearchParams } from "react-router";
import { z } from "zod";
import type { DeskConfig } from "../../app/config.js";
import { flash } from "../../app/flash.js";
import { HOME } from "../../app/routes.js";
import type { SignInStep } from "../../auth/cognito.js";
import { startSession } from "../../auth/session.js";
import { CredentialsForm } from "./credentials-form.js";
import { NewPasswordForm } from "./new-password-form.js";

/** Where to go once signed in: a path of the desk only, never another site. */
const nextSchema = z
	.string()
	.regex(/^\/(?!\/)/)
	.catch(HOME);

/**
 * Sign-in: email and password against the user pool, then, for a user with a temporary
 * password, a new one. Afterwards back to the page that asked for it.
 */
export function SignInPage({ userPool }: { readonly userPool: DeskConfig["userPool"] }) {
	const [params] = useSearchParams();
	const navigate = useNavigate();
	const queryClient = useQueryClient();
	const [challenge, setChallenge] = useState<{ email: string; session: string }>();
	const next = nextSchema.parse(params.get("next") ?? HOME);

	const proceed = (email: string, step: SignInStep) => {
		if (step.kind === "new-password") {
			setChallenge({ email, session: step.session });
			return;
		}
		// What the previous user saw is not this user's to see.
		queryClient.clear();
		flash.clear();
		startSession({ accessToken: step.accessToken, email });
		navigate(next, { replace: true });
	};

	return (
		<AppLayout
			navigationHide
			toolsHide
			contentType="form"
			maxContentWidth={520}
			ariaLabels={{ notifications: "Notifications" }}
			content={
				<ContentLayout header={<Header variant="h1">{challenge ? "Set a new password" : "Sign in to the billing desk"}</Header>}>
					<title>Sign in · Billing desk</title>
					{challenge ? (
						<NewPasswordForm
							userPool={userPool}
							email={challenge.email}
							session={challenge.session}
							onStep={(step) => proceed(challenge.email, step)}
						/>
					) : (
						<CredentialsForm userPool={userPool} onStep={proceed} />
					)}
				</ContentLayout>
			}
		/>
	);
}
