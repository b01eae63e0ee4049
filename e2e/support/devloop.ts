// The pieces of `make dev` run by a test: processes of their own, each in a
// process group of its own so that stopping one stops everything it
// started, as Ctrl-C does in a terminal.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import type { Page } from '@playwright/test';

/** repo is the top of the repository: the Makefile, go.mod and node_modules. */
export const repo = path.resolve(__dirname, '..', '..');

/** Options for a piece. */
export interface PieceOptions {
  /** The working directory (default: the repository). */
  cwd?: string;
  /** Variables added to the test's environment. */
  env?: Record<string, string>;
}

/**
 * Piece is one long-running process of the designer loop. Its output goes
 * to log (a failed test leaves it behind to read) and is kept for waitFor.
 */
export class Piece {
  private output = '';
  private readonly exited: Promise<unknown>;
  private done = false;
  private readonly listeners = new Set<() => void>();

  private constructor(
    /** name says which piece a message is about. */
    readonly name: string,
    private readonly proc: ChildProcess,
    private readonly log: string,
  ) {
    this.exited = once(proc, 'exit').then(() => {
      this.done = true;
      this.notify();
    });
  }

  /** start runs command with args, writing its output to log. */
  static start(name: string, log: string, command: string, args: string[], opts: PieceOptions = {}): Piece {
    const proc = spawn(command, args, {
      cwd: opts.cwd ?? repo,
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      // A process group of its own: stop signals everything in it.
      detached: true,
    });
    const piece = new Piece(name, proc, log);
    const file = createWriteStream(log);
    for (const stream of [proc.stdout, proc.stderr]) {
      stream?.on('data', (chunk: Buffer) => {
        file.write(chunk);
        piece.output += chunk.toString();
        piece.notify();
      });
    }
    void piece.exited.then(() => file.end());
    return piece;
  }

  /** pid is the process's id, which is also its process group's. */
  get pid(): number {
    return this.proc.pid ?? 0;
  }

  /**
   * waitFor resolves once the output, from offset on, matches re, and
   * fails after timeout ms or when the process exits first.
   */
  async waitFor(re: RegExp, timeout: number, offset = 0): Promise<void> {
    const deadline = Date.now() + timeout;
    while (!re.test(this.output.slice(offset))) {
      if (this.done) throw new Error(`${this.name} exited before printing ${re}; see ${this.log}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.name} did not print ${re} within ${timeout} ms; see ${this.log}`);
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          this.listeners.delete(done);
          resolve();
        };
        const timer = setTimeout(done, left);
        this.listeners.add(done);
      });
    }
  }

  /** length is how much output there is so far, an offset for waitFor. */
  get length(): number {
    return this.output.length;
  }

  /**
   * stop sends SIGINT to the process group, as Ctrl-C in a terminal does,
   * and waits for the process to exit; after 15 s it kills the group.
   */
  async stop(): Promise<void> {
    if (this.done) return;
    signalGroup(this.pid, 'SIGINT');
    const timer = setTimeout(() => signalGroup(this.pid, 'SIGKILL'), 15_000);
    await this.exited;
    clearTimeout(timer);
  }

  private notify(): void {
    for (const l of this.listeners) l();
  }
}

/** signalGroup sends sig to the process group pgid, if it is still there. */
export function signalGroup(pgid: number, sig: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, sig);
    return true;
  } catch {
    return false;
  }
}

/**
 * waitHTTP polls url until it answers with a status below 500, for at
 * most timeout ms.
 */
export async function waitHTTP(url: string, timeout: number): Promise<void> {
  const deadline = Date.now() + timeout;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(Math.max(1, deadline - Date.now())) });
      await res.arrayBuffer();
      if (res.status < 500) return;
      last = `status ${res.status}`;
    } catch (err) {
      last = String(err);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${url} did not answer within ${timeout} ms (${last})`);
}

/** Times of one page's reload, in ms of the performance clock. */
export interface Reload {
  /** loaded is when the reloaded page fired its load event. */
  loaded: number;
  /** live is when the reloaded page's websocket received its first frame. */
  live: Promise<number>;
}

/**
 * Reloads follows a page's loads and websockets: next resolves at the
 * page's next load event. A room's websocket receives the online list as
 * soon as it opens, so its first frame marks it live.
 */
export class Reloads {
  private waiting: Array<(r: Reload) => void> = [];
  private live: Promise<number> = new Promise(() => {});
  private opened: (t: number) => void = () => {};

  constructor(page: Page) {
    // A new document: whatever socket opens from now on is its own.
    page.on('framenavigated', (frame) => {
      if (frame !== page.mainFrame()) return;
      this.live = new Promise((resolve) => (this.opened = resolve));
    });
    page.on('websocket', (ws) => {
      if (!ws.url().includes('/ws/chat')) return;
      const opened = this.opened;
      ws.once('framereceived', () => opened(performance.now()));
    });
    page.on('load', () => {
      const reload = { loaded: performance.now(), live: this.live };
      const waiting = this.waiting;
      this.waiting = [];
      for (const w of waiting) w(reload);
    });
  }

  /** next resolves at the page's next load event. */
  next(): Promise<Reload> {
    return new Promise((resolve) => this.waiting.push(resolve));
  }
}
