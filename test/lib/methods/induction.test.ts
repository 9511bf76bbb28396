import * as tf from "@tensorflow/tfjs";
import { iclScore, inductionScores, kComposition, repeatedRandomTokens } from "../../../lib/methods/induction";
import { IND, inductionModel, initBackend, randomGpt2 } from "./helpers";

beforeAll(initBackend);

test("repeated random tokens are seeded and repeat", () => {
  const a = repeatedRandomTokens(100, { seqLen: 5, batch: 3, seed: 7, bos: 0 });
  const b = repeatedRandomTokens(100, { seqLen: 5, batch: 3, seed: 7, bos: 0 });
  const c = repeatedRandomTokens(100, { seqLen: 5, batch: 3, seed: 8, bos: 0 });
  expect(a.ids).toEqual(b.ids);
  expect(a.ids).not.toEqual(c.ids);
  for (const row of a.ids) {
    expect(row.length).toBe(11);
    expect(row[0]).toBe(0);
    expect(row.slice(1, 6)).toEqual(row.slice(6));
    expect(row.slice(1).every((t) => t !== 0)).toBe(true);
  }
  expect(() => repeatedRandomTokens(100, { seqLen: 0 })).toThrow(/seqLen/);
});

describe("hand-built induction model", () => {
  let model: ReturnType<typeof inductionModel>;
  beforeAll(() => {
    model = inductionModel();
  });

  test("prefix matching and copying single out L1H0; loss falls on the repeat", () => {
    const r = inductionScores(model, { seqLen: 10, batch: 4, seed: 1, bos: 0, range: [1, IND.V] });
    expect(r.kind).toBe("induction-scores");
    expect(r.prefixMatching[2]).toBeGreaterThan(0.7);
    for (const i of [0, 1, 3]) expect(r.prefixMatching[i]).toBeLessThan(0.3);
    expect(r.copyingTop5[2]).toBe(1);
    expect(r.copying[2]).toBeGreaterThan(2);
    expect(r.lossRepeats).toBeLessThan(r.lossFirstBlock - 1);
    expect(r.settings.seed).toBe(1);
  });

  test("ICL score is negative on repeated tokens and validates its positions", () => {
    const { ids } = repeatedRandomTokens(IND.V, { seqLen: 10, batch: 2, seed: 3, bos: 0, range: [1, IND.V] });
    const r = iclScore(model, ids);
    expect(r.late).toBe(20);
    expect(r.early).toBe(2);
    expect(r.score).toBeLessThan(-1);
    expect(() => iclScore(model, ids, { early: 15, late: 10 })).toThrow(/early/);
    expect(() => iclScore(model, [ids[0], ids[1].slice(0, 5)])).toThrow(/same number of tokens/);
  });
});

test("K-composition matches the d×d formula", () => {
  const model = randomGpt2(5, { nLayers: 2, dModel: 16, nHeads: 2 });
  const r = kComposition(model);
  const [L, H] = [2, 2];
  const w = model.weights.blocks;
  for (let ha = 0; ha < H; ha++) {
    for (let hb = 0; hb < H; hb++) {
      const expected = tf.tidy(() => {
        const h = (t: tf.Tensor3D, i: number) => t.slice([i, 0, 0], [1, -1, -1]).squeeze([0]) as tf.Tensor2D;
        const OV = tf.matMul(h(w[0].W_V, ha), h(w[0].W_O, ha));
        const QK = tf.matMul(h(w[1].W_Q, hb), h(w[1].W_K, hb), false, true);
        const fro = (m: tf.Tensor) => m.square().sum().sqrt();
        return fro(tf.matMul(OV, QK, false, true)).div(fro(OV).mul(fro(QK))).dataSync()[0];
      });
      expect(r.scores[((0 * H + ha) * L + 1) * H + hb]).toBeCloseTo(expected, 4);
      expect(r.scores[((1 * H + ha) * L + 0) * H + hb]).toBe(0);
    }
  }
  model.dispose();
});
