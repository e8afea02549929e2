import Alert from "@cloudscape-design/components/alert";
import Button from "@cloudscape-design/components/button";
import Container from "@cloudscape-design/components/container";
import Form from "@cloudscape-design/components/form";
import FormField from "@cloudscape-design/components/form-field";
import Input from "@cloudscape-design/components/input";
import SpaceBetween from "@cloudscape-design/components/space-between";
import { useState } from "react";
import type { DeskConfig } from "../../app/config.js";
import { type SignInStep, setNewPassword } from "../../auth/cognito.js";

/** The first sign-in with a temporary password: the user pool asks for a new one before it issues tokens. */
export function NewPasswordForm(props: {
	readonly userPool: DeskConfig["userPool"];
	readonly email: string;
	readonly session: string;
	readonly onStep: (step: SignInStep) => void;
}) {
	const [password, setPassword] = useState("");
	const [confirmation, setConfirmation] = useState("");
	const [error, setError] = useState<string>();
	const [busy, setBusy] = useState(false);
	const mismatch = confirmation !== "" && confirmation !== password;
	const valid = password !== "" && confirmation === password;

	const submit = async () => {
		setBusy(true);
		setError(undefined);
		try {
			props.onStep(await setNewPassword(props.userPool, props.email, password, props.session));
		} catch (err) {
			setError(err instanceof Error ? err.message : String(err));
			setBusy(false);
		}
	};

	return (
		<form
			onSubmit={(event) => {
				event.preventDefault();
				if (valid && !busy) void submit();
			}}
		>
			<Form
				errorText={error}
				errorIconAriaLabel="Error"
				actions={
					<Button variant="primary" disabled={!valid} loading={busy}>
						Set password and sign in
					</Button>
				}
			>
				<SpaceBetween size="m">
					<Alert type="info">You signed in with a temporary password for {props.email}. Choose your own to continue.</Alert>
					<Container>
						<SpaceBetween size="m">
							<FormField label="New password">
								<Input
									type="password"
									autoComplete="new-password"
									value={password}
									onChange={({ detail }) => setPassword(detail.value)}
									autoFocus
								/>
							</FormField>
							<FormField label="Confirm new password" errorText={mismatch ? "The two passwords differ" : undefined}>
								<Input
									type="password"
									autoComplete="new-password"
									value={confirmation}
									onChange={({ detail }) => setConfirmation(detail.value)}
								/>
							</FormField>
						</SpaceBetween>
					</Container>
				</SpaceBetween>
			</Form>
		</form>
	);
}
