/**
 * The seam between the widget API and whatever carries comm messages. The attnlab
 * kernel's entry point registers a transport at start-up; lib/ itself never imports
 * Jupyter, zeromq or anything from kernel/.
 */

/** JSON values as they travel in comm messages. */
export type JSONValue = string | number | boolean | null | JSONValue[] | { [key: string]: JSONValue };
export type JSONObject = { [key: string]: JSONValue };

/** A Jupyter mime bundle: mime type -> data (strings, JSON objects). */
export type MimeBundle = { [mime: string]: unknown };

/** One end of an open comm. */
export interface Comm {
  readonly id: string;
  readonly targetName: string;
  send(data: JSONObject, buffers?: ArrayBufferView[], metadata?: JSONObject): void;
  close(data?: JSONObject): void;
}

/** Callbacks for messages arriving on a comm from the front end. */
export interface CommHandlers {
  onMsg?(data: JSONObject, buffers: Uint8Array[]): void;
  onClose?(data: JSONObject): void;
}

export interface DisplayOptions {
  metadata?: JSONObject;
  /** Stable id so the output can be replaced later with update_display_data. */
  displayId?: string;
  /** True to replace the output previously shown under displayId. */
  update?: boolean;
}

export interface CommTransport {
  /** Opens a comm from the kernel side (comm_open on IOPub). */
  open(
    targetName: string,
    data: JSONObject,
    opts: { commId?: string; metadata?: JSONObject; buffers?: ArrayBufferView[] },
    handlers: CommHandlers,
  ): Comm;
  /** Accepts comms the front end opens to targetName; unknown targets are closed by the kernel. */
  registerTarget(
    targetName: string,
    onOpen: (comm: Comm, data: JSONObject, buffers: Uint8Array[]) => CommHandlers,
  ): void;
  /** Sends display_data (or update_display_data when opts.update). */
  display(bundle: MimeBundle, opts?: DisplayOptions): void;
  /** Clears the current cell's output (wait: clear when the next output arrives). */
  clearOutput?(wait: boolean): void;
}

// The kernel's entry point (kernel/main.ts) registers its CommManager here; a cell's
// `import "attnlab"` resolves to this same file (kernel/resolve.ts), so one module variable
// is shared by the kernel and every cell.
let current: CommTransport | undefined;

/** Called by the kernel's entry point once at start-up (and by tests). Re-registering replaces the transport. */
export function registerCommTransport(transport: CommTransport | undefined): void {
  current = transport;
}

/** The registered transport, or undefined outside the attnlab kernel (plain node, jest). */
export function getCommTransport(): CommTransport | undefined {
  return current;
}

/** True inside the attnlab kernel. */
export function isKernelAttached(): boolean {
  return getCommTransport() !== undefined;
}

export function requireTransport(what: string): CommTransport {
  const t = getCommTransport();
  if (!t) {
    throw new Error(
      `${what} needs a Jupyter front end: no comm transport is registered. ` +
        "Run this inside the attnlab kernel (or call registerCommTransport first).",
    );
  }
  return t;
}
