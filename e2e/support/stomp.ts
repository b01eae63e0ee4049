// STOMP clients of other people's making, run in the test process beside
// the browser pages: @stomp/stompjs over the `ws` package against
// /ws/stomp, or over sockjs-client against /stomp-chat. A StompPeer keeps
// every frame it received so that a test waits for what it expects (each
// wait bounded) and then compares it with what the pages show. The
// accounts helpers here make the people and tokens these clients sign in
// with, through the pages.
import { Client, type IFrame, type IMessage, type IStompSocket, type StompHeaders } from '@stomp/stompjs';
import SockJS from 'sockjs-client';
import WebSocket from 'ws';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Page, TestInfo } from '@playwright/test';
import { test as accountsTest, expect, invite, join, setUp, type Member, type Visitors } from './accounts';
import { createRoom, enterRoom } from './chat';
import type { OwnServer } from './server';

/**
 * How a client reaches the server: 'ws' is STOMP over a plain WebSocket
 * on /ws/stomp; the others are sockjs-client's transports on /stomp-chat.
 */
export type Transport = 'ws' | 'websocket' | 'xhr-streaming' | 'xhr-polling';

/** The SockJS transports the server offers, each tested on its own. */
export const sockJSTransports = ['websocket', 'xhr-streaming', 'xhr-polling'] as const;

/** The sub-protocols a STOMP client offers on a plain WebSocket, newest first. */
export const stompProtocols = ['v12.stomp', 'v11.stomp', 'v10.stomp'];

/** The destinations of the contract. */
export const PUBLISH = '/publish/chat/message';
export const ERRORS = '/user/queue/errors';
export function roomDestination(room: string): string {
  return `/subscribe/chat/room/${room}`;
}

/**
 * A MESSAGE body on a room's destination: the tutorial's shape and what
 * a client needs besides (issue 11). JOIN and LEAVE carry the notice in
 * message and no id, seq or sentAt.
 */
export interface RoomEvent {
  type: string;
  chatRoomId: string;
  writer: string;
  message: string;
  id?: string;
  seq?: number;
  sentAt?: string;
  [key: string]: unknown;
}

/** A MESSAGE received on a room's destination. */
export interface Received {
  headers: StompHeaders;
  body: RoomEvent;
}

/** A WebSocket (or SockJS) close as the client saw it. */
export interface Closed {
  code: number;
  reason: string;
}

/** Options for a STOMP client. */
export interface StompOptions {
  /** How it connects (default 'ws'). */
  transport?: Transport;
  /** CONNECT's login (an email) and passcode (an access token's secret). */
  login?: string;
  passcode?: string;
  /** A token sent as `Authorization: Bearer` on the handshake ('ws' only). */
  bearer?: string;
  /**
   * Reconnect after the connection closes, resubscribing every room with
   * after-seq set to the last message received (default: stay closed).
   */
  reconnect?: boolean;
}

/** What wait* does until it gives up, in ms: an upper bound, not a wait. */
const WAIT = 10_000;

/**
 * StompPeer is one @stomp/stompjs Client and everything it received,
 * across its connections: room messages in order, the MESSAGEs of
 * /user/queue/errors, ERROR frames and closes.
 */
export class StompPeer {
  readonly client: Client;
  /** Every MESSAGE of a room subscription, in the order received. */
  readonly received: Received[] = [];
  /** The bodies of the MESSAGEs on /user/queue/errors. */
  readonly refusals: Record<string, unknown>[] = [];
  /** Every ERROR frame. */
  readonly stompErrors: IFrame[] = [];
  /** Every close of the socket. */
  readonly closes: Closed[] = [];
  /** The CONNECTED frames, one for each connection made. */
  readonly connections: IFrame[] = [];
  /** What stompjs logged, kept for a failed test's attachment. */
  readonly trace: string[] = [];

  /** The socket of the latest connection. */
  private socket: IStompSocket | undefined;
  /** The rooms subscribed to, resubscribed on every connection. */
  private readonly rooms = new Map<string, { afterSeq?: number }>();
  private wantsRefusals = false;
  /** gate, while set, holds a reconnection until released. */
  private gate: { promise: Promise<void>; open: () => void } | undefined;
  private readonly listeners = new Set<() => void>();
  private receipts = 0;

