import Modal from "@cloudscape-design/components/modal";
import Spinner from "@cloudscape-design/components/spinner";
import { useQuery } from "@tanstack/react-query";
import { paymentQuery } from "../../api/payments.js";
import type { WorkItem } from "../../api/worklist.js";
import { ApplyPaymentModal } from "../../components/apply-payment-modal.js";
import { OperationModal } from "../../components/operation-modal.js";
import { QueryProblem } from "../../components/query-problem.js";

/** The payment is read when its dialog opens, with the invoices it could pay: the worklist itself reads no invoices. */
function ApplyFromWorklist({ paymentId, onClose }: { readonly paymentId: string; readonly onClose: () => void }) {
	const query = useQuery(paymentQuery(paymentId));
	if (query.isPending)
		return (
			<Modal visible header={`Apply payment ${paymentId}`} onDismiss={onClose}>
				<Spinner />
			</Modal>
		);
	if (query.isError) {
		return (
			<Modal visible header={`Apply payment ${paymentId}`} onDismiss={onClose}>
				<QueryProblem error={query.error} retry={() => void query.refetch()} what="payment" />
			</Modal>
		);
	}
	return <ApplyPaymentModal target={{ ...query.data, candidates: query.data.candidates ?? [] }} onClose={onClose} />;
}

/** An item's resolving action, in place: the operation's own dialog, started from the input the worklist proposes. */
export function ResolveItem({ item, onClose }: { readonly item: WorkItem; readonly onClose: () => void }) {
	const action = item.action;
	if (!action) return null;
	const input = action.input;
	if (action.operation === "payments.apply") {
		return <ApplyFromWorklist paymentId={`${String(input.provider)}:${String(input.paymentId)}`} onClose={onClose} />;
	}
	return <OperationModal operation={action.operation} input={input} currency={item.currency} onClose={onClose} />;
}
