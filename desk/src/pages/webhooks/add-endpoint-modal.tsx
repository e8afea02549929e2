import FormField from "@cloudscape-design/components/form-field";
import Input from "@cloudscape-design/components/input";
import Multiselect, { type MultiselectProps } from "@cloudscape-design/components/multiselect";
import { useState } from "react";
import { fieldError, isExpected, refusalText } from "../../api/client.js";
import { addEndpoint, EVENT_PATTERN_OPTIONS } from "../../api/webhooks.js";
import { useDeskMutation } from "../../app/mutation.js";
import { ActionModal } from "../../components/action-modal.js";
import { SecretOnce } from "./secret-once.js";

export function AddEndpointModal({ onClose }: { readonly onClose: () => void }) {
	const [url, setUrl] = useState("");
	const [events, setEvents] = useState<readonly MultiselectProps.Option[]>([]);
	const mutation = useDeskMutation({ run: addEndpoint, done: (added) => `Endpoint ${added.endpoint.url} added` });
	const added = mutation.data;
	if (added) return <SecretOnce title={`Endpoint ${added.endpoint.endpointId} added`} secret={added.secret} onClose={onClose} />;
	const error = mutation.error;
	return (
		<ActionModal
			title="Add endpoint"
			submitLabel="Add endpoint"
			canSubmit={/^https?:\/\/\S+$/.test(url.trim()) && events.length > 0}
			submitting={mutation.isPending}
			errorText={refusalText(error, ["url", "events"])}
			onSubmit={() =>
				mutation.mutate({ url: url.trim(), events: events.map((o) => o.value ?? "") }, { onError: (err) => !isExpected(err) && onClose() })
			}
			onDismiss={onClose}
		>
			<FormField
				label="URL"
				description="Where the events are sent, signed: an http or https address of the receiving system."
				errorText={fieldError(error, "url")}
			>
				<Input
					type="url"
					value={url}
					onChange={({ detail }) => setUrl(detail.value)}
					placeholder="https://crm.example.com/billing-events"
					autoFocus
				/>
			</FormField>
			<FormField label="Events" description="Which events it receives." errorText={fieldError(error, "events")}>
				<Multiselect
					selectedOptions={events}
					options={[...EVENT_PATTERN_OPTIONS]}
					onChange={({ detail }) => setEvents(detail.selectedOptions)}
					placeholder="Choose events"
					deselectAriaLabel={(o) => `Remove ${o.label}`}
				/>
			</FormField>
		</ActionModal>
	);
}
