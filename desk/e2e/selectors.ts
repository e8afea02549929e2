import createWrapper, { ModalWrapper, TableWrapper } from "@cloudscape-design/components/test-utils/selectors";

/**
 * Cloudscape's test selectors: plain CSS selectors for each component and its parts
 * (`desk.findTable().findRows().toSelector()`), which Playwright takes as they are. They
 * follow Cloudscape's own class names, so they survive a restyle of the desk.
 */
export const desk = createWrapper();

/** The same, inside a Playwright locator: `locator.locator(within.findForm().toSelector())`. */
export const within = createWrapper(":scope");

/** A component's parts when the locator is the component itself. */
export const thisTable = new TableWrapper(":scope");
export const thisModal = new ModalWrapper(":scope");
