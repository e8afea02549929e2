import type { Account, AccountChanges } from "../api/accounts.js";
import { OPERATION_FORMS, type OperationInput } from "../api/operations.js";
import { ReasonModal } from "./reason-modal.js";
import { UpdateAccountModal } from "./update-account-modal.js";

/** The operations an OperationModal can ask for (payments.apply has its own dialog, with the payment's candidates). */
export function hasOperationDialog(operation: string): boolean {
	return operation === "accounts.update" || operation in OPERATION_FORMS;
}

export function operationTitle(operation: string): string {
	return operation === "accounts.update" ? "Update account" : (OPERATION_FORMS[operation]?.title ?? operation);
}

/** The dialog of one operation on one record, wherever the page offers it (a record's actions, a worklist item). */
export function OperationModal(props: {
	readonly operation: string;
	readonly input: OperationInput;
	readonly currency?: string | undefined;
	readonly account?: Account;
	readonly onClose: () => void;
}) {
	const { operation, input, onClose } = props;
	if (operation === "accounts.update") {
		const { accountId, ...preset } = input;
		return (
			<UpdateAccountModal
				accountId={String(accountId)}
				preset={preset as AccountChanges}
				onClose={onClose}
				{...(props.account ? { current: props.account } : {})}
			/>
		);
	}
	const form = OPERATION_FORMS[operation];
	return form ? <ReasonModal form={form} input={input} currency={props.currency} onClose={onClose} /> : null;
}
