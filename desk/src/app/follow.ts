import { useNavigate } from "react-router";

export const BASE = "/desk";

/**
 * Cloudscape's links and navigation carry real hrefs (open in a new tab works); a plain
 * click stays in the app and goes through the router.
 */
export function useFollow() {
	const navigate = useNavigate();
	return (event: CustomEvent<{ href?: string | undefined; external?: boolean | undefined }>) => {
		const href = event.detail.href;
		if (!href || event.detail.external) return;
		event.preventDefault();
		navigate(href.startsWith(`${BASE}/`) ? href.slice(BASE.length) : href);
	};
}
