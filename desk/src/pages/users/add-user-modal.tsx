import Alert from "@cloudscape-design/components/alert";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import CopyToClipboard from "@cloudscape-design/components/copy-to-clipboard";
import FormField from "@cloudscape-design/components/form-field";
import Input from "@cloudscape-design/components/input";
import Modal from "@cloudscape-design/components/modal";
import Select from "@cloudscape-design/components/select";
import SpaceBetween from "@cloudscape-design/components/space-between";
import { useState } from "react";
import { fieldError, isExpected, refusalText } from "../../api/client.js";
import { addUser, ROLE_OPTIONS } from "../../api/users.js";
import { useDeskMutation } from "../../app/mutation.js";
import { ActionModal } from "../../components/action-modal.js";

/** The generated password, shown once: the desk keeps it nowhere, and the user pool never shows it again. */
function PasswordOnce({ email, password, onClose }: { readonly email: string; readonly password: string; readonly onClose: () => void }) {
	return (
		<Modal
			visible
			header={`${email} added`}
			onDismiss={onClose}
			closeAriaLabel="Close dialog"
			footer={
				<Box float="right">
					<Button variant="primary" onClick={onClose}>
						Done
					</Button>
				</Box>
			}
		>
			<SpaceBetween size="m">
				<Alert type="warning">This password is shown once. Give it to {email}; it signs in with it as it is.</Alert>
				<CopyToClipboard
					variant="inline"
					textToCopy={password}
					copyButtonAriaLabel="Copy the password"
					copySuccessText="Password copied"
					copyErrorText="The password could not be copied"
				/>
			</SpaceBetween>
		</Modal>
	);
}

export function AddUserModal({ onClose }: { readonly onClose: () => void }) {
	const [email, setEmail] = useState("");
	const [role, setRole] = useState<string>("viewer");
	const mutation = useDeskMutation({ run: addUser, done: (user) => `${user.email} added as ${user.role}` });
	const created = mutation.data;
	if (created?.password) return <PasswordOnce email={created.email} password={created.password} onClose={onClose} />;
	const error = mutation.error;
	return (
		<ActionModal
			title="Add user"
			submitLabel="Add user"
			canSubmit={/^[^\s@]+@[^\s@]+$/.test(email.trim())}
			submitting={mutation.isPending}
			errorText={refusalText(error, ["email", "role"])}
			onSubmit={() =>
				mutation.mutate(
					{ email: email.trim(), role },
					// Without a password in the answer the pool emailed a temporary one: nothing more to show.
					{ onSuccess: (user) => !user.password && onClose(), onError: (err) => !isExpected(err) && onClose() },
				)
			}
			onDismiss={onClose}
		>
			<FormField label="Email" errorText={fieldError(error, "email")}>
				<Input type="email" value={email} onChange={({ detail }) => setEmail(detail.value)} autoFocus />
			</FormField>
			<FormField label="Role" errorText={fieldError(error, "role")}>
				<Select
					selectedOption={ROLE_OPTIONS.find((o) => o.value === role) ?? null}
					options={ROLE_OPTIONS}
					onChange={({ detail }) => setRole(detail.selectedOption.value ?? "viewer")}
				/>
			</FormField>
		</ActionModal>
	);
}
