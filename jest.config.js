/** Jest runs the TypeScript sources directly; tests mirror lib/, kernel/ and widgets/. */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  transform: {
    "^.+\\.tsx?$": ["ts-jest", { tsconfig: "<rootDir>/tsconfig.test.json", isolatedModules: true }],
  },
  testTimeout: 120000,
  maxWorkers: 2,
};
