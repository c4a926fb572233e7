// Bundles the entrypoint into one file that runs with nothing but `node`: the worker image copies
// this single file, so every dependency must be inlined.
import { build } from "esbuild";

await build({
  entryPoints: ["entrypoint/main.ts"],
  outfile: "dist/entrypoint.mjs",
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  sourcemap: "inline",
  legalComments: "none",
  // Some bundled CommonJS packages call require() for Node built-ins; ESM output has no require.
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module';" +
      "const require = __createRequire(import.meta.url);",
  },
  logLevel: "info",
});
