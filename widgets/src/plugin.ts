// JupyterLab 4 plugin: registers the attnlab widget models and views with the widget
// manager. The exports hold only Model and View classes, as the registry expects, one pair
// per entry of the table of views (contract VIEWS).
import { IJupyterWidgetRegistry } from "@jupyter-widgets/base";
import { widgetClasses } from "./models";
import { MODULE_NAME, MODULE_VERSION } from "./protocol";

// The shape of a JupyterFrontEndPlugin, written out so the build needs no @jupyterlab/application.
interface Plugin {
  id: string;
  description: string;
  requires: unknown[];
  autoStart: boolean;
  activate: (app: unknown, registry: IJupyterWidgetRegistry) => void;
}

const plugin: Plugin = {
  id: "attnlab-widgets:plugin",
  description: "attnlab attention and interpretability views",
  requires: [IJupyterWidgetRegistry],
  autoStart: true,
  activate: (_app: unknown, registry: IJupyterWidgetRegistry) => {
    registry.registerWidget({ name: MODULE_NAME, version: MODULE_VERSION, exports: { ...widgetClasses } });
  },
};

export default plugin;
