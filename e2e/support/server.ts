// A server of a test's own: the binary the runner built, on its own port
// with its own SQLite file, which the test may stop and start again.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { openSync, closeSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { expect, type TestInfo } from '@playwright/test';

/** Options for an own server. */
export interface ServerOptions {
  /** Extra flags, such as ['-msg-burst', '2']. */
  args?: string[];
  /** Run with accounts (the server's default) instead of open mode. */
  accounts?: boolean;
}

/**
 * OwnServer runs hxchat for one test. Its database and log live in the
 * test's output directory, so a failed test leaves them behind to read.
 */
export class OwnServer {
  /** The server's base URL, the same across restarts. */
  readonly url: string;
  private proc: ChildProcess | undefined;
  private exited: Promise<unknown> | undefined;

  private constructor(
    private readonly port: number,
    private readonly db: string,
    private readonly log: string,
    private readonly args: string[],
  ) {
    this.url = `http://127.0.0.1:${port}`;
  }

  /** start runs a new server for testInfo's test and waits until it is ready. */
  static async start(testInfo: TestInfo, opts: ServerOptions = {}): Promise<OwnServer> {
    const s = new OwnServer(
      await freePort(),
      testInfo.outputPath('hxchat.db'),
      testInfo.outputPath('server.log'),
      [...(opts.accounts ? [] : ['-open']), ...(opts.args ?? [])],
    );
    await s.restart();
    return s;
  }

  /** running reports whether the process is up. */
  get running(): boolean {
    return this.proc !== undefined;
  }

  /** restart starts the server (again) on the same port and database. */
  async restart(): Promise<void> {
    if (this.proc) throw new Error('hxchat is already running');
    const bin = process.env.HXCHAT_E2E_BIN;
    if (!bin) throw new Error('HXCHAT_E2E_BIN is not set: run the suite through playwright.config.ts');
    const log = openSync(this.log, 'a');
    const proc = spawn(bin, ['-addr', `127.0.0.1:${this.port}`, '-db', this.db, ...this.args], {
      stdio: ['ignore', log, log],
    });
    closeSync(log);
    this.proc = proc;
    this.exited = once(proc, 'exit');
    await this.waitReady();
  }

  /**
   * stop sends SIGTERM, the signal a service manager sends, and waits for
   * a clean exit: hxchat closes the websockets with 1012 first.
   */
  async stop(): Promise<void> {
    const proc = this.proc;
    if (!proc) return;
    proc.kill('SIGTERM');
    const [code, signal] = (await this.exited) as [number | null, string | null];
    this.proc = undefined;
    if (code !== 0) {
      throw new Error(`hxchat exited with code ${code}, signal ${signal}; see ${this.log}`);
    }
  }

  /** logText is what the server has written to its log so far, across restarts. */
  logText(): string {
    return readFileSync(this.log, 'utf8');
  }

  /**
   * waitForLog waits until a line of the log matches re, for at most
   * timeout ms, and returns the first match (its groups included).
   */
  async waitForLog(re: RegExp, timeout = 10_000): Promise<RegExpMatchArray> {
    const find = () => this.logText().match(re);
    await expect.poll(() => find() !== null, { message: `a line matching ${re} in ${this.log}`, timeout }).toBe(true);
    return find()!;
  }

  /** waitReady polls /readyz until it answers 200, for at most 15 s. */
  private async waitReady(): Promise<void> {
    const deadline = Date.now() + 15_000;
    let exited = false;
    void this.exited?.then(() => (exited = true));
    while (Date.now() < deadline) {
      if (exited) throw new Error(`hxchat exited on start; see ${this.log}`);
      try {
        const res = await fetch(`${this.url}/readyz`);
        if (res.ok) return;
      } catch {
        // Not listening yet.
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`hxchat did not become ready within 15 s; see ${this.log}`);
  }
}

/** freePort returns a port nobody listens on at the moment. */
export async function freePort(): Promise<number> {
  const srv = net.createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const port = (srv.address() as net.AddressInfo).port;
  srv.close();
  await once(srv, 'close');
  return port;
}
