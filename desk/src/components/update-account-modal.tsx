import Checkbox from "@cloudscape-design/components/checkbox";
import FormField from "@cloudscape-design/components/form-field";
import Input from "@cloudscape-design/components/input";
import Select from "@cloudscape-design/components/select";
import Textarea from "@cloudscape-design/components/textarea";
import { useState } from "react";
import { type Account, type AccountChanges, type EInvoiceKind, updateAccount } from "../api/accounts.js";
import { fieldError, isExpected, refusalText } from "../api/client.js";
import { useDeskMutation } from "../app/mutation.js";
import { ActionModal } from "./action-modal.js";

const DELIVERY = [
	{ value: "email", label: "Email" },
	{ value: "postal", label: "Postal" },
] as const;

export const EINVOICE_LABELS: Readonly<Record<EInvoiceKind, string>> = {
	none: "None",
	peppol: "Peppol BIS Billing 3.0",
	xrechnung: "XRechnung 3.0",
	facturx: "Factur-X (EN 16931)",
};
const EINVOICE = (Object.keys(EINVOICE_LABELS) as EInvoiceKind[]).map((value) => ({ value, label: EINVOICE_LABELS[value] }));

/** What changed of an optional text field: the new value, null when emptied, nothing when as it was. */
function textChange(value: string, current: string | undefined): string | null | undefined {
	const text = value.trim();
	if (text === (current ?? "")) return undefined;
	return text === "" ? null : text;
}

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
	const [einvoice, setEinvoice] = useState<EInvoiceKind>(current?.einvoice ?? "none");
	const [vatId, setVatId] = useState(current?.vatId ?? "");
	const [peppolId, setPeppolId] = useState(current?.peppolId ?? "");
	const [buyerReference, setBuyerReference] = useState(current?.buyerReference ?? "");
	const [city, setCity] = useState(current?.city ?? "");
	const [postalCode, setPostalCode] = useState(current?.postalCode ?? "");
	const [country, setCountry] = useState(current?.country ?? "");
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
		...(einvoice !== (current?.einvoice ?? "none") ? { einvoice } : {}),
		...(textChange(vatId, current?.vatId) !== undefined ? { vatId: textChange(vatId, current?.vatId) } : {}),
		...(textChange(peppolId, current?.peppolId) !== undefined ? { peppolId: textChange(peppolId, current?.peppolId) } : {}),
		...(textChange(buyerReference, current?.buyerReference) !== undefined
			? { buyerReference: textChange(buyerReference, current?.buyerReference) }
			: {}),
		...(textChange(city, current?.city) !== undefined ? { city: textChange(city, current?.city) } : {}),
		...(textChange(postalCode, current?.postalCode) !== undefined ? { postalCode: textChange(postalCode, current?.postalCode) } : {}),
		...(textChange(country, current?.country) !== undefined ? { country: textChange(country, current?.country) } : {}),
	};
	const error = mutation.error;
	return (
		<ActionModal
			title={`Update account ${accountId}`}
			submitLabel="Update account"
			canSubmit={Object.keys(changes).length > 0}
			submitting={mutation.isPending}
			errorText={refusalText(error, [
				"email",
				"addressLines",
				"delivery",
				"emailConfirmed",
				"einvoice",
				"vatId",
				"peppolId",
				"buyerReference",
				"city",
				"postalCode",
				"country",
				"reason",
			])}
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
				label="E-invoice"
				description="The structured e-invoice each document is also issued as."
				errorText={fieldError(error, "einvoice")}
			>
				<Select
					selectedOption={EINVOICE.find((e) => e.value === einvoice) ?? null}
					onChange={({ detail }) => setEinvoice(detail.selectedOption.value as EInvoiceKind)}
					options={EINVOICE}
				/>
			</FormField>
			<FormField label="VAT id" description="E.g. BE0123456749. Empty clears it." errorText={fieldError(error, "vatId")}>
				<Input value={vatId} onChange={({ detail }) => setVatId(detail.value)} />
			</FormField>
			<FormField
				label="Peppol id"
				description="scheme:identifier, e.g. 0208:0123456749. Empty clears it."
				errorText={fieldError(error, "peppolId")}
			>
				<Input value={peppolId} onChange={({ detail }) => setPeppolId(detail.value)} />
			</FormField>
			<FormField
				label="Buyer reference"
				description="BT-10; the Leitweg-ID XRechnung requires. Empty clears it."
				errorText={fieldError(error, "buyerReference")}
			>
				<Input value={buyerReference} onChange={({ detail }) => setBuyerReference(detail.value)} />
			</FormField>
			<FormField label="City" description="As e-invoices name it (BT-52). Empty clears it." errorText={fieldError(error, "city")}>
				<Input value={city} onChange={({ detail }) => setCity(detail.value)} />
			</FormField>
			<FormField label="Post code" description="BT-53. Empty clears it." errorText={fieldError(error, "postalCode")}>
				<Input value={postalCode} onChange={({ detail }) => setPostalCode(detail.value)} />
			</FormField>
			<FormField
				label="Country"
				description="ISO 3166-1 alpha-2, e.g. DE (BT-55). Empty clears it."
				errorText={fieldError(error, "country")}
			>
				<Input value={country} onChange={({ detail }) => setCountry(detail.value)} />
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