  constructor(
    /** The server's base URL, http://HOST:PORT. */
    readonly base: string,
    readonly opts: StompOptions = {},
  ) {
    const connectHeaders: StompHeaders = {};
    if (opts.login !== undefined) connectHeaders.login = opts.login;
    if (opts.passcode !== undefined) connectHeaders.passcode = opts.passcode;
    this.client = new Client({
      webSocketFactory: () => (this.socket = socketFactory(base, opts.transport ?? 'ws', opts.bearer)()),
      connectHeaders,
      // A reconnection waits for this much after a close; 0 turns it off.
      reconnectDelay: opts.reconnect ? 200 : 0,
      // Every test is over well before a beat would be missed; the
      // server's heart-beats are its own unit tests' business.
      heartbeatIncoming: 10_000,
      heartbeatOutgoing: 10_000,
      beforeConnect: async () => {
        if (this.gate) await this.gate.promise;
      },
      debug: (line) => this.note(line),
      onConnect: (frame) => {
        this.connections.push(frame);
        // A resubscription that fails shows as the ERROR or close that
        // failed it, which the test waits for.
        for (const [room, { afterSeq }] of this.rooms) void this.subscribeNow(room, this.resumeFrom(room) ?? afterSeq).catch(() => {});
        if (this.wantsRefusals) void this.subscribeRefusals().catch(() => {});
        this.notify();
      },
      onStompError: (frame) => {
        this.stompErrors.push(frame);
        this.notify();
      },
      onWebSocketClose: (evt: { code?: number; reason?: string }) => {
        this.closes.push({ code: evt?.code ?? 0, reason: evt?.reason ?? '' });
        this.notify();
      },
      onWebSocketError: () => this.notify(),
    });
  }

  /** connected reports whether a STOMP session is up now. */
  get connected(): boolean {
    return this.client.connected;
  }

  /**
   * sockJSTransport is the transport sockjs-client chose for the latest
   * connection ('websocket', 'xhr-streaming', ...); undefined on /ws/stomp.
   */
  get sockJSTransport(): string | undefined {
    return (this.socket as { transport?: string } | undefined)?.transport;
  }

  /** activate starts connecting (and, with reconnect, keeps doing so). */
  activate(): void {
    this.client.activate();
  }

  /**
   * connect activates the client and waits for CONNECTED; an ERROR frame
   * or a close first fails it.
   */
  async connect(timeout = WAIT): Promise<IFrame> {
    const n = this.connections.length;
    const errors = this.stompErrors.length;
    const closes = this.closes.length;
    this.activate();
    return this.waitFor(`CONNECTED from ${this.base}`, timeout, () => {
      if (this.stompErrors.length > errors) throw new Error(`ERROR instead of CONNECTED: ${describeFrame(this.stompErrors[errors])}`);
      if (this.closes.length > closes && !this.opts.reconnect) {
        throw new Error(`closed (${JSON.stringify(this.closes[closes])}) instead of CONNECTED`);
      }
      return this.connections[n];
    });
  }

  /**
   * subscribe subscribes to a room's destination (now, and again on
   * every reconnection, then with after-seq set to the last message
   * received) and waits for the RECEIPT that says it took effect. With
   * afterSeq it first receives every stored message after that one.
   */
  async subscribe(room: string, afterSeq?: number): Promise<void> {
    this.rooms.set(room, { afterSeq });
    await this.subscribeNow(room, afterSeq);
  }

  /**
   * subscribeRefusals subscribes to /user/queue/errors, where the server
   * says why it refused a SEND, and waits for the RECEIPT.
   */
  async subscribeRefusals(): Promise<void> {
    this.wantsRefusals = true;
    await this.withReceipt('SUBSCRIBE ' + ERRORS, (receipt) =>
      this.client.subscribe(ERRORS, (m) => {
        this.refusals.push(JSON.parse(m.body) as Record<string, unknown>);
        this.notify();
      }, { id: 'errors', receipt }),
    );
  }

  /**
   * publish SENDs a message to a room as the tutorial does, with a
   * RECEIPT asked for: it resolves once the server says the message is
   * stored (the RECEIPT) or refused (on /user/queue/errors, naming the
   * receipt). extra goes into
   * the JSON body too (a `writer`, which the server must ignore).
   */
  async publish(room: string, message: string, extra: Record<string, unknown> = {}): Promise<void> {
    const body = JSON.stringify({ chatRoomId: room, message, ...extra });
    await this.withReceipt(`SEND ${body}`, (receipt) => this.client.publish({ destination: PUBLISH, body, headers: { receipt } }));
  }

  /** chats are the CHAT messages received, in order. */
  chats(): RoomEvent[] {
    return this.received.map((r) => r.body).filter((b) => b.type === 'CHAT');
  }

