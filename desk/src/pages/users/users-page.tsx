import { useCollection } from "@cloudscape-design/collection-hooks";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import Header from "@cloudscape-design/components/header";
import StatusIndicator from "@cloudscape-design/components/status-indicator";
import Table from "@cloudscape-design/components/table";
import TextFilter from "@cloudscape-design/components/text-filter";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { isExpected, refusalText } from "../../api/client.js";
import { type DeskUser, disableUser, usersQuery } from "../../api/users.js";
import { useDeskMutation } from "../../app/mutation.js";
import { ActionModal } from "../../components/action-modal.js";
import { QueryProblem } from "../../components/query-problem.js";
import { StatusBadge } from "../../components/status-badge.js";
import { AddUserModal } from "./add-user-modal.js";

function DisableUserModal({ user, onClose }: { readonly user: DeskUser; readonly onClose: () => void }) {
	const mutation = useDeskMutation({ run: disableUser, done: (_r, email) => `${email} disabled` });
	return (
		<ActionModal
			title={`Disable ${user.email}`}
			submitLabel="Disable user"
			canSubmit
			submitting={mutation.isPending}
			errorText={refusalText(mutation.error)}
			onSubmit={() => mutation.mutate(user.email, { onSuccess: onClose, onError: (err) => !isExpected(err) && onClose() })}
			onDismiss={onClose}
		>
			<Box>{user.email} can no longer sign in. Their entries in the audit trail stay as they are.</Box>
		</ActionModal>
	);
}

/** The desk's users (admins only): their role and state, add one, disable one. */
export function UsersPage() {
	const query = useQuery(usersQuery);
	const [adding, setAdding] = useState(false);
	const [disabling, setDisabling] = useState<DeskUser>();
	const { items, collectionProps, filterProps, filteredItemsCount } = useCollection(query.data?.items ?? [], {
		filtering: { empty: <Box textAlign="center">No users yet.</Box>, noMatch: <Box textAlign="center">No user matches.</Box> },
		sorting: {},
	});
	return (
		<>
			<Table
				{...collectionProps}
				variant="full-page"
				header={
					<Header
						variant="awsui-h1-sticky"
						counter={query.data ? `(${query.data.items.length})` : undefined}
						actions={
							<Button variant="primary" onClick={() => setAdding(true)}>
								Add user
							</Button>
						}
					>
						Users
					</Header>
				}
				filter={
					<TextFilter
						{...filterProps}
						filteringPlaceholder="Find a user"
						filteringAriaLabel="Find a user"
						countText={`${filteredItemsCount ?? 0} matches`}
					/>
				}
				items={items}
				trackBy="email"
				loading={query.isPending}
				loadingText="Loading users"
				columnDefinitions={[
					{ id: "email", header: "Email", cell: (u) => u.email, sortingField: "email" },
					{ id: "role", header: "Role", cell: (u) => u.role, sortingField: "role" },
					{
						id: "enabled",
						header: "Sign-in",
						cell: (u) => <StatusIndicator type={u.enabled ? "success" : "stopped"}>{u.enabled ? "Enabled" : "Disabled"}</StatusIndicator>,
					},
					{ id: "status", header: "Status", cell: (u) => <StatusBadge status={u.status} /> },
					{
						id: "actions",
						header: "Actions",
						cell: (u) =>
							u.enabled ? (
								<Button variant="inline-link" ariaLabel={`Disable ${u.email}`} onClick={() => setDisabling(u)}>
									Disable
								</Button>
							) : null,
					},
				]}
				empty={query.isError ? <QueryProblem error={query.error} retry={() => void query.refetch()} what="users" /> : collectionProps.empty}
			/>
			{adding ? <AddUserModal onClose={() => setAdding(false)} /> : null}
			{disabling ? <DisableUserModal user={disabling} onClose={() => setDisabling(undefined)} /> : null}
		</>
	);
}
