import type { FlashbarProps } from "@cloudscape-design/components/flashbar";
import { useSyncExternalStore } from "react";
import { refusalText } from "../api/client.js";

/**
 * The Flashbar's notices: what a desk action did, and errors nobody expected (a 500, the
 * network). Each has an id so it can be dismissed; an error can carry a Retry. Refusals the
 * person can correct are shown in their dialog instead (errorText).
 */

let items: readonly FlashbarProps.MessageDefinition[] = [];
const listeners = new Set<() => void>();
let nextId = 1;

function update(next: readonly FlashbarProps.MessageDefinition[]): void {
	items = next;
	for (const listener of listeners) listener();
}

function dismiss(id: string): void {
	update(items.filter((i) => i.id !== id));
}

function add(item: Omit<FlashbarProps.MessageDefinition, "id" | "dismissible" | "onDismiss">): void {
	const id = `notice-${nextId++}`;
	update([{ ...item, id, dismissible: true, dismissLabel: "Dismiss notice", onDismiss: () => dismiss(id) }, ...items].slice(0, 5));
}

export const flash = {
	success(content: string): void {
		add({ type: "success", content });
	},
	error(err: unknown, retry?: () => void): void {
		add({
			type: "error",
			header: "Something went wrong",
			content: refusalText(err) ?? "Unknown error",
			...(retry ? { buttonText: "Retry", onButtonClick: retry } : {}),
		});
	},
	clear(): void {
		update([]);
	},
};

export function useFlashItems(): FlashbarProps.MessageDefinition[] {
	return useSyncExternalStore(
		(listener) => {
			listeners.add(listener);
			return () => listeners.delete(listener);
		},
		() => items,
	) as FlashbarProps.MessageDefinition[];
}
