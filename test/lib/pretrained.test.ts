/**
 * loadPretrained from local folders and from a loopback hub, checked against transformers'
 * logits, plus every bad input it must refuse with a clear message and without leaking tensors.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { loadPretrained } from "../../lib/pretrained";
import { readSafetensors, writeSafetensors, TensorToWrite } from "../../lib/io";
import { startHubServer, HubServer } from "./helpers/hub_server";
import { onBackend, PARITY_BACKENDS } from "./helpers/backends";

const PRE = path.join(__dirname, "../fixtures/pretrained");
const GPT2 = path.join(PRE, "tiny-gpt2");
const BERT = path.join(PRE, "tiny-bert");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "attnlab-pre-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface Expected {
  text: string;
  ids: number[];
  logits_shape: number[];
  logits: number[];
}
const expectedOf = (name: string): Expected => JSON.parse(fs.readFileSync(path.join(PRE, `${name}.expected.json`), "utf8"));

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

async function checkAgainstHF(dir: string, name: string): Promise<void> {
  const ref = expectedOf(name);
  const model = await loadPretrained(dir);
  try {
    expect(model.tokenizer).toBeDefined();
    expect(model.tokenizer!.encode(ref.text).ids).toEqual(ref.ids);
    const logits = model.run([ref.ids]);
    expect(logits.shape).toEqual([1, ...ref.logits_shape]);
    expect(maxAbsDiff(logits.dataSync(), ref.logits)).toBeLessThan(1e-4);
    logits.dispose();
  } finally {
    model.dispose();
  }
}

/** Copies a fixture checkpoint into a scratch folder, optionally changing it. */
function variant(from: string, name: string, edit: (dir: string) => void): string {
  const dir = path.join(tmp, name);
  fs.cpSync(from, dir, { recursive: true });
  edit(dir);
  return dir;
}

function rewriteWeights(dir: string, change: (t: Map<string, TensorToWrite>) => void): void {
  const file = path.join(dir, "model.safetensors");
  const st = readSafetensors(file);
  const out = new Map<string, TensorToWrite>();
  for (const [k, v] of st.tensors) out.set(k, { dtype: v.dtype as TensorToWrite["dtype"], shape: v.shape, data: v.data });
  change(out);
  writeSafetensors(file, out);
}

describe.each(PARITY_BACKENDS)("local folders, on %s", (backend) => {
  onBackend(backend);
  test("tiny GPT-2 logits match transformers", () => checkAgainstHF(GPT2, "tiny-gpt2"));
  test("tiny BERT (masked LM) logits match transformers", () => checkAgainstHF(BERT, "tiny-bert"));
});

describe("local folders", () => {
  test("tokenizer: false loads the model alone", async () => {
    const m = await loadPretrained(GPT2, { tokenizer: false });
    expect(m.tokenizer).toBeUndefined();
    m.dispose();
  });
});

