/** Reaching mirrors and downloading tarballs, against real HTTP servers on loopback. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { download, MIRROR_TIMEOUT_MS, MirrorUnreachable, probeMirror } from '../../../images/fetch.ts';
import { closedPort } from './lab-cache.ts';

const dir = mkdtempSync(join(tmpdir(), 'vl-fetch-'));
let server: Server;
let base: string;
const body = Buffer.alloc(300_000, 7);

beforeAll(async () => {
  server = createServer((request, response) => {
    if (request.url === '/debian/dists/bookworm/InRelease') response.end('Origin: Debian\n');
    else if (request.url === '/file.tar.gz') {
      response.setHeader('content-length', body.length);
      response.end(body);
    } else if (request.url === '/silent') {
      // accepts the request and never answers: a mirror that hangs
    } else {
      response.statusCode = 404;
      response.end('not here');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

test('an unreachable mirror is given up on within 60 s', () => {
  expect(MIRROR_TIMEOUT_MS).toBeLessThanOrEqual(60_000);
});

test('a mirror that answers is fine', async () => {
  await expect(
    probeMirror(`${base}/debian`, `${base}/debian/dists/bookworm/InRelease`),
  ).resolves.toBeUndefined();
});

test('a mirror without the release is named, with the status', async () => {
  const probe = probeMirror(`${base}/debian`, `${base}/debian/dists/trixie/InRelease`);
  await expect(probe).rejects.toThrow(MirrorUnreachable);
  await expect(probe).rejects.toThrow(
    `the mirror ${base}/debian answered 404 Not Found for ${base}/debian/dists/trixie/InRelease`,
  );
});

test('a refused connection is named', async () => {
  const mirror = `http://127.0.0.1:${await closedPort()}/debian`;
  await expect(probeMirror(mirror, `${mirror}/dists/bookworm/InRelease`)).rejects.toThrow(
    `cannot reach the mirror ${mirror}: the connection was refused`,
  );
});

test('a mirror that never answers is given up on at the timeout', async () => {
  const started = performance.now();
  await expect(probeMirror(`${base}/x`, `${base}/silent`, { timeoutMs: 300 })).rejects.toThrow(
    `cannot reach the mirror ${base}/x: no answer within 300 ms`,
  );
  expect(performance.now() - started).toBeLessThan(5000);
});

test('a file:// mirror is a directory that must exist', async () => {
  await expect(probeMirror(`file://${dir}`, `file://${dir}`)).resolves.toBeUndefined();
  await expect(
    probeMirror('file:///nonexistent/debian', 'file:///nonexistent/debian/dists/x/InRelease'),
  ).rejects.toThrow('the mirror file:///nonexistent/debian has no /nonexistent/debian/dists/x/InRelease');
});

test('a download arrives whole, with progress up to its length', async () => {
  const seen: number[] = [];
  const dest = join(dir, 'file');
  await download(`${base}/file.tar.gz`, dest, {
    onProgress: ({ done, total }) => seen.push(done, total ?? -1),
  });
  expect(readFileSync(dest).equals(body)).toBe(true);
  expect(seen.at(-2)).toBe(body.length);
  expect(seen.at(-1)).toBe(body.length);
});

test('a download that is not there, or stalls, fails without leaving a file', async () => {
  await expect(download(`${base}/missing.tar.gz`, join(dir, 'missing'))).rejects.toThrow(
    /answered 404 Not Found/,
  );
  await expect(download(`${base}/silent`, join(dir, 'silent'), { timeoutMs: 300 })).rejects.toThrow(
    /no answer within 300 ms/,
  );
  expect(() => readFileSync(join(dir, 'silent'))).toThrow();
});
