// The Mini App's shell: sign-in header, texts, theme, the menu of screens and navigation.
// Screens live in ./screens/*.js, each a module whose default export maps a screen id
// (as /api/me lists it) to `async (view, ctx, params) => void`.
import { h, clear } from "./dom.js";
import admin from "./screens/admin.js";
import learner from "./screens/learner.js";
import teacher from "./screens/teacher.js";

const SCREEN_MODULES = [
  learner,
  teacher,
  admin,
];

const tg = window.Telegram && window.Telegram.WebApp;
const state = { me: null, strings: {}, renderers: {}, current: null, history: [] };

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message || code);
    this.status = status;
    this.code = code;
  }
}

/** Text `key` in the user's language, `{name}` placeholders filled from `vars`. */
export function t(key, vars = {}) {
  const text = state.strings[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (all, name) => (name in vars ? String(vars[name]) : all));
}

/** A call of the JSON API, signed in with Telegram's initData. */
export async function api(path, { method = "GET", body } = {}) {
  const headers = { Authorization: `tma ${tg ? tg.initData : ""}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    throw new ApiError(0, "offline");
  }
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(response.status, data.error || "server", data.message);
  return data;
}

/** The person's words for an API error. */
export function errorText(error) {
  if (error instanceof ApiError) {
    if (error.message && error.message !== error.code) return error.message;
    const known = ["unauthorized", "forbidden", "not_found", "bad_request", "conflict", "offline"];
    return t(`error.${known.includes(error.code) ? error.code : "server"}`);
  }
  return t("error.server");
}

function applyTheme() {
  const params = (tg && tg.themeParams) || {};
  const root = document.documentElement.style;
  for (const [name, value] of Object.entries(params)) {
    if (typeof value === "string" && /^#[0-9a-f]{3,8}$/i.test(value)) {
      root.setProperty(`--tg-${name.replace(/_/g, "-")}`, value);
    }
  }
  document.documentElement.dataset.theme = (tg && tg.colorScheme) || "light";
}

function renderTabs() {
  const tabs = document.getElementById("tabs");
  clear(tabs);
  const screens = state.me ? state.me.screens : [];
  tabs.hidden = screens.length < 2;
  for (const screen of screens) {
    tabs.append(
      h("button", {
        role: "tab",
        "data-screen": screen.id,
        "aria-selected": String(state.current && state.current.id === screen.id),
        onclick: () => go(screen.id, {}, { fromMenu: true }),
      }, screen.title),
    );
  }
}

function updateBackButton() {
  if (!tg || !tg.BackButton) return;
  if (state.history.length) tg.BackButton.show();
  else tg.BackButton.hide();
}

/** Open screen `id` with `params`; `fromMenu` starts a new history. */
export async function go(id, params = {}, { fromMenu = false, back = false } = {}) {
  if (fromMenu) state.history = [];
  else if (!back && state.current) state.history.push(state.current);
  state.current = { id, params };
  renderTabs();
  updateBackButton();
  const view = document.getElementById("screen");
  clear(view);
  view.dataset.screen = id;
  view.append(h("p", { class: "hint" }, t("app.loading")));
  const render = state.renderers[id];
  try {
    if (!render) throw new ApiError(404, "not_found");
    const content = h("div", { class: "content" });
    await render(content, ctx, params);
    clear(view);
    view.append(content);
  } catch (error) {
    showError(view, error, () => go(id, params, { back: true }));
  }
}

export function back() {
  const previous = state.history.pop();
  if (previous) go(previous.id, previous.params, { back: true });
}

function showError(view, error, retry) {
  clear(view);
  view.append(h("p", { class: "error", role: "alert" }, errorText(error)));
  if (retry && !(error instanceof ApiError && [401, 403, 404].includes(error.status))) {
    view.append(h("button", { class: "button secondary", onclick: retry }, t("app.retry")));
  }
}

async function showPolicy(view, notice) {
  const policy = await api("/api/policy");
  clear(view);
  view.dataset.screen = "policy";
  view.append(
    h("h1", {}, t("consent.title")),
    h("p", { class: "card", role: "note" }, notice),
    h("div", { class: "policy" }, policy.text),
    h("div", { class: "buttons" },
      h("button", { class: "button", onclick: () => tg && tg.close() }, t("app.close"))),
  );
}

const ctx = { api, t, go, back, h, clear, errorText, tg, get me() { return state.me; } };

async function start() {
  if (tg) {
    tg.ready();
    tg.expand && tg.expand();
    tg.onEvent && tg.onEvent("themeChanged", applyTheme);
    tg.BackButton && tg.BackButton.onClick && tg.BackButton.onClick(back);
  }
  applyTheme();
  for (const module of SCREEN_MODULES) Object.assign(state.renderers, module);
  const view = document.getElementById("screen");
  try {
    state.me = await api("/api/me");
  } catch (error) {
    showError(view, error, null);
    return;
  }
  state.strings = state.me.strings;
  document.documentElement.lang = state.me.user.language;
  document.title = t("app.title");
  if (state.me.consent === "required") return showPolicy(view, t("consent.required"));
  if (!state.me.screens.length) {
    clear(view);
    view.append(h("p", { class: "hint" }, t("home.nothing")));
    return;
  }
  if (state.me.consent === "renew") {
    document.body.prepend(h("p", { class: "card", role: "note" }, t("consent.renew")));
  }
  await go(state.me.screens[0].id, {}, { fromMenu: true });
}

start();
