// The admin's screens: the centre's week (a grid by room or by teacher, clashes marked),
// a lesson's card (cancel, move, its sheet) and the reports (summary + a bar chart drawn
// here from the server's data). Every text from the server goes in as text (dom.js h);
// money, dates and times come formatted from the server.
import { h, clear } from "../dom.js";

const SVG = "http://www.w3.org/2000/svg";

(function loadStyles() {
  if (document.querySelector("link[data-admin-css]")) return;
  document.head.append(
    h("link", { rel: "stylesheet", href: new URL("./admin.css", import.meta.url).href, "data-admin-css": true }),
  );
})();

/** An SVG element; text children go in as text. */
function s(tag, attrs = {}, ...children) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value !== null && value !== undefined) element.setAttribute(name, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

function query(params) {
  return new URLSearchParams(
    Object.entries(params).filter(([, value]) => value !== undefined && value !== null && value !== ""),
  ).toString();
}

function switcher(items, selected, onPick, label) {
  return h("div", { class: "switcher", role: "group", "aria-label": label },
    items.map((item) => h("button", {
      type: "button",
      "data-value": item.value,
      "aria-pressed": String(item.value === selected),
      onclick: () => onPick(item.value),
    }, item.label, item.flag ? h("span", { class: "flag" }, item.flag) : null)));
}

function confirmed(ctx, message) {
  return new Promise((resolve) => {
    if (ctx.tg && typeof ctx.tg.showConfirm === "function") {
      ctx.tg.showConfirm(message, (ok) => resolve(Boolean(ok)));
    } else {
      resolve(window.confirm(message));
    }
  });
}

// --- the centre's week -------------------------------------------------------------------

function pickDay(week, wanted) {
  const dates = week.days.map((day) => day.date);
  if (wanted && dates.includes(wanted)) return wanted;
  if (dates.includes(week.today)) return week.today;
  const busy = week.days.find((day) => day.lessons);
  return busy ? busy.date : dates[0];
}

function lessonButton(ctx, lesson, by) {
  const other = by === "rooms" ? lesson.teacher : lesson.room;
  const classes = ["lesson"];
  if (lesson.cancelled) classes.push("cancelled");
  if (lesson.clashes.length) classes.push("clash");
  return h("button", {
    type: "button",
    class: classes.join(" "),
    "data-lesson": lesson.id,
    "data-clash": lesson.clashes.join(" ") || null,
    onclick: () => ctx.go("lesson", { id: lesson.id }),
  },
  h("div", { class: "name" }, lesson.group),
  h("div", { class: "meta" }, `${lesson.start}–${lesson.end} · ${lesson.course}`),
  other ? h("div", { class: "meta" }, other) : null,
  lesson.cancelled ? h("div", { class: "meta" }, lesson.status_label) : null,
  lesson.clash_texts.map((text) => h("div", { class: "clash-text" }, text)));
}

function weekGrid(ctx, week, day) {
  const lessons = week.lessons.filter((lesson) => lesson.day === day);
  if (!lessons.length) return h("p", { class: "hint" }, ctx.t("week.no_lessons_day"));
  const used = new Set(lessons.map((lesson) => lesson.column));
  const columns = week.columns.filter((column) => used.has(column.key));
  const times = [...new Set(lessons.map((lesson) => lesson.start))].sort();
  return h("div", { class: "scroll" },
    h("table", { class: "grid" },
      h("thead", {}, h("tr", {},
        h("th", { class: "time" }, ctx.t("week.time")),
        columns.map((column) => h("th", { scope: "col" }, column.name)))),
      h("tbody", {}, times.map((time) => h("tr", {},
        h("td", { class: "time" }, time),
        columns.map((column) => h("td", {},
          lessons
            .filter((lesson) => lesson.start === time && lesson.column === column.key)
            .map((lesson) => lessonButton(ctx, lesson, week.by)))))))));
}

async function centreWeek(view, ctx, params) {
  const state = { start: params.start, by: params.by || "rooms", day: params.day };
  let week = null;

  async function load() {
    week = await ctx.api(`/api/admin/week?${query({ start: state.start, by: state.by })}`);
    state.start = week.start;
    state.day = pickDay(week, state.day);
  }

  async function reload(changes) {
    Object.assign(state, changes);
    try {
      await load();
      draw();
    } catch (error) {
      view.append(h("p", { class: "error", role: "alert" }, ctx.errorText(error)));
    }
  }

  function draw() {
    clear(view);
    view.append(
      h("h1", {}, ctx.t("week.title")),
      h("div", { class: "buttons compact" },
        h("button", { type: "button", class: "button secondary", "data-go": "previous",
          onclick: () => reload({ start: week.previous, day: null }) }, ctx.t("week.previous")),
        h("button", { type: "button", class: "button secondary", "data-go": "today",
          onclick: () => reload({ start: week.today, day: week.today }) }, ctx.t("week.this_week")),
        h("button", { type: "button", class: "button secondary", "data-go": "next",
          onclick: () => reload({ start: week.next, day: null }) }, ctx.t("week.next"))),
      switcher(
        [
          { value: "rooms", label: ctx.t("week.by_rooms") },
          { value: "teachers", label: ctx.t("week.by_teachers") },
        ],
        state.by,
        (by) => reload({ by }),
        ctx.t("week.title"),
      ),
      week.clashes
        ? h("p", { class: "warn", role: "status" }, ctx.t("week.clashes", { count: week.clashes }))
        : h("p", { class: "hint", role: "status" }, ctx.t("week.no_clashes")),
      switcher(
        week.days.map((day) => ({
          value: day.date,
          label: day.label,
          flag: day.clashes ? " ⚠" : null,
        })),
        state.day,
        (date) => { state.day = date; draw(); },
        ctx.t("week.title"),
      ),
      weekGrid(ctx, week, state.day),
      h("p", { class: "hint" }, ctx.t("week.zone", { zone: ctx.me.centre.timezone })),
    );
  }

  await load();
  draw();
}

// --- a lesson's card ---------------------------------------------------------------------

async function lessonCard(view, ctx, params) {
  const id = params.id;
  let lesson = await ctx.api(`/api/admin/lessons/${encodeURIComponent(id)}`);
  let notice = null;

  function facts() {
    const row = (key, value) => (value ? [h("dt", {}, ctx.t(key)), h("dd", {}, value)] : []);
    return h("dl", { class: "facts card" },
      row("lesson.group", lesson.group),
      row("lesson.course", lesson.course),
      row("lesson.teacher", lesson.teacher),
      row("lesson.room", lesson.room),
      row("lesson.when", `${lesson.when} · ${ctx.t("lesson.length", { minutes: lesson.minutes })}`),
      row("lesson.status", lesson.status_label),
      row("lesson.marked", ctx.t(lesson.marked ? "lesson.marked_yes" : "lesson.marked_no")));
  }

  async function act(path, body, doneKey) {
    try {
      const result = await ctx.api(path, { method: "POST", body });
      lesson = result.lesson;
      notice = { cls: "status", text: ctx.t(doneKey, { sent: result.sent }) };
    } catch (error) {
      notice = { cls: "error", text: ctx.errorText(error) };
    }
    draw();
  }

  function moveForm() {
    const date = h("input", { type: "date", name: "date", value: lesson.date, required: true });
    const time = h("input", { type: "time", name: "time", value: lesson.time, required: true });
    return h("form", {
      class: "form card",
      onsubmit: (event) => {
        event.preventDefault();
        act(`/api/admin/lessons/${lesson.id}/move`, { date: date.value, time: time.value }, "lesson.moved");
      },
    },
    h("label", {}, ctx.t("lesson.move_date"), date),
    h("label", {}, ctx.t("lesson.move_time"), time),
    h("button", { type: "submit", class: "button" }, ctx.t("lesson.move_save")));
  }

  function draw() {
    clear(view);
    view.append(h("h1", {}, ctx.t("lesson.title")), facts());
    if (notice) view.append(h("p", { class: notice.cls, role: notice.cls === "error" ? "alert" : "status" }, notice.text));
    const buttons = h("div", { class: "buttons" },
      h("button", { type: "button", class: "button secondary", "data-action": "sheet",
        onclick: () => ctx.go("sheet", { lesson: lesson.id }) }, ctx.t("lesson.sheet")));
    if (lesson.changeable) {
      buttons.append(h("button", {
        type: "button",
        class: "button danger",
        "data-action": "cancel",
        onclick: async () => {
          if (await confirmed(ctx, ctx.t("lesson.cancel_confirm"))) {
            act(`/api/admin/lessons/${lesson.id}/cancel`, undefined, "lesson.cancelled");
          }
        },
      }, ctx.t("lesson.cancel")));
    }
    view.append(buttons);
    if (lesson.changeable) {
      view.append(h("h2", {}, ctx.t("lesson.move")), moveForm());
    } else if (lesson.why_not) {
      view.append(h("p", { class: "hint" }, lesson.why_not));
    }
  }

  draw();
}

// --- reports -----------------------------------------------------------------------------

const PALETTE = ["var(--button)", "var(--ok)", "var(--danger)", "var(--warn)", "var(--link)"];

function colourOf(series, index) {
  return series.colour || PALETTE[index % PALETTE.length];
}

function legend(items) {
  return h("div", { class: "legend" }, items.map(([label, colour]) =>
    h("span", {}, h("span", { class: "swatch", style: `background:${colour}` }), label)));
}

function verticalBars(chart) {
  const width = 360, height = 220, left = 8, bottom = 40, top = 18;
  const n = chart.categories.length;
  const series = chart.series;
  const totals = chart.categories.map((_, i) =>
    chart.stacked ? series.reduce((sum, one) => sum + (one.values[i] || 0), 0)
      : Math.max(0, ...series.map((one) => one.values[i] || 0)));
  const max = Math.max(1, ...totals);
  const band = (width - left * 2) / n;
  const plot = height - bottom - top;
  const svg = s("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": chart.title });
  svg.append(s("line", { x1: left, x2: width - left, y1: top + plot, y2: top + plot,
    style: "stroke: var(--line)" }));
  chart.categories.forEach((category, i) => {
    const x0 = left + i * band;
    let stackTop = top + plot;
    const inner = chart.stacked ? band * 0.7 : (band * 0.8) / series.length;
    series.forEach((one, k) => {
      const value = one.values[i] || 0;
      const barHeight = (value / max) * plot;
      const x = chart.stacked ? x0 + band * 0.15 : x0 + band * 0.1 + k * inner;
      const y = chart.stacked ? stackTop - barHeight : top + plot - barHeight;
      if (chart.stacked) stackTop -= barHeight;
      svg.append(s("rect", { x, y, width: Math.max(1, inner - 1), height: barHeight,
        style: `fill: ${colourOf(one, k)}` }, s("title", {}, `${one.label}: ${one.texts[i]}`)));
      if (!chart.stacked && value && n * series.length <= 12) {
        svg.append(s("text", { x: x + inner / 2, y: y - 3, "text-anchor": "middle",
          style: "fill: var(--text); font-size: 9px" }, one.texts[i]));
      }
    });
    svg.append(s("text", { x: x0 + band / 2, y: top + plot + 14, "text-anchor": "middle",
      style: "fill: var(--hint); font-size: 10px" }, category));
  });
  return svg;
}

