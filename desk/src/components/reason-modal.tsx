import Alert from "@cloudscape-design/components/alert";
import DatePicker from "@cloudscape-design/components/date-picker";
import FormField from "@cloudscape-design/components/form-field";
import Input from "@cloudscape-design/components/input";
import Textarea from "@cloudscape-design/components/textarea";
import { useState } from "react";
import { fieldError, isExpected, refusalText } from "../api/client.js";
import type { OperationForm, OperationInput, OperationValues } from "../api/operations.js";
import { useDeskMutation } from "../app/mutation.js";
import { ActionModal } from "./action-modal.js";
import { parseAmount } from "./money.js";

const today = () => new Date().toISOString().slice(0, 10);

/** An operation that takes a reason (and for some an amount or a date), from OPERATION_FORMS. */
export function ReasonModal(props: {
	readonly form: OperationForm;
	readonly input: OperationInput;
	/** The record's currency, for an amount typed in major units. */
	readonly currency?: string | undefined;
	readonly onClose: () => void;
}) {
	const { form, input, onClose } = props;
	const currency = props.currency ?? "";
	const [reason, setReason] = useState("");
	const [amount, setAmount] = useState("");
	const [on, setOn] = useState(today());
	const parsed = form.amount ? parseAmount(amount, currency) : undefined;
	const mutation = useDeskMutation({
		run: (values: OperationValues) => form.send(input, values),
		done: () => `${form.subject(input)} ${form.done}`,
	});
	const valid =
		(form.reason !== "required" || reason.trim() !== "") &&
		(!form.amount || parsed?.minor !== undefined) &&
		(!form.date || /^\d{4}-\d{2}-\d{2}$/.test(on));
	const submit = () => {
		const values: OperationValues = {
			...(reason.trim() ? { reason: reason.trim() } : {}),
			...(parsed?.minor !== undefined ? { amount: parsed.minor } : {}),
			...(form.date ? { on } : {}),
		};
		mutation.mutate(values, { onSuccess: onClose, onError: (err) => !isExpected(err) && onClose() });
	};
	const error = mutation.error;
	return (
		<ActionModal
			title={`${form.title} ${form.subject(input)}`}
			submitLabel={form.title}
			canSubmit={valid}
			submitting={mutation.isPending}
			errorText={refusalText(error, ["reason", "amount", "on"])}
			onSubmit={submit}
			onDismiss={onClose}
		>
			{form.warning ? <Alert type="warning">{form.warning}</Alert> : null}
			{form.amount ? (
				<FormField
					label={`Amount (${currency})`}
					description="In major units, e.g. 250.00"
					errorText={(amount !== "" ? parsed?.error : undefined) ?? fieldError(error, "amount")}
				>
					<Input value={amount} onChange={({ detail }) => setAmount(detail.value)} inputMode="decimal" autoFocus />
				</FormField>
			) : null}
			{form.date ? (
				<FormField label="Closing date" constraintText="YYYY/MM/DD" errorText={fieldError(error, "on")}>
					<DatePicker value={on} onChange={({ detail }) => setOn(detail.value)} placeholder="YYYY/MM/DD" />
				</FormField>
			) : null}
			{form.reason !== "none" ? (
				<FormField
					label={form.reason === "required" ? "Reason" : "Reason (optional)"}
					description="Recorded in the audit trail with your name."
					errorText={fieldError(error, "reason")}
				>
					<Textarea value={reason} onChange={({ detail }) => setReason(detail.value)} autoFocus={!form.amount} />
				</FormField>
			) : null}
		</ActionModal>
	);
}
