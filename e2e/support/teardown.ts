import { rmSync } from 'node:fs';

// teardown removes the run's temporary directory: the binary and the
// shared server's database. The server may still be running; on Linux it
// keeps its open files until it stops.
export default function teardown(): void {
  const tmp = process.env.HXCHAT_E2E_TMP;
  if (tmp && tmp.includes('hxchat-e2e-')) {
    rmSync(tmp, { recursive: true, force: true });
  }
}
