// The project's one test command (`npm test`): build, static checks and every test
// runner, then a last line `N passed, N failed` summed over all of them, which is
// the format CI reads. Static checks (typecheck, eslint, solhint, prettier) count as
// one test each; Hardhat's runners report their own counts.
//
// Usage: npm test [-- --only solidity|mocha] [-- --skip-static]
import { spawn } from "node:child_process";

interface StepResult {
  passed: number;
  failed: number;
}

interface Step {
  name: string;
  command: string[];
  /** Parse counts from the step's output; undefined counts the step as one test. */
  parse?: (output: string, exitCode: number) => StepResult;
}

const args = new Set(process.argv.slice(2));
const only = process.argv.includes("--only")
  ? process.argv[process.argv.indexOf("--only") + 1]
  : undefined;

function runStep(step: Step): Promise<{ output: string; code: number }> {
  return new Promise((resolve) => {
    process.stdout.write(`\n=== ${step.name}: ${step.command.join(" ")}\n`);
    const [cmd, ...rest] = step.command;
    const child = spawn(cmd!, rest, { stdio: ["ignore", "pipe", "pipe"], env: process.env });
    let output = "";
    const onData = (chunk: Buffer, sink: NodeJS.WriteStream): void => {
      output += chunk.toString();
      sink.write(chunk);
    };
    child.stdout.on("data", (c: Buffer) => onData(c, process.stdout));
    child.stderr.on("data", (c: Buffer) => onData(c, process.stderr));
    child.on("error", (err) => {
      output += String(err);
      resolve({ output, code: 127 });
    });
    child.on("close", (code) => resolve({ output, code: code ?? 1 }));
  });
}

/** Hardhat's runners print mocha-style `N passing` / `N failing` / `N pending`. */
function parseMochaStyle(output: string, exitCode: number): StepResult {
  // eslint-disable-next-line no-control-regex
  const plain = output.replace(/\u001b\[[0-9;]*m/g, "");
  const last = (re: RegExp): number | undefined => {
    const all = [...plain.matchAll(re)];
    const m = all.at(-1);
    return m ? Number(m[1]) : undefined;
  };
  const passed = last(/^\s*(\d+) passing/gm) ?? 0;
  const failed = last(/^\s*(\d+) failing/gm) ?? 0;
  // A runner that crashed before reporting is one failure, never a silent pass.
  if (exitCode !== 0 && failed === 0) return { passed, failed: 1 };
  return { passed, failed };
}

// The SDK's generated sources (ABIs, deployments, ethers bindings: packages/sdk/scripts/build.ts)
// come from the build's artifacts; its tests and the typecheck import them.
const buildSteps: Step[] = [
  { name: "build", command: ["hardhat", "build"] },
  { name: "sdk generate", command: ["node", "packages/sdk/scripts/build.ts", "--generate-only"] },
];
const staticSteps: Step[] = [
  { name: "typecheck", command: ["tsc", "--noEmit", "-p", "tsconfig.json"] },
  // The generated ethers-v6 bindings use namespaces, which our own code forbids; checked apart.
  { name: "typecheck bindings", command: ["tsc", "--noEmit", "-p", "tsconfig.bindings.json"] },
  { name: "eslint", command: ["eslint", "."] },
  { name: "solhint", command: ["solhint", "--max-warnings", "0", "contracts/**/*.sol"] },
  { name: "prettier", command: ["prettier", "--check", "."] },
];
const testSteps: Step[] = [
  {
    name: "solidity tests",
    command: ["hardhat", "test", "solidity", "--no-compile"],
    parse: parseMochaStyle,
  },
  {
    name: "mocha tests",
    command: ["hardhat", "test", "mocha", "--no-compile"],
    parse: parseMochaStyle,
  },
];

let steps = [...buildSteps, ...(args.has("--skip-static") ? [] : staticSteps), ...testSteps];
if (only !== undefined)
  steps = [...buildSteps, ...testSteps.filter((s) => s.name.startsWith(only))];

let passed = 0;
let failed = 0;
const failures: string[] = [];
for (const step of steps) {
  const { output, code } = await runStep(step);
  const result = step.parse
    ? step.parse(output, code)
    : { passed: code === 0 ? 1 : 0, failed: code === 0 ? 0 : 1 };
  passed += result.passed;
  failed += result.failed;
  if (result.failed > 0) failures.push(`${step.name} (${result.failed})`);
  // Nothing can be tested against contracts that did not compile.
  if (buildSteps.includes(step) && code !== 0) break;
}

if (failures.length > 0) process.stdout.write(`\nfailed steps: ${failures.join(", ")}\n`);
process.stdout.write(`\n${passed} passed, ${failed} failed\n`);
process.exitCode = failed === 0 ? 0 : 1;
