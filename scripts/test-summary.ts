// Sums Vitest JSON reports into the one line CI reads: "N passed, N failed[, N skipped]".
// The last argument counts failed non-test steps (lint, build, services), each one failure.
import { existsSync, readFileSync } from "node:fs";

interface VitestJson {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  numFailedTestSuites: number;
}

const args = process.argv.slice(2);
const failedSteps = Number(args.pop() ?? 0);
let passed = 0;
let failed = 0;
let skipped = 0;
for (const file of args) {
  if (!existsSync(file)) continue; // a suite that never ran is already counted as a failed step
  const r = JSON.parse(readFileSync(file, "utf8")) as VitestJson;
  passed += r.numPassedTests;
  // A file that fails to load has no failed test but is a failure all the same.
  failed += r.numFailedTests + (r.numFailedTests === 0 ? r.numFailedTestSuites : 0);
  skipped += r.numPendingTests + r.numTodoTests;
  console.log(`${file}: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests} skipped`);
}
failed += failedSteps;
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
