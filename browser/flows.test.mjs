// The main flows of issue 5 in a real browser: Debian's Chromium driven by playwright-core, with
// axe-core checking each main page. Started by tests/browser.rs, which serves a fresh register and
// passes its address in LIUHEN_URL; screenshots go to LIUHEN_SCREENSHOTS.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const AXE = require.resolve("axe-core/axe.min.js");
const BASE = process.env.LIUHEN_URL;
const SHOTS = process.env.LIUHEN_SCREENSHOTS;
const PASSWORD = process.env.LIUHEN_PASSWORD;
const ENROLMENT_CODE = process.env.LIUHEN_ENROLMENT_CODE;
assert.ok(BASE && SHOTS && PASSWORD, "LIUHEN_URL, LIUHEN_SCREENSHOTS and LIUHEN_PASSWORD are set by tests/browser.rs");
mkdirSync(SHOTS, { recursive: true });

const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
  "--disable-component-update", "--disable-sync", "--no-first-run"];
// A phrase of the inquiry's content that the office later searches for.
const PHRASE = "关系地方稳定";

let browser;
before(async () => {
  browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: FLAGS });
});
after(async () => { await browser?.close(); });

/** A logged-in page of its own browser context, in Chinese, at an office PC's screen size. */
async function loggedIn(username, viewport = { width: 1366, height: 768 }) {
  // bypassCSP only so that axe-core can be injected; the pages' own policy is tested over HTTP.
  const context = await browser.newContext({ viewport, locale: "zh-CN", bypassCSP: true });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  // Script errors count; a refused request (the case-number check's 422) is the page at work, a
  // server error is not.
  page.on("console", (m) => { if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) errors.push(m.text()); });
  page.on("response", (r) => { if (r.status() >= 500) errors.push(`${r.status()} ${r.url()}`); });
  await page.goto(BASE + "/login");
  await page.getByLabel("用户名").fill(username);
  await page.getByLabel("密码").fill(PASSWORD);
  await page.getByRole("button", { name: "登录" }).click();
  await page.waitForURL(BASE + "/");
  return { page, context, errors };
}

