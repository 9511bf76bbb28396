// The probe accuracy plot's data (views/probe.ts).
import { checkObject } from "./tensor";

/** A property's series are one value per layer; an entry may be null where a cancelled run never got (JSON has no NaN): a gap in the line. */
export interface ProbeProperty {
  name: string;
  /** Task accuracy per layer, aligned with `layers`. */
  accuracy: number[];
  /** Confidence band per layer (e.g. 95% over seeds or a binomial interval). */
  lower?: number[];
  upper?: number[];
  /** Control-task accuracy per layer. */
  control?: number[];
  /** Accuracy of always predicting the most frequent label. */
  majority?: number;
}

export interface ProbeData {
  layers: number[];
  properties: ProbeProperty[];
  /** A majority-class baseline shared by every property (drawn once, in grey). */
  majority?: number;
  title?: string;
  /** e.g. "linear probe, 5 seeds, 95% interval" */
  note?: string;
}

export function checkProbe(data: unknown): void {
  const d = checkObject("{layers, properties} for the probe plot", data) as unknown as ProbeData;
  const layers = d.layers;
  if (!Array.isArray(layers) || layers.length === 0) throw new Error("layers: expected a non-empty array of layer indices");
  if (!Array.isArray(d.properties) || d.properties.length === 0) throw new Error("properties: expected at least one probed property");
  for (const p of d.properties) {
    for (const key of ["accuracy", "lower", "upper", "control"] as const) {
      const v = p[key];
      if (v != null && (!Array.isArray(v) || v.length !== layers.length)) {
        throw new Error(`properties["${p.name}"].${key}: expected ${layers.length} values (one per layer), got ${Array.isArray(v) ? v.length : typeof v}`);
      }
    }
  }
}
