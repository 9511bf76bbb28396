#!/usr/bin/env node
/**
 * Kernel entry point: `node dist/kernel/main.js <connection_file>` (what the kernelspec runs).
 */
import { log } from "./log";
import { CHILD_ENV, runNanny } from "./nanny";
import { installNodeResolution } from "./resolve";

async function main(): Promise<void> {
  const file = process.argv[2];
  if (!file) {
    log("usage: node dist/kernel/main.js <connection_file>");
    process.exit(2);
  }
  // The process the server starts watches the kernel and restarts it after a crash (nanny.ts).
  if (process.env[CHILD_ENV] !== "1" && process.env.ATTNLAB_KERNEL_NO_NANNY !== "1") return runNanny(__filename, process.argv.slice(2));
  delete process.env[CHILD_ENV]; // processes a cell starts are not kernel children
  // Loaded here, so the watcher process does not load the kernel's code.
  const { readConnectionFile } = await import("./channels");
  const { Kernel } = await import("./kernel");
  // Figures: the static SVG (jsdom + the compiled views) and the resolver that shows a method
  // result as its figure, registered here so lib/ loads nothing from kernel/; kernel/render
  // itself loads on the first figure, not at start-up.
  const { registerStaticRenderer } = await import("../lib/figures/static");
  registerStaticRenderer((view, data, options) => (require("./render") as typeof import("./render")).renderSVG(view, data, options));
  const { resolveFigure } = await import("../lib/figures/register");
  (await import("../lib/widget/display")).registerDisplayResolver(resolveFigure);
  installNodeResolution();
  // Library frames in tracebacks show lib/*.ts lines rather than dist/ JavaScript.
  process.setSourceMapsEnabled(true);
  const kernel = new Kernel(readConnectionFile(file));
  // Widgets: the kernel's comms carry them (lib/widget/transport), and a reloaded page gets
  // every live widget through jupyter.widget.control.
  const { registerCommTransport, attachWidgetControl } = await import("../lib/widget");
  registerCommTransport(kernel.comms);
  attachWidgetControl(kernel.comms);
  await kernel.start();
  log(`started (pid ${process.pid})`);
}

main().catch((e) => {
  // A port that cannot be bound is a fact about the machine, not a bug: one line, no stack.
  if ((e as Error).name === "BindError") log(`failed to start: ${(e as Error).message}`);
  else log(`failed to start: ${(e as Error).stack ?? e}`);
  process.exit(1);
});
