/** kernel_info_reply content. */
import * as path from "path";
import { PROTOCOL_VERSION } from "./wire";
import { PROJECT_ROOT } from "./resolve";

function version(pkg: string, from?: string): string {
  try {
    return require(require.resolve(`${pkg}/package.json`, from ? { paths: [from] } : undefined)).version;
  } catch {
    return "unknown";
  }
}

export function kernelInfo(): Record<string, unknown> {
  // The TypeScript tslab's converter runs on (kernel/tsadapter.ts), not the fork tslab ships with.
  const tsVersion = version("typescript");
  return {
    status: "ok",
    protocol_version: PROTOCOL_VERSION,
    implementation: "attnlab",
    implementation_version: require(path.join(PROJECT_ROOT, "package.json")).version,
    language_info: {
      name: "typescript",
      version: tsVersion,
      mimetype: "text/typescript",
      file_extension: ".ts",
      codemirror_mode: { name: "javascript", typescript: true },
      pygments_lexer: "typescript",
    },
    banner: `attnlab ${require(path.join(PROJECT_ROOT, "package.json")).version}: TypeScript ${tsVersion} (tslab ${version("tslab")}) on Node ${process.version}`,
    help_links: [],
    debugger: false,
  };
}
