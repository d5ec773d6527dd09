-- The version of the record that wrote each sales row (docs/decisions/0016): the stream record's
-- Kafka timestamp, then its partition and offset as tie-breakers. The upsert replaces a row only
-- with a newer version, so the newest record wins however records are partitioned or redelivered.
-- NULL (rows written before this migration, and history loads) is the oldest version. Nullable
-- columns without a default: adding them rewrites no row.
-- AlterTable
ALTER TABLE "rossman_sales" ADD COLUMN "source_ts" BIGINT,
ADD COLUMN "source_partition" INTEGER,
ADD COLUMN "source_offset" BIGINT;
