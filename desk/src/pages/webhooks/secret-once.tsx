import Alert from "@cloudscape-design/components/alert";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import CopyToClipboard from "@cloudscape-design/components/copy-to-clipboard";
import Modal from "@cloudscape-design/components/modal";
import SpaceBetween from "@cloudscape-design/components/space-between";
import type { ReactNode } from "react";

/** An endpoint's signing secret, shown once: the API keeps it only to sign and never answers it again. */
export function SecretOnce(props: {
	readonly title: string;
	readonly secret: string;
	readonly children?: ReactNode;
	readonly onClose: () => void;
}) {
	return (
		<Modal
			visible
			header={props.title}
			onDismiss={props.onClose}
			closeAriaLabel="Close dialog"
			footer={
				<Box float="right">
					<Button variant="primary" onClick={props.onClose}>
						Done
					</Button>
				</Box>
			}
		>
			<SpaceBetween size="m">
				<Alert type="warning" header="This signing secret is shown once">
					It will not be shown again. Give it to the receiving system now: it checks each event&apos;s webhook-signature with it.
					{props.children}
				</Alert>
				<CopyToClipboard
					variant="inline"
					textToCopy={props.secret}
					copyButtonAriaLabel="Copy the signing secret"
					copySuccessText="Signing secret copied"
					copyErrorText="The signing secret could not be copied"
				/>
			</SpaceBetween>
		</Modal>
	);
}
