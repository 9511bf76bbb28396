// kernel/render: the renderers run under jsdom inside the kernel to give static SVG/PNG.
import { inflateSync } from "zlib";
import { crc32, encodePNG, renderSVG } from "../../kernel/render";
import { TOKENS, causalPatterns, randomMatrix } from "./fixtures";

describe("static rendering", () => {
  it("crc32 and PNG bytes are well formed", () => {
    expect(crc32(Buffer.from("IEND"))).toBe(0xae426082);
    const rgba = new Uint8ClampedArray([255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 1, 2, 3, 4]);
    const png = encodePNG(rgba, 2, 2);
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(png.readUInt32BE(16)).toBe(2); // IHDR width
    const idatLen = png.readUInt32BE(33);
    expect(png.subarray(37, 41).toString()).toBe("IDAT");
    const raw = inflateSync(png.subarray(41, 41 + idatLen));
    expect(Array.from(raw)).toEqual([0, 255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 0, 255, 255, 1, 2, 3, 4]);
    expect(() => encodePNG(rgba, 3, 2)).toThrow(/expected 24 RGBA bytes/);
  });

  it("a small heatmap is an SVG of cells with title, labels and legend", () => {
    const svg = renderSVG("heatmap", { pattern: causalPatterns(1, 1, 8), tokens: TOKENS });
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect((svg.match(/class="cell"/g) ?? []).length).toBe(36);
    expect(svg).toContain("Query token (attending from)");
    expect(svg).toContain("attention weight");
    expect(svg).not.toContain("<select");
  });

  it("a 512-token heatmap becomes one embedded PNG, not 262,144 rects", () => {
    const n = 512;
    const data = new Float32Array(n * n);
    for (let i = 0; i < n; i++) data[i * n + i] = 1;
    const svg = renderSVG("heatmap", { pattern: { data, shape: [n, n] }, tokens: Array.from({ length: n }, (_, i) => `t${i}`) });
    expect(svg).not.toContain('class="cell"');
    const m = svg.match(/href="data:image\/png;base64,([^"]+)"/);
    expect(m).not.toBeNull();
    const png = Buffer.from(m![1], "base64");
    expect(png.readUInt32BE(16)).toBe(n);
    expect(svg.length).toBeLessThan(400_000);
  });

  it("restoration: three side-by-side panels in one SVG", () => {
    const svg = renderSVG("restoration", {
      tokens: ["a", " Per", "u"],
      subject: [0, 2],
      hidden: randomMatrix(3, 4, 1),
      mlp: randomMatrix(3, 4, 2),
      attn: randomMatrix(3, 4, 3),
      pClean: 0.9,
      pCorrupted: 0.1,
      answer: "x",
    });
    expect((svg.match(/class="panel panel-/g) ?? []).length).toBe(3);
    expect(svg).toContain("Restoring MLP outputs");
    expect(svg).toContain("a*");
    // Word-level labels in the static figure too: " Per" + "u" read "␣Peru", then "·u".
    expect(svg).toContain(">␣Peru*<title>token 1: ␣Per</title>");
    expect(svg).toContain(">·u<title>token 2: u</title>");
  });

  it("unknown views fail clearly", () => {
    expect(() => renderSVG("pie", {})).toThrow(/unknown view "pie"/);
  });
});
