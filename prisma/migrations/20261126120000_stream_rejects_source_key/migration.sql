-- A stream record is identified by where it was read: (topic, partition, offset). Rejects are
-- written with ON CONFLICT DO NOTHING on this index, so a redelivered batch (at-least-once) never
-- records the same bad record twice.
-- CreateIndex
CREATE UNIQUE INDEX "stream_rejects_topic_partition_offset_key" ON "stream_rejects"("topic", "partition", "offset");
