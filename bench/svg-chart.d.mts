// Types of bench/svg-chart.mjs for the tests that import it (the bench scripts are plain ESM).
export interface Series { name: string; points: Array<[number, number]> }
export interface Panel { title: string; xLabel: string; yLabel: string; series: Series[] }
export interface Chart { title: string; note?: string; panels: Panel[] }
export function renderChart(chart: Chart): string;
export function niceTicks(max: number, count?: number): number[];
export function escapeXml(s: string): string;
