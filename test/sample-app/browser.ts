// Headless Chromium (Debian's package) for the tests that look at the dashboard as a person would.
import { strict as assert } from "assert";
import { existsSync } from "fs";
import { Browser, chromium } from "../../sample-app/node_modules/playwright-core";

export const CHROMIUM = "/usr/bin/chromium";

/** Launches Chromium offline (no background traffic, no QUIC); fails naming the package when it is absent. */
export async function launchBrowser(): Promise<Browser> {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is absent (apt-get install -y chromium)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-quic",
      "--no-first-run",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}
