import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { type UnappliedPayment, unappliedPaymentsQuery } from "../../api/payments.js";
import { useCursorPages } from "../../app/url-state.js";
import { ApplyPaymentModal } from "../../components/apply-payment-modal.js";
import { ServerTable } from "../../components/server-table.js";
import { paymentColumns } from "./columns.js";

/** Cash received that no invoice took: apply it by hand to the candidate invoices. */
export function PaymentsPage() {
	const { cursor } = useCursorPages();
	const query = useQuery(unappliedPaymentsQuery(cursor));
	const [applying, setApplying] = useState<UnappliedPayment>();
	return (
		<>
			<ServerTable
				title="Unapplied cash"
				description="Payments received that are not, or not wholly, applied to an invoice."
				what="unapplied payments"
				query={query}
				columns={paymentColumns(setApplying)}
				trackBy="id"
				empty="No unapplied cash."
			/>
			{applying ? (
				<ApplyPaymentModal
					target={{
						id: applying.id,
						unappliedAmount: applying.unappliedAmount,
						currency: applying.currency,
						candidates: applying.candidates ?? [],
					}}
					onClose={() => setApplying(undefined)}
				/>
			) : null}
		</>
	);
}
