/** Jest runs the TypeScript sources directly; tests mirror lib/, kernel/ and widgets/. */
// Set here, in the parent, so the workers' native TensorFlow sees it at load (a test file's
// process.env is jest's copy, not the C environment).
if (process.env.TF_CPP_MIN_LOG_LEVEL === undefined) process.env.TF_CPP_MIN_LOG_LEVEL = "2";
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  // The static figure renderer, registered as the kernel's entry point registers it.
  setupFiles: ["<rootDir>/test/setup/static_renderer.ts"],
  transform: {
    "^.+\\.tsx?$": ["ts-jest", { tsconfig: "<rootDir>/tsconfig.test.json" }],
    // d3 v7 and its dependencies ship ES modules only; transpile them to CommonJS for jest.
    "node_modules/(d3[^/]*|internmap|delaunator|robust-predicates)/.+\\.m?js$": [
      "ts-jest",
      { tsconfig: { allowJs: true, module: "commonjs", target: "ES2019", isolatedModules: true } },
    ],
  },
  transformIgnorePatterns: ["/node_modules/(?!(d3[^/]*|internmap|delaunator|robust-predicates)/)"],
  testTimeout: 120000,
  maxWorkers: 2,
};
