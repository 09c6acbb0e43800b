import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

const require = createRequire(import.meta.url);
const AXE = require.resolve('axe-core/axe.min.js');

export interface AxeFinding {
  id: string;
  impact: string;
  targets: string[];
}

/** Every axe-core finding on the page as it stands (the page's context must bypass CSP to load axe). */
export async function axeFindings(page: Page): Promise<AxeFinding[]> {
  await page.addScriptTag({ path: AXE });
  return page.evaluate(async () => {
    interface Violation {
      id: string;
      impact: string;
      nodes: { target: string[] }[];
    }
    const axe = (window as unknown as { axe: { run(): Promise<{ violations: Violation[] }> } }).axe;
    const { violations } = await axe.run();
    return violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      targets: v.nodes.map((n) => n.target.join(' ')),
    }));
  });
}

/** axe-core's serious and critical findings, one line each: what a test expects to be none. */
export async function axeViolations(page: Page): Promise<string[]> {
  return (await axeFindings(page))
    .filter((f) => f.impact === 'serious' || f.impact === 'critical')
    .map((f) => `${f.id}: ${f.targets.join(', ')}`);
}