  /** lastSeq is the seq of the last CHAT received from room, if any. */
  lastSeq(room: string): number | undefined {
    const seqs = this.chats()
      .filter((c) => c.chatRoomId === room && typeof c.seq === 'number')
      .map((c) => c.seq as number);
    return seqs.length ? seqs[seqs.length - 1] : undefined;
  }

  /** waitForChats waits until at least n CHAT messages have come, and returns them all. */
  async waitForChats(n: number, timeout = WAIT): Promise<RoomEvent[]> {
    return this.waitFor(`${n} CHAT messages`, timeout, () => (this.chats().length >= n ? this.chats() : undefined));
  }

  /**
   * waitForEvent waits for a room event matching want that arrived after
   * the from-th one, and returns it.
   */
  async waitForEvent(want: Partial<RoomEvent>, from = 0, timeout = WAIT): Promise<RoomEvent> {
    return this.waitFor(`a MESSAGE like ${JSON.stringify(want)}`, timeout, () =>
      this.received
        .slice(from)
        .map((r) => r.body)
        .find((b) => Object.entries(want).every(([k, v]) => b[k] === v)),
    );
  }

  /** waitForRefusal waits for the refusals.length > from-th MESSAGE on /user/queue/errors. */
  async waitForRefusal(from = 0, timeout = WAIT): Promise<Record<string, unknown>> {
    return this.waitFor(`a MESSAGE on ${ERRORS}`, timeout, () => this.refusals[from]);
  }

  /** waitForError waits for an ERROR frame after the from-th. */
  async waitForError(from = 0, timeout = WAIT): Promise<IFrame> {
    return this.waitFor('an ERROR frame', timeout, () => this.stompErrors[from]);
  }

  /** waitForClose waits for a close of the socket after the from-th. */
  async waitForClose(from = 0, timeout = WAIT): Promise<Closed> {
    return this.waitFor('the socket to close', timeout, () => this.closes[from]);
  }

  /** waitForConnection waits until the n-th connection (counting from 1) is up. */
  async waitForConnection(n: number, timeout = WAIT): Promise<IFrame> {
    return this.waitFor(`connection number ${n}`, timeout, () => this.connections[n - 1]);
  }

  /**
   * hold keeps the client from reconnecting until release: a reconnection
   * that comes due meanwhile waits.
   */
  hold(): void {
    if (this.gate) return;
    let open = (): void => {};
    const promise = new Promise<void>((resolve) => (open = resolve));
    this.gate = { promise, open };
  }

  /** release lets a held reconnection go on. */
  release(): void {
    const gate = this.gate;
    this.gate = undefined;
    gate?.open();
  }

  /**
   * disconnect sends DISCONNECT, waits for the socket to close and stops
   * reconnecting; activate or connect starts again.
   */
  async disconnect(): Promise<void> {
    this.release();
    await this.client.deactivate();
  }

  /**
   * waitFor calls check after every frame or close until it returns a
   * value (not undefined) and returns that, throwing what check throws;
   * after timeout ms it fails, saying what it waited for.
   */
  async waitFor<T>(what: string, timeout: number, check: () => T | undefined): Promise<T> {
    const found = check();
    if (found !== undefined) return found;
    return new Promise<T>((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        this.listeners.delete(listener);
      };
      const listener = (): void => {
        try {
          const v = check();
          if (v === undefined) return;
          done();
          resolve(v);
        } catch (err) {
          done();
          reject(err);
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`STOMP client: no ${what} within ${timeout} ms; received so far: ${this.summary()}`));
      }, timeout);
      this.listeners.add(listener);
    });
  }

  /** summary says in a line what the client received, for a failure's message. */
  summary(): string {
    return JSON.stringify({
      connections: this.connections.length,
      received: this.received.map((r) => r.body),
      refusals: this.refusals,
      errors: this.stompErrors.map(describeFrame),
      closes: this.closes,
    });
  }

  private resumeFrom(room: string): number | undefined {
    return this.opts.reconnect ? this.lastSeq(room) : undefined;
  }

  private subscribeNow(room: string, afterSeq?: number): Promise<void> {
    const headers: StompHeaders = { id: `room-${room}` };
    if (afterSeq !== undefined) headers['after-seq'] = String(afterSeq);
    return this.withReceipt(`SUBSCRIBE ${roomDestination(room)}`, (receipt) =>
      this.client.subscribe(roomDestination(room), (m) => this.onMessage(m), { ...headers, receipt }),
    );
  }

  private onMessage(m: IMessage): void {
    this.received.push({ headers: m.headers, body: JSON.parse(m.body) as RoomEvent });
    this.notify();
  }

  /**
   * withReceipt sends a frame with a receipt header through send and
   * waits for its RECEIPT, or a refusal naming it; an ERROR or a close
   * first fails it.
   */
  private async withReceipt(what: string, send: (receipt: string) => unknown): Promise<void> {
    const receipt = `r-${++this.receipts}`;
    let got = false;
    this.client.watchForReceipt(receipt, () => {
      got = true;
      this.notify();
    });
    const errors = this.stompErrors.length;
    const closes = this.closes.length;
    send(receipt);
    await this.waitFor(`RECEIPT for ${what}`, WAIT, () => {
      if (got) return true;
      // A refused SEND gets no RECEIPT (a RECEIPT says the message was
      // stored): its refusal on /user/queue/errors names the receipt.
      if (this.refusals.some((r) => r.receipt === receipt)) return true;
      if (this.stompErrors.length > errors) throw new Error(`ERROR instead of a RECEIPT for ${what}: ${describeFrame(this.stompErrors[errors])}`);
      if (this.closes.length > closes) throw new Error(`closed (${JSON.stringify(this.closes[closes])}) before a RECEIPT for ${what}`);
      return undefined;
    });
  }

  private note(line: string): void {
    // A failed test's attachment shows the frames, not the secret.
    line = line.replace(/^passcode:.*$/m, 'passcode:(not shown)');
    this.trace.push(`${new Date().toISOString()} ${line}`);
    if (this.trace.length > 2000) this.trace.splice(0, this.trace.length - 2000);
  }

  private notify(): void {
    for (const l of [...this.listeners]) l();
  }
}

