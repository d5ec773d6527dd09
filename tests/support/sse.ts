/** Server-sent events in tests, parsed by eventsource-parser (the spec's field and line rules). */
import { EventSourceParserStream } from "eventsource-parser/stream";

export interface SseReader<T> {
  /** The next event's `data` parsed as JSON, or null once the stream ended. Events without data are skipped. */
  next(): Promise<T | null>;
  cancel(): Promise<void>;
}

export function sseEvents<T>(body: ReadableStream<BufferSource>): SseReader<T> {
  const reader = body.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream()).getReader();
  return {
    async next() {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return null;
        if (value.data) return JSON.parse(value.data) as T;
      }
    },
    cancel: () => reader.cancel(),
  };
}
