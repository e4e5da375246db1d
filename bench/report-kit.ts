// What the per-area benchmark reports (payments, messaging) share: number formatting, backend
// names, the runs list, and keeping the latest run per backend in a JSON file and a marked
// section of docs/benchmarks.md.
import { existsSync, readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import type { IngestResult, IngestRound } from "./ingest.ts";
import type { Report } from "./report.ts";

const MARKDOWN = "docs/benchmarks.md";

/** What every recorded run says about itself. */
export interface RecordedRun {
	date: string;
	command: string;
	backend: string;
	machine: Report["machine"];
	/** BENCH_NOTE: what a reader must know about the run (other load, other hardware). */
	note?: string;
}

export const fmt = (n: number, digits = 0) =>
	n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
export const backendName = (b: string) => (b === "pglite" ? "embedded (PGlite)" : b === "postgres" ? "PostgreSQL" : b);
export const met = (ok: boolean) => (ok ? "met" : "**not met**");

/** A table's heading rows: one column per backend, then the target. */
export function tableHead(runs: RecordedRun[]): string[] {
	return [
		`| | ${runs.map((r) => backendName(r.backend)).join(" | ")} | target |`,
		`| --- | ${runs.map(() => "---:").join(" | ")} | --- |`,
	];
}

/** A table row: its label, one cell per run, the target. */
export function tableRow<R>(runs: R[]): (label: string, cell: (r: R) => string, target?: string) => string {
	return (label, cell, target = "") => `| ${label} | ${runs.map(cell).join(" | ")} | ${target} |`;
}

/** A run that measured a webhook route's ingest beside bare workerd (bench/ingest.ts). */
export interface IngestRun extends RecordedRun {
	ingest: IngestResult;
	helloWorld: { perSecond: number };
	ingestRatio: number;
	/** Absent from runs recorded before the ingest was measured in rounds. */
	rounds?: IngestRound[];
}

/** The webhook-ingest rows the payments and messaging tables share. */
export function ingestRows(runs: IngestRun[], targetRatio: number): string[] {
	const row = tableRow(runs);
	return [
		row(
			"**webhook ingest** req/s (p50 / p99 ms)",
			(r) => `${fmt(r.ingest.perSecond)} (${fmt(r.ingest.p50Ms, 1)} / ${fmt(r.ingest.p99Ms, 1)})`,
		),
		row("bare workerd (hello-world) req/s", (r) => fmt(r.helloWorld.perSecond)),
		row(
			"ingest ÷ bare workerd (median round)",
			(r) => `${fmt(r.ingestRatio * 100)}% (${met(r.ingestRatio >= targetRatio)})`,
			`≥ ${fmt(targetRatio * 100)}%`,
		),
		row("each round: ingest ÷ bare workerd", (r) =>
			r.rounds ? r.rounds.map((x) => `${fmt(x.ratio * 100)}%`).join(", ") : "one round (recorded before rounds)",
		),
		row("ingest statuses", (r) =>
			Object.entries(r.ingest.statuses)
				.map(([k, v]) => `${fmt(v)} × ${k}`)
				.join(", "),
		),
		row(
			"SQL round trips during ingest (consumer's, per request)",
			(r) => fmt(r.ingest.sqlInRequests / Math.max(1, r.ingest.requests), 2),
			"0 in the request",
		),
	];
}

/** The "Runs:" list: when, on what, under what load, and the command. */
export function runsList(runs: RecordedRun[]): string[] {
	return [
		"Runs:",
		"",
		...runs.map(
			(r) =>
				`- **${backendName(r.backend)}**: ${r.date} · ${r.machine.cpuCount} × ${r.machine.cpuModel} · load average (1 min) ${r.machine.loadAverage?.start} at the start, ${r.machine.loadAverage?.end} at the end.${r.note ? ` Note: ${r.note}` : ""}\n\n  \`\`\`sh\n  ${r.command}\n  \`\`\``,
		),
	];
}

/**
 * Records `run` as its backend's latest in `jsonPath`, then rewrites the section between `marker`
 * comments (`<!-- name -->` … `<!-- /name -->`) from the runs kept, inserting it before the
 * commerce section the first time.
 */
export async function recordRun<R extends RecordedRun>(
	jsonPath: string,
	marker: string,
	run: R,
	section: (runs: R[], start: string, end: string) => string,
): Promise<void> {
	const file: Record<string, R> = existsSync(jsonPath) ? JSON.parse(readFileSync(jsonPath, "utf8")) : {};
	file[run.backend] = run;
	await writeFile(jsonPath, `${JSON.stringify(file, null, "\t")}\n`);
	const runs = ["pglite", "postgres"].flatMap((b) => (file[b] ? [file[b]] : []));
	const [start, end] = [`<!-- ${marker} -->`, `<!-- /${marker} -->`];
	const markdown = readFileSync(MARKDOWN, "utf8");
	const text = section(runs, start, end);
	const next = markdown.includes(start)
		? markdown.replace(new RegExp(`${start}[\\s\\S]*?${end}`), text)
		: markdown.replace("<!-- commerce -->", `${text}\n\n<!-- commerce -->`);
	await writeFile(MARKDOWN, next);
}