/** describeFrame says an ERROR frame's message header and body in a line. */
export function describeFrame(f: IFrame | undefined): string {
  if (!f) return 'none';
  return `${f.command} ${JSON.stringify(f.headers)} ${JSON.stringify(f.body)}`;
}

/**
 * socketFactory makes the sockets a Client opens: the `ws` package's
 * WebSocket offering the STOMP sub-protocols on /ws/stomp, or a SockJS
 * limited to one transport on /stomp-chat.
 */
function socketFactory(base: string, transport: Transport, bearer?: string): () => IStompSocket {
  if (transport === 'ws') {
    const url = `${base.replace(/^http/, 'ws')}/ws/stomp`;
    const headers = bearer ? { Authorization: `Bearer ${bearer}` } : undefined;
    return () => new WebSocket(url, stompProtocols, { headers }) as unknown as IStompSocket;
  }
  if (bearer) throw new Error('a bearer token goes on a plain WebSocket handshake; SockJS takes login and passcode');
  const url = `${base}/stomp-chat`;
  return () => new SockJS(url, null, { transports: [transport] }) as unknown as IStompSocket;
}

/**
 * Peers makes the STOMP clients of a test and, when it ends, disconnects
 * them before the server stops, attaching what each logged to a failed
 * test.
 */
export class Peers {
  private readonly all: StompPeer[] = [];

  constructor(private readonly testInfo: TestInfo) {}

  /** make returns a new client for the server at base, not yet connecting. */
  make(base: string, opts: StompOptions = {}): StompPeer {
    const p = new StompPeer(base, opts);
    this.all.push(p);
    return p;
  }

  /** connect makes a client and waits until it is connected. */
  async connect(base: string, opts: StompOptions = {}): Promise<StompPeer> {
    const p = this.make(base, opts);
    await p.connect();
    return p;
  }

  /** close disconnects every client, each within a few seconds. */
  async close(): Promise<void> {
    await Promise.all(
      this.all.map(async (p, i) => {
        const deactivated = p.disconnect();
        const bound = new Promise<void>((resolve) => setTimeout(resolve, 5_000).unref());
        await Promise.race([deactivated, bound]);
        if (this.testInfo.status !== this.testInfo.expectedStatus) {
          await this.testInfo.attach(`stomp-client-${i + 1}.log`, {
            body: [p.summary(), ...p.trace].join('\n'),
            contentType: 'text/plain',
          });
        }
      }),
    );
  }
}

/**
 * test is the accounts test (a server of the test's own with accounts,
 * and watched visitors) with `peers`, the test's STOMP clients, which
 * disconnect before the server stops.
 */
export const test = accountsTest.extend<{ peers: Peers }>({
  peers: async ({ server: _server }, use, testInfo) => {
    const peers = new Peers(testInfo);
    await use(peers);
    await peers.close();
  },
});

export { expect };

