import Button from "@cloudscape-design/components/button";
import Form from "@cloudscape-design/components/form";
import Modal, { type ModalProps } from "@cloudscape-design/components/modal";
import SpaceBetween from "@cloudscape-design/components/space-between";
import type { ReactNode } from "react";

/**
 * The desk's one form approach: controlled Cloudscape fields inside a native <form> (Enter
 * submits), in a Modal, with the main button disabled until the input is valid and the
 * server's refusal shown in errorText. Every dialog of the desk is one of these.
 */
export function ActionModal(props: {
	readonly title: string;
	readonly submitLabel: string;
	readonly canSubmit: boolean;
	readonly submitting: boolean;
	readonly errorText?: ReactNode;
	readonly onSubmit: () => void;
	readonly onDismiss: () => void;
	readonly size?: ModalProps.Size;
	readonly children: ReactNode;
}) {
	return (
		<Modal visible header={props.title} onDismiss={props.onDismiss} size={props.size ?? "medium"} closeAriaLabel="Close dialog">
			<form
				onSubmit={(event) => {
					event.preventDefault();
					if (props.canSubmit && !props.submitting) props.onSubmit();
				}}
			>
				<Form
					errorText={props.errorText}
					errorIconAriaLabel="Error"
					actions={
						<SpaceBetween direction="horizontal" size="xs">
							<Button formAction="none" variant="link" onClick={props.onDismiss}>
								Cancel
							</Button>
							<Button variant="primary" disabled={!props.canSubmit} loading={props.submitting}>
								{props.submitLabel}
							</Button>
						</SpaceBetween>
					}
				>
					<SpaceBetween size="m">{props.children}</SpaceBetween>
				</Form>
			</form>
		</Modal>
	);
}
