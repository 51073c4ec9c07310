import { expect } from "chai";

import {
  MAX_RECOVERABLE_BPS,
  detectionPlotSvg,
  detectionProbability,
  deterrentRatio,
  minimumCollateral,
  samplesForDetection,
} from "../../../src/protocol/economics.ts";

describe("sampling economics (docs/protocol.md §8)", () => {
  it("detection is 1 − (1 − f)^q and grows with q", () => {
    expect(detectionProbability(0.25, 8)).to.be.closeTo(1 - 0.75 ** 8, 1e-12);
    expect(detectionProbability(0.1, 0)).to.equal(0);
    expect(detectionProbability(1, 1)).to.equal(1);
    expect(detectionProbability(0.1, 20)).to.be.greaterThan(detectionProbability(0.1, 10));
  });

  it("the minimum collateral makes the expected gain of cheating non-positive", () => {
    const gain = 100;
    for (const [f, q] of [
      [0.25, 8],
      [0.05, 16],
      [0.5, 2],
    ] as const) {
      const c = minimumCollateral(gain, f, q);
      expect(detectionProbability(f, q) * c).to.be.closeTo(gain, 1e-9);
      expect(detectionProbability(f, q) * (c * 1.01)).to.be.greaterThan(gain);
    }
    expect(minimumCollateral(1, 0.3, 0)).to.equal(Number.POSITIVE_INFINITY);
  });

  it("a self-challenge that wins back r of the collateral raises the collateral needed by 1 / (1 − r)", () => {
    expect(deterrentRatio(0)).to.equal(1);
    expect(deterrentRatio(MAX_RECOVERABLE_BPS)).to.equal(0.9);
    const plain = minimumCollateral(100, 0.25, 8);
    const bounded = minimumCollateral(100, 0.25, 8, MAX_RECOVERABLE_BPS);
    expect(bounded).to.be.closeTo(plain / 0.9, 1e-9);
    // The deterrent that remains, P·C·(1 − r), still covers the gain.
    expect(
      detectionProbability(0.25, 8) * bounded * deterrentRatio(MAX_RECOVERABLE_BPS),
    ).to.be.closeTo(100, 1e-9);
    expect(minimumCollateral(100, 0.25, 8, 10_000)).to.equal(Number.POSITIVE_INFINITY);
    expect(() => deterrentRatio(10_001)).to.throw(RangeError);
    expect(() => deterrentRatio(1.5)).to.throw(RangeError);
  });

  it("samplesForDetection is the smallest q reaching the target", () => {
    const q = samplesForDetection(0.05, 0.99);
    expect(detectionProbability(0.05, q)).to.be.at.least(0.99);
    expect(detectionProbability(0.05, q - 1)).to.be.below(0.99);
    expect(() => samplesForDetection(0, 0.9)).to.throw(RangeError);
  });

  it("the plot has one line per fraction, starting at 0 and rising", () => {
    const svg = detectionPlotSvg([0.1, 0.5], 16);
    expect(svg.match(/<polyline/g)).to.have.length(2);
    expect(svg).to.include("f = 0.5");
  });
});
