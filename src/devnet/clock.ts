// The devnet's clock: chain time runs `speed`× faster than wall time, and a block is mined on
// every tick. Daemons never mine; they wait for blocks (the randomness beacon needs blocks after a
// submission) and for timestamps (challenge windows, dispute clocks), so without this a devnet would
// sit still between transactions and a demo would take as long as the deployment's real windows.
//
// Each tick asks the node to add (speed − 1) × elapsed wall seconds to its time offset and mines
// one block: the node's own clock supplies the other 1×. evm_increaseTime takes whole seconds, so
// the fraction is carried to the next tick. Automining stays on: a daemon's transaction landing
// between our two calls is mined at once with the time already advanced, which is what it would
// see on a real chain whose clock is ahead.

/** Sends one JSON-RPC request (an EIP-1193 provider's `request`). */
export type RpcRequest = (args: { method: string; params?: unknown[] }) => Promise<unknown>;

export interface DevnetClockOptions {
  /** Chain seconds per wall second; 1 keeps real time (blocks are still mined). */
  speed?: number;
  /** Wall milliseconds between mined blocks. */
  tickMs?: number;
  /** Called with failures of a tick (the clock keeps ticking); default: ignored. */
  onError?: (error: unknown) => void;
  /** Wall time source, for tests. */
  now?: () => number;
}

export class DevnetClock {
  readonly speed: number;
  readonly tickMs: number;
  private readonly request: RpcRequest;
  private readonly onError: (error: unknown) => void;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  /** Every RPC the clock sends goes through this chain, so ticks and advance() never overlap. */
  private queue: Promise<void> = Promise.resolve();
  private lastTick: number;
  /** Fraction of a second owed to the chain, carried between ticks. */
  private carry = 0;
  private stopped = false;
  /** A tick is queued or waiting for the node. */
  private pending = false;
  private ticks = 0;

  constructor(request: RpcRequest, options: DevnetClockOptions = {}) {
    const speed = options.speed ?? 20;
    const tickMs = options.tickMs ?? 250;
    if (!Number.isFinite(speed) || speed < 1) {
      throw new RangeError(`clock speed must be a number >= 1, got ${speed}`);
    }
    if (!Number.isInteger(tickMs) || tickMs < 10) {
      throw new RangeError(`tickMs must be an integer >= 10, got ${tickMs}`);
    }
    this.request = request;
    this.speed = speed;
    this.tickMs = tickMs;
    this.onError = options.onError ?? (() => undefined);
    this.now = options.now ?? Date.now;
    this.lastTick = this.now();
  }

  /** Whether the clock is ticking (started, not paused, not stopped). */
  get running(): boolean {
    return this.timer !== undefined;
  }

  /** Blocks the clock has mined (ticks and advance() calls). */
  get mined(): number {
    return this.ticks;
  }

  /** Starts ticking; idempotent. Wall time spent paused is not made up for. */
  start(): void {
    if (this.stopped) throw new Error("the devnet clock was stopped");
    if (this.timer !== undefined) return;
    this.lastTick = this.now();
    this.timer = setInterval(() => {
      // A tick still waiting for the node is not doubled up; the next one makes up the time.
      if (this.pending) return;
      this.pending = true;
      this.tick()
        .catch(this.onError)
        .finally(() => {
          this.pending = false;
        });
    }, this.tickMs);
    // The clock never keeps a process alive on its own.
    this.timer.unref();
  }

  /**
   * Stops ticking until resume(); chain time then runs at wall speed and no blocks are mined.
   * Resolves once a tick in progress has finished.
   */
  pause(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    return this.queue;
  }

  resume(): void {
    this.start();
  }

  /**
   * Moves chain time forward by `seconds` now and mines a block with the new time, e.g. to pass a
   * deadline in a test. Runs after any tick in progress.
   */
  async advance(seconds: number): Promise<void> {
    if (!Number.isInteger(seconds) || seconds < 0) {
      throw new RangeError(`advance() takes whole non-negative seconds, got ${seconds}`);
    }
    await this.enqueue(async () => {
      if (seconds > 0) await this.request({ method: "evm_increaseTime", params: [seconds] });
      await this.request({ method: "evm_mine", params: [] });
      this.ticks += 1;
    });
  }

  /** Stops ticking for good and waits for a tick in progress to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.pause();
  }

  /**
   * One tick now: adds (speed − 1) × the wall time since the last tick to chain time and mines a
   * block. The timer calls it; tests may too (with the timer paused).
   */
  tick(): Promise<void> {
    return this.enqueue(() => this.mineTick());
  }

  private async mineTick(): Promise<void> {
    const now = this.now();
    const elapsedSeconds = Math.max(0, now - this.lastTick) / 1000;
    this.lastTick = now;
    this.carry += (this.speed - 1) * elapsedSeconds;
    const whole = Math.floor(this.carry);
    if (whole > 0) {
      await this.request({ method: "evm_increaseTime", params: [whole] });
      this.carry -= whole;
    }
    await this.request({ method: "evm_mine", params: [] });
    this.ticks += 1;
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    const run = this.queue.then(step);
    // The chain continues after a failed step; the caller sees the failure.
    this.queue = run.catch(() => undefined);
    return run;
  }
}
