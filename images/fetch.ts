/**
 * What an image build asks of the network: is the mirror there (answered within a minute, naming
 * the mirror when it is not), and downloads of published tarballs, with progress and a checksum.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, statSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { UserError } from '../core/errors.ts';
import { formatDuration } from '../core/exec/units.ts';

/** an unreachable mirror is reported within this long */
export const MIRROR_TIMEOUT_MS = 60_000;

function why(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return `no answer within ${formatDuration(timeoutMs)}`;
  }
  const cause =
    error instanceof Error ? (error.cause as { code?: string; message?: string } | undefined) : undefined;
  if (cause?.code === 'ENOTFOUND' || cause?.code === 'EAI_AGAIN') return 'its host name does not resolve';
  if (cause?.code === 'ECONNREFUSED') return 'the connection was refused';
  if (cause?.code) return `${cause.code}${cause.message ? ` (${cause.message})` : ''}`;
  if (cause?.message) return cause.message;
  return error instanceof Error ? error.message : String(error);
}

export class MirrorUnreachable extends UserError {}

/**
 * Resolves when `url` answers 200 (or the file:// path exists); otherwise a MirrorUnreachable that
 * names `mirror` and what went wrong, after at most `timeoutMs`.
 */
export async function probeMirror(
  mirror: string,
  url: string,
  { timeoutMs = MIRROR_TIMEOUT_MS, what = 'the mirror' } = {},
): Promise<void> {
  const hint = 'check the network, or pass --mirror URL with a reachable copy of the archive';
  if (url.startsWith('file://')) {
    try {
      statSync(fileURLToPath(url));
      return;
    } catch {
      throw new MirrorUnreachable(`${what} ${mirror} has no ${fileURLToPath(url)}`, hint);
    }
  }
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'follow' });
  } catch (error) {
    throw new MirrorUnreachable(`cannot reach ${what} ${mirror}: ${why(error, timeoutMs)}`, hint);
  }
  await response.body?.cancel();
  if (!response.ok) {
    throw new MirrorUnreachable(
      `${what} ${mirror} answered ${response.status} ${response.statusText} for ${url}`,
      `is it the right archive, and does it carry this release? ${hint}`,
    );
  }
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

export interface DownloadProgress {
  done: number;
  total?: number;
}

/**
 * Downloads `url` to `dest` (through dest.partial, renamed when complete). A transfer that stalls
 * for `timeoutMs` is abandoned.
 */
export async function download(
  url: string,
  dest: string,
  { timeoutMs = MIRROR_TIMEOUT_MS, onProgress = (_: DownloadProgress) => {} } = {},
): Promise<void> {
  const controller = new AbortController();
  let timer = setTimeout(() => controller.abort(), timeoutMs);
  const alive = () => {
    clearTimeout(timer);
    timer = setTimeout(() => controller.abort(), timeoutMs);
  };
  const hint = 'check the network, or download it yourself and give its path as the recipe’s source';
  try {
    let response: Response;
    try {
      response = await fetch(url, { signal: controller.signal, redirect: 'follow' });
    } catch (error) {
      throw new MirrorUnreachable(`cannot download ${url}: ${why(error, timeoutMs)}`, hint);
    }
    if (!response.ok || !response.body) {
      await response.body?.cancel();
      throw new MirrorUnreachable(
        `cannot download ${url}: the server answered ${response.status} ${response.statusText}`,
        hint,
      );
    }
    const length = Number(response.headers.get('content-length'));
    const total = Number.isFinite(length) && length > 0 ? length : undefined;
    let done = 0;
    const count = new Transform({
      transform(chunk: Buffer, _encoding, next) {
        done += chunk.length;
        alive();
        onProgress(total === undefined ? { done } : { done, total });
        next(null, chunk);
      },
    });
    const partial = `${dest}.partial`;
    try {
      await pipeline(
        Readable.fromWeb(response.body as import('node:stream/web').ReadableStream),
        count,
        createWriteStream(partial),
      );
    } catch (error) {
      throw new MirrorUnreachable(
        `the download of ${url} broke off after ${done} bytes: ${why(error, timeoutMs)}`,
        hint,
      );
    }
    await rename(partial, dest);
  } finally {
    clearTimeout(timer);
  }
}
