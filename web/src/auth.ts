/** Sign-in with the OAuth 2.0 authorization code flow and PKCE (S256): the Cognito hosted UI in AWS,
 * the local issuer's pages on the local cloud; the same code path for both. The ID token (what the API
 * accepts) is kept in localStorage until it expires; then the next request signs in again. */

import type { AuthConfig } from "./config";

const TOKEN_KEY = "reelstack.session";
const PENDING_KEY = "reelstack.signin";
const EXPIRY_MARGIN_MS = 60_000;

export interface Session {
  token: string;
  userId: string; // `sub`: what the API calls a user's id (authors, followers)
  username: string; // what the top bar shows: the email where the token has one (Cognito), else the user name
  groups: string[];
  expiresAt: number;
}

interface Pending {
  verifier: string;
  state: string;
  returnTo: string;
}

function base64Url(bytes: Uint8Array): string {
  let text = "";
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function randomText(bytes: number): string {
  return base64Url(crypto.getRandomValues(new Uint8Array(bytes)));
}

async function challengeOf(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return base64Url(new Uint8Array(digest));
}

function redirectUri(): string {
  return `${window.location.origin}/`;
}

/** The claims of a JWT (not verified here: the API verifies every request). */
function claimsOf(token: string): Record<string, unknown> {
  const payload = token.split(".")[1] ?? "";
  const json = atob(payload.replace(/-/g, "+").replace(/_/g, "/"));
  const bytes = Uint8Array.from(json, (char) => char.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
}

export function sessionFromToken(token: string): Session {
  const claims = claimsOf(token);
  const groups = claims["cognito:groups"];
  return {
    token,
    userId: String(claims["sub"] ?? ""),
    // A pool that signs in by email (the stack's) names its users by a UUID: show the email there.
    username: String(claims["email"] ?? claims["cognito:username"] ?? claims["sub"] ?? ""),
    groups: Array.isArray(groups) ? groups.map(String) : typeof groups === "string" ? groups.split(",") : [],
    expiresAt: Number(claims["exp"] ?? 0) * 1000,
  };
}

/** The signed-in user, or null when there is no unexpired token. */
export function currentSession(): Session | null {
  const token = localStorage.getItem(TOKEN_KEY);
  if (!token) return null;
  try {
    const session = sessionFromToken(token);
    return session.expiresAt - EXPIRY_MARGIN_MS > Date.now() ? session : null;
  } catch {
    return null;
  }
}

/** Go to the sign-in page; come back to `returnTo` (a hash route) afterwards. */
export async function signIn(auth: AuthConfig, returnTo: string = window.location.hash): Promise<never> {
  const pending: Pending = { verifier: randomText(48), state: randomText(16), returnTo };
  sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
  const url = new URL(auth.authorize_url, window.location.href);
  url.search = new URLSearchParams({
    response_type: "code",
    client_id: auth.client_id,
    redirect_uri: redirectUri(),
    scope: auth.scope,
    state: pending.state,
    code_challenge: await challengeOf(pending.verifier),
    code_challenge_method: "S256",
  }).toString();
  window.location.assign(url.href);
  return new Promise<never>(() => undefined); // the page is leaving
}

/** After the sign-in page redirected back with `?code=&state=`: exchange the code for the tokens.
 * Returns the hash route to show, or null when this load is not a sign-in callback. */
export async function completeSignIn(auth: AuthConfig): Promise<string | null> {
  const params = new URLSearchParams(window.location.search);
  const code = params.get("code");
  const error = params.get("error");
  if (!code && !error) return null;
  const pending = JSON.parse(sessionStorage.getItem(PENDING_KEY) ?? "null") as Pending | null;
  sessionStorage.removeItem(PENDING_KEY);
  window.history.replaceState(null, "", `/${pending?.returnTo ?? ""}`);
  if (error) throw new Error(`sign-in refused: ${params.get("error_description") ?? error}`);
  if (!pending || params.get("state") !== pending.state) throw new Error("sign-in answer does not match");
  const response = await fetch(new URL(auth.token_url, window.location.href), {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      code: code ?? "",
      redirect_uri: redirectUri(),
      client_id: auth.client_id,
      code_verifier: pending.verifier,
    }),
  });
  const body = (await response.json()) as { id_token?: string; error_description?: string };
  if (!response.ok || !body.id_token) throw new Error(`sign-in failed: ${body.error_description ?? response.status}`);
  localStorage.setItem(TOKEN_KEY, body.id_token);
  return pending.returnTo || "#/feed";
}

export function signOut(auth: AuthConfig): void {
  localStorage.removeItem(TOKEN_KEY);
  const url = new URL(auth.logout_url, window.location.href);
  url.search = new URLSearchParams({ client_id: auth.client_id, logout_uri: redirectUri() }).toString();
  window.location.assign(url.href);
}
