import "@cloudscape-design/global-styles/index.css";
import Alert from "@cloudscape-design/components/alert";
import { I18nProvider } from "@cloudscape-design/components/i18n";
import messages from "@cloudscape-design/components/i18n/messages/all.en";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { RouterProvider } from "react-router";
import { ApiError, configureApi } from "./api/client.js";
import { appRoot } from "./app/browser.js";
import { loadConfig } from "./app/config.js";
import { createDeskRouter } from "./app/router.js";

const queryClient = new QueryClient({
	defaultOptions: {
		queries: {
			staleTime: 30_000,
			// A 4xx will answer the same again; the network and 5xx may not.
			retry: (failures, err) => !(err instanceof ApiError && err.status < 500) && failures < 2,
		},
	},
});

const root = createRoot(appRoot());
try {
	const config = await loadConfig();
	configureApi(config);
	const router = createDeskRouter(config);
	root.render(
		<StrictMode>
			<I18nProvider locale="en" messages={[messages]}>
				<QueryClientProvider client={queryClient}>
					<RouterProvider router={router} />
				</QueryClientProvider>
			</I18nProvider>
		</StrictMode>,
	);
} catch (err) {
	root.render(
		<Alert type="error" header="The desk could not start">
			{err instanceof Error ? err.message : String(err)}
		</Alert>,
	);
}
