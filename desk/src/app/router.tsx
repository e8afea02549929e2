import { createBrowserRouter, Navigate } from "react-router";
import { NotFoundPage } from "../pages/not-found.js";
import { SignInPage } from "../pages/sign-in/sign-in-page.js";
import type { DeskConfig } from "./config.js";
import { DESK_ROUTES, HOME } from "./routes.js";
import { Shell } from "./shell.js";

/** The router under /desk: sign-in on its own, every other page inside the shell (which needs a session). */
export function createDeskRouter(config: DeskConfig) {
	return createBrowserRouter(
		[
			{ path: "signin", element: <SignInPage userPool={config.userPool} /> },
			{
				element: <Shell />,
				children: [
					{ index: true, element: <Navigate to={HOME} replace /> },
					...DESK_ROUTES.map((route) => ({ path: route.path, element: route.element, handle: route })),
					{ path: "*", element: <NotFoundPage /> },
				],
			},
		],
		{ basename: "/desk" },
	);
}
