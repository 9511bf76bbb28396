/** Kernel diagnostics go to the real stderr (the Jupyter server's log), never to a cell. */
const realWrite = process.stderr.write.bind(process.stderr);

// A closed pipe must not turn every log line into an uncaught EPIPE (and that into a log line).
process.stderr.on("error", () => undefined);
process.stdout.on("error", () => undefined);

export function log(message: string): void {
  try {
    realWrite(`[attnlab kernel] ${message}\n`);
  } catch {
    /* nowhere left to report */
  }
}
