/**
 * attnlab's causal tracing against ROME's procedure run in PyTorch (scripts/make_trace_fixture.py)
 * on the same tiny GPT-2 checkpoint with the same noise draws.
 */
import * as fs from "fs";
import * as path from "path";
import { loadPretrained } from "../../../lib/pretrained";
import { causalTrace } from "../../../lib/methods/tracing";
import { initBackend, maxAbsDiff } from "./helpers";
import { onBackend, PARITY_BACKENDS } from "../helpers/backends";

const DIR = path.join(__dirname, "../../fixtures/trace");

beforeAll(initBackend);

describe.each(PARITY_BACKENDS)("on %s", (backend) => {
  onBackend(backend);
  test("grids, p_clean, p_corrupted and noise level match the PyTorch reference", async () => {
    const fx = JSON.parse(fs.readFileSync(path.join(DIR, "trace.json"), "utf8"));
    const buf = fs.readFileSync(path.join(DIR, "noise.bin"));
    const draws = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
    const model = await loadPretrained(path.join(DIR, "tiny-gpt2"), { tokenizer: false });
    try {
      const r = await causalTrace(model, fx.ids, { subject: fx.subject, samples: fx.samples, window: fx.window, noiseDraws: draws, workers: 0 });
      expect(r.settings.noise).toBeCloseTo(fx.noise_level, 5);
      expect(r.answer.id).toBe(fx.answer);
      expect(r.pClean).toBeCloseTo(fx.p_clean, 5);
      expect(r.pCorrupted).toBeCloseTo(fx.p_corrupted, 5);
      for (const k of ["hidden", "mlp", "attn"] as const) {
        const ref = new Float32Array((fx.grids[k] as number[][]).flat());
        expect(maxAbsDiff(r.grids[k]!.scores, ref)).toBeLessThan(1e-5);
      }
    } finally {
      model.dispose();
    }
  });
});
