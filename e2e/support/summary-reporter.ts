import type { FullResult, Reporter, TestCase, TestResult } from '@playwright/test/reporter';

// SummaryReporter ends the output with one plain line, "e2e: N passed,
// N failed, N skipped", that CI logs and scripts can read.
export default class SummaryReporter implements Reporter {
  private outcomes = new Map<string, string>();

  onTestEnd(test: TestCase, _result: TestResult): void {
    // The last result of a test wins, so a retried test counts once.
    this.outcomes.set(test.id, test.outcome());
  }

  onEnd(_result: FullResult): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const outcome of this.outcomes.values()) {
      if (outcome === 'expected' || outcome === 'flaky') passed++;
      else if (outcome === 'skipped') skipped++;
      else failed++;
    }
    console.log(`e2e: ${passed} passed, ${failed} failed, ${skipped} skipped`);
  }

  printsToStdio(): boolean {
    return true;
  }
}
