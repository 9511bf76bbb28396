import { readBrown } from "../../../scripts/data/brown";

test("readBrown({split}) reads only that split's documents, the same sentences as the whole corpus", () => {
  const valid = readBrown(undefined, { split: "valid" });
  const all = readBrown();
  expect(valid.length).toBeGreaterThan(1000);
  expect(valid.every((s) => s.split === "valid")).toBe(true);
  expect(valid).toEqual(all.filter((s) => s.split === "valid"));
  expect(() => readBrown(undefined, { split: "test" as never })).toThrow(/split must be "train" or "valid"/);
});
