import DatePicker from "@cloudscape-design/components/date-picker";
import FormField from "@cloudscape-design/components/form-field";
import TimeInput from "@cloudscape-design/components/time-input";
import { useState } from "react";
import { fieldError, isExpected, refusalText } from "../../api/client.js";
import { replayEvents, type WebhookEndpoint } from "../../api/webhooks.js";
import { useDeskMutation } from "../../app/mutation.js";
import { ActionModal } from "../../components/action-modal.js";

/** Every event the endpoint takes, from a date (and a time, UTC) on, sent again under the same ids. */
export function ReplayModal({ endpoint, onClose }: { readonly endpoint: WebhookEndpoint; readonly onClose: () => void }) {
	const [date, setDate] = useState("");
	const [time, setTime] = useState("");
	const mutation = useDeskMutation({
		run: replayEvents,
		done: (result, input) => `${result.replayed} events sent again to ${input.endpointId}`,
	});
	const timeValid = time === "" || /^([01]\d|2[0-3]):[0-5]\d$/.test(time);
	const since = time === "" ? date : `${date}T${time}:00Z`;
	const error = mutation.error;
	return (
		<ActionModal
			title={`Replay events to ${endpoint.endpointId}`}
			submitLabel="Replay"
			canSubmit={/^\d{4}-\d{2}-\d{2}$/.test(date) && timeValid}
			submitting={mutation.isPending}
			errorText={refusalText(error, ["since"])}
			onSubmit={() =>
				mutation.mutate({ endpointId: endpoint.endpointId, since }, { onSuccess: onClose, onError: (err) => !isExpected(err) && onClose() })
			}
			onDismiss={onClose}
		>
			<FormField
				label="Since"
				description="Events that happened from this day on are sent again; receivers drop those they already have by webhook-id."
				constraintText="YYYY/MM/DD"
				errorText={fieldError(error, "since")}
			>
				<DatePicker value={date} onChange={({ detail }) => setDate(detail.value)} placeholder="YYYY/MM/DD" />
			</FormField>
			<FormField label="Time (UTC, optional)" constraintText="HH:MM, 24-hour; empty is the start of the day">
				<TimeInput value={time} onChange={({ detail }) => setTime(detail.value)} format="hh:mm" placeholder="hh:mm" />
			</FormField>
		</ActionModal>
	);
}
