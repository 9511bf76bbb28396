// The contract between the kernel side (lib/figures, lib/quiz, lib/widget/explore) and the
// views (widgets/src/views): one table of views, each with its model/view name, whether
// figure() shows it, the type of the data it receives and the one check that data goes
// through. lib/ imports it to check data in the cell that made it (the error names the cell's
// mistake before anything is sent); each renderer runs the same check on what it is given
// (saved widget state, tests, the static renderer). The widget exports (models.ts), the
// renderers (views/index.ts) and figure()'s list of views are derived from this table.
// Pure: no DOM, no Jupyter, no d3, so lib/ can import it (lib/ imports no widget code).
import { checkAttribution, type AttributionData } from "./attribution";
import { checkExplore, type ExploreData } from "./explore";
import { checkHeadScores, type HeadScoresData } from "./headscores";
import { checkHeatmap, type HeatmapData } from "./heatmap";
import { checkLens, type LensData } from "./lens";
import { checkLines, type LinesData } from "./lines";
import { checkPatching, type PatchingData } from "./patching";
import { checkProbe, type ProbeData } from "./probe";
import { checkQuiz, type QuizData } from "./quiz";
import { checkRestoration, type RestorationData } from "./restoration";
import { checkThumbnails, type ThumbnailsData } from "./thumbnails";

export * from "./tensor";
export * from "./heatmap";
export * from "./thumbnails";
export * from "./lines";
export * from "./headscores";
export * from "./probe";
export * from "./restoration";
export * from "./patching";
export * from "./attribution";
export * from "./explore";
export * from "./lens";
export * from "./quiz";

/** The data each view receives, by view. */
export interface ViewData {
  heatmap: HeatmapData;
  thumbnails: ThumbnailsData;
  lines: LinesData;
  headscores: HeadScoresData;
  probe: ProbeData;
  restoration: RestorationData;
  patching: PatchingData;
  attribution: AttributionData;
  explore: ExploreData;
  lens: LensData;
  quiz: QuizData;
}

export type ViewKind = keyof ViewData;

export interface ViewSpec {
  /** Model "<Name>Model", view "<Name>View" in module attnlab-widgets. */
  name: string;
  /** Shown by lib/figures' figure() ({view: ...}); false for a view another lib module owns. */
  figure: boolean;
  /** Throws an Error naming the field and what was expected unless `data` is this view's data. */
  check(data: unknown): unknown;
}

/** The one table of views. */
export const VIEWS: { readonly [K in ViewKind]: ViewSpec } = {
  heatmap: { name: "Heatmap", figure: true, check: checkHeatmap },
  thumbnails: { name: "Thumbnails", figure: true, check: checkThumbnails },
  lines: { name: "Lines", figure: true, check: checkLines },
  headscores: { name: "HeadScores", figure: true, check: checkHeadScores },
  probe: { name: "Probe", figure: true, check: checkProbe },
  restoration: { name: "Restoration", figure: true, check: checkRestoration },
  patching: { name: "Patching", figure: true, check: checkPatching },
  attribution: { name: "Attribution", figure: true, check: checkAttribution },
  // The playground (lib/widget/explore.ts); its channel: ExploreRequest/ExploreReply in protocol.ts.
  explore: { name: "Explore", figure: true, check: checkExplore },
  lens: { name: "Lens", figure: true, check: checkLens },
  // lib/quiz's own widget; custom message view → kernel: AnswerMessage.
  quiz: { name: "Quiz", figure: false, check: checkQuiz },
};

export const VIEW_KINDS = Object.keys(VIEWS) as ViewKind[];

/** View kind → name, e.g. heatmap → "Heatmap" (models "HeatmapModel", views "HeatmapView"). */
export const VIEW_NAMES = Object.fromEntries(VIEW_KINDS.map((k) => [k, VIEWS[k].name])) as { readonly [K in ViewKind]: string };

/** The views lib/figures shows (figure({view, ...})). */
export type FigureView = Exclude<ViewKind, "quiz">;
export const FIGURE_VIEWS = VIEW_KINDS.filter((v): v is FigureView => VIEWS[v].figure);

/**
 * The kernel side's entry check: throws "attnlab <view> view: <field>: expected …" (the text
 * a live view shows for the same data) unless `data` is `view`'s data.
 */
export function checkViewData<K extends ViewKind>(view: K, data: unknown): asserts data is ViewData[K] {
  const spec = VIEWS[view] as ViewSpec | undefined;
  if (!spec) throw new Error(`view: expected one of ${VIEW_KINDS.join(", ")}, got ${JSON.stringify(view)}`);
  try {
    spec.check(data);
  } catch (e) {
    throw new Error(`attnlab ${view} view: ${(e as Error).message}`);
  }
}
