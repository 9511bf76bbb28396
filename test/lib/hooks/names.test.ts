import { actName, parseHookName } from "../../../lib/hooks/names";

describe("hook names", () => {
  test("actName builds TransformerLens names", () => {
    expect(actName("pattern", 0)).toBe("blocks.0.attn.hook_pattern");
    expect(actName("resid_pre", 3)).toBe("blocks.3.hook_resid_pre");
    expect(actName("ln2_scale", 1)).toBe("blocks.1.ln2.hook_scale");
    expect(actName("logits")).toBe("hook_logits");
    expect(() => (actName as (k: string, l?: number) => string)("embed", 1)).toThrow(/not a per-layer hook/);
    expect(() => actName("pattern", -1)).toThrow(/layer must be a non-negative integer/);
    expect(() => actName("bogus" as never, 0)).toThrow(/kind must be one of/);
  });

  test("parseHookName inverts actName and rejects unknown names", () => {
    expect(parseHookName("blocks.11.mlp.hook_post")).toEqual({ layer: 11, kind: "post" });
    expect(parseHookName("ln_final.hook_normalized")).toEqual({ layer: null, kind: "ln_final_normalized" });
    expect(() => parseHookName("blocks.0.attn.hook_nope")).toThrow(/not a known hook point/);
    expect(() => parseHookName("hook_resid_pre")).toThrow(/not a known hook point/);
  });
});
