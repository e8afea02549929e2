import Checkbox from "@cloudscape-design/components/checkbox";
import FormField from "@cloudscape-design/components/form-field";
import Input from "@cloudscape-design/components/input";
import Select from "@cloudscape-design/components/select";
import Textarea from "@cloudscape-design/components/textarea";
import { useState } from "react";
import { type Account, type AccountChanges, updateAccount } from "../api/accounts.js";
import { fieldError, isExpected, refusalText } from "../api/client.js";
import { useDeskMutation } from "../app/mutation.js";
import { ActionModal } from "./action-modal.js";

const DELIVERY = [
	{ value: "email", label: "Email" },
	{ value: "postal", label: "Postal" },
] as const;

/**
 * Update an account's contact details. Only what changed is sent. From the account page the
 * fields start at the account's values; from a worklist item (an address that bounced) they
 * start at what the item's action proposes, e.g. the email confirmed again.
 */
export function UpdateAccountModal(props: {
	readonly accountId: string;
	readonly current?: Account;
	readonly preset?: AccountChanges;
	readonly onClose: () => void;
}) {
	const { accountId, current, preset, onClose } = props;
	const [email, setEmail] = useState(preset?.email ?? current?.email ?? "");
	const [address, setAddress] = useState((preset?.addressLines ?? current?.addressLines ?? []).join("\n"));
	const [delivery, setDelivery] = useState(preset?.delivery ?? current?.delivery);
	const [emailConfirmed, setEmailConfirmed] = useState(preset?.emailConfirmed ?? false);
	const [reason, setReason] = useState(preset?.reason ?? "");
	const mutation = useDeskMutation({
		run: (changes: AccountChanges) => updateAccount(accountId, changes),
		done: () => `${accountId} updated`,
	});

	const addressLines = address
		.split("\n")
		.map((l) => l.trim())
		.filter((l) => l !== "");
	const changes: AccountChanges = {
		...(email.trim() !== "" && email.trim() !== current?.email ? { email: email.trim() } : {}),
		...(addressLines.length > 0 && addressLines.join("\n") !== (current?.addressLines ?? []).join("\n") ? { addressLines } : {}),
		...(delivery && delivery !== current?.delivery ? { delivery } : {}),
		...(emailConfirmed ? { emailConfirmed } : {}),
	};
	const error = mutation.error;
	return (
		<ActionModal
			title={`Update account ${accountId}`}
			submitLabel="Update account"
			canSubmit={Object.keys(changes).length > 0}
			submitting={mutation.isPending}
			errorText={refusalText(error, ["email", "addressLines", "delivery", "emailConfirmed", "reason"])}
			onSubmit={() =>
				mutation.mutate(
					{ ...changes, ...(reason.trim() ? { reason: reason.trim() } : {}) },
					{ onSuccess: onClose, onError: (err) => !isExpected(err) && onClose() },
				)
			}
			onDismiss={onClose}
		>
			<FormField label="Email" errorText={fieldError(error, "email")}>
				<Input type="email" value={email} onChange={({ detail }) => setEmail(detail.value)} />
			</FormField>
			<FormField label="Postal address" description="One line per row." errorText={fieldError(error, "addressLines")}>
				<Textarea value={address} onChange={({ detail }) => setAddress(detail.value)} rows={4} />
			</FormField>
			<FormField label="Delivery" errorText={fieldError(error, "delivery")}>
				<Select
					selectedOption={DELIVERY.find((d) => d.value === delivery) ?? null}
					onChange={({ detail }) => setDelivery(detail.selectedOption.value as "email" | "postal")}
					options={DELIVERY}
					placeholder="Choose how invoices are delivered"
				/>
			</FormField>
			<FormField label="Email works again" errorText={fieldError(error, "emailConfirmed")}>
				<Checkbox checked={emailConfirmed} onChange={({ detail }) => setEmailConfirmed(detail.checked)}>
					The address that bounced or complained has been confirmed
				</Checkbox>
			</FormField>
			<FormField
				label="Reason (optional)"
				description="Recorded in the audit trail with your name."
				errorText={fieldError(error, "reason")}
			>
				<Textarea value={reason} onChange={({ detail }) => setReason(detail.value)} />
			</FormField>
		</ActionModal>
	);
}
