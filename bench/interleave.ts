/**
 * Interleaved rounds: a benchmark's contenders (attnlab and its peers) run as long-lived processes
 * and take turns, one at a time, so that each round measures them all within a few seconds of
 * each other. Why: on this shared 2-core machine the speed of the same code moves by ±20–30%
 * between runs a minute apart; measuring attnlab in one minute and PyTorch in the next put that
 * drift straight into the ratio. A ratio per round, and the median of those, compares like with like.
 *
 * Contract of a contender process: it prints one JSON line `{"ready": true}` when it has built its
 * model and warmed up, then for every line it reads on stdin it runs its timed repetitions and
 * prints one JSON line of results; it exits when stdin closes. `serve` is that loop for Node
 * contenders; bench/forward_torch.py --serve is the Python one.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "child_process";
import * as readline from "readline";

/** The contender side: announces readiness, then runs `report` once per line read on stdin. */
export async function serve(report: () => void | Promise<void>): Promise<void> {
  console.log(JSON.stringify({ ready: true }));
  const lines = readline.createInterface({ input: process.stdin });
  for await (const _line of lines) await report();
}

export interface Contender {
  name: string;
  cmd: string;
  args: string[];
  env?: Record<string, string>;
}

class Proc {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly waiting: ((line: string) => void)[] = [];
  private readonly queued: string[] = [];
  private stderr = "";

  constructor(readonly c: Contender) {
    this.child = spawn(c.cmd, c.args, { env: { ...process.env, ...c.env }, stdio: ["pipe", "pipe", "pipe"] });
    readline.createInterface({ input: this.child.stdout }).on("line", (line) => {
      if (!line.startsWith("{")) return; // anything else a contender prints is not a result
      const w = this.waiting.shift();
      if (w) w(line);
      else this.queued.push(line);
    });
    this.child.stderr.on("data", (d) => (this.stderr = (this.stderr + String(d)).slice(-2000)));
    this.child.on("exit", (code) => {
      for (const w of this.waiting.splice(0)) w(JSON.stringify({ error: `${c.name} exited (${code}): ${this.stderr}` }));
    });
  }

  next(): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const take = (line: string) => {
        const r = JSON.parse(line);
        if (r.error) reject(new Error(r.error));
        else resolve(r);
      };
      const q = this.queued.shift();
      if (q !== undefined) take(q);
      else this.waiting.push(take);
    });
  }

  go(): Promise<Record<string, unknown>> {
    this.child.stdin.write("go\n");
    return this.next();
  }

  close(): void {
    this.child.stdin.end();
  }
}

/**
 * Starts every contender, waits until all are ready (their set-up may overlap: it is not timed),
 * then runs `rounds` rounds; each round asks each contender once, in an order rotated by one every
 * round so that none always runs first. Returns each contender's results, one per round.
 */
export async function interleave(contenders: Contender[], rounds: number): Promise<Record<string, Record<string, unknown>[]>> {
  const procs = contenders.map((c) => new Proc(c));
  try {
    await Promise.all(procs.map((p) => p.next()));
    const out: Record<string, Record<string, unknown>[]> = Object.fromEntries(contenders.map((c) => [c.name, []]));
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < procs.length; i++) {
        const p = procs[(i + r) % procs.length];
        out[p.c.name].push({ round: r, ...(await p.go()) });
      }
    }
    return out;
  } finally {
    for (const p of procs) p.close();
  }
}

/** Median of a list of numbers (the mean of the middle two for an even count). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
