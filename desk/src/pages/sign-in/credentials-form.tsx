import Button from "@cloudscape-design/components/button";
import Container from "@cloudscape-design/components/container";
import Form from "@cloudscape-design/components/form";
import FormField from "@cloudscape-design/components/form-field";
import Input from "@cloudscape-design/components/input";
import SpaceBetween from "@cloudscape-design/components/space-between";
import { useState } from "react";
import type { DeskConfig } from "../../app/config.js";
import { type SignInStep, signIn } from "../../auth/cognito.js";

export function CredentialsForm(props: {
	readonly userPool: DeskConfig["userPool"];
	readonly onStep: (email: string, step: SignInStep) => void;
}) {
	const [email, setEmail] = useState("");
	const [password, setPassword] = useState("");
	const [error, setError] = useState<string>();
	const [busy, setBusy] = useState(false);
	const valid = email.trim() !== "" && password !== "";

	const submit = async () => {
		setBusy(true);
		setError(undefined);
		try {
			const trimmed = email.trim();
			props.onStep(trimmed, await signIn(props.userPool, trimmed, password));
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
						Sign in
					</Button>
				}
			>
				<Container>
					<SpaceBetween size="m">
						<FormField label="Email">
							<Input type="email" autoComplete="username" value={email} onChange={({ detail }) => setEmail(detail.value)} autoFocus />
						</FormField>
						<FormField label="Password">
							<Input
								type="password"
								autoComplete="current-password"
								value={password}
								onChange={({ detail }) => setPassword(detail.value)}
							/>
						</FormField>
					</SpaceBetween>
				</Container>
			</Form>
		</form>
	);
}
