/** The app's configuration, read from `/config.json` at start: where the API is and how to sign in.
 * The local cloud answers it (same-origin API, the local issuer's sign-in pages); a deployment writes
 * it next to the app (the API stage's URL, the Cognito hosted UI's endpoints). */

export interface AuthConfig {
  provider: "local" | "cognito";
  authorize_url: string;
  token_url: string;
  logout_url: string;
  client_id: string;
  scope: string;
}

export interface AppConfig {
  stage: string;
  api_url: string;
  auth: AuthConfig;
}

function isAuthConfig(value: unknown): value is AuthConfig {
  if (typeof value !== "object" || value === null) return false;
  const auth = value as Record<string, unknown>;
  return (
    (auth["provider"] === "local" || auth["provider"] === "cognito") &&
    ["authorize_url", "token_url", "logout_url", "client_id", "scope"].every(
      (key) => typeof auth[key] === "string",
    )
  );
}

export async function loadConfig(): Promise<AppConfig> {
  const response = await fetch("/config.json", { cache: "no-cache" });
  if (!response.ok) throw new Error(`/config.json answered ${response.status}`);
  const body: unknown = await response.json();
  const config = body as Record<string, unknown>;
  if (typeof config["api_url"] !== "string" || !isAuthConfig(config["auth"])) {
    throw new Error("/config.json is not {stage, api_url, auth}");
  }
  return {
    stage: typeof config["stage"] === "string" ? config["stage"] : "",
    api_url: new URL(config["api_url"] || "/", window.location.href).href.replace(/\/$/, ""),
    auth: config["auth"],
  };
}
