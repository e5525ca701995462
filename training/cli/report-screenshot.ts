import { existsSync } from 'node:fs';
import { inspectCharts, openInChromium } from '../report/browser.js';
import { intOption, parse, runCli, UsageError } from './args.js';

const USAGE = `Usage: npm run report:screenshot -- <report.html> <out.png> [--width <px>]

Opens a report in headless Chromium (${process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'}; install with
"apt-get install -y chromium"), offline, and saves a full-page PNG. Prints what each chart drew.

  --width <px>   viewport width (default 1280)
`;

runCli(async () => {
  const { values, positionals } = parse(process.argv.slice(2), { width: { type: 'string' } }, USAGE, true);
  if (positionals.length !== 2) throw new UsageError(`expected <report.html> <out.png>, got ${positionals.length} arguments (see --help)`);
  const [html, png] = positionals;
  if (!existsSync(html)) throw new UsageError(`${html} does not exist: write one with npm run report -- <artifact-dir>`);
  const width = intOption('width', values.width, 1280, 320, 8000);
  const opened = await openInChromium(html, { width, height: 900 });
  try {
    await opened.page.screenshot({ path: png, fullPage: true, timeout: 60_000 });
    for (const c of await inspectCharts(opened.page)) {
      const marks = Object.entries(c.marks).map(([k, n]) => `${n} ${k}`).join(', ') || 'NO MARKS';
      process.stdout.write(`${c.id.padEnd(18)} ${Math.round(c.width)}x${Math.round(c.height)}  ${marks}\n`);
    }
    if (opened.outsideRequests.length) process.stdout.write(`requests outside the file (refused): ${opened.outsideRequests.join(' ')}\n`);
    process.stdout.write(`saved ${png}\n`);
  } finally {
    await opened.close();
  }
});
