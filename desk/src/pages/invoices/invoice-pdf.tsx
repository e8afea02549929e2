import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import Container from "@cloudscape-design/components/container";
import Header from "@cloudscape-design/components/header";
import Spinner from "@cloudscape-design/components/spinner";
import { useQuery } from "@tanstack/react-query";
import { invoicePdfQuery } from "../../api/invoices.js";
import { QueryProblem } from "../../components/query-problem.js";

/** The issued PDF, inline and to download, through the short-lived link the API signs for it. */
export function InvoicePdf({ number }: { readonly number: string }) {
	const query = useQuery(invoicePdfQuery(number));
	const url = query.data?.url;
	return (
		<Container
			header={
				<Header
					variant="h2"
					actions={
						url ? (
							<Button href={url} download={`${number}.pdf`} iconName="download">
								Download PDF
							</Button>
						) : undefined
					}
				>
					PDF
				</Header>
			}
		>
			{query.isPending ? <Spinner /> : null}
			{query.isError ? <QueryProblem error={query.error} retry={() => void query.refetch()} what="PDF" /> : null}
			{url ? (
				<Box>
					<iframe src={url} title={`Invoice ${number} (PDF)`} width="100%" height="720" />
				</Box>
			) : null}
		</Container>
	);
}
