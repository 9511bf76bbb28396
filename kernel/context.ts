/**
 * Which request an output belongs to. Cell output is parented to the running (or last)
 * execute_request; comm handlers run with their comm_msg as parent while they run.
 *
 * Deliberately not AsyncLocalStorage: async hooks make an interrupted promise
 * continuation corrupt Node's async-context stack and abort the process (see guard.ts).
 */
import type { Message } from "./wire";

let override: Message | undefined;
let lastExecute: Message | undefined;

export function setLastExecute(msg: Message): void {
  lastExecute = msg;
}

/** Runs fn synchronously with msg as the parent of everything it sends. */
export function withParent<T>(msg: Message, fn: () => T): T {
  const prev = override;
  override = msg;
  try {
    return fn();
  } finally {
    override = prev;
  }
}

/** The request being served, else the most recent execute_request. */
export function currentParent(): Message | undefined {
  return override ?? lastExecute;
}
