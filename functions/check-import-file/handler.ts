import * as z from "zod";
import { checkImportFile, importJobSchema } from "../../shared/imports/job.js";
import { createS3Client } from "../../shared/platform/clients.js";
import { stepHandler } from "../../shared/platform/lambda.js";

const s3 = createS3Client();

/** Check File: the object version read and each row checked on its own; the checked rows spilled into partition objects. */
export const handler = stepHandler("Check File", z.object({ job: importJobSchema }), async ({ job }) => checkImportFile({ s3 }, job));
