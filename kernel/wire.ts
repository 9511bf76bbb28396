/**
 * Jupyter wire format (messaging 5.3+): identities, "<IDS|MSG>", HMAC-SHA256 hex over
 * the four JSON frames only (buffers are never signed), then header, parent_header,
 * metadata, content and raw buffers.
 */
import { createHmac, randomUUID, timingSafeEqual } from "crypto";

export const DELIM = "<IDS|MSG>";
export const PROTOCOL_VERSION = "5.3";

export interface Header {
  msg_id: string;
  session: string;
  username: string;
  date: string;
  msg_type: string;
  version: string;
  [key: string]: unknown;
}

export interface Message {
  identities: Buffer[];
  header: Header;
  parent_header: Header | Record<string, never>;
  metadata: Record<string, unknown>;
  content: Record<string, any>;
  buffers: Buffer[];
}

export class WireError extends Error {}

export class Signer {
  constructor(private readonly key: string, private readonly scheme = "hmac-sha256") {
    if (key && scheme !== "hmac-sha256") {
      throw new WireError(`signature_scheme ${JSON.stringify(scheme)} is not supported (expected "hmac-sha256")`);
    }
  }

  sign(frames: Buffer[]): string {
    if (!this.key) return "";
    const h = createHmac("sha256", this.key);
    for (const f of frames) h.update(f);
    return h.digest("hex");
  }

  /** Compares the signature frame's exact bytes (no decoding: a high-bit byte never matches). */
  verify(signature: Buffer, frames: Buffer[]): boolean {
    if (!this.key) return true;
    const expected = Buffer.from(this.sign(frames), "ascii");
    return expected.length === signature.length && timingSafeEqual(expected, signature);
  }
}

function parseJSON(frame: Buffer, what: string): any {
  try {
    const v = JSON.parse(frame.toString("utf8"));
    if (v === null || typeof v !== "object" || Array.isArray(v)) throw new Error("not an object");
    return v;
  } catch (e) {
    throw new WireError(`malformed ${what} frame: ${(e as Error).message}`);
  }
}

/** Parses and verifies one multipart message; throws WireError when it must be dropped. */
export function decode(frames: Buffer[], signer: Signer): Message {
  const i = frames.findIndex((f) => f.length === DELIM.length && f.toString() === DELIM);
  if (i < 0) throw new WireError("no <IDS|MSG> delimiter");
  if (frames.length < i + 6) throw new WireError(`expected 5 frames after the delimiter, got ${frames.length - i - 1}`);
  const signature = frames[i + 1];
  const json = frames.slice(i + 2, i + 6);
  if (!signer.verify(signature, json)) throw new WireError("bad HMAC signature");
  const header = parseJSON(json[0], "header");
  if (typeof header.msg_type !== "string") throw new WireError("header has no msg_type");
  return {
    identities: frames.slice(0, i),
    header,
    parent_header: parseJSON(json[1], "parent_header"),
    metadata: parseJSON(json[2], "metadata"),
    content: parseJSON(json[3], "content"),
    buffers: frames.slice(i + 6),
  };
}

export function makeHeader(msgType: string, session: string): Header {
  return {
    msg_id: randomUUID(),
    session,
    username: "attnlab",
    date: new Date().toISOString(),
    msg_type: msgType,
    version: PROTOCOL_VERSION,
  };
}

function toBuffer(b: ArrayBufferView | Buffer): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

/** Serialises a message; JSON.stringify failures (cycles, BigInt) surface as WireError. */
export function encode(msg: Omit<Message, "buffers"> & { buffers?: ArrayBufferView[] }, signer: Signer): Buffer[] {
  let json: Buffer[];
  try {
    json = [msg.header, msg.parent_header, msg.metadata, msg.content].map((o) => Buffer.from(JSON.stringify(o), "utf8"));
  } catch (e) {
    throw new WireError(`cannot serialise ${msg.header.msg_type}: ${(e as Error).message}`);
  }
  return [...msg.identities, Buffer.from(DELIM), Buffer.from(signer.sign(json)), ...json, ...(msg.buffers ?? []).map(toBuffer)];
}

/**
 * Where a value cannot go into a JSON frame, and why: `data["application/json"].n is a BigInt`.
 * Undefined when JSON.stringify would succeed.
 */
export function unserialisable(value: unknown, where = "value"): string | undefined {
  const seen = new Set<unknown>();
  const walk = (v: unknown, at: string): string | undefined => {
    if (typeof v === "bigint") return `${at} is a BigInt (${v}n), which JSON cannot hold: convert it with Number() or String()`;
    if (v === null || typeof v !== "object") return undefined;
    if (seen.has(v)) return `${at} is a ${v.constructor?.name ?? "Object"} that contains itself (a cycle), which JSON cannot hold`;
    if (typeof (v as { toJSON?: unknown }).toJSON === "function") return undefined;
    seen.add(v);
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      const r = walk(x, Array.isArray(v) ? `${at}[${k}]` : /^[A-Za-z_$][\w$]*$/.test(k) ? `${at}.${k}` : `${at}[${JSON.stringify(k)}]`);
      if (r) return r;
    }
    seen.delete(v);
    return undefined;
  };
  try {
    JSON.stringify(value);
    return undefined;
  } catch (e) {
    return walk(value, where) ?? `${where} cannot be serialised: ${(e as Error).message}`;
  }
}
