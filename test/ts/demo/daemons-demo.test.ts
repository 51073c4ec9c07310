import { describeTinyDemo } from "../helpers/tiny-demo.ts";

describeTinyDemo("the demo on the real daemons (tiny size)");
