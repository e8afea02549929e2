import Button from "@cloudscape-design/components/button";
import ButtonDropdown from "@cloudscape-design/components/button-dropdown";
import ContentLayout from "@cloudscape-design/components/content-layout";
import DatePicker from "@cloudscape-design/components/date-picker";
import FormField from "@cloudscape-design/components/form-field";
import Header from "@cloudscape-design/components/header";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Spinner from "@cloudscape-design/components/spinner";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { EXPORT_FORMATS, type ExportFormat, exportBooks, trialBalanceQuery } from "../../api/books.js";
import { saveFile } from "../../app/browser.js";
import { flash } from "../../app/flash.js";
import { useUrlFilters } from "../../app/url-state.js";
import { useCan } from "../../auth/me.js";
import { QueryProblem } from "../../components/query-problem.js";
import { CloseBooksModal } from "./close-modal.js";
import { booksFilters } from "./filters.js";
import { TieOutSection } from "./tie-out.js";
import { TrialBalanceTables } from "./trial-balance.js";

/** A period's books: the trial balance with totals, the tie-out, the journal exports, and the close. */
export function BooksPage() {
	const [filters, setFilters] = useUrlFilters(booksFilters);
	const { period } = filters;
	const query = useQuery(trialBalanceQuery(period));
	const can = useCan();
	const [picked, setPicked] = useState(period);
	const [closing, setClosing] = useState(false);
	const download = useMutation({
		mutationFn: (format: ExportFormat) => exportBooks(period, format),
		onSuccess: ({ blob, name }) => saveFile(blob, name),
		onError: (err, format) => flash.error(err, () => download.mutate(format)),
	});
	const differences = query.data?.tieOut.reduce((n, t) => n + t.differences.length, 0) ?? 0;
	return (
		<ContentLayout
			header={
				<Header
					variant="h1"
					description="The trial balance and tie-out of a period, its journal to download, and its close."
					actions={
						<SpaceBetween direction="horizontal" size="xs">
							<ButtonDropdown
								items={EXPORT_FORMATS.map((f) => ({ id: f.format, text: `${f.label} journal` }))}
								onItemClick={({ detail }) => download.mutate(detail.id as ExportFormat)}
								loading={download.isPending}
							>
								Export
							</ButtonDropdown>
							{can("books.close") ? (
								<Button variant="primary" onClick={() => setClosing(true)}>
									Close period
								</Button>
							) : null}
						</SpaceBetween>
					}
				>
					Books
				</Header>
			}
		>
			<SpaceBetween size="l">
				<FormField label="Period">
					<DatePicker
						granularity="month"
						value={picked}
						placeholder="YYYY/MM"
						onChange={({ detail }) => {
							setPicked(detail.value);
							if (/^\d{4}-\d{2}$/.test(detail.value)) setFilters({ period: detail.value });
						}}
					/>
				</FormField>
				{query.isPending ? <Spinner size="large" /> : null}
				{query.isError ? <QueryProblem error={query.error} retry={() => void query.refetch()} what="trial balance" /> : null}
				{query.data ? (
					<>
						<TieOutSection tieOut={query.data.tieOut} />
						<TrialBalanceTables rows={query.data.rows} period={period} />
					</>
				) : null}
			</SpaceBetween>
			{closing ? <CloseBooksModal period={period} differences={differences} onClose={() => setClosing(false)} /> : null}
		</ContentLayout>
	);
}
