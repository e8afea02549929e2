import Alert from "@cloudscape-design/components/alert";
import Box from "@cloudscape-design/components/box";
import ColumnLayout from "@cloudscape-design/components/column-layout";
import FormField from "@cloudscape-design/components/form-field";
import Input from "@cloudscape-design/components/input";
import Table from "@cloudscape-design/components/table";
import { useState } from "react";
import { ApiError, isExpected, refusalText } from "../api/client.js";
import { applyPayment } from "../api/payments.js";
import { useDeskMutation } from "../app/mutation.js";
import { ActionModal } from "./action-modal.js";
import { formatMoney, minorToMajor, parseAmount } from "./money.js";

export interface ApplyTarget {
	/** As `stripe:pi_1`. */
	readonly id: string;
	readonly unappliedAmount: number;
	readonly currency: string;
	/** The open invoices it could pay, oldest due first. */
	readonly candidates: readonly { readonly number: string; readonly amountDue?: number; readonly dueDate?: string }[];
}

interface Row {
	readonly invoiceNumber: string;
	readonly amount: number;
}

/** Each candidate starts with what it is owed, as far as the payment goes, oldest first as the API lists them. */
function initialAmounts(target: ApplyTarget): Record<string, string> {
	let left = target.unappliedAmount;
	const amounts: Record<string, string> = {};
	for (const c of target.candidates) {
		const take = Math.max(0, Math.min(c.amountDue ?? left, left));
		amounts[c.number] = take > 0 ? minorToMajor(take, target.currency) : "";
		left -= take;
	}
	return amounts;
}

/**
 * Apply a payment by hand: an amount for each candidate invoice (or another invoice typed
 * by number), and what is left unapplied. One API call per invoice; an invoice already done
 * when a later one is refused leaves the form, so a retry does not apply it twice.
 */
export function ApplyPaymentModal({ target, onClose }: { readonly target: ApplyTarget; readonly onClose: () => void }) {
	const { currency } = target;
	const [amounts, setAmounts] = useState(() => initialAmounts(target));
	const [otherNumber, setOtherNumber] = useState("");
	const [otherAmount, setOtherAmount] = useState("");
	const mutation = useDeskMutation({
		run: async (rows: readonly Row[]) => {
			const done: string[] = [];
			for (const row of rows) {
				try {
					await applyPayment(target.id, row);
				} catch (err) {
					if (done.length === 0 || !(err instanceof ApiError)) throw err;
					throw new ApiError(
						err.status,
						`Applied to ${done.join(", ")}; ${row.invoiceNumber} refused: ${err.message}`,
						err.details,
						err.body,
					);
				}
				done.push(row.invoiceNumber);
				setAmounts((prev) => ({ ...prev, [row.invoiceNumber]: "" }));
				if (row.invoiceNumber === otherNumber.trim()) setOtherAmount("");
			}
			return done;
		},
		done: (done) => `${target.id} applied to ${done.join(", ")}`,
	});

	const entries = [...Object.entries(amounts), [otherNumber.trim(), otherAmount] as const].filter(([n, a]) => n !== "" && a.trim() !== "");
	const parsed = entries.map(([invoiceNumber, text]) => ({ invoiceNumber, ...parseAmount(text, currency) }));
	const rows = parsed.flatMap((p) => (p.minor !== undefined ? [{ invoiceNumber: p.invoiceNumber, amount: p.minor }] : []));
	const left = target.unappliedAmount - rows.reduce((sum, r) => sum + r.amount, 0);
	const invalid = parsed.some((p) => p.error !== undefined);
	const amountError = (text: string | undefined) => (text && text.trim() !== "" ? parseAmount(text, currency).error : undefined);

	return (
		<ActionModal
			title={`Apply payment ${target.id}`}
			submitLabel="Apply payment"
			size="large"
			canSubmit={rows.length > 0 && !invalid && left >= 0}
			submitting={mutation.isPending}
			errorText={refusalText(mutation.error)}
			onSubmit={() => mutation.mutate(rows, { onSuccess: onClose, onError: (err) => !isExpected(err) && onClose() })}
			onDismiss={onClose}
		>
			<Box>
				Unapplied: <strong>{formatMoney(target.unappliedAmount, currency)}</strong>
			</Box>
			<Table
				variant="embedded"
				items={[...target.candidates]}
				trackBy="number"
				ariaLabels={{ tableLabel: "Candidate invoices" }}
				empty={<Box textAlign="center">No open invoices of this account; name one below.</Box>}
				columnDefinitions={[
					{ id: "number", header: "Invoice", cell: (c) => c.number },
					{ id: "due", header: "Due date", cell: (c) => c.dueDate ?? "" },
					{ id: "amountDue", header: "Amount due", cell: (c) => (c.amountDue !== undefined ? formatMoney(c.amountDue, currency) : "") },
					{
						id: "apply",
						header: `Apply (${currency})`,
						cell: (c) => (
							<FormField errorText={amountError(amounts[c.number])} stretch>
								<Input
									ariaLabel={`Amount to apply to ${c.number}`}
									inputMode="decimal"
									value={amounts[c.number] ?? ""}
									onChange={({ detail }) => setAmounts((prev) => ({ ...prev, [c.number]: detail.value }))}
								/>
							</FormField>
						),
					},
				]}
			/>
			<ColumnLayout columns={2}>
				<FormField label="Another invoice" description="An invoice number not listed above.">
					<Input value={otherNumber} onChange={({ detail }) => setOtherNumber(detail.value)} placeholder="INV-2026-000042" />
				</FormField>
				<FormField label={`Amount to apply to it (${currency})`} errorText={amountError(otherAmount)}>
					<Input value={otherAmount} inputMode="decimal" onChange={({ detail }) => setOtherAmount(detail.value)} />
				</FormField>
			</ColumnLayout>
			{left >= 0 ? (
				<Alert type="info" header="Left unapplied">
					{formatMoney(left, currency)} stays on the payment{left > 0 ? " as unapplied cash" : ""}.
				</Alert>
			) : (
				<Alert type="error" header="More than the payment">
					The amounts exceed the unapplied {formatMoney(target.unappliedAmount, currency)} by {formatMoney(-left, currency)}.
				</Alert>
			)}
		</ActionModal>
	);
}
