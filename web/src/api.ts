/** The reelstack HTTP API as the app calls it: JSON in and out, the ID token as a bearer token, every
 * error as an `ApiError` with the API's `{code, message}` and `Retry-After` when it says one. */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfterS: number | null = null,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export interface Answer<T> {
  status: number;
  body: T;
  headers: Headers;
}

export class Api {
  constructor(
    private readonly baseUrl: string,
    private readonly token: () => string | null,
    private readonly onUnauthorized: () => void,
  ) {}

  url(path: string): string {
    return `${this.baseUrl}${path}`;
  }

  async call<T>(method: string, path: string, body?: unknown, init: RequestInit = {}): Promise<Answer<T>> {
    const headers = new Headers(init.headers);
    const token = this.token();
    if (token) headers.set("Authorization", `Bearer ${token}`);
    if (body !== undefined) headers.set("Content-Type", "application/json");
    const response = await fetch(this.url(path), {
      ...init,
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = text;
    }
    if (!response.ok) {
      if (response.status === 401) this.onUnauthorized();
      const error = (parsed ?? {}) as { code?: string; message?: string };
      const retry = Number(response.headers.get("Retry-After"));
      throw new ApiError(
        response.status,
        error.code ?? `http_${response.status}`,
        error.message ?? response.statusText,
        Number.isFinite(retry) && response.headers.has("Retry-After") ? retry : null,
      );
    }
    return { status: response.status, body: parsed as T, headers: response.headers };
  }

  async get<T>(path: string, query: Record<string, string | number | null | undefined> = {}): Promise<T> {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(query)) {
      if (value !== null && value !== undefined && value !== "") params.set(name, String(value));
    }
    const search = params.toString();
    return (await this.call<T>("GET", search ? `${path}?${search}` : path)).body;
  }

  async post<T>(path: string, body: unknown = {}, init: RequestInit = {}): Promise<T> {
    return (await this.call<T>("POST", path, body, init)).body;
  }

  async delete<T>(path: string): Promise<T> {
    return (await this.call<T>("DELETE", path)).body;
  }
}

export function describeError(error: unknown): string {
  if (error instanceof ApiError) return `${error.message} (${error.code})`;
  return error instanceof Error ? error.message : String(error);
}
