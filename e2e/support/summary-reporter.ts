import { appendFileSync } from 'node:fs';
import type { FullResult, Reporter, TestCase, TestResult } from '@playwright/test/reporter';

// SummaryReporter ends the output with one plain line, "e2e: N passed,
// N failed, N skipped", that CI logs and scripts can read, after a line
// for each skipped test with its reason.
//
// Under CI=true a skipped test fails the run: what cannot run in CI is a
// broken setup, and would otherwise pass unnoticed (forbidOnly in
// playwright.config.ts does the same for a test.only left behind).
// `make test` ends with what every suite skipped: when HXCHAT_SKIPS_FILE
// names a file, this adds "e2e: none" or "e2e: N tests, WHY" to it.
export default class SummaryReporter implements Reporter {
  private tests = new Map<string, TestCase>();

  onTestEnd(test: TestCase, _result: TestResult): void {
    // The last result of a test wins, so a retried test counts once.
    this.tests.set(test.id, test);
  }

  async onEnd(_result: FullResult): Promise<{ status: FullResult['status'] } | undefined> {
    let passed = 0;
    let failed = 0;
    const skipped: { title: string; why: string }[] = [];
    for (const test of this.tests.values()) {
      const outcome = test.outcome();
      if (outcome === 'expected' || outcome === 'flaky') passed++;
      else if (outcome === 'skipped') skipped.push({ title: test.titlePath().filter(Boolean).join(' › '), why: reason(test) });
      else failed++;
    }
    for (const s of skipped) console.log(`skipped: ${s.title}: ${s.why}`);
    const ci = process.env.CI === 'true';
    if (ci && skipped.length > 0) {
      console.log(`e2e: CI=true forbids skipping, so the ${skipped.length} skipped test(s) above fail the run`);
    }
    console.log(`e2e: ${passed} passed, ${failed} failed, ${skipped.length} skipped`);

    const file = process.env.HXCHAT_SKIPS_FILE;
    if (file) appendFileSync(file, `e2e: ${describe(skipped.map((s) => s.why))}\n`);
    return ci && skipped.length > 0 ? { status: 'failed' } : undefined;
  }

  printsToStdio(): boolean {
    return true;
  }
}

// reason is what the test said when it skipped itself (test.skip or
// test.fixme with a description).
function reason(test: TestCase): string {
  const a = test.annotations.find((a) => a.type === 'skip' || a.type === 'fixme');
  return a?.description || 'no reason given';
}

// describe says "none", or "N tests, WHY" with each reason counted when
// there are several, as the Go tests' line does.
function describe(whys: string[]): string {
  if (whys.length === 0) return 'none';
  const counts = new Map<string, number>();
  for (const w of whys) counts.set(w, (counts.get(w) ?? 0) + 1);
  const reasons = [...counts].sort((a, b) => b[1] - a[1]);
  const list = reasons.length === 1 ? reasons[0][0] : reasons.map(([w, n]) => `${n} ${w}`).join('; ');
  return `${whys.length} test${whys.length > 1 ? 's' : ''}, ${list}`;
}
