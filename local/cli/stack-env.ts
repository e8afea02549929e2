/** The deployed stack the CLI works on, when set (or `--stack`); otherwise the embedded one. */
export const STACK_ENV = "BILLING_STACK";
