import ButtonDropdown, { type ButtonDropdownProps } from "@cloudscape-design/components/button-dropdown";
import { useState } from "react";
import type { WebhookEndpoint } from "../../api/webhooks.js";
import { useCan } from "../../auth/me.js";
import { OperationModal, operationTitle } from "../../components/operation-modal.js";
import { ReplayModal } from "./replay-modal.js";
import { RotateSecretModal } from "./rotate-secret-modal.js";

/** What an admin can do to an endpoint, by operation name; a disabled endpoint is enabled before anything is sent to it. */
function actionItems(endpoint: WebhookEndpoint, can: (operation: string) => boolean): ButtonDropdownProps.Item[] {
	const enabled = endpoint.status === "enabled";
	const items: ButtonDropdownProps.Item[] = [
		enabled
			? { id: "webhooks.disable", text: operationTitle("webhooks.disable") }
			: { id: "webhooks.enable", text: operationTitle("webhooks.enable") },
		{ id: "webhooks.rotate_secret", text: "Rotate secret" },
		{
			id: "events.replay",
			text: "Replay events",
			...(enabled ? {} : { disabled: true, disabledReason: "Enable the endpoint first" }),
		},
	];
	return items.filter((item) => can(item.id as string));
}

/** The Actions menu of one endpoint (none chosen: the menu is disabled) and the dialog it opens. */
export function EndpointActions({ endpoint }: { readonly endpoint: WebhookEndpoint | undefined }) {
	const can = useCan();
	const [open, setOpen] = useState<{ operation: string; endpoint: WebhookEndpoint }>();
	const items = endpoint ? actionItems(endpoint, can) : [];
	const close = () => setOpen(undefined);
	return (
		<>
			<ButtonDropdown
				items={items}
				disabled={items.length === 0}
				{...(endpoint ? {} : { disabledReason: "Choose an endpoint in the table" })}
				onItemClick={({ detail }) => endpoint && setOpen({ operation: detail.id, endpoint })}
				ariaLabel={endpoint ? `Actions on ${endpoint.endpointId}` : "Actions on the chosen endpoint"}
			>
				Actions
			</ButtonDropdown>
			{open?.operation === "webhooks.rotate_secret" ? (
				<RotateSecretModal endpoint={open.endpoint} onClose={close} />
			) : open?.operation === "events.replay" ? (
				<ReplayModal endpoint={open.endpoint} onClose={close} />
			) : open ? (
				<OperationModal operation={open.operation} input={{ endpointId: open.endpoint.endpointId }} onClose={close} />
			) : null}
		</>
	);
}
