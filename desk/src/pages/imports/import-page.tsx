import ContentLayout from "@cloudscape-design/components/content-layout";
import Header from "@cloudscape-design/components/header";
import Spinner from "@cloudscape-design/components/spinner";
import { useQuery } from "@tanstack/react-query";
import { useParams } from "react-router";
import { importQuery } from "../../api/imports.js";
import { QueryProblem } from "../../components/query-problem.js";
import { ImportResultView } from "./import-result.js";

/** An import applied earlier, as the API recorded it. */
export function ImportPage() {
	const importId = useParams().importId ?? "";
	const query = useQuery(importQuery(importId));
	return (
		<ContentLayout header={<Header variant="h1">Import {importId}</Header>}>
			{query.isPending ? <Spinner size="large" /> : null}
			{query.isError ? <QueryProblem error={query.error} retry={() => void query.refetch()} what="import" /> : null}
			{query.data ? <ImportResultView title="Result" result={query.data} /> : null}
		</ContentLayout>
	);
}
