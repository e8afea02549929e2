import type { WorkItem } from "../../api/worklist.js";
import { ApplyPaymentModal } from "../../components/apply-payment-modal.js";
import { OperationModal } from "../../components/operation-modal.js";

/** An item's resolving action, in place: the operation's own dialog, started from the input the worklist proposes. */
export function ResolveItem({ item, onClose }: { readonly item: WorkItem; readonly onClose: () => void }) {
	const action = item.action;
	if (!action) return null;
	const input = action.input;
	if (action.operation === "payments.apply") {
		const invoiceNumber = typeof input.invoiceNumber === "string" ? input.invoiceNumber : undefined;
		const proposed = typeof input.amount === "number" ? input.amount : undefined;
		return (
			<ApplyPaymentModal
				target={{
					id: item.paymentId ?? `${String(input.provider)}:${String(input.paymentId)}`,
					unappliedAmount: item.amount ?? 0,
					currency: item.currency ?? "",
					candidates: invoiceNumber ? [{ number: invoiceNumber, ...(proposed !== undefined ? { amountDue: proposed } : {}) }] : [],
				}}
				onClose={onClose}
			/>
		);
	}
	return <OperationModal operation={action.operation} input={input} currency={item.currency} onClose={onClose} />;
}
