import dagre from "@dagrejs/dagre";
import { type AslFlow, type AslState, type AslTransition, END, START } from "./flow.js";
import { type Counts, STATUS_WORDS, type StateStatus, type StateView } from "./view.js";

/**
 * The state machine drawn as SVG on the server (no script or build step in the page):
 * dagre lays out each flow, a Map's ItemProcessor is laid out first and drawn inside the
 * Map's box, and each state is coloured by its status in an execution when one is given.
 * Every state is a `<g class="state" data-state="NAME">`, for the page's script and tests.
 */

interface Box {
	readonly width: number;
	readonly height: number;
}

interface LaidNode extends Box {
	readonly id: string;
	readonly x: number;
	readonly y: number;
	readonly state?: AslState;
	readonly lines: readonly string[];
	readonly inner: readonly Laid[];
}

interface LaidEdge {
	readonly transition: AslTransition;
	readonly points: readonly { x: number; y: number }[];
	readonly label?: { x: number; y: number; text: string };
}

interface Laid extends Box {
	readonly nodes: readonly LaidNode[];
	readonly edges: readonly LaidEdge[];
}

const CHAR_WIDTH = 7;
const LINE_HEIGHT = 16;
const WRAP_AT = 26;
const PAD = 12;
const HEADER = 44;
const CHILD_GAP = 16;

export function escapeXml(value: unknown): string {
	return String(value ?? "")
		.replaceAll("&", "&amp;")
		.replaceAll("<", "&lt;")
		.replaceAll(">", "&gt;")
		.replaceAll('"', "&quot;")
		.replaceAll("'", "&#39;");
}

/** Words wrapped into lines of at most WRAP_AT characters (a longer word gets a line of its own). */
function wrap(text: string): string[] {
	const lines: string[] = [];
	let line = "";
	for (const word of text.split(/\s+/)) {
		if (line && line.length + 1 + word.length > WRAP_AT) {
			lines.push(line);
			line = word;
		} else line = line ? `${line} ${word}` : word;
	}
	if (line) lines.push(line);
	return lines;
}

function textWidth(lines: readonly string[]): number {
	return Math.max(0, ...lines.map((l) => l.length)) * CHAR_WIDTH;
}

