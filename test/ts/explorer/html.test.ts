// The explorer's rendering helpers: interpolated values are escaped (a value from the chain can
// never become markup), and the detection plot's table gives 1 − (1 − f)^q for the job's q.
import { expect } from "chai";

import { detectionPlot } from "../../../src/explorer/detection-plot.ts";
import { tokens } from "../../../src/explorer/describe.ts";
import { html, raw } from "../../../src/explorer/html.ts";

describe("explorer rendering", function () {
  it("escapes every interpolated value and passes only Html through", function () {
    const hostile = `<script>alert("x")</script> & 'q'`;
    const out = html`<p title="${hostile}">${hostile}${[hostile, 1n]}${raw("<b>ok</b>")}</p>`.text;
    expect(out).to.not.contain("<script>");
    expect(out).to.contain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39;");
    expect(out).to.contain("<b>ok</b>");
    expect(out).to.contain("1<b>ok</b></p>");
    expect(html`${undefined}${null}${false}`.text).to.equal("");
  });

  it("tabulates the detection probability for the job's q", function () {
    const out = detectionPlot(8, "p").text;
    // 1 − 0.9^8 = 0.5695, 1 − 0.5^8 = 0.9961
    expect(out).to.contain("<td>57.0%</td>");
    expect(out).to.contain("<td>99.6%</td>");
    expect(out).to.match(/<title id="p-title">Detection probability for q = 8<\/title>/);
  });

  it("shows token amounts exactly up to 6 decimals, rounded and marked beyond", function () {
    const unit = 10n ** 18n;
    expect(tokens(100n * unit)).to.equal("100");
    expect(tokens(unit / 2n)).to.equal("0.5");
    expect(tokens((4n * unit) / 3n)).to.equal("≈1.333333");
    expect(tokens((2n * unit) / 3n)).to.equal("≈0.666667");
    expect(tokens(1n)).to.equal("≈0 (0.000000000000000001)");
  });
});
