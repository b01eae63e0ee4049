// The designer loop of `make dev`: a saved file shows in the open page by
// itself, and the room's websocket is live again right after.
//
// The first test runs the pieces of `make dev` on a copy of the inputs in
// its output directory, so that no tracked file changes even when it
// fails: Tailwind's watcher as `make css-watch` runs it, the suite's
// binary with -dev -static-dir, templ's proxy as `make templ-watch` runs
// it (without --cmd: the server is the suite's binary) and devreload as
// `make reload-watch` runs it.
//
// The second one measures `make dev` itself, on a copy of the repository;
// it exists only when HXCHAT_MEASURE_DESIGNER_LOOP is set (README,
// "Working on the look").
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { OwnServer, freePort } from '../support/server';
import { test, expect, enterRoom } from '../support/chat';
import { Piece, Reloads, repo, signalGroup, waitHTTP, type Reload } from '../support/devloop';

/** tailwindArgs are make css-watch's arguments to Tailwind's CLI. */
const tailwindArgs = ['-i', 'static/css/input.css', '-o', 'static/css/app.css', '--minify', '--watch=always'];

/** brand600 matches the brand colour that buttons use, in tailwind.config.js. */
const brand600 = /600: '#[0-9a-fA-F]{6}'/;

/** withTimeout fails with what after ms unless p settles first. */
async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** tailwindBin is the Tailwind CLI of the top-level node_modules. */
function tailwindBin(): string {
  const bin = path.join(repo, 'node_modules', '.bin', 'tailwindcss');
  if (!existsSync(bin)) throw new Error(`no ${bin}: run \`make node_modules\` (npm ci) at the top level first`);
  return bin;
}

/**
 * copySite copies what Tailwind and templ read into dir: the config, the
 * static files and the views. dir is inside the repository, so Node finds
 * the top-level node_modules from there, and it is named testdata, so Go's
 * ./... patterns skip the Go files templ writes into it (templ skips a
 * directory named with a leading "_" or ".", as Go does, so not that).
 */
function copySite(dir: string): void {
  mkdirSync(dir, { recursive: true });
  for (const p of ['tailwind.config.js', 'static', 'views']) {
    cpSync(path.join(repo, p), path.join(dir, p), { recursive: true });
  }
}

/** replaceOnce replaces from with to in text, failing if from is not there. */
function replaceOnce(text: string, from: RegExp | string, to: string): string {
  if (!(typeof from === 'string' ? text.includes(from) : from.test(text))) throw new Error(`no ${from} to change`);
  return text.replace(from, to);
}

test('a saved tailwind.config.js reaches the served CSS and the open page by itself, whose socket is then live again', async ({ people }, testInfo) => {
  // Seconds when the Go build cache is warm; a fresh machine builds
  // templ and devreload first.
  test.setTimeout(240_000);
  const site = testInfo.outputPath('testdata');
  copySite(site);
  const pieces: Piece[] = [];
  let server: OwnServer | undefined;
  try {
    const tailwind = Piece.start('tailwind', testInfo.outputPath('tailwind.log'), tailwindBin(), tailwindArgs, { cwd: site });
    pieces.push(tailwind);
    server = await OwnServer.start(testInfo, { args: ['-dev', '-static-dir', path.join(site, 'static')] });
    const proxyPort = await freePort();
    const proxy = `http://127.0.0.1:${proxyPort}`;
    pieces.push(
      Piece.start('templ', testInfo.outputPath('templ.log'), 'go', [
        'tool', 'templ', 'generate', '--watch', '--open-browser=false',
        `--proxy=${server.url}`, `--proxyport=${proxyPort}`, '-path', site,
      ]),
    );
    const css = path.join(site, 'static', 'css', 'app.css');
    const reload = Piece.start('devreload', testInfo.outputPath('devreload.log'), 'go', ['run', './cmd/devreload', '-proxy', proxy, css]);
    pieces.push(reload);
    // The watchers get ready while the page opens; go run takes longest.
    const watching = Promise.all([tailwind.waitFor(/Done in/, 60_000), reload.waitFor(/devreload: watching/, 180_000)]);
    watching.catch(() => {}); // awaited below
    await waitHTTP(`${proxy}/_templ/reload/script.js`, 180_000);
    const ann = await people.join({ baseURL: proxy });
    await enterRoom(ann.page, '/chat/rooms/1', ann.name);
    await watching;
    const send = ann.page.getByRole('button', { name: 'Send', exact: true });
    await expect(send).not.toHaveCSS('background-color', 'rgb(192, 255, 238)');
    const reloaded = new Reloads(ann.page).next();

    const config = path.join(site, 'tailwind.config.js');
    writeFileSync(config, replaceOnce(readFileSync(config, 'utf8'), brand600, "600: '#c0ffee'"));
    await expect
      .poll(async () => (await fetch(`${server!.url}/static/css/app.css`)).text(), {
        message: 'the served app.css has the new brand colour',
        timeout: 15_000,
      })
      .toContain('#c0ffee');
    // The test never reloads the page: the proxy's script does.
    await expect(send).toHaveCSS('background-color', 'rgb(192, 255, 238)');
    const { live } = await withTimeout(reloaded, 15_000, 'the page reloaded');
    await withTimeout(live, 15_000, "the reloaded page's websocket received the online list");
  } finally {
    // The page first: a page whose proxy goes away logs errors.
    await people.close();
    for (const p of pieces.reverse()) await p.stop();
    await server?.stop();
  }
});

