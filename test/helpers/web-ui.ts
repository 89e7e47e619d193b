import { mkdirSync } from "node:fs";
import { readFile } from "node:fs/promises";
import type { Locator, Page } from "playwright-core";
import AxeBuilder from "@axe-core/playwright";

/** Waits until `where` holds `text` (playwright-core has no expect of its own). */
export async function shows(where: Locator, text: string | RegExp): Promise<void> {
  await where.filter({ hasText: text }).first().waitFor();
}

/** Signs in on the login page the app is showing. */
export async function signIn(page: Page, email: string, password: string): Promise<void> {
  await page.waitForURL(/\/login/);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel(/^Password/).fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

/** The input labelled `label` (Mantine also labels a field's dropdown list with it). */
export function input(page: Page, label: string | RegExp): Locator {
  return page.getByLabel(label).and(page.locator("input"));
}

/** The option list of the Select or MultiSelect labelled `label` (Mantine names it by the field's label); present only while open. */
function listOf(page: Page, label: string | RegExp): Locator {
  return page.getByRole("listbox", { name: label });
}

/** Picks `option` in the Mantine Select (a combobox) labelled `label`, and waits for its list to close. */
export async function choose(page: Page, label: string | RegExp, option: string | RegExp): Promise<void> {
  await input(page, label).click();
  // The option in this field's own list (another list may hold one of the same name).
  await listOf(page, label).getByRole("option", { name: option }).first().click();
  await listOf(page, label).waitFor({ state: "detached" });
}

/**
 * Picks `values` in the Mantine MultiSelect labelled `label`, then closes its list.
 * Its text field is an `<input type="hidden">` (not searchable): the visible pills box around it
 * takes the pointer, and a click on that box toggles the list. So: click the box (with every
 * actionability check, so never mid-transition) when the list is closed, pick inside this
 * field's own list, wait for the pill, and close with a click on the box's free right end.
 */
export async function pick(page: Page, label: string | RegExp, ...values: string[]): Promise<void> {
  const box = page.locator(".mantine-MultiSelect-input").filter({ has: input(page, label) });
  const expanded = async () => (await box.getAttribute("data-expanded")) !== null;
  const toggle = async () => {
    const b = (await box.boundingBox())!;
    await box.click({ position: { x: b.width - 12, y: b.height / 2 } });
  };
  for (const v of values) {
    if (!(await expanded())) await toggle();
    await listOf(page, label).getByRole("option", { name: v }).first().click();
    await box.locator(".mantine-MultiSelect-pill").filter({ hasText: v }).first().waitFor();
  }
  if (await expanded()) await toggle();
  await listOf(page, label).waitFor({ state: "detached" });
  await box.and(page.locator(":not([data-expanded])")).waitFor();
}

/** Clicks `button` and returns the text of the file the browser downloads. */
export async function downloaded(page: Page, button: Locator): Promise<string> {
  const [dl] = await Promise.all([page.waitForEvent("download", { timeout: 15_000 }), button.click()]);
  return readFile((await dl.path())!, "utf8");
}

/** axe-core's serious and critical findings on the page as it is now (WCAG 2 A/AA rules). */
export async function accessibilityProblems(page: Page): Promise<string[]> {
  const r = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  return r.violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join(", ")})`);
}

/**
 * Screenshots of the page into test-results/ui/: at 1280×800 light and 390×844 dark; with
 * STAMP_UI_SCREENSHOTS=all, both sizes in both schemes (CI time: each one costs a re-render).
 */
export async function screenshots(page: Page, name: string): Promise<void> {
  mkdirSync("test-results/ui", { recursive: true });
  const all = process.env.STAMP_UI_SCREENSHOTS === "all";
  for (const scheme of ["light", "dark"] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    for (const [w, h] of [[1280, 800], [390, 844]]) {
      if (!all && (w === 1280) !== (scheme === "light")) continue;
      await page.setViewportSize({ width: w, height: h });
      await page.screenshot({ path: `test-results/ui/${name}-${w}-${scheme}.png` });
    }
  }
  await page.emulateMedia({ colorScheme: "light" });
  await page.setViewportSize({ width: 1280, height: 800 });
}
