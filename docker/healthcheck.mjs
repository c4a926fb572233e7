// The image's HEALTHCHECK: exits 0 when the worker's health endpoint answers with a 2xx status.
// Node instead of curl because the Prefect base image has no curl and node is already there.
const port = process.env.WORKER_HEALTH_PORT || "8080";
const url = `http://127.0.0.1:${port}/health`;

try {
  const response = await fetch(url, { signal: AbortSignal.timeout(4000) });
  const body = (await response.text()).slice(0, 500);
  console.log(`${url} answered ${response.status}: ${body}`);
  process.exit(response.ok ? 0 : 1);
} catch (error) {
  console.log(`${url} did not answer: ${error.cause?.code ?? error.message}`);
  process.exit(1);
}