/** Figures of one loop, in ms. */
interface Figures {
  /** shown: from the save to the page showing the change. */
  shown: number[];
  /** live: from then to the room's websocket being live again. */
  live: number[];
  /** up: from the save to the new server answering, for a restart. */
  up: number[];
}

/** A kind of save that the measurement repeats. */
interface Loop {
  name: string;
  /** file is the file saved, relative to the copy. */
  file: string;
  /** change returns the file's text for run i. */
  change(original: string, i: number): string;
  /** shows tells whether the page shows run i's change. */
  shows(page: Page, i: number): Promise<boolean>;
  /** restarts says that the save restarts the server. */
  restarts?: boolean;
}

/** rgbOf turns #rrggbb into the rgb() that getComputedStyle reports. */
function rgbOf(hex: string): string {
  const n = parseInt(hex.slice(1), 16);
  return `rgb(${n >> 16}, ${(n >> 8) & 255}, ${n & 255})`;
}

/** colour is run i's brand colour: distinct from the theme and from each other. */
const colour = (i: number): string => `#${(0xc00000 + i * 0x0b0d).toString(16)}`;

const loops: Loop[] = [
  {
    name: 'templ text edit (views/room.templ)',
    file: 'views/room.templ',
    change: (t, i) => replaceOnce(t, '>All rooms<', `>All rooms (${i})<`),
    shows: async (page, i) => (await page.getByRole('link', { name: `All rooms (${i})` }).count()) > 0,
  },
  {
    name: 'tailwind.config.js colour edit',
    file: 'tailwind.config.js',
    change: (t, i) => replaceOnce(t, brand600, `600: '${colour(i)}'`),
    shows: async (page, i) =>
      (await page.getByRole('button', { name: 'Send', exact: true }).evaluate((e) => getComputedStyle(e).backgroundColor)) ===
      rgbOf(colour(i)),
  },
  {
    name: 'static/css/input.css edit',
    file: 'static/css/input.css',
    change: (t, i) => `${t}\nmain h1 { word-spacing: ${i}px; }\n`,
    shows: async (page, i) =>
      (await page.getByRole('heading', { level: 1 }).evaluate((e) => getComputedStyle(e).wordSpacing)) === `${i}px`,
  },
  {
    name: 'Go edit (main.go): the server restarts',
    file: 'main.go',
    change: (t, i) => `${t}\n// designer loop ${i}\n`,
    // The page reloads as the restart begins and waits in the proxy for
    // the new server: any page that loads after the save comes from it.
    shows: async () => true,
    restarts: true,
  },
];

/**
 * restarted resolves at the moment the server at url, after it stopped
 * answering, answers again. It asks every 20 ms: the restart takes a build.
 */
async function restarted(url: string, timeout: number): Promise<number> {
  const deadline = Date.now() + timeout;
  let down = false;
  while (Date.now() < deadline) {
    let up = false;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      await res.arrayBuffer();
      up = res.ok;
    } catch {
      // Not listening: stopped, or not started yet.
    }
    if (!up) down = true;
    else if (down) return performance.now();
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`${url} did not restart within ${timeout} ms`);
}

/** median of xs (the lower middle one of an even count). */
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)];
}

/**
 * copyRepo copies the tracked files of the work tree, as they are now, and
 * node_modules into a new directory outside the repository, with their
 * times, so that make finds node_modules up to date.
 */
