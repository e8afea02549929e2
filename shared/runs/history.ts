import { GetExecutionHistoryCommand, type HistoryEvent, type SFNClient } from "@aws-sdk/client-sfn";

/** An execution's whole history, oldest event first, page by page. */
export async function executionHistory(sfn: SFNClient, executionArn: string): Promise<HistoryEvent[]> {
	const events: HistoryEvent[] = [];
	let nextToken: string | undefined;
	do {
		const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn, nextToken, maxResults: 1000 }));
		events.push(...(page.events ?? []));
		nextToken = page.nextToken;
	} while (nextToken);
	return events;
}
