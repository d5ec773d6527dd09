/**
 * What a Kafka UI shows of the sales stream, read with kafkajs' admin client: the topic's partitions
 * with their watermarks, a consumer group's members and partitions, its committed offsets and lag.
 */
import type { Admin } from "kafkajs";
import kafkajs from "kafkajs";
import type { StreamMember, StreamPartitionState, StreamState } from "./port.js";

const { AssignerProtocol } = kafkajs;

/** A partition's lag: from the group's position (its commit, else the oldest retained) to the high watermark. */
function partitionState(
  p: { partition: number; low: string; high: string },
  committedOffset: string | undefined,
): StreamPartitionState {
  const low = BigInt(p.low);
  const high = BigInt(p.high);
  // Kafka answers -1 for a partition the group never committed.
  const c = committedOffset === undefined ? -1n : BigInt(committedOffset);
  const position = c < low ? low : c;
  return {
    partition: p.partition,
    low: p.low,
    high: p.high,
    committed: c < 0n ? null : c.toString(),
    lag: high > position ? Number(high - position) : 0,
  };
}

/** The partitions of `topic` a member's assignment (Kafka's consumer protocol bytes) gives it. */
export function assignedPartitions(assignment: Buffer, topic: string): number[] {
  if (assignment.length === 0) return [];
  try {
    const decoded = AssignerProtocol.MemberAssignment.decode(assignment);
    return [...(decoded?.assignment[topic] ?? [])].sort((a, b) => a - b);
  } catch {
    return [];
  }
}

/** Every partition of `topic` with `groupId`'s committed offset and lag. */
export async function partitionStates(admin: Admin, topic: string, groupId: string): Promise<StreamPartitionState[]> {
  const [topicOffsets, groupOffsets] = await Promise.all([
    admin.fetchTopicOffsets(topic),
    admin.fetchOffsets({ groupId, topics: [topic] }),
  ]);
  const committed = new Map<number, string>();
  for (const p of groupOffsets[0]?.partitions ?? []) committed.set(p.partition, p.offset);
  return topicOffsets
    .map((p) => partitionState(p, committed.get(p.partition)))
    .sort((a, b) => a.partition - b.partition);
}

/** The topic, the group's state and members, and per partition its offsets and lag. */
export async function groupState(admin: Admin, topic: string, groupId: string): Promise<StreamState> {
  const base = { kind: "kafka" as const, topic, groupId };
  const [topics, described] = await Promise.all([admin.listTopics(), admin.describeGroups([groupId])]);
  const group = described.groups.find((g) => g.groupId === groupId);
  const members: StreamMember[] = (group?.members ?? []).map((m) => ({
    memberId: m.memberId,
    clientId: m.clientId,
    host: m.clientHost.replace(/^\//, ""),
    partitions: assignedPartitions(m.memberAssignment, topic),
  }));
  members.sort((a, b) => (a.partitions[0] ?? Infinity) - (b.partitions[0] ?? Infinity));
  const groupState = group?.state ?? "Unknown";
  // Asking for a topic that does not exist would wait on retries: say so instead.
  if (!topics.includes(topic)) return { ...base, topicExists: false, groupState, members, partitions: [], lag: 0 };
  const partitions = await partitionStates(admin, topic, groupId);
  return {
    ...base,
    topicExists: true,
    groupState,
    members,
    partitions,
    lag: partitions.reduce((n, p) => n + p.lag, 0),
  };
}