describe("bad checkpoints: clear errors, nothing half-loaded", () => {
  let before = 0;
  beforeAll(async () => {
    (await loadPretrained(GPT2, { tokenizer: false })).dispose(); // backend up, so counts are stable
    before = tf.memory().numTensors;
  });
  afterEach(() => expect(tf.memory().numTensors).toBe(before));

  test("missing model.safetensors names the file and folder", async () => {
    const dir = variant(GPT2, "no-weights", (d) => fs.rmSync(path.join(d, "model.safetensors")));
    await expect(loadPretrained(dir)).rejects.toThrow(`model.safetensors is missing from ${dir}`);
  });
  test("missing config.json", async () => {
    const dir = variant(GPT2, "no-config", (d) => fs.rmSync(path.join(d, "config.json")));
    await expect(loadPretrained(dir)).rejects.toThrow(`config.json is missing from ${dir}`);
  });
  test("unsupported architecture", async () => {
    const dir = variant(GPT2, "mistral", (d) => {
      const c = JSON.parse(fs.readFileSync(path.join(d, "config.json"), "utf8"));
      fs.writeFileSync(path.join(d, "config.json"), JSON.stringify({ ...c, model_type: "mistral", architectures: ["MistralForCausalLM"] }));
    });
    await expect(loadPretrained(dir)).rejects.toThrow(/model_type "mistral" is not supported/);
  });
  test("truncated safetensors header", async () => {
    const dir = variant(GPT2, "trunc-header", (d) => {
      const f = path.join(d, "model.safetensors");
      fs.writeFileSync(f, fs.readFileSync(f).subarray(0, 100));
    });
    await expect(loadPretrained(dir)).rejects.toThrow(/model\.safetensors: header length \d+ goes beyond the end of the file \(100 bytes\)/);
  });
  test("truncated safetensors data", async () => {
    const dir = variant(GPT2, "trunc-data", (d) => {
      const f = path.join(d, "model.safetensors");
      const b = fs.readFileSync(f);
      fs.writeFileSync(f, b.subarray(0, b.length - 1000));
    });
    await expect(loadPretrained(dir)).rejects.toThrow(/model\.safetensors: tensor ".*" data_offsets .* run past the end of the data .* truncated/);
  });
  test("tensor of the wrong shape", async () => {
    const dir = variant(GPT2, "bad-shape", (d) =>
      rewriteWeights(d, (t) => {
        const w = t.get("transformer.h.1.mlp.c_fc.weight")!;
        t.set("transformer.h.1.mlp.c_fc.weight", { ...w, shape: [w.shape[1], w.shape[0]] });
      }),
    );
    await expect(loadPretrained(dir)).rejects.toThrow(/tensor "transformer\.h\.1\.mlp\.c_fc\.weight" has shape \[128, 32\]; expected \[32, 128\]/);
  });
  test("tensor of the wrong dtype", async () => {
    const dir = variant(GPT2, "bad-dtype", (d) =>
      rewriteWeights(d, (t) => {
        const w = t.get("transformer.wpe.weight")!;
        t.set("transformer.wpe.weight", { dtype: "I32", shape: w.shape, data: Int32Array.from(w.data) });
      }),
    );
    await expect(loadPretrained(dir)).rejects.toThrow(/tensor "transformer\.wpe\.weight" has dtype I32; expected a floating-point tensor/);
  });
  test("missing tensor", async () => {
    const dir = variant(BERT, "no-tensor", (d) => rewriteWeights(d, (t) => t.delete("bert.encoder.layer.1.output.dense.bias")));
    await expect(loadPretrained(dir)).rejects.toThrow(/missing tensor "bert\.encoder\.layer\.1\.output\.dense\.bias"/);
  });
  test("bad names and paths", async () => {
    await expect(loadPretrained("./no/such/folder")).rejects.toThrow(/no such folder .*no\/such\/folder/);
    await expect(loadPretrained("bad name!")).rejects.toThrow(/model name must look like "org\/name"/);
    await expect(loadPretrained(path.join(GPT2, "config.json"))).rejects.toThrow(/is a file; pass the folder/);
    await expect(loadPretrained("" as string)).rejects.toThrow(/pathOrName must be/);
  });
});

