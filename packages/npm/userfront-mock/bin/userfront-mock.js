#!/usr/bin/env node
// `npx userfront-mock [flags]` and `npx userfront-mock exec -- <command>`: runs the platform's
// binary with every argument as given. Signals sent to this wrapper are passed on, and the
// binary's exit status becomes this process's, so `userfront-mock exec -- npm test` fails CI
// exactly when the tests fail.

import { spawn } from "node:child_process";
import { binaryPath } from "../lib/binary.js";

let binary;
try {
  binary = binaryPath();
} catch (error) {
  console.error(error.message);
  process.exit(1);
}

const child = spawn(binary, process.argv.slice(2), { stdio: "inherit" });

// Forward what would stop us to the binary, which shuts down cleanly on each; we then exit as
// it did. (Ctrl-C in a terminal reaches both already: the binary ignores nothing, so the second
// copy is harmless.)
const forward = (signal) => {
  if (child.exitCode === null && child.signalCode === null) child.kill(signal);
};
const signals = ["SIGINT", "SIGTERM", "SIGHUP"];
for (const signal of signals) process.on(signal, forward);

child.on("error", (error) => {
  console.error(`userfront-mock: cannot run ${binary}: ${error.message}`);
  process.exit(127);
});

child.on("exit", (code, signal) => {
  for (const s of signals) process.off(s, forward);
  if (signal) {
    // Die of the same signal, so a parent sees what really happened (128 + n in a shell).
    process.kill(process.pid, signal);
    return;
  }
  process.exit(code ?? 1);
});
