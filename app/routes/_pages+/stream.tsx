import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { Badge } from "../../components/Badge.js";
import { formatDateTime, formatInteger } from "../../components/display.js";
import { Stat } from "../../components/Stat.js";
import { linkClass } from "../../components/styles.js";
import { TableFrame, TableHead } from "../../components/Table.js";
import { requireRole } from "../../server/authorize.server.js";
import { stateSnapshots } from "../../server/stream-state.server.js";

export const meta: MetaFunction = () => [{ title: "storecast: sales stream" }];

/**
 * The sales stream as a Kafka UI shows it: the topic's partitions with their watermarks, the
 * ingest consumer group's members and what each owns, committed offsets and lag per partition.
 * Read through the stream port (Kafka's admin client, or the in-process topic), cached a few
 * seconds; a broker that is down or slow is a message on a 200 page, never an error page.
 */
export async function loader({ request, context }: LoaderFunctionArgs) {
  requireRole(context, request, "viewer");
  const groupId = context.config.KAFKA_GROUP_ID;
  const stream = context.stream;
  if (!stream) return { kind: null, topic: context.config.KAFKA_TOPIC, groupId, snapshot: null };
  const snapshot = await stateSnapshots(stream).read(groupId);
  return {
    kind: stream.kind,
    topic: stream.topic,
    groupId,
    snapshot: snapshot.ok
      ? { ok: true as const, state: snapshot.state, readAt: new Date(snapshot.readAt).toISOString() }
      : { ok: false as const, error: snapshot.error, readAt: new Date(snapshot.readAt).toISOString() },
  };
}

const GROUP_TONE: Record<string, "green" | "amber" | "grey" | "red"> = {
  Stable: "green",
  PreparingRebalance: "amber",
  CompletingRebalance: "amber",
  Empty: "grey",
  Dead: "red",
};

export default function StreamPage() {
  const { kind, topic, groupId, snapshot } = useLoaderData<typeof loader>();
  const state = snapshot?.ok ? snapshot.state : null;
  const owner = new Map<number, string>();
  for (const m of state?.members ?? []) for (const p of m.partitions) owner.set(p, m.clientId);
  return (
    <div className="space-y-8">
      <section aria-labelledby="stream-heading" className="space-y-2">
        <h1 id="stream-heading" className="text-2xl font-semibold">
          Sales stream
        </h1>
        <p className="max-w-3xl text-slate-600 dark:text-slate-300">
          The topic the sales records arrive on and the consumer group that ingests them:{" "}
          {kind === "kafka"
            ? "read from Kafka's admin client"
            : "the in-process topic of the embedded mode (one process, nothing survives a restart)"}
          . What the records became is on the{" "}
          <Link to="/" className={linkClass}>
            overview
          </Link>{" "}
          and what was refused on{" "}
          <Link to="/rejects" className={linkClass}>
            rejected records
          </Link>
          .
        </p>
      </section>

      {snapshot === null ? (
        <p role="status">This process runs without a sales stream.</p>
      ) : !snapshot.ok ? (
        <div
          role="alert"
          data-testid="stream-error"
          className="rounded-lg border border-red-300 bg-red-50 p-4 text-red-900 dark:border-red-800 dark:bg-red-950 dark:text-red-100"
        >
          <p className="font-medium">The stream's state could not be read.</p>
          <p className="mt-1 text-sm break-words">{snapshot.error}</p>
          <p className="mt-1 text-sm">
            Topic {topic}, consumer group {groupId}. Tried at {formatDateTime(snapshot.readAt)}; the page tries again
            after a few seconds.
          </p>
        </div>
      ) : (
        <>
          <dl className="grid grid-cols-2 gap-4 md:grid-cols-4" data-testid="stream-summary">
            <Stat label="Topic" value={<span className="text-base break-all">{topic}</span>} />
            <Stat
              label="Partitions"
              value={formatInteger(state!.partitions.length)}
              note={state!.topicExists ? undefined : "the topic does not exist yet"}
            />
            <Stat
              label="Consumer group"
              value={<span className="text-base break-all">{groupId}</span>}
              note={
                <Badge tone={GROUP_TONE[state!.groupState] ?? "grey"}>
                  {state!.groupState}, {state!.members.length} member{state!.members.length === 1 ? "" : "s"}
                </Badge>
              }
            />
            <Stat label="Lag (messages)" value={<span data-testid="total-lag">{formatInteger(state!.lag)}</span>} />
          </dl>

          <section aria-labelledby="partitions-heading" className="space-y-3">
            <h2 id="partitions-heading" className="text-lg font-semibold">
              Partitions
            </h2>
            {state!.partitions.length === 0 ? (
              <p className="text-slate-600 dark:text-slate-300">No partition yet: the topic is created on first use.</p>
            ) : (
              <TableFrame>
                <caption className="sr-only">Partitions of {topic} with the group's offsets and lag</caption>
                <TableHead
                  columns={[
                    { label: "Partition", numeric: true },
                    { label: "Oldest offset", numeric: true, showFrom: "sm" },
                    { label: "High watermark", numeric: true },
                    { label: "Committed", numeric: true },
                    { label: "Lag", numeric: true },
                    { label: "Member", showFrom: "md" },
                  ]}
                />
                <tbody data-testid="partition-rows">
                  {state!.partitions.map((p) => (
                    <tr key={p.partition} className="border-t border-slate-100 dark:border-slate-800">
                      <td className="px-3 py-1.5 text-right tabular-nums">{p.partition}</td>
                      <td className="hidden px-3 py-1.5 text-right tabular-nums sm:table-cell">{p.low}</td>
                      <td className="px-3 py-1.5 text-right tabular-nums">{p.high}</td>
                      <td className="px-3 py-1.5 text-right tabular-nums">{p.committed ?? "none"}</td>
                      <td className="px-3 py-1.5 text-right tabular-nums">{formatInteger(p.lag)}</td>
                      <td className="hidden px-3 py-1.5 md:table-cell">{owner.get(p.partition) ?? "unassigned"}</td>
                    </tr>
                  ))}
                </tbody>
              </TableFrame>
            )}
          </section>

          <section aria-labelledby="members-heading" className="space-y-3">
            <h2 id="members-heading" className="text-lg font-semibold">
              Members of {groupId}
            </h2>
            {state!.members.length === 0 ? (
              <p className="text-slate-600 dark:text-slate-300">
                No member: no consumer of this group is running, so nothing is being ingested.
              </p>
            ) : (
              <TableFrame>
                <caption className="sr-only">Members of the consumer group {groupId}</caption>
                <TableHead
                  columns={[
                    { label: "Client id" },
                    { label: "Host" },
                    { label: "Partitions" },
                    { label: "Member id", showFrom: "md" },
                  ]}
                />
                <tbody data-testid="member-rows">
                  {state!.members.map((m) => (
                    <tr key={m.memberId} className="border-t border-slate-100 dark:border-slate-800">
                      <td className="px-3 py-1.5">{m.clientId}</td>
                      <td className="px-3 py-1.5">{m.host}</td>
                      <td className="px-3 py-1.5 tabular-nums">{m.partitions.join(", ") || "none"}</td>
                      <td className="hidden px-3 py-1.5 font-mono text-xs break-all md:table-cell">{m.memberId}</td>
                    </tr>
                  ))}
                </tbody>
              </TableFrame>
            )}
          </section>
          <p className="text-xs text-slate-500 dark:text-slate-400">
            Read at {formatDateTime(snapshot.readAt)}; kept a few seconds, so a reload may show the same figures.
          </p>
        </>
      )}
    </div>
  );
}
