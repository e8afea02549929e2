import FormField from "@cloudscape-design/components/form-field";
import Input from "@cloudscape-design/components/input";
import { useState } from "react";
import { fieldError, isExpected, refusalText } from "../../api/client.js";
import { assignItem, type WorkItem } from "../../api/worklist.js";
import { useDeskMutation } from "../../app/mutation.js";
import { useMe } from "../../auth/me.js";
import { ActionModal } from "../../components/action-modal.js";

export function AssignModal({ item, onClose }: { readonly item: WorkItem; readonly onClose: () => void }) {
	const me = useMe();
	const [to, setTo] = useState(item.assignee ?? me.data?.email ?? "");
	const mutation = useDeskMutation({ run: assignItem, done: (_r, input) => `${item.id} assigned to ${input.to}` });
	return (
		<ActionModal
			title={`Assign ${item.id}`}
			submitLabel="Assign"
			canSubmit={to.trim() !== ""}
			submitting={mutation.isPending}
			errorText={refusalText(mutation.error, ["to"])}
			onSubmit={() =>
				mutation.mutate({ id: item.id, to: to.trim() }, { onSuccess: onClose, onError: (err) => !isExpected(err) && onClose() })
			}
			onDismiss={onClose}
		>
			<FormField
				label="Assign to"
				description="Who works this item: an email address or a name."
				errorText={fieldError(mutation.error, "to")}
			>
				<Input value={to} onChange={({ detail }) => setTo(detail.value)} autoFocus />
			</FormField>
		</ActionModal>
	);
}
