#!/usr/bin/env node
/**
 * Kernel entry point: `node dist/kernel/main.js <connection_file>` (what the kernelspec runs).
 */
import { readConnectionFile } from "./channels";
import { Kernel } from "./kernel";
import { log } from "./log";
import { installNodeResolution } from "./resolve";

async function main(): Promise<void> {
  const file = process.argv[2];
  if (!file) {
    log("usage: node dist/kernel/main.js <connection_file>");
    process.exit(2);
  }
  installNodeResolution();
  // Library frames in tracebacks show lib/*.ts lines rather than dist/ JavaScript.
  process.setSourceMapsEnabled(true);
  const kernel = new Kernel(readConnectionFile(file));
  await kernel.start();
  log(`started (pid ${process.pid})`);
}

main().catch((e) => {
  log(`failed to start: ${(e as Error).stack ?? e}`);
  process.exit(1);
});
