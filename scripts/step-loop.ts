// One process running the re-execution step loop and nothing else, for the verifier-scaling
// benchmark's ceiling (scripts/bench-verifier-scaling.ts): the exact MLP the benchmark audits,
// `steps` train steps on one fixed batch after a warm-up, no chain, store, queue or journal.
// Prints {"steps", "seconds", "cpuSeconds"} as one JSON line.
// Usage: node scripts/step-loop.ts <steps> <layers, e.g. 64,256,256,10> <batch size>
import { buildExactMlpProgram } from "../src/engine/exact-mlp-program.ts";
import { loadProgram } from "../src/engine/program-loader.ts";
import { openStepSession } from "../src/engine/runtime.ts";
import { initialState } from "../src/engine/training-state.ts";

const [stepsText = "1000", layersText = "64,256,256,10", batchText = "32"] = process.argv.slice(2);
const steps = Number(stepsText);
const layers = layersText.split(",").map(Number);
const batchSize = Number(batchText);
const program = loadProgram(
  buildExactMlpProgram({
    layers,
    batchSize,
    optimizer: { kind: "sgd", learningRate: 0.05, momentum: 0.9 },
  }).bytes,
);
const session = await openStepSession(program);
let state = initialState(program.info, "assay step loop");
const batch = {
  features: new Uint8Array(batchSize * layers[0]!).map((_, i) => (i * 7919) % 256),
  labels: new Int32Array(batchSize).map((_, i) => i % layers.at(-1)!),
};
for (let i = 0; i < 50; i++) state = (await session.step(state, batch)).state;
const cpu = process.cpuUsage();
const started = performance.now();
for (let i = 0; i < steps; i++) state = (await session.step(state, batch)).state;
const seconds = (performance.now() - started) / 1000;
const used = process.cpuUsage(cpu);
await session.close();
process.stdout.write(
  `${JSON.stringify({ steps, seconds, cpuSeconds: (used.user + used.system) / 1e6 })}\n`,
);
