import Alert from "@cloudscape-design/components/alert";
import Checkbox from "@cloudscape-design/components/checkbox";
import FormField from "@cloudscape-design/components/form-field";
import Textarea from "@cloudscape-design/components/textarea";
import { useState } from "react";
import { closeBooks } from "../../api/books.js";
import { fieldError, isExpected, refusalText } from "../../api/client.js";
import { useDeskMutation } from "../../app/mutation.js";
import { ActionModal } from "../../components/action-modal.js";

/**
 * Close a period: a confirmation that the trial balance was reviewed, and, when the tie-out
 * shows differences, force with a reason (the server refuses a close with open differences
 * otherwise, and says which).
 */
export function CloseBooksModal({
	period,
	differences,
	onClose,
}: {
	readonly period: string;
	readonly differences: number;
	readonly onClose: () => void;
}) {
	const [reviewed, setReviewed] = useState(false);
	const [force, setForce] = useState(false);
	const [reason, setReason] = useState("");
	const mutation = useDeskMutation({
		run: (body: { force: boolean; reason?: string }) => closeBooks(period, body),
		done: () => `${period} closed`,
	});
	const valid = reviewed && (!force || reason.trim() !== "");
	const error = mutation.error;
	return (
		<ActionModal
			title={`Close ${period}`}
			submitLabel="Close period"
			canSubmit={valid}
			submitting={mutation.isPending}
			errorText={refusalText(error, ["reason", "force"])}
			onSubmit={() =>
				mutation.mutate(
					{ force, ...(reason.trim() ? { reason: reason.trim() } : {}) },
					{ onSuccess: onClose, onError: (err) => !isExpected(err) && onClose() },
				)
			}
			onDismiss={onClose}
		>
			<Alert type="warning">Once closed, changes dated in {period} are booked in the next open period instead.</Alert>
			<Checkbox checked={reviewed} onChange={({ detail }) => setReviewed(detail.checked)}>
				I have reviewed the trial balance and the tie-out of {period}
			</Checkbox>
			<FormField
				label="Force"
				description={
					differences > 0
						? `The tie-out shows ${differences} difference${differences === 1 ? "" : "s"}.`
						: "Only needed when the checks before the close fail."
				}
				errorText={fieldError(error, "force")}
			>
				<Checkbox checked={force} onChange={({ detail }) => setForce(detail.checked)}>
					Close even though checks fail
				</Checkbox>
			</FormField>
			<FormField
				label={force ? "Reason" : "Reason (optional)"}
				description="Recorded in the audit trail with your name."
				errorText={fieldError(error, "reason")}
			>
				<Textarea value={reason} onChange={({ detail }) => setReason(detail.value)} />
			</FormField>
		</ActionModal>
	);
}
