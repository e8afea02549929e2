import Box from "@cloudscape-design/components/box";
import { isExpected, refusalText } from "../../api/client.js";
import { rotateSecret, type WebhookEndpoint } from "../../api/webhooks.js";
import { useDeskMutation } from "../../app/mutation.js";
import { ActionModal } from "../../components/action-modal.js";
import { formatInstant } from "../../components/time.js";
import { SecretOnce } from "./secret-once.js";

/** Confirm, then the new secret once, with until when the old one still signs beside it. */
export function RotateSecretModal({ endpoint, onClose }: { readonly endpoint: WebhookEndpoint; readonly onClose: () => void }) {
	const mutation = useDeskMutation({ run: rotateSecret, done: (_r, id) => `${id}: signing secret rotated` });
	const rotated = mutation.data;
	if (rotated) {
		return (
			<SecretOnce title={`New signing secret for ${endpoint.endpointId}`} secret={rotated.secret} onClose={onClose}>
				{` The previous secret still signs beside it until ${formatInstant(rotated.oldSecretExpiresAt)}, so the receiver can switch over.`}
			</SecretOnce>
		);
	}
	return (
		<ActionModal
			title={`Rotate secret of ${endpoint.endpointId}`}
			submitLabel="Rotate secret"
			canSubmit
			submitting={mutation.isPending}
			errorText={refusalText(mutation.error)}
			onSubmit={() => mutation.mutate(endpoint.endpointId, { onError: (err) => !isExpected(err) && onClose() })}
			onDismiss={onClose}
		>
			<Box>
				A new secret signs every event to {endpoint.url} from now on. The current one keeps signing beside it for a while, so the receiver
				can switch over; the new secret is shown once.
			</Box>
		</ActionModal>
	);
}
