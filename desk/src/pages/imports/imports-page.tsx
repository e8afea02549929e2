import Alert from "@cloudscape-design/components/alert";
import Button from "@cloudscape-design/components/button";
import ColumnLayout from "@cloudscape-design/components/column-layout";
import Container from "@cloudscape-design/components/container";
import ContentLayout from "@cloudscape-design/components/content-layout";
import FileUpload from "@cloudscape-design/components/file-upload";
import Form from "@cloudscape-design/components/form";
import FormField from "@cloudscape-design/components/form-field";
import Header from "@cloudscape-design/components/header";
import SpaceBetween from "@cloudscape-design/components/space-between";
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { useNavigate } from "react-router";
import { ApiError, refusalText } from "../../api/client.js";
import { IMPORT_FILES, type ImportFile, type ImportResult, runImport } from "../../api/imports.js";
import { useDeskMutation } from "../../app/mutation.js";
import { recordPath } from "../../components/router-link.js";
import { ImportResultView } from "./import-result.js";

const FILE_LABELS: Readonly<Record<ImportFile, string>> = {
	accounts: "Accounts",
	plans: "Plans",
	subscriptions: "Subscriptions",
	charges: "Charges",
};

async function readFiles(selected: Partial<Record<ImportFile, File[]>>): Promise<Partial<Record<ImportFile, string>>> {
	const entries = await Promise.all(
		IMPORT_FILES.flatMap((name) => {
			const file = selected[name]?.[0];
			return file ? [file.text().then((text) => [name, text] as const)] : [];
		}),
	);
	return Object.fromEntries(entries);
}

/**
 * The company's own CSV files (DESIGN.md section 8): a dry run first, which lists every line
 * it would refuse; Apply once the dry run of these same files is clean.
 */
export function ImportsPage() {
	const navigate = useNavigate();
	const [selected, setSelected] = useState<Partial<Record<ImportFile, File[]>>>({});
	const [checked, setChecked] = useState<ImportResult>();
	const dryRun = useMutation({ mutationFn: async () => runImport(await readFiles(selected), true), onSuccess: setChecked });
	const apply = useDeskMutation({
		run: async () => {
			const result = await runImport(await readFiles(selected), false);
			if (result.errors.length > 0) {
				// The files changed on disk since the dry run, or the data did: refused, with its lines below.
				setChecked(result);
				throw new ApiError(400, `The import was refused: ${result.errors.length} line errors.`);
			}
			return result;
		},
		done: (result) => `Import ${result.importId ?? ""} applied`,
	});
	const chosen = IMPORT_FILES.some((name) => (selected[name]?.length ?? 0) > 0);
	const clean = checked !== undefined && checked.errors.length === 0;
	const choose = (name: ImportFile, files: File[]) => {
		setSelected((prev) => ({ ...prev, [name]: files }));
		setChecked(undefined);
		apply.reset();
	};
	const submitApply = () =>
		apply.mutate(undefined, {
			onSuccess: (result) => (result.importId ? navigate(recordPath("imports", result.importId)) : setChecked(result)),
		});

	return (
		<ContentLayout
			header={
				<Header variant="h1" description="Accounts, plans, subscriptions and charges from your own systems, as CSV files.">
					Imports
				</Header>
			}
		>
			<SpaceBetween size="l">
				<form
					onSubmit={(event) => {
						event.preventDefault();
						if (chosen && !dryRun.isPending) dryRun.mutate();
					}}
				>
					<Form
						errorText={refusalText(dryRun.error) ?? refusalText(apply.error)}
						errorIconAriaLabel="Error"
						actions={
							<SpaceBetween direction="horizontal" size="xs">
								<Button disabled={!chosen} loading={dryRun.isPending}>
									Dry run
								</Button>
								<Button formAction="none" variant="primary" disabled={!clean} loading={apply.isPending} onClick={submitApply}>
									Apply
								</Button>
							</SpaceBetween>
						}
					>
						<Container header={<Header variant="h2">Files</Header>}>
							<ColumnLayout columns={2}>
								{IMPORT_FILES.map((name) => (
									<FormField key={name} label={`${FILE_LABELS[name]} file`} description={`${name}.csv`}>
										<FileUpload
											value={selected[name] ?? []}
											onChange={({ detail }) => choose(name, detail.value)}
											accept=".csv,text/csv"
											showFileSize
											i18nStrings={{
												uploadButtonText: () => `Choose ${name} file`,
												removeFileAriaLabel: (_i, fileName) => `Remove ${fileName}`,
											}}
										/>
									</FormField>
								))}
							</ColumnLayout>
						</Container>
					</Form>
				</form>
				{checked && clean ? (
					<Alert type="success" header="The dry run found no errors">
						Apply imports these files.
					</Alert>
				) : null}
				{checked ? <ImportResultView title={clean ? "Dry run" : "Dry run: refused"} result={checked} /> : null}
			</SpaceBetween>
		</ContentLayout>
	);
}
