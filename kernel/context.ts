/**
 * Which request an output belongs to. Code runs inside requestContext.run(msg, ...), so
 * console output, displays and comm messages from a cell (including its timers and
 * promise continuations) are parented to that cell's execute_request.
 */
import { AsyncLocalStorage } from "async_hooks";
import type { Message } from "./wire";

export const requestContext = new AsyncLocalStorage<Message>();

let lastExecute: Message | undefined;

export function setLastExecute(msg: Message): void {
  lastExecute = msg;
}

/** The request being served, else the most recent execute_request. */
export function currentParent(): Message | undefined {
  return requestContext.getStore() ?? lastExecute;
}