describe("hub (loopback server)", () => {
  let hub: HubServer;
  const savedEnv = { ...process.env };
  beforeAll(async () => {
    const TOK = path.join(__dirname, "../fixtures/tokenizers");
    // A GPT-2 checkpoint with only the legacy vocab.json + merges.txt, and one with only PyTorch weights.
    const legacy = variant(GPT2, "hub-legacy", (d) => {
      fs.rmSync(path.join(d, "tokenizer.json"));
      for (const f of ["vocab.json", "merges.txt"]) fs.copyFileSync(path.join(TOK, "gpt2-bpe-files", f), path.join(d, f));
    });
    const torchOnly = variant(GPT2, "hub-torch", (d) => fs.renameSync(path.join(d, "model.safetensors"), path.join(d, "pytorch_model.bin")));
    hub = await startHubServer({
      "attnlab-test/tiny-gpt2": GPT2, "attnlab-test/tiny-bert": BERT, "attnlab-test/legacy": legacy, "attnlab-test/torch": torchOnly,
      "private/tiny-gpt2": GPT2,
    });
  });
  afterAll(() => hub.close());
  afterEach(() => {
    for (const k of ["HF_ENDPOINT", "ATTNLAB_CACHE", "HF_HUB_OFFLINE"]) {
      if (savedEnv[k] === undefined) delete process.env[k];
      else process.env[k] = savedEnv[k];
    }
  });

  test("downloads into the cache, then loads offline with no request", async () => {
    const cacheDir = path.join(tmp, "cache-1");
    const ref = expectedOf("tiny-gpt2");
    const m = await loadPretrained("attnlab-test/tiny-gpt2", { endpoint: hub.endpoint, cacheDir });
    const logits = m.run([ref.ids]);
    expect(maxAbsDiff(logits.dataSync(), ref.logits)).toBeLessThan(1e-4);
    logits.dispose();
    m.dispose();
    const folder = path.join(cacheDir, "models--attnlab-test--tiny-gpt2", "main");
    expect(fs.readdirSync(folder).sort()).toEqual(["config.json", "model.safetensors", "special_tokens_map.json", "tokenizer.json", "tokenizer_config.json"]);
    expect(hub.requests).toContain("/attnlab-test/tiny-gpt2/resolve/main/model.safetensors");
    const n = hub.requests.length;
    const again = await loadPretrained("attnlab-test/tiny-gpt2", { endpoint: hub.endpoint, cacheDir, offline: true });
    expect(again.tokenizer!.encode(ref.text).ids).toEqual(ref.ids);
    again.dispose();
    expect(hub.requests.length).toBe(n);
  });

  test("HF_ENDPOINT, ATTNLAB_CACHE and HF_HUB_OFFLINE are honoured", async () => {
    const cacheDir = path.join(tmp, "cache-env");
    process.env.HF_ENDPOINT = hub.endpoint;
    process.env.ATTNLAB_CACHE = cacheDir;
    const m = await loadPretrained("attnlab-test/tiny-bert");
    m.dispose();
    expect(fs.existsSync(path.join(cacheDir, "models--attnlab-test--tiny-bert", "main", "model.safetensors"))).toBe(true);
    process.env.HF_HUB_OFFLINE = "1";
    const n = hub.requests.length;
    (await loadPretrained("attnlab-test/tiny-bert")).dispose();
    expect(hub.requests.length).toBe(n);
    await expect(loadPretrained("attnlab-test/tiny-gpt2")).rejects.toThrow(
      /model "attnlab-test\/tiny-gpt2" \(revision main\) is not in the cache at .*cache-env.* offline mode is on/,
    );
  });

  test("HTTP 404 for an unknown name says so", async () => {
    const cacheDir = path.join(tmp, "cache-404");
    await expect(loadPretrained("nobody/nothing", { endpoint: hub.endpoint, cacheDir })).rejects.toThrow(
      /HTTP 404 for "nobody\/nothing" file config\.json at http:\/\/127\.0\.0\.1:\d+\/nobody\/nothing\/resolve\/main\/config\.json/,
    );
    await expect(loadPretrained("attnlab-test/tiny-gpt2", { endpoint: hub.endpoint, cacheDir, revision: "v9" })).rejects.toThrow(/HTTP 404 .*revision "v9"/);
  });

  test("an interrupted download leaves nothing in the cache; a retry succeeds", async () => {
    const cacheDir = path.join(tmp, "cache-cut");
    hub.cut.add("model.safetensors");
    try {
      await expect(loadPretrained("attnlab-test/tiny-gpt2", { endpoint: hub.endpoint, cacheDir })).rejects.toThrow(
        /download of .*model\.safetensors was interrupted .*nothing was cached/,
      );
    } finally {
      hub.cut.delete("model.safetensors");
    }
    const folder = path.join(cacheDir, "models--attnlab-test--tiny-gpt2", "main");
    expect(fs.readdirSync(folder).filter((f) => f.includes("model.safetensors"))).toEqual([]);
    const m = await loadPretrained("attnlab-test/tiny-gpt2", { endpoint: hub.endpoint, cacheDir });
    m.dispose();
    expect(fs.readdirSync(folder).filter((f) => f.includes(".part"))).toEqual([]);
  });

  test("legacy tokenizer files are fetched when tokenizer.json is absent", async () => {
    const cacheDir = path.join(tmp, "cache-legacy");
    const ref = expectedOf("tiny-gpt2");
    const m = await loadPretrained("attnlab-test/legacy", { endpoint: hub.endpoint, cacheDir });
    expect(m.tokenizer!.encode(ref.text).ids).toEqual(ref.ids);
    m.dispose();
    const folder = path.join(cacheDir, "models--attnlab-test--legacy", "main");
    expect(fs.readdirSync(folder)).toEqual(expect.arrayContaining(["vocab.json", "merges.txt"]));
  });

  test("a checkpoint without model.safetensors is refused by name", async () => {
    const cacheDir = path.join(tmp, "cache-torch");
    await expect(loadPretrained("attnlab-test/torch", { endpoint: hub.endpoint, cacheDir })).rejects.toThrow(
      /"attnlab-test\/torch" has no model\.safetensors .*does not read pytorch_model\.bin/,
    );
  });

  test("a private model needs a token: 401 without, loads with", async () => {
    const cacheDir = path.join(tmp, "cache-private");
    await expect(loadPretrained("private/tiny-gpt2", { endpoint: hub.endpoint, cacheDir })).rejects.toThrow(
      /HTTP 401 for .*private\/tiny-gpt2.*private or gated; pass token or set HF_TOKEN/,
    );
    const m = await loadPretrained("private/tiny-gpt2", { endpoint: hub.endpoint, cacheDir, token: "secret" });
    m.dispose();
  });

  test("an unreachable endpoint is reported with the URL", async () => {
    const cacheDir = path.join(tmp, "cache-down");
    const down = await startHubServer({});
    const endpoint = down.endpoint;
    await down.close();
    await expect(loadPretrained("attnlab-test/tiny-gpt2", { endpoint, cacheDir })).rejects.toThrow(/could not reach http:\/\/127\.0\.0\.1:\d+\/attnlab-test/);
  });
});
