// Signs a user in on the cloud role's sign-in page in headless Chromium, as a person would in
// a public client's browser window: opens the authorization URL, types the name and password,
// submits, and prints the URL the browser was sent back to (the client's redirect URI with the
// code), where the client's own loopback listener answers it. Usage: node signin.js <authorization url> <redirect uri prefix> <login> <password>
const { chromium } = require("playwright-core");

function browserPath() {
  for (const p of ["/usr/bin/chromium-headless-shell", "/usr/bin/chromium"]) {
    try { require("fs").accessSync(p); return p; } catch (_) {}
  }
  throw new Error("headless Chromium is not installed (scripts/setup-test-deps)");
}

(async () => {
  const [url, redirect, login, password] = process.argv.slice(2);
  const browser = await chromium.launch({
    executablePath: browserPath(),
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
  try {
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    await page.goto(url);
    await page.fill("#login", login);
    await page.fill("#passwd", password);
    await page.click("#submit");
    // The client's loopback listener answers the browser's arrival there.
    try {
      await page.waitForURL((u) => u.href.startsWith(redirect), { timeout: 15000 });
    } catch (e) {
      console.error(await page.content());
      process.exit(1);
    }
    console.log(page.url());
  } finally {
    await browser.close();
  }
})().catch((e) => { console.error(e); process.exit(1); });