function horizontalBars(categories, rows, colour) {
  // rows: [{values, texts}] of one measure; one bar per category, its value at the end
  const width = 360, line = 24, label = 110;
  const height = categories.length * line + 8;
  const max = Math.max(1, ...rows.values);
  const svg = s("svg", { viewBox: `0 0 ${width} ${height}`, role: "img" });
  categories.forEach((category, i) => {
    const y = 4 + i * line;
    const length = ((rows.values[i] || 0) / max) * (width - label - 70);
    svg.append(
      s("text", { x: label - 4, y: y + 15, "text-anchor": "end",
        style: "fill: var(--text); font-size: 11px" }, category.length > 16 ? `${category.slice(0, 15)}…` : category),
      s("rect", { x: label, y: y + 3, width: Math.max(1, length), height: line - 8,
        style: `fill: ${colour}` }),
      s("text", { x: label + length + 4, y: y + 15, style: "fill: var(--text); font-size: 11px" },
        rows.texts[i]),
    );
  });
  return svg;
}

function drawChart(ctx, chart) {
  const box = h("figure", { class: "chart card", "data-chart": chart.kind });
  box.append(h("div", { class: "title" }, chart.title));
  if (chart.empty) {
    box.append(h("p", { class: "hint", "data-empty": true }, chart.empty_text || ctx.t("reports.no_data")));
    return box;
  }
  if (chart.kind === "panels") {
    chart.panels.forEach((panel, index) => {
      box.append(h("div", { class: "hint" }, panel.label),
        horizontalBars(chart.categories, panel, PALETTE[index % PALETTE.length]));
    });
    return box;
  }
  if (chart.horizontal) {
    chart.series.forEach((one, index) => {
      box.append(horizontalBars(chart.categories, one, colourOf(one, index)));
    });
  } else {
    box.append(verticalBars(chart));
  }
  box.append(legend(chart.series.map((one, index) => [one.label, colourOf(one, index)])));
  if (chart.axis_label) box.append(h("div", { class: "hint" }, chart.axis_label));
  return box;
}

