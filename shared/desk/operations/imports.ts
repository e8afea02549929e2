import * as z from "zod";
import { importFiles } from "../../imports/import.js";
import { IMPORT_KINDS } from "../../imports/rows.js";
import { uploadedSource } from "../../imports/sources.js";
import { defineOperation } from "../operation.js";

/** What one request may upload: a synchronous Lambda takes 6 MB; larger files go to the bucket's imports/ prefix. */
export const MAX_UPLOAD_BYTES = 5 * 1024 * 1024;

export const importUploaded = defineOperation({
	name: "imports.run",
	title: "Import files",
	role: "billing",
	input: z.object({
		files: z
			.array(
				z.object({
					name: z.string().trim().min(1),
					kind: z.enum(IMPORT_KINDS).optional(),
					content: z.string(),
				}),
			)
			.min(1, { message: "at least one file" })
			.refine((files) => files.reduce((n, f) => n + Buffer.byteLength(f.content), 0) <= MAX_UPLOAD_BYTES, {
				message: `at most ${MAX_UPLOAD_BYTES / 1024 / 1024} MB in one upload; put larger files in the bucket's imports/ prefix`,
			}),
		dryRun: z.boolean().default(false),
	}),
	run: (deps, input) =>
		importFiles(
			deps,
			input.files.map((f) => uploadedSource(f.name, f.content, f.kind)),
			{ dryRun: input.dryRun },
		),
});