function plural(n: number, word: string): string {
	return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function countsText(counts: Counts): string {
	const parts = [`${counts.succeeded} ok`];
	if (counts.failed) parts.push(`${counts.failed} failed`);
	if (counts.running) parts.push(`${counts.running} running`);
	if (counts.aborted) parts.push(`${counts.aborted} aborted`);
	return parts.join(" · ");
}

function durationText(ms: number | undefined): string {
	if (ms === undefined) return "";
	return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** The small line under a state's name: what it is, or how it went in the execution. */
export function statusLine(state: AslState, view: StateView | undefined): string {
	if (!view) {
		if (state.type === "Map" && state.processor?.mode === "DISTRIBUTED") return "Map (distributed)";
		return state.type;
	}
	if (view.mapRun) {
		const { children, items } = view.mapRun;
		if (children.total === 0) return STATUS_WORDS[view.status];
		const unit = state.batched ? (children.total === 1 ? "batch" : "batches") : children.total === 1 ? "child run" : "child runs";
		return `${plural(items.total, "item")}: ${countsText(items)} · ${children.total} ${unit}`;
	}
	if (view.parent !== undefined && view.runCount > 0) {
		const parts = Object.entries(view.counts).map(([status, n]) => `${n} ${STATUS_WORDS[status as StateStatus].toLowerCase()}`);
		return parts.join(" · ");
	}
	const run = view.runs.at(-1);
	const duration = durationText(run?.durationMs);
	return duration ? `${STATUS_WORDS[view.status]} · ${duration}` : STATUS_WORDS[view.status];
}

function layoutFlow(flow: AslFlow, views: Readonly<Record<string, StateView>> | undefined, top: boolean): Laid {
	const g = new dagre.graphlib.Graph({ multigraph: true });
	g.setGraph({ rankdir: "TB", nodesep: 28, ranksep: 36, edgesep: 14, marginx: top ? 16 : 8, marginy: top ? 16 : 8 });
	g.setDefaultEdgeLabel(() => ({}));
	const nodes = new Map<string, Omit<LaidNode, "x" | "y">>();
	if (top) {
		nodes.set(START, { id: START, width: 70, height: 28, lines: [START], inner: [] });
		nodes.set(END, { id: END, width: 70, height: 28, lines: [END], inner: [] });
	}
	for (const state of flow.states) {
		const lines = wrap(state.name);
		const sub = statusLine(state, views?.[state.name]);
		const inner = state.children.map((child) => layoutFlow(child, views, false));
		const innerWidth = inner.reduce((w, l) => w + l.width, 0) + CHILD_GAP * Math.max(0, inner.length - 1);
		const innerHeight = Math.max(0, ...inner.map((l) => l.height));
		const textW = Math.max(textWidth(lines), sub.length * (CHAR_WIDTH - 1));
		const width = Math.max(150, textW + 2 * PAD, inner.length ? innerWidth + 2 * PAD : 0);
		const height = inner.length ? HEADER + (lines.length - 1) * LINE_HEIGHT + innerHeight + PAD : 22 + lines.length * LINE_HEIGHT;
		nodes.set(state.name, { id: state.name, width, height, state, lines, inner });
	}
	for (const [id, node] of nodes) g.setNode(id, { width: node.width, height: node.height });
	flow.transitions.forEach((t, i) => {
		if (!nodes.has(t.from) || !nodes.has(t.to)) return;
		const labelled = t.kind === "choice" || t.kind === "default";
		const text = labelled ? (t.label ?? "") : "";
		g.setEdge(
			t.from,
			t.to,
			labelled ? { width: Math.min(text.length, 40) * (CHAR_WIDTH - 1) + 8, height: LINE_HEIGHT, labelpos: "c" } : {},
			`e${i}`,
		);
	});
	dagre.layout(g);
	const laidNodes: LaidNode[] = [...nodes.values()].map((n) => {
		const placed = g.node(n.id);
		return { ...n, x: placed.x ?? 0, y: placed.y ?? 0 };
	});
	const laidEdges: LaidEdge[] = [];
	flow.transitions.forEach((t, i) => {
		const edge = g.edge({ v: t.from, w: t.to, name: `e${i}` });
		if (!edge) return;
		const text = t.kind === "choice" || t.kind === "default" ? (t.label ?? "") : "";
		laidEdges.push({
			transition: t,
			points: edge.points ?? [],
			...(text && edge.x !== undefined && edge.y !== undefined
				? { label: { x: edge.x, y: edge.y, text: text.length > 40 ? `${text.slice(0, 39)}…` : text } }
				: {}),
		});
	});
	const graph = g.graph();
	return { width: graph.width ?? 0, height: graph.height ?? 0, nodes: laidNodes, edges: laidEdges };
}

/** A smooth path through dagre's points (a uniform B-spline, as d3's curveBasis draws it). */
function pathThrough(points: readonly { x: number; y: number }[]): string {
	const p = points.map(({ x, y }) => ({ x: Math.round(x * 10) / 10, y: Math.round(y * 10) / 10 }));
	if (p.length < 3) return p.map((q, i) => `${i === 0 ? "M" : "L"}${q.x},${q.y}`).join(" ");
	const out: string[] = [`M${p[0]?.x},${p[0]?.y}`];
	const [a, b] = p as [{ x: number; y: number }, { x: number; y: number }];
	out.push(`L${(5 * a.x + b.x) / 6},${(5 * a.y + b.y) / 6}`);
	let x0 = a.x;
	let y0 = a.y;
	let x1 = b.x;
	let y1 = b.y;
	const bezier = (x: number, y: number) =>
		out.push(
			`C${(2 * x0 + x1) / 3},${(2 * y0 + y1) / 3} ${(x0 + 2 * x1) / 3},${(y0 + 2 * y1) / 3} ${(x0 + 4 * x1 + x) / 6},${(y0 + 4 * y1 + y) / 6}`,
		);
	for (const q of p.slice(2)) {
		bezier(q.x, q.y);
		x0 = x1;
		y0 = y1;
		x1 = q.x;
		y1 = q.y;
	}
	bezier(x1, y1);
	out.push(`L${x1},${y1}`);
	return out.join(" ");
}

function renderEdges(laid: Laid): string {
	return laid.edges
		.map((e) => {
			const title = e.transition.label ? `<title>${escapeXml(e.transition.label)}</title>` : "";
			const label = e.label
				? `<g class="edge-label"><rect x="${e.label.x - (e.label.text.length * (CHAR_WIDTH - 1)) / 2 - 4}" y="${e.label.y - 9}" width="${e.label.text.length * (CHAR_WIDTH - 1) + 8}" height="18" rx="3"/><text x="${e.label.x}" y="${e.label.y + 4}">${escapeXml(e.label.text)}</text></g>`
				: "";
			return `<g class="edge edge-${e.transition.kind}" data-from="${escapeXml(e.transition.from)}" data-to="${escapeXml(e.transition.to)}">${title}<path d="${pathThrough(e.points)}" marker-end="url(#arrow)"/>${label}</g>`;
		})
		.join("");
}

function renderNode(node: LaidNode, views: Readonly<Record<string, StateView>> | undefined): string {
	const left = node.x - node.width / 2;
	const topY = node.y - node.height / 2;
	if (!node.state) {
		return `<g class="pseudo"><rect x="${left}" y="${topY}" width="${node.width}" height="${node.height}" rx="14"/><text x="${node.x}" y="${node.y + 4}">${escapeXml(node.id)}</text></g>`;
	}
	const state = node.state;
	const view = views?.[state.name];
	const status = views ? (view?.status ?? "NOT_REACHED") : "DEFINITION";
	const rounded = state.type === "Choice" || state.type === "Succeed" || state.type === "Fail" ? 14 : 6;
	const container = node.inner.length > 0;
	const title = `${state.name} (${state.type}${view ? `: ${STATUS_WORDS[view.status]}` : ""})${state.comment ? `\n${state.comment}` : ""}`;
	const nameY = container ? topY + 20 : node.y - ((node.lines.length - 1) * LINE_HEIGHT) / 2 - 3;
	const name = node.lines
		.map((line, i) => `<text class="name" x="${node.x}" y="${nameY + i * LINE_HEIGHT}">${escapeXml(line)}</text>`)
		.join("");
	const sub = `<text class="sub" x="${node.x}" y="${nameY + (node.lines.length - 1) * LINE_HEIGHT + 16}">${escapeXml(statusLine(state, view))}</text>`;
	let inner = "";
	if (container) {
		const innerWidth = node.inner.reduce((w, l) => w + l.width, 0) + CHILD_GAP * (node.inner.length - 1);
		let x = node.x - innerWidth / 2;
		const y = topY + HEADER + (node.lines.length - 1) * LINE_HEIGHT;
		for (const child of node.inner) {
			inner += `<g class="processor" transform="translate(${x},${y})"><rect class="processor-box" x="0" y="0" width="${child.width}" height="${child.height}" rx="6"/>${renderLaid(child, views)}</g>`;
			x += child.width + CHILD_GAP;
		}
	}
	return `<g class="state status-${status}${container ? " container" : ""}" data-state="${escapeXml(state.name)}" data-status="${status}" tabindex="0" role="button"><title>${escapeXml(title)}</title><rect class="box" x="${left}" y="${topY}" width="${node.width}" height="${node.height}" rx="${rounded}"/>${name}${sub}</g>${inner}`;
}

function renderLaid(laid: Laid, views: Readonly<Record<string, StateView>> | undefined): string {
	return `<g class="edges">${renderEdges(laid)}</g><g class="nodes">${laid.nodes.map((n) => renderNode(n, views)).join("")}</g>`;
}

const SVG_STYLE = `
.flow text{font:12px system-ui,sans-serif;text-anchor:middle;fill:#16191f}
.flow .sub{font-size:11px;fill:#414d5c}
.flow .box{stroke-width:1.5;fill:#fff;stroke:#545b64}
.flow .state{cursor:pointer}
.flow .state:hover .box,.flow .state:focus .box{stroke-width:3}
.flow .state.selected .box{stroke-width:4;stroke-dasharray:none}
.flow .state.selected:not(.container) .box{filter:drop-shadow(0 0 4px #0972d3)}
.flow .status-SUCCEEDED .box{fill:#e9f7ec;stroke:#1e8e3e}
.flow .status-FAILED .box{fill:#fdecea;stroke:#d13212}
.flow .status-CAUGHT .box{fill:#fff3e0;stroke:#e07700}
.flow .status-RUNNING .box{fill:#e8f1fb;stroke:#0972d3}
.flow .status-ABORTED .box{fill:#f1ecf8;stroke:#7d5ba6}
.flow .status-NOT_REACHED .box{fill:#fff;stroke:#aab7b8;stroke-dasharray:4 3}
.flow .status-NOT_REACHED text{fill:#687078}
.flow .container>.box{fill-opacity:.45}
.flow .processor-box{fill:#fafafa;stroke:#d5dbdb;stroke-dasharray:2 2;pointer-events:none}
.flow .pseudo rect{fill:#f2f3f3;stroke:#879596}
.flow .edge path{fill:none;stroke:#687078;stroke-width:1.3}
.flow .edge-catch path{stroke:#d13212;stroke-dasharray:5 4;stroke-opacity:.55}
.flow .edge-label rect{fill:#fff;stroke:#d5dbdb}
.flow .edge-label text{font-size:11px;fill:#414d5c}
`;

/** The flow as an SVG document fragment; with `views`, each state is coloured by its status. */
export function renderFlowSvg(flow: AslFlow, views?: Readonly<Record<string, StateView>>): string {
	const laid = layoutFlow(flow, views, true);
	const width = Math.ceil(laid.width);
	const height = Math.ceil(laid.height);
	return `<svg xmlns="http://www.w3.org/2000/svg" class="flow" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="state machine graph"><style>${SVG_STYLE}</style><defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#687078"/></marker></defs>${renderLaid(laid, views)}</svg>`;
}
