import AttributeEditor from "@cloudscape-design/components/attribute-editor";
import DatePicker from "@cloudscape-design/components/date-picker";
import FormField from "@cloudscape-design/components/form-field";
import Input from "@cloudscape-design/components/input";
import { useState } from "react";
import { fieldError, isExpected, refusalText } from "../api/client.js";
import { issueInvoice, type OneOffInvoice } from "../api/invoices.js";
import { useDeskMutation } from "../app/mutation.js";
import { ActionModal } from "./action-modal.js";
import { parseAmount } from "./money.js";

interface LineDraft {
	readonly description: string;
	readonly quantity: string;
	readonly unitPrice: string;
}

const EMPTY_LINE: LineDraft = { description: "", quantity: "1", unitPrice: "" };

/** A one-off invoice: lines priced in major units of the account's currency, issued and delivered at once. */
export function IssueInvoiceModal(props: { readonly accountId?: string; readonly currency?: string; readonly onClose: () => void }) {
	const { onClose } = props;
	const [accountId, setAccountId] = useState(props.accountId ?? "");
	const [lines, setLines] = useState<readonly LineDraft[]>([EMPTY_LINE]);
	const [date, setDate] = useState("");
	const mutation = useDeskMutation({
		run: issueInvoice,
		done: (result, input) => `${result.invoice?.number ?? "Invoice"} issued to ${input.accountId}`,
	});
	// Without the account's currency the server checks the decimals; the format is checked here either way.
	const priceError = (text: string) =>
		text === ""
			? undefined
			: props.currency
				? parseAmount(text, props.currency).error
				: /^\d+(\.\d+)?$/.test(text.trim())
					? undefined
					: "An amount such as 250.00";
	const quantityError = (text: string) => (/^[1-9]\d*$/.test(text.trim()) ? undefined : "A whole number, 1 or more");
	const lineValid = (l: LineDraft) =>
		l.description.trim() !== "" && !quantityError(l.quantity) && l.unitPrice !== "" && !priceError(l.unitPrice);
	const valid = accountId.trim() !== "" && lines.length > 0 && lines.every(lineValid) && (date === "" || /^\d{4}-\d{2}-\d{2}$/.test(date));
	const update = (index: number, change: Partial<LineDraft>) =>
		setLines((prev) => prev.map((l, i) => (i === index ? { ...l, ...change } : l)));
	const error = mutation.error;

	const submit = () => {
		const input: OneOffInvoice = {
			accountId: accountId.trim(),
			lines: lines.map((l) => ({ description: l.description.trim(), quantity: Number(l.quantity), unitPrice: l.unitPrice.trim() })),
			...(date ? { date } : {}),
		};
		mutation.mutate(input, { onSuccess: onClose, onError: (err) => !isExpected(err) && onClose() });
	};

	return (
		<ActionModal
			title="Issue one-off invoice"
			submitLabel="Issue invoice"
			size="large"
			canSubmit={valid}
			submitting={mutation.isPending}
			errorText={refusalText(error, ["accountId", "lines", "date"])}
			onSubmit={submit}
			onDismiss={onClose}
		>
			<FormField label="Account" errorText={fieldError(error, "accountId")}>
				<Input
					value={accountId}
					onChange={({ detail }) => setAccountId(detail.value)}
					readOnly={props.accountId !== undefined}
					placeholder="ACC-0001"
				/>
			</FormField>
			<FormField label="Lines" description={`Unit prices in major units${props.currency ? ` of ${props.currency}` : ""}, e.g. 250.00.`}>
				<AttributeEditor
					items={lines}
					addButtonText="Add line"
					removeButtonText="Remove line"
					onAddButtonClick={() => setLines((prev) => [...prev, EMPTY_LINE])}
					onRemoveButtonClick={({ detail }) => setLines((prev) => prev.filter((_, i) => i !== detail.itemIndex))}
					isItemRemovable={() => lines.length > 1}
					empty="No lines"
					definition={[
						{
							label: "Description",
							control: (l, i) => <Input value={l.description} onChange={({ detail }) => update(i, { description: detail.value })} />,
							errorText: (_l, i) => fieldError(error, `lines.${i}.description`),
						},
						{
							label: "Quantity",
							control: (l, i) => (
								<Input value={l.quantity} inputMode="numeric" onChange={({ detail }) => update(i, { quantity: detail.value })} />
							),
							errorText: (l, i) => quantityError(l.quantity) ?? fieldError(error, `lines.${i}.quantity`),
						},
						{
							label: "Unit price",
							control: (l, i) => (
								<Input value={l.unitPrice} inputMode="decimal" onChange={({ detail }) => update(i, { unitPrice: detail.value })} />
							),
							errorText: (l, i) => priceError(l.unitPrice) ?? fieldError(error, `lines.${i}.unitPrice`),
						},
					]}
				/>
			</FormField>
			<FormField label="Invoice date (optional)" description="Today when empty." errorText={fieldError(error, "date")}>
				<DatePicker value={date} onChange={({ detail }) => setDate(detail.value)} placeholder="YYYY/MM/DD" />
			</FormField>
		</ActionModal>
	);
}
