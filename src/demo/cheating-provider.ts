// A cheating provider for the demo and its tests. It trains honestly up to step `fromStep`, then
// feeds the rest of the run batches of its own choosing (here: the job's dataset under another
// seed — as if it had reused batches it had cached, or trained on data it preferred) instead of
// the batches the protocol fixes. Its states are real training states, its losses go down, its
// trace is self-consistent (every leaf, the root and its dissection answers describe the run it
// actually did), and every checkpoint is stored: only re-executing a step with the protocol's
// batch shows the difference. docs/protocol.md §2: the provider does not choose its data order.
// The rule itself lives with the provider daemon's cheats (src/provider/batch-rule.ts).
export { divergentBatches, fabricatedSegments } from "../provider/batch-rule.ts";