function copyRepo(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hxchat-designer-loop-'));
  try {
    const files = execFileSync('git', ['ls-files', '-z'], { cwd: repo }).toString().split('\0').filter(Boolean);
    for (const f of files) {
      const from = path.join(repo, f);
      // Deleted in the work tree, or a submodule: nothing to copy.
      if (!existsSync(from) || !statSync(from).isFile()) continue;
      mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
      cpSync(from, path.join(dir, f), { preserveTimestamps: true });
    }
    cpSync(path.join(repo, 'node_modules'), path.join(dir, 'node_modules'), {
      recursive: true,
      preserveTimestamps: true,
      verbatimSymlinks: true,
    });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return dir;
}

/**
 * runs is how many times the measurement saves each file. The measurement
 * exists only when asked for: it takes minutes and wants a quiet machine,
 * and a skipped test would fail the suite under CI.
 */
const runs = Number(process.env.HXCHAT_MEASURE_DESIGNER_LOOP ?? 0);

if (runs > 0) test('measure make dev: from a save to the open page showing it, then to its socket live', async ({ people }, testInfo) => {
  test.setTimeout(30 * 60_000);
  // While the server restarts, the old page's reconnect attempts fail
  // (as in reconnect.spec.ts), before the page reloads.
  people.allow(/: WebSocket connection to 'ws:\/\/127\.0\.0\.1:\d+\/ws\/chat\?room=\d+' failed: .* \[at \S+\/static\/js\/ws\.min\.js\]$/);
  people.allow(/: \[object Event\] \[at \S+\/static\/js\/htmx\.min\.js\]$/);
  tailwindBin();
  const work = copyRepo();
  const [proxyPort, appPort] = [await freePort(), await freePort()];
  const proxy = `http://127.0.0.1:${proxyPort}`;
  const dev = Piece.start(
    'make dev',
    testInfo.outputPath('make-dev.log'),
    'make',
    ['dev', `DEV_PORT=${proxyPort}`, `DEV_APP_ADDR=127.0.0.1:${appPort}`],
    // A make of its own, not a job of the make that runs the suite.
    { cwd: work, env: { MAKEFLAGS: '', MFLAGS: '', MAKELEVEL: '' } },
  );
  const results = new Map<string, Figures>();
  try {
    await dev.waitFor(new RegExp(`open ${proxy}/`), 60_000);
    // The proxy holds the request until the server, built by go run,
    // answers.
    await waitHTTP(`${proxy}/readyz`, 600_000);
    await dev.waitFor(/devreload: watching/, 120_000);

    const ann = await people.join({ baseURL: proxy });
    await enterRoom(ann.page, '/chat/rooms/1', ann.name);
    const reloads = new Reloads(ann.page);

    for (const loop of loops) {
      const file = path.join(work, loop.file);
      const original = readFileSync(file, 'utf8');
      const figures: Figures = { shown: [], live: [], up: [] };
      results.set(loop.name, figures);
      // A server restart takes a build: fewer of those.
      const n = loop.restarts ? Math.min(runs, 3) : runs;
      for (let i = 1; i <= n; i++) {
        let next = reloads.next();
        const saved = performance.now();
        writeFileSync(file, loop.change(original, i));
        const up = loop.restarts ? restarted(`http://127.0.0.1:${appPort}/healthz`, 300_000) : undefined;
        up?.catch(() => {}); // awaited below
        let r: Reload;
        for (;;) {
          r = await withTimeout(next, 120_000, `${loop.name}, run ${i}: the page reloaded`);
          next = reloads.next();
          if (await loop.shows(ann.page, i)) break;
        }
        const live = await withTimeout(r.live, 30_000, `${loop.name}, run ${i}: the socket was live`);
        figures.shown.push(r.loaded - saved);
        figures.live.push(Math.max(0, live - r.loaded));
        if (up) figures.up.push((await up) - saved);
      }
      // Back to the original, and wait for that to show too.
      const back = reloads.next();
      writeFileSync(file, original);
      const r = await withTimeout(back, 120_000, `${loop.name}: the page reloaded after the undo`);
      await withTimeout(r.live, 30_000, `${loop.name}: the socket was live after the undo`);
    }
  } finally {
    // The page first: a page whose proxy goes away logs errors. Then
    // Ctrl-C, as in a terminal: every piece stops, the server too.
    await people.close();
    await dev.stop();
    rmSync(work, { recursive: true, force: true });
  }
  // make is gone; what it started goes within moments.
  await expect
    .poll(() => signalGroup(dev.pid, 0), { message: 'every process of make dev ends after Ctrl-C', timeout: 10_000 })
    .toBe(false);
  for (const url of [proxy, `http://127.0.0.1:${appPort}`]) {
    await expect
      .poll(
        () => fetch(`${url}/healthz`).then(() => 'answers', () => 'gone'),
        { message: `${url} stops answering after Ctrl-C`, timeout: 10_000 },
      )
      .toBe('gone');
  }

  const ms = (x: number): string => `${Math.round(x)} ms`;
  const span = (xs: number[]): string => (xs.length ? `${ms(median(xs))} / ${ms(Math.max(...xs))}` : '-');
  const rows = [...results].map(
    ([name, f]) => `| ${name} | ${f.shown.length} | ${span(f.shown)} | ${span(f.live)} | ${span(f.up)} |`,
  );
  const table = [
    '| save | runs | save to page showing it: median / worst | then to the socket live: median / worst | save to the new server answering |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
  console.log(`\n${table}\n`);
  await testInfo.attach('designer-loop.md', { body: table, contentType: 'text/markdown' });
  await testInfo.attach('designer-loop.json', {
    body: JSON.stringify(Object.fromEntries(results), null, 2),
    contentType: 'application/json',
  });
});