/** The people of a STOMP test and the room they meet in. */
export interface Meeting {
  /** Ada, the administrator, with the room open in her browser. */
  ada: Member;
  /** Bea, a member, whose program connects with a token; her browser is on /account/tokens. */
  bea: Member;
  /** Bea's token's secret. */
  token: string;
  /** The room's path, /chat/rooms/ID, and its ID. */
  room: string;
  roomId: string;
}

/**
 * meet sets the server up with Ada, invites Bea, makes Bea a token and
 * opens a room in Ada's browser. Bea's program, not her browser, will be
 * in the room.
 */
export async function meet(server: OwnServer, visitors: Visitors, roomName = 'STOMP'): Promise<Meeting> {
  const first = await visitors.open();
  const adaCredentials = await setUp(first.page, server);
  const ada: Member = { ...first, ...adaCredentials };
  const bea = await join(visitors, await invite(ada.page), 'Bea');
  const token = await makeToken(bea.page, 'Chat bot');
  const room = await createRoom(ada.page, roomName);
  await enterRoom(ada.page, room, ada.name);
  return { ada, bea, token, room, roomId: roomIdOf(room) };
}

/** roomIdOf returns the ID at the end of a room's path. */
export function roomIdOf(path: string): string {
  const m = /\/chat\/rooms\/(\d+)$/.exec(path);
  if (!m) throw new Error(`not a room's path: ${path}`);
  return m[1];
}

/**
 * makeToken makes an access token called name on /account/tokens and
 * returns its secret, which the page shows this once.
 */
export async function makeToken(page: Page, name: string): Promise<string> {
  await page.goto('/account/tokens');
  await expect(page.getByRole('heading', { level: 1, name: 'Access tokens' })).toBeVisible();
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByRole('button', { name: 'Create token' }).click();
  const made = page.getByRole('region', { name: `Token ${name} created` });
  await expect(made.getByRole('status')).toHaveText('Copy this token now: it will not be shown again.');
  const secret = (await made.getByRole('code').innerText()).trim();
  expect(secret, 'the token secret').toMatch(/^\S{16,}$/);
  return secret;
}

/** revokeToken revokes the token called name on /account/tokens. */
export async function revokeToken(page: Page, name: string): Promise<void> {
  await page.goto('/account/tokens');
  const list = page.getByRole('list', { name: 'Access tokens' });
  await list.getByRole('listitem').filter({ hasText: name }).getByRole('button', { name: 'Revoke' }).click();
  await expect(list.getByRole('listitem').filter({ hasText: name })).toHaveCount(0);
}

/**
 * The files TutorialSite serves: the tutorial's page and the two
 * libraries' browser bundles from node_modules (with their source maps),
 * nothing else.
 */
const tutorialFiles: Record<string, string> = {
  '/tutorial.html': path.join(__dirname, '..', 'fixtures', 'tutorial.html'),
  '/sockjs.min.js': require.resolve('sockjs-client/dist/sockjs.min.js'),
  '/sockjs.min.js.map': require.resolve('sockjs-client/dist/sockjs.min.js.map'),
  '/stomp.umd.min.js': path.join(path.dirname(require.resolve('@stomp/stompjs')), 'stomp.umd.min.js'),
};

/**
 * TutorialSite serves fixtures/tutorial.html and its scripts on a port of
 * its own, so the page is of another origin than hxchat's, as the
 * tutorial's page would be.
 */
export class TutorialSite {
  private constructor(private readonly srv: http.Server) {}

  /** start listens on a free port of 127.0.0.1. */
  static async start(): Promise<TutorialSite> {
    const srv = http.createServer((req, res) => {
      const file = tutorialFiles[new URL(req.url ?? '/', 'http://x').pathname];
      if (!file || req.method !== 'GET') {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
        return;
      }
      readFile(file).then(
        (body) => {
          const type = file.endsWith('.html') ? 'text/html; charset=utf-8' : file.endsWith('.js') ? 'text/javascript' : 'application/json';
          res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' }).end(body);
        },
        () => res.writeHead(500).end(),
      );
    });
    srv.listen(0, '127.0.0.1');
    await once(srv, 'listening');
    return new TutorialSite(srv);
  }

  /** origin is the site's http://127.0.0.1:PORT, for hxchat's -origins. */
  get origin(): string {
    return `http://127.0.0.1:${(this.srv.address() as AddressInfo).port}`;
  }

  /** page is the tutorial page's address. */
  get page(): string {
    return `${this.origin}/tutorial.html`;
  }

  /** close stops listening and ends every connection. */
  async close(): Promise<void> {
    this.srv.closeAllConnections();
    await new Promise<void>((resolve) => this.srv.close(() => resolve()));
  }
}
