// The Usage page's charts, drawn from the numbers the server rendered beside them (each chart's
// table holds the same numbers for screen readers and for copying). Chart.js is bundled here, in
// this page's own script: no other page and no CDN loads it.
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip } from 'chart.js';
import { showLocalTimes } from './dom';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip);

interface Series {
	name: string;
	values: number[];
}
interface UsageData {
	days: string[];
	tokens: Series[];
	outcomes: Series[];
}

/** Outcomes in colours people read without a legend: answered green, stopped grey, the rest warm. */
const OUTCOME_COLOURS: Record<string, string> = { ok: '#2e7d32', cancelled: '#9e9e9e' };
const PALETTE = ['#1565c0', '#6a1b9a', '#00838f', '#ef6c00', '#ad1457', '#558b2f', '#4e342e', '#283593', '#c62828', '#f9a825'];

function stackedBars(canvas: HTMLCanvasElement, days: string[], series: Series[], colour: (name: string, index: number) => string): void {
	new Chart(canvas, {
		type: 'bar',
		data: {
			labels: days,
			datasets: series.map((entry, index) => ({ label: entry.name, data: entry.values, backgroundColor: colour(entry.name, index) })),
		},
		options: {
			animation: false,
			responsive: true,
			maintainAspectRatio: false,
			scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } },
			plugins: { legend: { position: 'bottom' } },
		},
	});
}

const source = document.querySelector('#usage-data');
if (source?.textContent) {
	const data = JSON.parse(source.textContent) as UsageData;
	const tokens = document.querySelector<HTMLCanvasElement>('#chart-tokens');
	const outcomes = document.querySelector<HTMLCanvasElement>('#chart-outcomes');
	if (tokens) {
		stackedBars(tokens, data.days, data.tokens, (_name, index) => PALETTE[index % PALETTE.length]!);
	}
	if (outcomes) {
		stackedBars(outcomes, data.days, data.outcomes, (name, index) => OUTCOME_COLOURS[name] ?? PALETTE[(index + 3) % PALETTE.length]!);
	}
}
showLocalTimes();
