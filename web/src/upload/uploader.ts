/** The chunked upload: open (`POST /uploads`), ask presigned URLs for a batch of chunks with their
 * checksums (`POST /uploads/{id}/parts`), PUT the chunks straight to storage a few at a time, retry a
 * failed chunk with exponential backoff (a fresh URL when storage refused the old one), check with the
 * API which chunks it holds (`GET /uploads/{id}`: `missing_parts`), send those again, and complete
 * (`POST /uploads/{id}/complete`). A resumed upload starts from `missing_parts`. */

import { ApiError, type Api } from "../api";
import { sleep } from "../dom";
import type { PresignedPart, UploadOpened, UploadState } from "../types";
import { chunkCount, chunkOf, sha256Base64 } from "./chunks";
import { forget, remember, type PendingUpload } from "./resume-store";

export interface UploadOptions {
  parallel: number;
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  onProgress(progress: Progress): void;
  signal?: AbortSignal;
}

export interface Progress {
  phase: "opening" | "uploading" | "checking" | "completing" | "done";
  sentBytes: number;
  totalBytes: number;
  doneParts: number;
  totalParts: number;
  retries: number;
  message?: string;
}

export const DEFAULTS: Omit<UploadOptions, "onProgress"> = {
  parallel: 3,
  maxAttempts: 6,
  baseDelayMs: 500,
  maxDelayMs: 15_000,
};
const PRESIGN_BATCH = 24;
const CHECK_ROUNDS = 3;

class PutFailed extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Exponential backoff with full jitter: 0.5-1x of base * 2^attempt, at most `max`. */
export function backoffMs(attempt: number, base: number, max: number, random: () => number = Math.random): number {
  const ceiling = Math.min(max, base * 2 ** attempt);
  return Math.round(ceiling * (0.5 + random() / 2));
}

function put(part: PresignedPart, body: Blob, onBytes: (sent: number) => void, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open(part.method, part.url);
    for (const [name, value] of Object.entries(part.headers)) {
      if (name.toLowerCase() !== "content-length") request.setRequestHeader(name, value); // the browser sets it
    }
    request.upload.onprogress = (event) => onBytes(event.loaded);
    request.onload = () =>
      request.status >= 200 && request.status < 300
        ? resolve()
        : reject(new PutFailed(request.status, `storage answered ${request.status}`));
    request.onerror = () => reject(new PutFailed(0, "network error"));
    request.ontimeout = () => reject(new PutFailed(0, "timed out"));
    request.onabort = () => reject(signal?.reason ?? new DOMException("aborted", "AbortError"));
    signal?.addEventListener("abort", () => request.abort(), { once: true });
    request.send(body);
  });
}

export class Uploader {
  private readonly options: UploadOptions;
  private progress: Progress;
  private readonly inFlight = new Map<number, number>();

  constructor(
    private readonly api: Api,
    private readonly file: File,
    options: Partial<UploadOptions> & Pick<UploadOptions, "onProgress">,
  ) {
    this.options = { ...DEFAULTS, ...options };
    this.progress = { phase: "opening", sentBytes: 0, totalBytes: file.size, doneParts: 0, totalParts: 0, retries: 0 };
  }

  /** A new upload of the file: the video id once the API accepted it. */
  async start(title: string, tags: string[], chunkSize: number): Promise<string> {
    this.report({ phase: "opening" });
    const opened = await this.withApiRetry(() =>
      this.api.post<UploadOpened>("/uploads", {
        filename: this.file.name,
        size: this.file.size,
        content_type: this.file.type || "video/mp4",
        chunk_size: chunkSize,
        title: title || null,
        tags,
      }),
    );
    const pending: PendingUpload = {
      upload_id: opened.upload_id,
      video_id: opened.video_id,
      name: this.file.name,
      size: this.file.size,
      last_modified: this.file.lastModified,
      chunk_size: opened.chunk_size,
      chunk_count: opened.chunk_count,
      title,
      tags,
      expires_at: opened.expires_at,
    };
    remember(pending);
    const all = Array.from({ length: opened.chunk_count }, (_, i) => i + 1);
    return this.finish(pending, all);
  }

  /** An upload opened before (this page or an earlier one): only the chunks the API lacks are sent. */
  async resume(pending: PendingUpload): Promise<string> {
    this.report({ phase: "checking", message: "asking which chunks are already in" });
    const state = await this.state(pending.upload_id);
    if (state.status !== "OPEN") {
      forget(pending.upload_id);
      if (state.status === "MERGING" || state.status === "COMPLETED") return state.video_id;
      throw new Error(`the upload is ${state.status.toLowerCase()}: start it again`);
    }
    return this.finish(pending, state.missing_parts);
  }

