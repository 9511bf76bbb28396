/**
 * Hugging Face hub files with a local cache: `{endpoint}/{name}/resolve/{revision}/{file}`
 * is downloaded once into `{cache}/models--{org}--{name}/{revision}/{file}`. Downloads go to a
 * temporary file in the same folder and are renamed into place only when complete, so an
 * interrupted download never leaves a file that looks cached.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Readable } from "stream";
import { pipeline } from "stream/promises";
import type { ReadableStream as WebReadableStream } from "stream/web";

export interface HubOptions {
  /** Branch, tag or commit. Default "main". */
  revision?: string;
  /** Hub address. Default: env HF_ENDPOINT, else https://huggingface.co. */
  endpoint?: string;
  /** Cache folder. Default: env ATTNLAB_CACHE, else ~/.cache/attnlab. */
  cacheDir?: string;
  /** Use only the cache, never the network. Default: env HF_HUB_OFFLINE=1. */
  offline?: boolean;
  /** Bearer token for private or gated models. Default: env HF_TOKEN. */
  token?: string;
  /** Give up on one file after this many milliseconds. Default 30 minutes. */
  timeoutMs?: number;
}

export interface ResolvedHubOptions {
  revision: string;
  endpoint: string;
  cacheDir: string;
  offline: boolean;
  token?: string;
  timeoutMs: number;
}

const NAME_RE = /^[A-Za-z0-9][\w.-]*(\/[A-Za-z0-9][\w.-]*)?$/;

function envFlag(v: string | undefined): boolean {
  return v !== undefined && ["1", "true", "yes", "on"].includes(v.trim().toLowerCase());
}

export function resolveHubOptions(opts: HubOptions = {}): ResolvedHubOptions {
  const revision = opts.revision ?? "main";
  if (typeof revision !== "string" || revision === "" || revision.includes("..")) {
    throw new Error(`hub: revision must be a branch, tag or commit name; got ${JSON.stringify(revision)}`);
  }
  const endpoint = (opts.endpoint ?? process.env.HF_ENDPOINT ?? "https://huggingface.co").replace(/\/+$/, "");
  if (!/^https?:\/\//.test(endpoint)) throw new Error(`hub: endpoint must be an http(s) URL; got ${JSON.stringify(endpoint)}`);
  const cacheDir = opts.cacheDir ?? process.env.ATTNLAB_CACHE ?? path.join(os.homedir(), ".cache", "attnlab");
  return {
    revision, endpoint, cacheDir: path.resolve(cacheDir),
    offline: opts.offline ?? envFlag(process.env.HF_HUB_OFFLINE),
    token: opts.token ?? process.env.HF_TOKEN ?? undefined,
    timeoutMs: opts.timeoutMs ?? 30 * 60 * 1000,
  };
}

export function checkModelName(name: string): void {
  if (typeof name !== "string" || !NAME_RE.test(name) || name.includes("..")) {
    throw new Error(`hub: model name must look like "org/name" or "name" (letters, digits, - _ .); got ${JSON.stringify(name)}`);
  }
}

/** Where a model's files are cached for one revision. */
export function hubCacheFolder(name: string, o: ResolvedHubOptions): string {
  checkModelName(name);
  return path.join(o.cacheDir, `models--${name.replace("/", "--")}`, o.revision.replace(/[^\w.-]/g, "_"));
}

export function hubUrl(name: string, file: string, o: ResolvedHubOptions): string {
  return `${o.endpoint}/${name}/resolve/${encodeURIComponent(o.revision)}/${file.split("/").map(encodeURIComponent).join("/")}`;
}

/** Thrown for a file the hub does not have (HTTP 404). */
export class HubNotFoundError extends Error {}

/**
 * Path of `file` of model `name` in the cache, downloading it first when needed.
 * Returns null for a missing optional file (404 online, or not cached offline).
 */
export async function hubFile(name: string, file: string, o: ResolvedHubOptions, optional = false): Promise<string | null> {
  const folder = hubCacheFolder(name, o);
  const dest = path.join(folder, file);
  if (fs.existsSync(dest)) return dest;
  if (o.offline) {
    if (optional) return null;
    throw new Error(`hub: "${name}" file ${file} is not in the cache (${folder}) and offline mode is on (HF_HUB_OFFLINE=1 or offline: true); go online once or pass a local folder`);
  }
  const url = hubUrl(name, file, o);
  const headers: Record<string, string> = { "user-agent": "attnlab" };
  if (o.token) headers.authorization = `Bearer ${o.token}`;
  let res: Response;
  try {
    res = await fetch(url, { headers, redirect: "follow", signal: AbortSignal.timeout(o.timeoutMs) });
  } catch (e) {
    const cause = (e as { cause?: { message?: string } }).cause?.message;
    throw new Error(`hub: could not reach ${url} (${cause ?? (e as Error).message}); check the network or HF_ENDPOINT, or set HF_HUB_OFFLINE=1 to use the cache`);
  }
  if (res.status === 404) {
    await res.body?.cancel();
    if (optional) return null;
    throw new HubNotFoundError(`hub: HTTP 404 for "${name}" file ${file} at ${url}: no such model or file (check the name and revision "${o.revision}")`);
  }
  if (res.status === 401 || res.status === 403) {
    await res.body?.cancel();
    throw new Error(`hub: HTTP ${res.status} for ${url}: "${name}" is private or gated; pass token or set HF_TOKEN`);
  }
  if (!res.ok || !res.body) {
    await res.body?.cancel();
    throw new Error(`hub: HTTP ${res.status} ${res.statusText} for ${url}`);
  }
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  const tmp = `${dest}.part-${process.pid}-${Math.random().toString(36).slice(2)}`;
  // The file is created here, synchronously, so nothing can recreate it after the clean-up below.
  const out = fs.createWriteStream(tmp, { fd: fs.openSync(tmp, "w") });
  try {
    await pipeline(Readable.fromWeb(res.body as unknown as WebReadableStream<Uint8Array>), out);
    const expected = res.headers.get("content-length");
    const got = fs.statSync(tmp).size;
    if (expected !== null && Number(expected) !== got) {
      throw new Error(`got ${got} of ${expected} bytes`);
    }
    fs.renameSync(tmp, dest);
  } catch (e) {
    if (!out.closed) await new Promise<void>((ok) => out.once("close", () => ok()));
    fs.rmSync(tmp, { force: true });
    throw new Error(`hub: download of ${url} was interrupted (${(e as Error).message}); nothing was cached, try again`);
  }
  return dest;
}
