// Seeded synthetic classification data for fast tests: each class has a random
// prototype in [0, 255]^F and samples are the prototype plus uniform noise, clamped.
// Deterministic in its options.
import { seededRandom } from "../engine/seeded-random.ts";
import type { SampleSet } from "./dataset.ts";

export interface SyntheticOptions {
  seed: string;
  count: number;
  featureCount: number;
  classCount: number;
  /** Half-width of the uniform noise added to the prototype; default 64. */
  noise?: number;
}

export function syntheticSamples(options: SyntheticOptions): SampleSet {
  const { count, featureCount: F, classCount: C } = options;
  const noise = options.noise ?? 64;
  const random = seededRandom(`assay.synthetic/${options.seed}`);
  const prototypes = Uint8Array.from({ length: C * F }, () => random.nextInt(256));
  const features = new Uint8Array(count * F);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const y = random.nextInt(C);
    labels[i] = y;
    for (let p = 0; p < F; p++) {
      const v = prototypes[y * F + p]! + random.nextInt(2 * noise + 1) - noise;
      features[i * F + p] = Math.min(255, Math.max(0, v));
    }
  }
  return { featureCount: F, classCount: C, count, features, labels };
}
