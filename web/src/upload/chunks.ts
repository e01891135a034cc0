/** How a file is cut into the chunks the API accepts, and each chunk's checksum (the presigned URL binds
 * it, so S3 refuses a chunk damaged on the way). */

export const KiB = 1024;
export const MiB = 1024 * KiB;
const SMALL_FILE = 64 * MiB;
const MAX_CHUNKS = 10_000;

/** 1 MiB chunks (staged, good on weak networks) up to 64 MiB; 8 MiB S3 multipart parts above; always
 * few enough chunks for the API's limit. */
export function chunkSizeFor(size: number): number {
  const preferred = size <= SMALL_FILE ? MiB : 8 * MiB;
  const least = Math.ceil(size / MAX_CHUNKS / MiB) * MiB;
  return Math.max(preferred, least);
}

export function chunkCount(size: number, chunkSize: number): number {
  return Math.max(1, Math.ceil(size / chunkSize));
}

/** Part numbers start at 1. */
export function chunkOf(file: Blob, chunkSize: number, part: number): Blob {
  const start = (part - 1) * chunkSize;
  return file.slice(start, Math.min(file.size, start + chunkSize));
}

export async function sha256Base64(blob: Blob): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", await blob.arrayBuffer()));
  let text = "";
  for (const byte of digest) text += String.fromCharCode(byte);
  return btoa(text);
}
