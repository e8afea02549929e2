import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import ContentLayout from "@cloudscape-design/components/content-layout";
import Header from "@cloudscape-design/components/header";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Spinner from "@cloudscape-design/components/spinner";
import Table from "@cloudscape-design/components/table";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useParams } from "react-router";
import { accountQuery } from "../../api/accounts.js";
import { invoiceColumns } from "../../components/invoice-columns.js";
import { IssueInvoiceModal } from "../../components/issue-invoice-modal.js";
import { OperationModal, operationTitle } from "../../components/operation-modal.js";
import { QueryProblem } from "../../components/query-problem.js";
import { AccountDetails } from "./account-details.js";
import { AccountTimeline } from "./account-timeline.js";

/** The account's own actions, in the order the header shows them; which ones appear is the API's allowedActions. */
const ACCOUNT_ACTIONS = ["accounts.update", "accounts.close", "accounts.refund-credit"] as const;

export function AccountPage() {
	const accountId = useParams().accountId ?? "";
	const query = useQuery(accountQuery(accountId));
	const [open, setOpen] = useState<string>();
	if (query.isPending) return <Spinner size="large" />;
	if (query.isError) return <QueryProblem error={query.error} retry={() => void query.refetch()} what="account" />;
	const detail = query.data;
	const allowed = new Set(detail.allowedActions);
	const close = () => setOpen(undefined);
	return (
		<ContentLayout
			header={
				<Header
					variant="h1"
					description={accountId}
					actions={
						<SpaceBetween direction="horizontal" size="xs">
							{ACCOUNT_ACTIONS.filter((a) => allowed.has(a)).map((a) => (
								<Button key={a} onClick={() => setOpen(a)}>
									{operationTitle(a)}
								</Button>
							))}
							{allowed.has("invoices.issue") ? <Button onClick={() => setOpen("invoices.issue")}>Issue invoice</Button> : null}
						</SpaceBetween>
					}
				>
					{detail.account.name}
				</Header>
			}
		>
			<SpaceBetween size="l">
				<AccountDetails detail={detail} />
				<Table
					header={
						<Header variant="h2" counter={`(${detail.invoices.length})`}>
							Invoices
						</Header>
					}
					items={[...detail.invoices]}
					columnDefinitions={invoiceColumns({ account: false })}
					trackBy="number"
					ariaLabels={{ tableLabel: "Invoices of the account" }}
					empty={<Box textAlign="center">No invoices yet.</Box>}
				/>
				<AccountTimeline entries={detail.timeline} />
			</SpaceBetween>
			{open === "invoices.issue" ? (
				<IssueInvoiceModal accountId={accountId} currency={detail.account.currency} onClose={close} />
			) : open ? (
				<OperationModal
					operation={open}
					input={{ accountId }}
					currency={detail.account.currency}
					account={detail.account}
					onClose={close}
				/>
			) : null}
		</ContentLayout>
	);
}
