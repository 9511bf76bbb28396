/**
 * The forward benchmark's comparison: attnlab (default backend) against PyTorch on 1 and on all
 * threads, in interleaved rounds (bench/interleave.ts says why). Each round, each contender times
 * `reps` forwards after its own warm-up; the round's ratio is PyTorch's faster thread count's median
 * over attnlab's. Prints a summary and one JSON line.
 * Usage: node dist/bench/forward_rounds.js [--rounds 5] [--reps 3] [--tokens 128]
 */
import * as os from "os";
import * as path from "path";
import { interleave, median, type Contender } from "./interleave";

const ROOT = path.resolve(__dirname, "..", "..");

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

async function main(): Promise<void> {
  const rounds = arg("rounds", 5);
  const common = ["--serve", "--reps", String(arg("reps", 3)), "--tokens", String(arg("tokens", 128))];
  const py = path.join(ROOT, ".venv", "bin", "python");
  const threads = os.cpus().length;
  const contenders: Contender[] = [
    { name: "attnlab", cmd: process.execPath, args: [path.join(ROOT, "dist", "bench", "forward.js"), ...common] },
    { name: "pytorch_1", cmd: py, args: [path.join(ROOT, "bench", "forward_torch.py"), "--threads", "1", ...common] },
    { name: "pytorch_n", cmd: py, args: [path.join(ROOT, "bench", "forward_torch.py"), "--threads", String(threads), ...common] },
  ];
  const res = await interleave(contenders, rounds);
  const ms = (name: string) => res[name].map((r) => r.forward_ms_median as number);
  const [a, p1, pn] = [ms("attnlab"), ms("pytorch_1"), ms("pytorch_n")];
  const ratios = a.map((t, i) => Math.min(p1[i], pn[i]) / t);
  const f = (x: number) => x.toFixed(0);
  const first = (name: string) => res[name][0];
  console.log(`GPT-2 small forward + full cache, ${first("attnlab").tokens} tokens: ${rounds} interleaved rounds, each the median of ${first("attnlab").reps} forwards per contender`);
  for (let i = 0; i < rounds; i++) {
    console.log(`  round ${i + 1}: attnlab (${first("attnlab").backend}) ${f(a[i])} ms, PyTorch 1 thread ${f(p1[i])} ms, ${threads} threads ${f(pn[i])} ms; PyTorch (faster) / attnlab = ${ratios[i].toFixed(2)}x`);
  }
  const rss = (name: string) => Math.max(...res[name].map((r) => r.peak_rss_mb as number));
  console.log(`  medians over rounds: attnlab ${f(median(a))} ms (peak RSS ${f(rss("attnlab"))} MB), PyTorch 1 thread ${f(median(p1))} ms (${f(rss("pytorch_1"))} MB), ${threads} threads ${f(median(pn))} ms (${f(rss("pytorch_n"))} MB)`);
  console.log(`  PyTorch (faster of 1 and ${threads} threads, per round) / attnlab: median ${median(ratios).toFixed(2)}x (min ${Math.min(...ratios).toFixed(2)}x, max ${Math.max(...ratios).toFixed(2)}x); ${ratios.filter((r) => r >= 1).length} of ${rounds} rounds at least as fast`);
  console.log(JSON.stringify({ rounds, ratios, ...res }));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
