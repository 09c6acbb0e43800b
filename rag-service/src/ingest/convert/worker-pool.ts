import { Worker } from 'node:worker_threads';
import { DocumentLimitError } from '../limits.js';

/** What one task runs under: time and heap are enforced by stopping its thread; memory is optional. */
export interface TaskLimits {
  timeoutMs: number;
  heapMb: number;
  /** How much the process's RSS may grow while the task runs (MB); unchecked when absent. */
  memoryMb?: number;
}

export interface WorkerPoolOptions<Request> {
  /** The worker's module. */
  url: URL;
  /** Node options for the worker: none, so it does not inherit the parent's (tsx, jest's). */
  execArgv: string[];
  /** Passed to the worker as `workerData`. */
  workerData?: unknown;
  /** Tasks run at once: each may use its heap cap, so a burst of documents cannot add up. */
  parallel: number;
  /** What a task does, for messages: "parsing the PDF", "converting the document". */
  doing: string;
  /** Buffers moved to the worker rather than copied. */
  transfer?: (request: Request) => ArrayBuffer[];
}

/** An idle worker is kept this long for the next task (starting one costs ~0.3 s, more under tsx), then ended. */
const IDLE_MS = 30_000;
/** How often the process's memory is checked while a task with a memory limit runs. */
const MEMORY_CHECK_MS = 50;
const MB = 1024 * 1024;

const count = (n: number) => n.toLocaleString('en-US');

type Job<Reply> = { resolve: (reply: Reply) => void; reject: (err: Error) => void };

/** One worker thread that runs tasks one after the other. */
class PoolThread<Request, Reply> {
  private readonly worker: Worker;
  private job?: Job<Reply>;
  private idleTimer?: NodeJS.Timeout;
  exited = false;

  constructor(
    private readonly options: WorkerPoolOptions<Request>,
    readonly heapMb: number,
  ) {
    this.worker = new Worker(options.url, {
      execArgv: options.execArgv,
      workerData: options.workerData,
      resourceLimits: { maxOldGenerationSizeMb: heapMb },
    });
    this.worker.on('message', (reply: Reply) => this.settle((job) => job.resolve(reply)));
    this.worker.on('error', (err: NodeJS.ErrnoException) => {
      const error =
        err.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? this.stopped(`needed more than ${count(heapMb)} MB of heap`)
          : err;
      this.settle((job) => job.reject(error));
    });
    this.worker.on('exit', (code) => {
      this.exited = true;
      clearTimeout(this.idleTimer);
      this.settle((job) =>
        job.reject(new Error(`${options.doing} stopped unexpectedly (exit code ${code})`)),
      );
    });
  }

  stopped(what: string): DocumentLimitError {
    return new DocumentLimitError(`${this.options.doing} ${what}; it was stopped there`);
  }

  private settle(action: (job: Job<Reply>) => void): void {
    const job = this.job;
    this.job = undefined;
    if (job) action(job);
  }

  /** Runs one task within its limits; the pool ends the thread unless the task's reply says it is reusable. */
  run(request: Request, { timeoutMs, memoryMb }: TaskLimits): Promise<Reply> {
    clearTimeout(this.idleTimer);
    this.worker.ref();
    return new Promise<Reply>((resolve, reject) => {
      const fail = (err: Error) => this.settle((job) => job.reject(err));
      const timer = setTimeout(
        () => fail(this.stopped(`took longer than ${count(timeoutMs / 1000)} s`)),
        timeoutMs,
      );
      // RSS counts every thread of the process: a task run beside another may be blamed for its growth too,
      // which only matters at sizes no honest document reaches.
      const baseline = process.memoryUsage.rss();
      const watch =
        memoryMb === undefined
          ? undefined
          : setInterval(() => {
              if (process.memoryUsage.rss() - baseline > memoryMb * MB)
                fail(this.stopped(`grew the service's memory by more than ${count(memoryMb)} MB`));
            }, MEMORY_CHECK_MS);
      const done = () => {
        clearTimeout(timer);
        clearInterval(watch);
      };
      this.job = {
        resolve: (reply) => {
          done();
          resolve(reply);
        },
        reject: (err) => {
          done();
          reject(err);
        },
      };
      this.worker.postMessage(request, this.options.transfer?.(request) ?? []);
    });
  }

  /** Waits, unreferenced, for the next task: an idle thread never keeps the process alive. */
  rest(onExpired: () => void): void {
    this.worker.unref();
    this.idleTimer = setTimeout(onExpired, IDLE_MS).unref();
  }

  async end(): Promise<void> {
    clearTimeout(this.idleTimer);
    await this.worker.terminate();
  }
}

/**
 * Worker threads for CPU-heavy work on one document (parsing a PDF, converting a large page), so it never
 * holds the event loop, under limits of time, heap and memory. A thread that breaks a limit, fails or runs
 * out of time is terminated (its library may be mid-parse); one whose reply is reusable is kept a while.
 */
export class WorkerPool<Request, Reply> {
  private readonly idle: PoolThread<Request, Reply>[] = [];
  private busy = 0;
  private readonly queue: (() => void)[] = [];
  /**
   * Tasks handed to a thread so far: what keeps the event loop free is that the work runs over there, and
   * tests prove it by this count rather than by timing the loop (which a loaded machine slows anyway).
   */
  tasksRun = 0;

  constructor(private readonly options: WorkerPoolOptions<Request>) {}

  async run(request: Request, limits: TaskLimits, reusable: (reply: Reply) => boolean): Promise<Reply> {
    const thread = await this.take(limits.heapMb);
    this.tasksRun++;
    let reply: Reply | undefined;
    try {
      reply = await thread.run(request, limits);
      return reply;
    } finally {
      await this.giveBack(thread, reply !== undefined && reusable(reply));
    }
  }

  private async take(heapMb: number): Promise<PoolThread<Request, Reply>> {
    if (this.busy >= this.options.parallel) await new Promise<void>((resolve) => this.queue.push(resolve));
    this.busy++;
    for (const dead of this.idle.filter((t) => t.exited)) this.idle.splice(this.idle.indexOf(dead), 1);
    const i = this.idle.findIndex((t) => t.heapMb === heapMb);
    if (i >= 0) return this.idle.splice(i, 1)[0]!;
    // Threads with another heap cap (tests use small ones) give way rather than pile up.
    if (this.idle.length + this.busy > this.options.parallel) void this.idle.shift()?.end();
    return new PoolThread(this.options, heapMb);
  }

  private async giveBack(thread: PoolThread<Request, Reply>, reusable: boolean): Promise<void> {
    try {
      if (!reusable || thread.exited) await thread.end();
      else {
        this.idle.push(thread);
        thread.rest(() => {
          const i = this.idle.indexOf(thread);
          if (i >= 0) void this.idle.splice(i, 1)[0]!.end();
        });
      }
    } finally {
      this.busy--;
      this.queue.shift()?.();
    }
  }
}
