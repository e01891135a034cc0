/** The API's answers as the app reads them (see `GET /openapi.json` for the whole contract). */

export type VideoStatus = "UPLOADING" | "PROCESSING" | "IN_REVIEW" | "PUBLISHED" | "REJECTED" | "FAILED";

export interface FeedItem {
  video_id: string;
  title: string;
  author: string;
  poster_url: string | null;
  playback_url: string | null;
  duration: number | null;
  like_count: number;
  reason: string;
}

export interface FeedPage {
  items: FeedItem[];
  mode: "personalized" | "offline" | "popular";
  ranked_by: string;
  next_cursor: string | null;
  degraded?: { reasons: string[] };
}

export interface StageRun {
  stage: string;
  started_at: string | null;
  ended_at: string | null;
  outcome: string;
  code?: string;
}

export interface Rendition {
  name: string;
  width: number;
  height: number;
  bitrate: number;
  codec: string;
  codecs: string;
}

export interface Video {
  video_id: string;
  status: VideoStatus;
  title: string;
  tags: string[];
  owner: string;
  duration_s?: number | null;
  size?: number;
  created_at?: string;
  updated_at?: string;
  published_at?: string | null;
  timeline?: StageRun[];
  renditions?: Rendition[];
  playback_url?: string | null;
  poster_url?: string | null;
  failure?: { stage: string; code: string; message: string } | null;
  moderation?: { decision?: string; reasons?: unknown[]; review?: { decision?: string; reason?: string } };
  storage_tier?: string;
  like_count?: number;
  liked_by_me?: boolean;
  play_count?: number;
  comment_count?: number;
  share_count?: number;
}

export interface Page<T> {
  items: T[];
  cursor: string | null;
}

export interface LikeAnswer {
  video_id: string;
  liked: boolean;
  like_count: number;
}

export interface PlayAnswer {
  video_id: string;
  counted: boolean;
  reason: "counted" | "below_threshold" | "duplicate";
}

export interface PlaybackAnswer {
  video_id: string;
  status: "READY" | "RESTORING";
  playback_url?: string;
  quality?: "low";
  retry_after?: number;
}

export interface Profile {
  user_id: string;
  display_name: string;
  bio: string;
  avatar_url: string | null;
  follower_count: number;
  following_count: number;
  video_count: number;
}

export interface FollowAnswer {
  user_id: string;
  following: boolean;
  follower_count: number;
}

export interface Comment {
  comment_id: string;
  video_id: string;
  author_id: string;
  author_name: string;
  text: string;
  created_at: string;
  status: "pending" | "visible" | "held";
  reply_to: string | null;
  reply_count?: number;
}

export interface ShareAnswer {
  video_id: string;
  channel: string;
  token: string;
  url: string;
  share_count: number;
}

export interface SearchHit {
  video_id: string;
  title: string;
  author: string;
  poster_url: string | null;
  playback_url: string | null;
  duration_s: number | null;
  like_count: number;
}

export interface UploadOpened {
  upload_id: string;
  video_id: string;
  size: number;
  chunk_size: number;
  chunk_count: number;
  mode: string;
  expires_at: string;
}

export interface UploadState extends UploadOpened {
  status: string;
  received_parts: number[];
  missing_parts: number[];
}

export interface PresignedPart {
  part_number: number;
  size: number;
  url: string;
  method: "PUT";
  headers: Record<string, string>;
  expires_at: string;
}

export interface ReviewItem {
  video_id: string;
  title: string;
  owner: string;
  waiting_since: string;
  reasons: unknown[];
  flagged_frames: Array<Record<string, unknown>>;
}

/** `GET /ops/executions`: a workflow's newest executions, each state's offsets in seconds from the start. */
export interface ExecutionState {
  name: string;
  entered_s: number;
  exited_s: number | null;
  seconds: number;
  outcome: "succeeded" | "failed" | "caught" | "retried" | "running";
  attempts: number;
  error: string | null;
  cause: string | null;
}

export interface Execution {
  name: string;
  status: "RUNNING" | "SUCCEEDED" | "FAILED" | "TIMED_OUT" | "ABORTED";
  started: string;
  stopped: string | null;
  seconds: number;
  current_state: string | null;
  failed_state: string | null;
  error: string | null;
  cause: string | null;
  states: ExecutionState[];
}

export interface ExecutionPage {
  workflow: string;
  workflows: string[];
  as_of: string;
  items: Execution[];
}

/** `GET /ops/feed-health`: the feed's mode and each degradation switch with its last signal. */
export interface DegradationSwitch {
  level: "realtime_stale" | "search_unhealthy" | "overload" | "ranker_down";
  on: boolean;
  signal: number | null;
  measured_age_s: number | null;
  changed_age_s: number | null;
  enter: number;
  leave: number;
  hold_s: number;
}

export interface FeedHealth {
  mode: "personalized" | "offline" | "popular";
  active: string[];
  switches: DegradationSwitch[];
  as_of: string;
}
