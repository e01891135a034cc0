/** The uploads this browser has open, kept in localStorage so that a reload (or a closed tab) can
 * resume them: the API says which chunks it already holds (`missing_parts`), and the same file (same
 * name, size and modification time, picked again) sends only the rest. */

const KEY = "reelstack.uploads";
const MAX_KEPT = 10;

export interface PendingUpload {
  upload_id: string;
  video_id: string;
  name: string;
  size: number;
  last_modified: number;
  chunk_size: number;
  chunk_count: number;
  title: string;
  tags: string[];
  expires_at: string;
}

export function pendingUploads(): PendingUpload[] {
  try {
    const stored: unknown = JSON.parse(localStorage.getItem(KEY) ?? "[]");
    return Array.isArray(stored) ? (stored as PendingUpload[]) : [];
  } catch {
    return [];
  }
}

export function remember(upload: PendingUpload): void {
  const others = pendingUploads().filter((kept) => kept.upload_id !== upload.upload_id);
  localStorage.setItem(KEY, JSON.stringify([upload, ...others].slice(0, MAX_KEPT)));
}

export function forget(uploadId: string): void {
  localStorage.setItem(KEY, JSON.stringify(pendingUploads().filter((kept) => kept.upload_id !== uploadId)));
}

export function sameFile(upload: PendingUpload, file: File): boolean {
  return upload.name === file.name && upload.size === file.size && upload.last_modified === file.lastModified;
}