function summary(lines) {
  return h("div", { class: "summary card" }, lines.map((parts) =>
    h("p", {}, parts.length ? parts.map(([text, bold]) => (bold ? h("strong", {}, text) : text)) : "\u00a0")));
}

async function reportsScreen(view, ctx, params) {
  const menu = await ctx.api("/api/admin/reports");
  const state = {
    key: params.key || menu.reports[0].key,
    from: params.from || menu.from,
    to: params.to || menu.to,
    kind: "c",
    scope: "c",
  };
  const result = h("div", { class: "result", "aria-live": "polite" });
  const choices = {};

  const reportSelect = h("select", { name: "report", onchange: () => { state.key = reportSelect.value; drawForm(); show(); } },
    menu.reports.map((report) => h("option", { value: report.key, selected: report.key === state.key }, report.title)));
  const from = h("input", { type: "date", name: "from", value: state.from });
  const to = h("input", { type: "date", name: "to", value: state.to });
  const kindSelect = h("select", { name: "kind" },
    [["c", "reports.centre"], ["k", "reports.course"], ["g", "reports.group"], ["t", "reports.teacher"]]
      .map(([value, key]) => h("option", { value }, ctx.t(key))));
  const scopeSelect = h("select", { name: "scope", hidden: true });
  const filterBox = h("label", {}, ctx.t("reports.filter"), kindSelect, scopeSelect);
  const unscopedNote = h("p", { class: "hint", hidden: true }, ctx.t("reports.no_filter"));

  async function fillScopes() {
    state.kind = kindSelect.value;
    clear(scopeSelect);
    if (state.kind === "c") {
      scopeSelect.hidden = true;
      state.scope = "c";
      return;
    }
    choices[state.kind] = choices[state.kind] || (await ctx.api(`/api/admin/reports/choices/${state.kind}`)).items;
    for (const item of choices[state.kind]) scopeSelect.append(h("option", { value: item.token }, item.name));
    scopeSelect.hidden = false;
    state.scope = scopeSelect.value || "c";
  }
  kindSelect.addEventListener("change", async () => {
    try { await fillScopes(); } catch (error) { showError(error); return; }
    show();
  });
  scopeSelect.addEventListener("change", () => { state.scope = scopeSelect.value; show(); });

  function scoped() {
    const report = menu.reports.find((item) => item.key === state.key);
    return report ? report.scoped : true;
  }

  function drawForm() {
    const yes = scoped();
    filterBox.hidden = !yes;
    unscopedNote.hidden = yes;
  }

  function showError(error) {
    clear(result);
    result.append(h("p", { class: "error", role: "alert" }, ctx.errorText(error)));
  }

  async function show() {
    state.from = from.value;
    state.to = to.value;
    const scope = scoped() ? state.scope : "c";
    clear(result);
    result.append(h("p", { class: "hint" }, ctx.t("app.loading")));
    try {
      const report = await ctx.api(`/api/admin/reports/${encodeURIComponent(state.key)}?${query({ from: state.from, to: state.to, scope })}`);
      clear(result);
      result.dataset.report = report.key;
      result.dataset.scope = report.scope;
      result.append(summary(report.summary), drawChart(ctx, report.chart));
    } catch (error) {
      showError(error);
    }
  }

  view.append(
    h("h1", {}, ctx.t("reports.title")),
    h("form", { class: "form", onsubmit: (event) => { event.preventDefault(); show(); } },
      h("label", {}, ctx.t("reports.title"), reportSelect),
      h("label", {}, ctx.t("reports.from"), from),
      h("label", {}, ctx.t("reports.to"), to),
      filterBox,
      h("button", { type: "submit", class: "button" }, ctx.t("reports.show"))),
    unscopedNote,
    result,
  );
  drawForm();
  await show();
}

export default {
  centre_week: centreWeek,
  lesson: lessonCard,
  reports: reportsScreen,
};
