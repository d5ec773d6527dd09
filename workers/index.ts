import type { Logger } from "pino";
import type { Config } from "../app/platform/config.server.js";
import type { Database } from "../app/platform/db.server.js";

/** Something that runs in the background of the process and must stop cleanly. */
export interface BackgroundService {
  name: string;
  start(): Promise<void>;
  /** Stops taking new work and finishes or hands back what is in flight. */
  stop(): Promise<void>;
}

export interface WorkerContext {
  config: Config;
  db: Database;
  log: Logger;
}

export type ServiceState = "starting" | "running" | "failed";

export interface WorkerPool {
  services: readonly string[];
  /** Resolves once every service started; rejects with the first start failure (the others are stopped). */
  started: Promise<void>;
  /** Each service and where it is, for /readyz. */
  states(): { name: string; state: ServiceState }[];
  stop(): Promise<void>;
}

/**
 * The in-process worker pool. Services (stream consumer, job workers, schedules) start at once and
 * side by side, in the background: the web server does not wait for them (a consumer joining its
 * group can wait out a dead member's session, 30 s). They stop in reverse order of registration,
 * each once its start has settled, so a consumer stops before the database it writes to is closed.
 */
export function launchWorkers(ctx: WorkerContext, services: BackgroundService[] = []): WorkerPool {
  const state = new Map<BackgroundService, ServiceState>(services.map((s) => [s, "starting"]));
  const starts = services.map((service) =>
    service.start().then(
      () => {
        state.set(service, "running");
        ctx.log.info({ service: service.name }, "worker started");
      },
      (err: unknown) => {
        state.set(service, "failed");
        throw err;
      },
    ),
  );
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      for (const [i, service] of [...services.entries()].reverse()) {
        await starts[i]!.catch(() => {});
        if (state.get(service) !== "running") continue;
        try {
          await service.stop();
          ctx.log.info({ service: service.name }, "worker stopped");
        } catch (err) {
          ctx.log.error({ service: service.name, err }, "worker failed to stop cleanly");
        }
      }
    })();
    return stopping;
  };
  const started = Promise.all(starts).then(
    () => {},
    async (err: unknown) => {
      await stop();
      throw err;
    },
  );
  // Observed by the caller through `started`; without this, a failure would also be "unhandled".
  started.catch(() => {});
  return {
    services: services.map((s) => s.name),
    started,
    states: () => services.map((s) => ({ name: s.name, state: state.get(s)! })),
    stop,
  };
}

/** Starts the services and waits for all of them (scripts and tests); a start failure stops the rest and throws. */
export async function startWorkers(ctx: WorkerContext, services: BackgroundService[] = []): Promise<WorkerPool> {
  const pool = launchWorkers(ctx, services);
  await pool.started;
  return pool;
}
