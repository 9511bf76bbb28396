/**
 * Comms in both directions, and the CommTransport the widget API (lib/widget) talks to.
 * Outgoing messages are parented to the request being served (see context.ts).
 */
import { randomUUID } from "crypto";
import type { Comm, CommHandlers, CommTransport, DisplayOptions, JSONObject, MimeBundle } from "../lib/widget/transport";
import { currentParent, withParent } from "./context";
import { guard } from "./guard";
import { log } from "./log";
import type { Message } from "./wire";

export type IOPubSend = (
  msgType: string,
  content: Record<string, unknown>,
  parent: Message | undefined,
  extra?: { metadata?: Record<string, unknown>; buffers?: ArrayBufferView[] },
) => void;

interface Entry {
  comm: Comm;
  handlers: CommHandlers;
}

function asObject(v: unknown): JSONObject {
  return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as JSONObject) : {};
}

export class CommManager implements CommTransport {
  private comms = new Map<string, Entry>();
  private targets = new Map<string, (comm: Comm, data: JSONObject, buffers: Uint8Array[]) => CommHandlers>();

  constructor(private readonly send: IOPubSend) {}

  private makeComm(id: string, targetName: string): Comm {
    const mgr = this;
    return {
      id,
      targetName,
      send(data, buffers = [], metadata = {}) {
        if (!mgr.comms.has(id)) throw new Error(`comm ${id} (${targetName}) is closed`);
        mgr.send("comm_msg", { comm_id: id, data }, currentParent(), { metadata, buffers });
      },
      close(data = {}) {
        if (!mgr.comms.delete(id)) return;
        mgr.send("comm_close", { comm_id: id, data }, currentParent());
      },
    };
  }

  open(
    targetName: string,
    data: JSONObject,
    opts: { commId?: string; metadata?: JSONObject; buffers?: ArrayBufferView[] },
    handlers: CommHandlers,
  ): Comm {
    const id = opts.commId ?? randomUUID().replace(/-/g, "");
    if (this.comms.has(id)) throw new Error(`comm id ${id} is already open`);
    const comm = this.makeComm(id, targetName);
    this.comms.set(id, { comm, handlers });
    this.send("comm_open", { comm_id: id, target_name: targetName, data }, currentParent(), {
      metadata: opts.metadata ?? {},
      buffers: opts.buffers ?? [],
    });
    return comm;
  }

  registerTarget(targetName: string, onOpen: (comm: Comm, data: JSONObject, buffers: Uint8Array[]) => CommHandlers): void {
    this.targets.set(targetName, onOpen);
  }

  display(bundle: MimeBundle, opts: DisplayOptions = {}): void {
    const content: Record<string, unknown> = { data: bundle, metadata: opts.metadata ?? {}, transient: {} };
    if (opts.displayId) content.transient = { display_id: opts.displayId };
    this.send(opts.update ? "update_display_data" : "display_data", content, currentParent());
  }

  clearOutput(wait: boolean): void {
    this.send("clear_output", { wait }, currentParent());
  }

  /** Handlers run inside the request's context so their replies are parented to it. */
  private dispatch(msg: Message, what: string, fn: () => void): void {
    withParent(msg, () => {
      try {
        guard(what, fn);
      } catch (e) {
        log(`${what} handler failed: ${(e as Error).stack ?? e}`);
        process.stderr.write(`${what} handler failed: ${(e as Error).message ?? e}\n`);
      }
    });
  }

  handleOpen(msg: Message): void {
    const { comm_id: id, target_name: target } = msg.content;
    if (typeof id !== "string" || typeof target !== "string") {
      log("comm_open without comm_id/target_name dropped");
      return;
    }
    const onOpen = this.targets.get(target);
    if (!onOpen) {
      log(`comm_open for unknown target ${JSON.stringify(target)}: closing ${id}`);
      this.send("comm_close", { comm_id: id, data: {} }, msg);
      return;
    }
    const comm = this.makeComm(id, target);
    const entry: Entry = { comm, handlers: {} };
    this.comms.set(id, entry);
    this.dispatch(msg, `comm_open(${target})`, () => {
      entry.handlers = onOpen(comm, asObject(msg.content.data), msg.buffers);
    });
  }

  handleMsg(msg: Message): void {
    const entry = this.comms.get(msg.content.comm_id);
    if (!entry) {
      log(`comm_msg for unknown comm ${JSON.stringify(msg.content.comm_id)} dropped`);
      return;
    }
    this.dispatch(msg, `comm_msg(${entry.comm.targetName})`, () => entry.handlers.onMsg?.(asObject(msg.content.data), msg.buffers));
  }

  handleClose(msg: Message): void {
    const entry = this.comms.get(msg.content.comm_id);
    if (!entry) return;
    this.comms.delete(msg.content.comm_id);
    this.dispatch(msg, `comm_close(${entry.comm.targetName})`, () => entry.handlers.onClose?.(asObject(msg.content.data)));
  }

  info(targetName?: string): Record<string, { target_name: string }> {
    const out: Record<string, { target_name: string }> = {};
    for (const [id, { comm }] of this.comms) {
      if (!targetName || comm.targetName === targetName) out[id] = { target_name: comm.targetName };
    }
    return out;
  }
}
