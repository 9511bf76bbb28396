/** Kernel diagnostics go to the real stderr (the Jupyter server's log), never to a cell. */
const realWrite = process.stderr.write.bind(process.stderr);

export function log(message: string): void {
  realWrite(`[attnlab kernel] ${message}\n`);
}
