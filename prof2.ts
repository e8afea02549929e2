import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBStreamsClient } from "@aws-sdk/client-dynamodb-streams";

const counts = new Map<string, { n: number; ms: number }>();
for (const C of [DynamoDBClient, DynamoDBStreamsClient]) {
	const orig = C.prototype.send;
	// biome-ignore lint: profiling
	(C.prototype as any).send = async function (cmd: any, ...rest: any[]) {
		const t = performance.now();
		try {
			return await orig.call(this, cmd, ...rest);
		} finally {
			const k = cmd.constructor.name;
			const e = counts.get(k) ?? { n: 0, ms: 0 };
			e.n++;
			e.ms += performance.now() - t;
			counts.set(k, e);
		}
	};
}
await import("./prof.ts");
console.log([...counts].map(([k, v]) => `${k} ${v.n} avg ${(v.ms / v.n).toFixed(1)}ms`).join("\n"));
