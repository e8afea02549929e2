import Alert from "@cloudscape-design/components/alert";
import ContentLayout from "@cloudscape-design/components/content-layout";
import Header from "@cloudscape-design/components/header";
import { RouterLink } from "../components/router-link.js";

export function NotFoundPage() {
	return (
		<ContentLayout header={<Header variant="h1">Not found</Header>}>
			<Alert type="info">
				The desk has no page here. <RouterLink to="/worklist">Go to the worklist</RouterLink>.
			</Alert>
		</ContentLayout>
	);
}

/** A page the role may not use; hidden from the navigation, refused by the API, but a link can still lead here. */
export function NotAllowedPage({ role }: { readonly role: string }) {
	return (
		<ContentLayout header={<Header variant="h1">Not available to your role</Header>}>
			<Alert type="info">Your role ({role}) cannot use this page. Ask an admin if you need it.</Alert>
		</ContentLayout>
	);
}
