// Playwright runs hxchat's end-to-end suite against the real binary in
// Debian's Chromium. `make e2e` (and so `make test`) runs it.
//
// The runner builds the binary and serves it on a free port with a fresh
// SQLite file; tests that need a server of their own (restarts, a clean
// database) start the same binary through support/server.ts.
import { defineConfig } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// The runner evaluates this file first and its workers inherit its
// environment, so these are chosen once per run: every process agrees on
// the temporary directory, the binary and the port.
process.env.HXCHAT_E2E_TMP ??= mkdtempSync(path.join(os.tmpdir(), 'hxchat-e2e-'));
process.env.HXCHAT_E2E_BIN ??= path.join(process.env.HXCHAT_E2E_TMP, 'hxchat');
process.env.HXCHAT_E2E_PORT ??= freePort();

const tmp = process.env.HXCHAT_E2E_TMP;
const bin = process.env.HXCHAT_E2E_BIN;
const port = process.env.HXCHAT_E2E_PORT;
const baseURL = `http://127.0.0.1:${port}`;

export default defineConfig({
  testDir: './tests',
  outputDir: './test-results',
  fullyParallel: true,
  // Under CI=true a test.only left behind fails the run, as a skipped test
  // does (support/summary-reporter.ts): CI runs every test or fails.
  forbidOnly: process.env.CI === 'true',
  // A flaky test is a bug to fix, in the test or in the app.
  retries: 0,
  // The machines have two cores; each test drives two or three browser
  // contexts and the server shares the cores with them.
  workers: 2,
  // Upper bounds, not waits: generous, because the machine is shared with
  // builds and other suites. A test takes a few seconds when it is idle.
  timeout: 90_000,
  expect: { timeout: 10_000 },
  globalTeardown: './support/teardown.ts',
  reporter: [
    ['list'],
    ['html', { open: 'never', outputFolder: 'playwright-report' }],
    ['./support/summary-reporter.ts'],
  ],
  use: {
    baseURL,
    browserName: 'chromium',
    // A failed test keeps its trace. Its DOM snapshots show every step;
    // the screencast is left out, since encoding it doubles the time each
    // action takes on two cores (a failed test still gets a screenshot).
    trace: { mode: 'retain-on-failure', screenshots: false },
    screenshot: 'only-on-failure',
    launchOptions: {
      // Debian's Chromium: Playwright downloads no browser.
      executablePath: '/usr/bin/chromium',
      // Root in a container without network: no sandbox, no GPU, and none
      // of the background traffic Chromium would try on its own.
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
  webServer: {
    // `exec`, so that the shutdown signal reaches hxchat itself, which then
    // closes its sockets and database cleanly. A high message rate lets
    // tests post many messages through the UI without tripping the limit;
    // every browser of the suite comes from one address, which the caps on
    // connections, new people and rooms per address would count as one
    // client.
    command:
      `go build -o '${bin}' .. && exec '${bin}' -open -addr 127.0.0.1:${port} -db '${tmp}/hxchat.db' ` +
      `-msg-rate 1000 -msg-burst 1000 -max-conns 1000 -new-people-rate 100000 -rooms-rate 100000 -log-level warn`,
    cwd: __dirname,
    url: `${baseURL}/readyz`,
    // A cold build of the SQLite driver takes a while on two cores.
    timeout: 240_000,
    reuseExistingServer: false,
    stdout: 'pipe',
    stderr: 'pipe',
    gracefulShutdown: { signal: 'SIGTERM', timeout: 10_000 },
  },
});

// freePort asks the kernel for a port nobody listens on. It runs a tiny
// child process because the configuration must be evaluated synchronously.
function freePort(): string {
  return execFileSync(process.execPath, [
    '-e',
    `const s = require('node:net').createServer();
     s.listen(0, '127.0.0.1', () => { process.stdout.write(String(s.address().port)); s.close(); });`,
  ])
    .toString()
    .trim();
}
