/**
 * The Prefect UI's Deployments page as a person sees it, in Debian's headless Chromium driven by
 * playwright-core (which downloads no browser of its own).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { chromium } from "playwright-core";

export const chromiumPath = "/usr/bin/chromium";

const chromiumArgs = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
  "--no-first-run", "--disable-background-networking", "--disable-component-update",
  "--disable-sync"];

export interface DeploymentRow {
  /** Tags shown in the row without interaction (the UI folds the rest into "+N"). */
  shownTags: string[];
  /** What hovering the "+N" badge reveals, empty when every tag fits. */
  foldedTags: string[];
  /** Text of the row's Schedules cell: empty for a deployment without a schedule. */
  schedules: string;
  status: string;
}

/**
 * Opens `<uiUrl>/deployments`, reads the row of `deploymentName` and saves a screenshot with the
 * folded tags revealed. The selectors are those of the UI shipped with the pinned Prefect.
 */
export async function readDeploymentRow(uiUrl: string, deploymentName: string,
  screenshotFile: string): Promise<DeploymentRow> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "chromium-profile-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath, headless: true, args: chromiumArgs,
    viewport: { width: 1400, height: 600 },
  });
  try {
    const page = await context.newPage();
    await page.goto(`${uiUrl}/deployments`, { waitUntil: "networkidle" });
    const row = page.locator("tr", {
      has: page.locator("a.deployment-list__name", { hasText: deploymentName }),
    });
    await row.waitFor({ timeout: 60_000 });

    const tagsCell = row.locator("td.deployment-list__tags-column");
    const shown = lines(await tagsCell.innerText());
    const shownTags = shown.filter((text) => !/^\+\d+$/.test(text));
    let foldedTags: string[] = [];
    if (shown.some((text) => /^\+\d+$/.test(text))) {
      await tagsCell.getByText(/^\s*\+\d+\s*$/).hover();
      const tooltip = page.getByRole("tooltip").first();
      await tooltip.waitFor({ state: "attached", timeout: 10_000 });
      foldedTags = (await tooltip.innerText()).split(",").map((tag) => tag.trim());
    }
    const schedules = (await row.locator("td.deployment-list__schedules-column").innerText())
      .trim();
    const status = (await row.locator("td.deployment-list__status-column").innerText()).trim();

    fs.mkdirSync(path.dirname(screenshotFile), { recursive: true });
    await page.screenshot({ path: screenshotFile });
    return { shownTags, foldedTags, schedules, status };
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

function lines(text: string): string[] {
  return text.split("\n").map((line) => line.trim()).filter((line) => line !== "");
}