/** axe-core on the page as it stands: no serious or critical violations. */
async function accessible(page, name) {
  await page.addScriptTag({ path: AXE });
  const result = await page.evaluate(async () => await window.axe.run(document, { resultTypes: ["violations"] }));
  const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  assert.deepEqual(bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join("; ")})`), [],
    `${name}: axe-core finds no serious violations`);
}

async function shot(page, name) {
  await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
}

let recordUrl;

test("a clerk records an oral inquiry with a material, sees the wrong case number beside the field, and prints the receipt", async () => {
  const { page, context, errors } = await loggedIn("clerk");
  await shot(page, "desk");
  await accessible(page, "desk");

  await page.getByRole("link", { name: "录入", exact: true }).click();
  await page.waitForURL(BASE + "/records/new");
  await accessible(page, "entry form");
  await page.getByLabel("案号", { exact: true }).fill("（2026）示0101民初");
  // The check as typed says what is wrong before anything is sent.
  await page.locator("#case_number-check.bad").waitFor();
  await page.getByLabel("所处环节 *").selectOption("trial");
  await page.getByLabel("姓名 *").first().fill("张某");
  await page.getByLabel("单位 *").first().fill("某区人民政府");
  await page.getByLabel("职务 *").first().fill("副区长");
  await page.getByLabel("单位类别 *").selectOption("government");
  await page.getByLabel("领导干部", { exact: true }).check();
  await page.getByLabel("过问人身份 *").selectOption("self");
  await page.getByLabel("干部管理权限（领导干部必填）").selectOption("municipal");
  await page.getByLabel("过问时间（北京时间） *").fill("2026-03-31T23:30");
  await page.getByLabel("过问方式 *").selectOption("in_person");
  assert.equal(await page.locator("#network-fields").isHidden(), true, "network fields hide for an oral form");
  await page.getByLabel("地点", { exact: true }).fill("某区人民政府第二会议室");
  await page.getByLabel("在场人员（每行一人）").fill("张某\n某办公室工作人员");
  await page.getByLabel(/judge_a/).check();
  await page.getByLabel("过问内容 *").fill(`在协调会上要求驳回起诉，称${PHRASE}`);
  await page.locator("input[name=special_items][value='4']").check();
  await shot(page, "entry");
  await page.getByRole("button", { name: "核对后提交" }).click();

  // The server's answer: the form again, the problem beside the field and in the summary.
  const fieldError = page.locator("#case_number-error");
  await fieldError.waitFor();
  assert.match(await fieldError.textContent(), /案号/);
  assert.equal(await page.locator("#case_number").getAttribute("aria-invalid"), "true");
  assert.equal(await page.locator("#error-summary a[href='#case_number']").count(), 1);
  assert.equal(await page.getByLabel("姓名 *").first().inputValue(), "张某", "what was typed stays");
  await shot(page, "entry-error");
  await accessible(page, "entry form with errors");

  await page.getByLabel("案号", { exact: true }).fill("（2026）示0101民初12号");
  await page.locator("#case_number-check.good").waitFor();
  await page.getByRole("button", { name: "核对后提交" }).click();
  await page.getByRole("heading", { name: "核对记录" }).waitFor();
  assert.match(await page.locator("table.fields").textContent(), /关系地方稳定/);
  await shot(page, "review");
  await page.getByRole("button", { name: "确认提交" }).click();
  await page.waitForURL(/\/records\/[0-9a-f-]+\?done=created/);
  recordUrl = page.url().split("?")[0];
  assert.match(await page.locator(".done").textContent(), /已录入/);

  // A material through the upload form (progress shown by entry.js). An "other" material needs
  // its whereabouts: the page says so beside the field, and the second try goes through.
  const minutes = { name: "会议记录.pdf", mimeType: "application/pdf", buffer: Buffer.from("%PDF-1.4 fictional minutes\n") };
  await page.getByLabel("材料类别").selectOption("other");
  await page.getByLabel("文件", { exact: true }).setInputFiles(minutes);
  await page.getByRole("button", { name: "上传材料" }).click();
  await page.locator("#whereabouts-error").waitFor();
  assert.equal(await page.locator("#whereabouts").getAttribute("aria-invalid"), "true");
  await page.getByLabel("材料类别").selectOption("other");
  await page.getByLabel(/^去向/).fill("原件存于审判管理办公室");
  await page.getByLabel("文件", { exact: true }).setInputFiles(minutes);
  await page.getByRole("button", { name: "上传材料" }).click();
  await page.waitForURL(/done=material/);
  assert.match(await page.locator("#materials").textContent(), /会议记录\.pdf/);
  await shot(page, "record");
  await accessible(page, "record");

  // The receipt, as printed.
  await page.getByRole("link", { name: "打印回执" }).click();
  await page.waitForURL(/\/receipt$/);
  assert.equal(await page.locator(".qr svg").count(), 1, "the receipt carries its QR code");
  await page.emulateMedia({ media: "print" });
  await shot(page, "receipt");
  const pdf = await page.pdf({ format: "A4" });
  assert.ok(pdf.length > 1000 && pdf.subarray(0, 4).toString() === "%PDF", "the receipt prints");
  assert.deepEqual(errors, [], "no script errors");
  await context.close();
});

test("a colleague present confirms from the inbox", async () => {
  assert.ok(recordUrl, "the record of the first flow");
  const { page, context, errors } = await loggedIn("judge_a");
  await page.getByRole("link", { name: "待我确认", exact: true }).click();
  await page.waitForURL(BASE + "/cosign");
  await shot(page, "cosign-inbox");
  await accessible(page, "inbox");
  await page.locator(`a[href='${new URL(recordUrl).pathname}']`).click();
  await page.getByRole("heading", { name: "请您确认" }).waitFor();
  await page.getByRole("button", { name: "确认无误" }).click();
  await page.waitForURL(/done=cosigned/);
  assert.match(await page.locator(".status-line").textContent(), /在场人员已确认/);
  assert.deepEqual(errors, []);
  await context.close();
});

test("the office finds the record by a Chinese phrase of its content and exports the view", async () => {
  const { page, context, errors } = await loggedIn("office");
  await page.getByRole("link", { name: "专库", exact: true }).click();
  await page.getByLabel(/^检索/).fill(PHRASE);
  await page.getByRole("button", { name: "查询" }).click();
  await page.waitForURL(/q=/);
  const rows = page.locator("table.records tbody tr");
  assert.equal(await rows.count(), 1, "exactly the record with the phrase");
  assert.match(await rows.first().textContent(), /张某/);
  assert.match(await rows.first().textContent(), /clerk/, "the office sees who recorded it");
  await shot(page, "store");
  await accessible(page, "store");
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: /导出当前结果/ }).click()]);
  const csv = await (await import("node:fs/promises")).readFile(await download.path(), "utf8");
  assert.match(csv, /（2026）示0101民初12号/);
  assert.equal(csv.trim().split("\r\n").length, 2, "header and the one record");
  await page.locator("table.records tbody a").first().click();
  await page.getByRole("heading", { name: /查看留痕/ }).waitFor();
  assert.match(await page.content(), /office/, "the office's own reading is in the list of readers");
  await page.goto(BASE + "/ledger");
  await shot(page, "ledger");
  await accessible(page, "ledger");
  await page.getByRole("link", { name: "季度分析" }).click();
  await page.goto(BASE + "/reports/quarterly?year=2026&quarter=1");
  assert.match(await page.locator("h1").textContent(), /2026年第一季度/);
  assert.match(await page.content(), /示例市甲区党委政法委/, "routed by rule");
  await shot(page, "quarterly");
  await accessible(page, "quarterly analysis");
  await page.getByRole("link", { name: "报告", exact: true }).click();
  await accessible(page, "reports");
  await page.getByLabel("年份").fill("2026");
  await page.getByLabel("季度", { exact: true }).selectOption("1");
  await page.getByLabel(/^分析说明/).fill("本季度记录领导干部过问一件，已依法处理并记录在案。");
  await page.getByRole("button", { name: "起草季度报告" }).click();
  await page.getByText("待院领导审批").waitFor();
  await shot(page, "report-draft");
  await accessible(page, "report draft");
  await page.getByRole("link", { name: "我的账号" }).click();
  await page.getByLabel(/一次性启用码/).fill(ENROLMENT_CODE);
  await page.getByRole("button", { name: "开始设置" }).click();
  await page.locator("#totp-secret").waitFor();
  await shot(page, "account");
  await accessible(page, "account");
  assert.deepEqual(errors, []);
  await context.close();
});

test("on a phone the entry form fits the screen, and the login page is accessible", async () => {
  const { page, context } = await loggedIn("clerk", { width: 390, height: 844 });
  await page.goto(BASE + "/records/new");
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `no sideways scrolling (overflow ${overflow}px)`);
  await shot(page, "entry-phone");
  await context.close();

  const anonymous = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: "zh-CN", bypassCSP: true });
  const login = await anonymous.newPage();
  await login.goto(BASE + "/login");
  await shot(login, "login");
  await accessible(login, "login");
  // Keyboard only: the first Tab lands on the skip link, the next ones on the form.
  await login.keyboard.press("Tab");
  assert.equal(await login.evaluate(() => document.activeElement.className), "skip noprint");
  await anonymous.close();
});

test("the administrator's pages show accounts, never a record", async () => {
  const { page, context, errors } = await loggedIn("admin");
  await page.getByRole("link", { name: "用户", exact: true }).click();
  await page.waitForURL(BASE + "/admin/users");
  await shot(page, "admin-users");
  await accessible(page, "admin users");
  assert.doesNotMatch(await page.content(), new RegExp(PHRASE), "no record content");
  await page.getByRole("link", { name: "judge_b" }).click();
  await page.getByRole("heading", { name: /judge_b/ }).waitFor();
  await accessible(page, "admin user");
  await page.goto(BASE + "/admin/tokens");
  await accessible(page, "admin tokens");
  assert.equal(await page.getByRole("link", { name: "录入", exact: true }).count(), 0, "no entry link for the administrator");
  assert.deepEqual(errors, []);
  await context.close();
});

test("a judge with nothing to record attests a zero report, and the office's list shows who is still missing", async () => {
  const { page, context, errors } = await loggedIn("judge_b");
  await page.getByRole("link", { name: "零报告", exact: true }).click();
  await page.waitForURL(BASE + "/filing");
  await accessible(page, "zero report");
  // This period (the second choice): the accounts are new, so last month owed nothing.
  const period = await page.locator("#period option").nth(1).getAttribute("value");
  await page.getByLabel("期间").selectOption(period);
  await page.getByRole("button", { name: "作出零报告" }).click();
  await page.waitForURL(BASE + "/filing?done=zero");
  await page.getByRole("status").filter({ hasText: "零报告已记录" }).waitFor();
  await shot(page, "zero-report");
  // Twice is refused beside the field.
  await page.getByLabel("期间").selectOption(period);
  await page.getByRole("button", { name: "作出零报告" }).click();
  await page.locator("#error-summary").filter({ hasText: "已就" }).waitFor();
  assert.deepEqual(errors, []);
  await context.close();

  const office = await loggedIn("office");
  await office.page.goto(`${BASE}/filing?period=${period}`);
  const row = (who) => office.page.locator("#filing-table tr").filter({ hasText: `（${who}）` });
  await row("judge_b").filter({ hasText: "已报告" }).waitFor();
  await row("judge_a").filter({ hasText: "未报告" }).waitFor();
  await office.page.getByRole("button", { name: "提醒未报告的人员" }).click();
  await office.page.getByRole("status").filter({ hasText: "已向未报告的人员发出提醒" }).waitFor();
  await row("judge_a").locator("td").nth(4).filter({ hasText: "1" }).waitFor();
  await accessible(office.page, "filing overview");
  await shot(office.page, "filing-overview");
  assert.deepEqual(office.errors, []);
  await office.context.close();
});

test("discipline inspection records a finding: the form names what is missing, the rule proposes, the person appeals", async () => {
  const { page, context, errors } = await loggedIn("inspector");
  await page.getByRole("link", { name: "追责", exact: true }).click();
  await page.waitForURL(BASE + "/findings");
  await accessible(page, "findings");
  await page.getByRole("button", { name: "记录认定" }).click();
  await page.locator("#error-summary").waitFor();
  await page.locator("#facts-error").waitFor();
  await page.getByLabel("被认定人员").selectOption("clerk");
  await page.getByLabel("认定情形").selectOption("not_recorded");
  await page.getByLabel("认定的事实").fill("2026年5月某区人民政府张某来电过问案件，承办人未录入专库");
  // A first finding calls for a warning or a notice of criticism: art. 54 needs a reason.
  await page.getByLabel("处理决定").selectOption("discipline_art54");
  await page.getByRole("button", { name: "记录认定" }).click();
  await page.locator("#decision_reason-error").waitFor();
  await accessible(page, "finding form with errors");
  await shot(page, "finding-form-errors");
  await page.getByLabel("处理决定").selectOption("warning");
  await page.getByRole("button", { name: "记录认定" }).click();
  await page.waitForURL(BASE + "/findings?done=recorded");
  const line = page.locator("#findings-table tbody tr").first();
  await line.filter({ hasText: "警告或通报批评" }).waitFor();
  await shot(page, "findings");
  assert.deepEqual(errors, []);
  await context.close();

  const clerk = await loggedIn("clerk");
  await clerk.page.goto(BASE + "/findings");
  await clerk.page.getByLabel("申诉理由").fill("当天已向庭长口头报告，并非不记录");
  await clerk.page.getByRole("button", { name: "申诉" }).click();
  await clerk.page.waitForURL(BASE + "/findings?done=appealed");
  await clerk.page.locator("#findings-table").filter({ hasText: "申诉中" }).waitFor();
  await accessible(clerk.page, "own findings");
  assert.deepEqual(clerk.errors, []);
  await clerk.context.close();
});

test("a clerk complains of retaliation to the court above, which handles it; the office reads a cadre's history", async () => {
  const { page, context, errors } = await loggedIn("clerk");
  await page.getByRole("link", { name: "零报告", exact: true }).click();
  await page.getByRole("link", { name: /向上一级人民法院控告/ }).click();
  await page.waitForURL(BASE + "/complaints");
  await accessible(page, "complaint form");
  await page.getByLabel(/情况/).fill("如实记录某区领导过问案件后，年度考评被无故评为基本称职");
  await page.getByRole("button", { name: "提出控告" }).click();
  await page.waitForURL(BASE + "/complaints?done=filed");
  await page.getByRole("status").filter({ hasText: "本院领导和其他人员看不到它" }).waitFor();
  await shot(page, "complaint");
  assert.deepEqual(errors, []);
  await context.close();

  const upper = await loggedIn("upper_inspector");
  await upper.page.getByRole("link", { name: "控告", exact: true }).click();
  const card = upper.page.locator("article").filter({ hasText: "clerk" });
  await card.getByLabel("办理").selectOption("reported_to_committee");
  await card.getByLabel("情况").fill("已报告示例省委政法委");
  await card.getByRole("button", { name: "记录" }).click();
  await upper.page.waitForURL(BASE + "/complaints?done=step");
  await upper.page.locator("article").filter({ hasText: "已报告示例省委政法委" }).waitFor();
  await accessible(upper.page, "complaints handled");
  await shot(upper.page, "complaints-handled");
  assert.deepEqual(upper.errors, []);
  await upper.context.close();

  const office = await loggedIn("office");
  await office.page.getByRole("link", { name: "干部档案", exact: true }).click();
  await office.page.waitForURL(BASE + "/cadres");
  await accessible(office.page, "cadres");
  await office.page.locator("#cadres-table a").first().click();
  await office.page.locator("#history-table tbody tr").first().waitFor();
  await accessible(office.page, "cadre history");
  await shot(office.page, "cadre-history");
  assert.deepEqual(office.errors, []);
  await office.context.close();
});

test("the administrator asks for an account that reads contents; the security administrator approves it and hands over the code", async () => {
  const admin = await loggedIn("admin");
  await admin.page.getByRole("link", { name: "用户", exact: true }).click();
  await admin.page.getByLabel("用户名", { exact: true }).fill("office3");
  await admin.page.getByLabel("姓名", { exact: true }).fill("审管办某庚");
  await admin.page.getByLabel("角色", { exact: true }).selectOption("store_maintainer");
  await admin.page.getByLabel(/初始密码/).fill("office3-first-pass");
  await admin.page.getByLabel(/理由/).fill("审管办新进人员");
  await admin.page.getByRole("button", { name: "添加" }).click();
  await admin.page.waitForURL(BASE + "/admin/users?done=requested");
  await admin.page.getByRole("status").filter({ hasText: "已提交安全保密管理员批准" }).waitFor();
  await shot(admin.page, "admin-user-requested");
  assert.deepEqual(admin.errors, []);
  await admin.context.close();

  const security = await loggedIn("security");
  await security.page.getByRole("link", { name: "待批准", exact: true }).click();
  await security.page.waitForURL(BASE + "/security/approvals");
  const row = security.page.locator("tr").filter({ hasText: "office3" });
  await accessible(security.page, "approvals");
  await shot(security.page, "approvals");
  await row.getByLabel("意见").fill("同意");
  await row.getByRole("button", { name: "批准" }).click();
  await security.page.locator("#enrolment-code").waitFor();
  assert.match(await security.page.locator("#enrolment-code").textContent(), /^[A-Z2-7]{4}(-[A-Z2-7]{1,4})+$/);
  await shot(security.page, "approval-code");
  assert.deepEqual(security.errors, []);
  await security.context.close();
});
