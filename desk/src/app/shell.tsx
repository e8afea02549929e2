import AppLayout from "@cloudscape-design/components/app-layout";
import BreadcrumbGroup, { type BreadcrumbGroupProps } from "@cloudscape-design/components/breadcrumb-group";
import Flashbar from "@cloudscape-design/components/flashbar";
import SideNavigation from "@cloudscape-design/components/side-navigation";
import Spinner from "@cloudscape-design/components/spinner";
import TopNavigation from "@cloudscape-design/components/top-navigation";
import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Navigate, Outlet, useLocation, useMatches, useNavigate, useParams } from "react-router";
import { useCan, useMe } from "../auth/me.js";
import { endSession, useSession } from "../auth/session.js";
import { QueryProblem } from "../components/query-problem.js";
import { NotAllowedPage } from "../pages/not-found.js";
import { flash, useFlashItems } from "./flash.js";
import { BASE, useFollow } from "./follow.js";
import { DESK_ROUTES, type DeskRoute, HOME, NAVIGATION } from "./routes.js";

function useCurrentRoute(): DeskRoute | undefined {
	const matches = useMatches();
	return matches.map((m) => m.handle as DeskRoute | undefined).findLast((h) => h !== undefined);
}

function Breadcrumbs({ route }: { readonly route: DeskRoute | undefined }) {
	const params = useParams();
	const follow = useFollow();
	const items: BreadcrumbGroupProps.Item[] = [{ text: "Billing desk", href: `${BASE}${HOME}` }];
	const list = route?.list ? DESK_ROUTES.find((r) => r.path === route.list) : undefined;
	if (list) items.push({ text: list.title, href: `${BASE}/${list.path}` });
	if (route) items.push({ text: list ? (Object.values(params).at(-1) ?? route.title) : route.title, href: "#" });
	return <BreadcrumbGroup items={items} ariaLabel="Breadcrumbs" expandAriaLabel="Show path" onFollow={follow} />;
}

/** The signed-in desk: top bar with the user, side navigation from the route table, breadcrumbs, notices, the page. */
function SignedIn({ email }: { readonly email: string }) {
	const me = useMe();
	const can = useCan();
	const route = useCurrentRoute();
	const follow = useFollow();
	const navigate = useNavigate();
	const queryClient = useQueryClient();
	const location = useLocation();
	const [navigationOpen, setNavigationOpen] = useState(true);
	const flashes = useFlashItems();
	const section = `${BASE}/${location.pathname.split("/")[1] ?? ""}`;
	const signOut = () => {
		endSession();
		queryClient.clear();
		flash.clear();
		navigate("/signin");
	};
	let content = <Outlet />;
	if (me.isPending) content = <Spinner size="large" />;
	else if (me.isError) content = <QueryProblem error={me.error} retry={() => void me.refetch()} what="signed-in user" />;
	else if (route?.needs && !can(route.needs)) content = <NotAllowedPage role={me.data.role} />;
	return (
		<>
			<title>{`${route?.title ?? "Not found"} · Billing desk`}</title>
			<div id="desk-top">
				<TopNavigation
					identity={{ href: `${BASE}${HOME}`, title: "Billing desk", onFollow: follow }}
					utilities={[
						{
							type: "menu-dropdown",
							text: email,
							description: me.data ? `Role: ${me.data.role}` : undefined,
							iconName: "user-profile",
							ariaLabel: `Signed in as ${email}`,
							items: [{ id: "sign-out", text: "Sign out" }],
							onItemClick: ({ detail }) => detail.id === "sign-out" && signOut(),
						},
					]}
				/>
			</div>
			<AppLayout
				headerSelector="#desk-top"
				toolsHide
				navigationOpen={navigationOpen}
				onNavigationChange={({ detail }) => setNavigationOpen(detail.open)}
				ariaLabels={{
					navigation: "Side navigation",
					navigationClose: "Close navigation",
					navigationToggle: "Open navigation",
					notifications: "Notifications",
				}}
				navigation={
					<SideNavigation
						header={{ href: `${BASE}${HOME}`, text: "Billing desk" }}
						activeHref={section}
						onFollow={follow}
						items={NAVIGATION.filter((r) => !r.needs || can(r.needs)).map((r) => ({
							type: "link",
							text: r.title,
							href: `${BASE}/${r.path}`,
						}))}
					/>
				}
				breadcrumbs={<Breadcrumbs route={route} />}
				notifications={<Flashbar items={flashes} />}
				content={content}
			/>
		</>
	);
}

/** Every page but sign-in: without a session, sign in first and come back here. */
export function Shell() {
	const session = useSession();
	const location = useLocation();
	if (!session) return <Navigate to={`/signin?next=${encodeURIComponent(location.pathname + location.search)}`} replace />;
	return <SignedIn email={session.email} />;
}