  private async finish(pending: PendingUpload, missing: number[]): Promise<string> {
    const total = chunkCount(pending.size, pending.chunk_size);
    const missingBytes = missing.reduce((sum, part) => sum + chunkOf(this.file, pending.chunk_size, part).size, 0);
    this.report({ phase: "uploading", totalParts: total, doneParts: total - missing.length, sentBytes: this.file.size - missingBytes });
    let todo = missing;
    for (let round = 0; round < CHECK_ROUNDS && todo.length > 0; round += 1) {
      await this.sendAll(pending, todo);
      this.report({ phase: "checking", message: "checking every chunk arrived" });
      todo = (await this.state(pending.upload_id)).missing_parts;
    }
    if (todo.length > 0) throw new Error(`chunks ${todo.join(", ")} did not arrive`);
    this.report({ phase: "completing" });
    const done = await this.withApiRetry(() =>
      this.api.post<{ video_id: string }>(`/uploads/${encodeURIComponent(pending.upload_id)}/complete`),
    );
    forget(pending.upload_id);
    this.report({ phase: "done", doneParts: total, sentBytes: this.file.size });
    return done.video_id;
  }

  private async sendAll(pending: PendingUpload, parts: number[]): Promise<void> {
    for (let at = 0; at < parts.length; at += PRESIGN_BATCH) {
      const batch = parts.slice(at, at + PRESIGN_BATCH);
      const urls = await this.presign(pending, batch);
      const queue = [...batch];
      const worker = async (): Promise<void> => {
        for (let part = queue.shift(); part !== undefined; part = queue.shift()) {
          await this.sendPart(pending, part, urls);
        }
      };
      await Promise.all(Array.from({ length: Math.min(this.options.parallel, batch.length) }, worker));
    }
  }

  private async presign(pending: PendingUpload, parts: number[]): Promise<Map<number, PresignedPart>> {
    const checksums: Record<string, string> = {};
    for (const part of parts) checksums[String(part)] = await sha256Base64(chunkOf(this.file, pending.chunk_size, part));
    const answer = await this.withApiRetry(() =>
      this.api.post<{ parts: PresignedPart[] }>(`/uploads/${encodeURIComponent(pending.upload_id)}/parts`, {
        part_numbers: parts,
        checksums,
      }),
    );
    return new Map(answer.parts.map((part) => [part.part_number, part]));
  }

  private async sendPart(pending: PendingUpload, part: number, urls: Map<number, PresignedPart>): Promise<void> {
    const body = chunkOf(this.file, pending.chunk_size, part);
    for (let attempt = 0; ; attempt += 1) {
      this.options.signal?.throwIfAborted();
      let url = urls.get(part);
      if (!url) {
        url = (await this.presign(pending, [part])).get(part);
        if (!url) throw new Error(`no URL for chunk ${part}`);
        urls.set(part, url);
      }
      try {
        await put(url, body, (sent) => this.bytes(part, sent), this.options.signal);
        this.inFlight.delete(part);
        this.report({ sentBytes: this.progress.sentBytes + body.size, doneParts: this.progress.doneParts + 1 });
        return;
      } catch (error) {
        this.inFlight.delete(part);
        this.bytes(part, 0);
        if (!(error instanceof PutFailed) || attempt + 1 >= this.options.maxAttempts) throw error;
        // 400/403: a checksum or signature storage refused (or an expired URL): ask for a fresh one.
        if (error.status === 400 || error.status === 403) urls.delete(part);
        const delay = backoffMs(attempt, this.options.baseDelayMs, this.options.maxDelayMs);
        this.report({ retries: this.progress.retries + 1, message: `chunk ${part}: ${error.message}, retrying in ${(delay / 1000).toFixed(1)} s` });
        await sleep(delay, this.options.signal);
      }
    }
  }

  private state(uploadId: string): Promise<UploadState> {
    return this.withApiRetry(() => this.api.get<UploadState>(`/uploads/${encodeURIComponent(uploadId)}`));
  }

  /** An API call again after a 429 (its Retry-After), a 5xx or a network error, with backoff. */
  private async withApiRetry<T>(call: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt += 1) {
      this.options.signal?.throwIfAborted();
      try {
        return await call();
      } catch (error) {
        const retryable = !(error instanceof ApiError) || error.status === 429 || error.status >= 500;
        if (!retryable || attempt + 1 >= this.options.maxAttempts) throw error;
        const wait =
          error instanceof ApiError && error.retryAfterS !== null
            ? error.retryAfterS * 1000
            : backoffMs(attempt, this.options.baseDelayMs, this.options.maxDelayMs);
        this.report({ retries: this.progress.retries + 1 });
        await sleep(wait, this.options.signal);
      }
    }
  }

  private bytes(part: number, sent: number): void {
    this.inFlight.set(part, sent);
    this.report({});
  }

  private report(change: Partial<Progress>): void {
    const { message: _old, ...kept } = this.progress;
    this.progress = { ...kept, ...change };
    let partial = 0;
    for (const sent of this.inFlight.values()) partial += sent;
    this.options.onProgress({ ...this.progress, sentBytes: Math.min(this.file.size, this.progress.sentBytes + partial) });
  }
}
