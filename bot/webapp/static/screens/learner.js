// The student's and the parent's screens: the week's timetable, attendance and grades,
// balance and payments. A parent picks a child (GET /api/children) on each; the server
// re-checks the child on every call. Times and money come formatted from the server.

let childrenCache = null; // the parent's children, read once per opening of the app
let chosen = null; // the child a parent looked at last: the other screens open on them too

async function childrenOf(ctx) {
  if (childrenCache === null) childrenCache = (await ctx.api("/api/children")).children;
  return childrenCache;
}

function query(params) {
  const pairs = Object.entries(params).filter(([, value]) => value !== undefined && value !== null);
  return pairs.length ? `?${new URLSearchParams(pairs).toString()}` : "";
}

/** Loads `path` for the student in `params` and puts the child switcher above it. */
async function load(view, ctx, screen, path, params) {
  const isParent = ctx.me.roles.includes("parent");
  const student = params.student ?? (isParent ? chosen : null);
  const [data, children] = await Promise.all([
    ctx.api(path + query({ student, start: params.start })),
    isParent ? childrenOf(ctx) : Promise.resolve([]),
  ]);
  if (!data.student) {
    view.append(ctx.h("p", { class: "hint" }, ctx.t("learner.no_children")));
    return null;
  }
  if (!data.student.own) chosen = data.student.id;
  if (!data.student.own && children.length > 1) {
    view.append(switcher(ctx, screen, children, data.student.id));
  } else if (!data.student.own) {
    view.append(ctx.h("p", { class: "hint child-name" }, data.student.name));
  }
  return data;
}

function switcher(ctx, screen, children, current) {
  const { h } = ctx;
  return h("div", { class: "chips", role: "group", "aria-label": ctx.t("learner.child") },
    children.map((child) => h("button", {
      class: "chip",
      "data-child": child.id,
      "aria-pressed": String(child.id === current),
      onclick: () => child.id !== current && ctx.go(screen, { student: child.id }),
    }, child.name)));
}

function groupTitle(h, group) {
  return h("h2", {}, group.name, h("span", { class: "hint" }, ` (${group.course})`));
}

async function week(view, ctx, params) {
  const { h, t } = ctx;
  const data = await load(view, ctx, "week", "/api/learner/week", params);
  if (!data) return;
  const move = (start) => ctx.go("week", { student: data.student.id, start });
  view.append(
    h("h1", {}, data.week.label),
    h("div", { class: "buttons" },
      h("button", { class: "button secondary", "data-go": "previous",
        onclick: () => move(data.week.previous) }, t("week.previous")),
      data.week.start === data.week.current ? null
        : h("button", { class: "button secondary", "data-go": "this",
          onclick: () => move(data.week.current) }, t("week.this")),
      h("button", { class: "button secondary", "data-go": "next",
        onclick: () => move(data.week.next) }, t("week.next"))),
  );
  if (!data.days.some((day) => day.lessons.length)) {
    view.append(h("p", { class: "hint" }, t("week.empty")));
  }
  for (const day of data.days) {
    const lessons = day.lessons.map((lesson) => {
      const details = [
        lesson.room ? t("week.room", { room: lesson.room }) : null,
        lesson.teacher ? t("week.teacher", { name: lesson.teacher }) : null,
        lesson.topic,
      ].filter(Boolean).join(" · ");
      return h("li", {
        class: `lesson${lesson.cancelled ? " cancelled" : ""}${lesson.moved ? " moved" : ""}`,
        "data-lesson": lesson.id,
      },
      h("div", { class: "row" },
        h("b", { class: "time" }, lesson.time),
        lesson.cancelled ? h("span", { class: "tag negative" }, `❌ ${t("week.cancelled")}`) : null,
        lesson.moved ? h("span", { class: "tag warn" }, `🔁 ${t("week.moved")}`) : null),
      h("div", { class: "what" }, lesson.group.name, h("span", { class: "hint" }, ` (${lesson.group.course})`)),
      details ? h("div", { class: "hint" }, details) : null);
    });
    view.append(h("section", { class: `card day${day.today ? " today" : ""}`, "data-day": day.date },
      h("h2", {}, day.today ? `${t("week.today")}, ${day.label}` : day.label),
      lessons.length ? h("ul", { class: "lessons" }, lessons) : h("p", { class: "hint" }, t("week.free"))));
  }
}

async function progress(view, ctx, params) {
  const { h, t } = ctx;
  const data = await load(view, ctx, "progress", "/api/learner/progress", params);
  if (!data) return;
  view.append(h("h1", {}, t("progress.attendance")));
  if (!data.attendance.length) view.append(h("p", { class: "hint" }, t("progress.no_attendance")));
  for (const entry of data.attendance) {
    const card = h("section", { class: "card", "data-group": entry.group.id }, groupTitle(h, entry.group));
    if (entry.percent === null) {
      card.append(h("p", { class: "hint" }, t("progress.no_marks")));
    } else {
      card.append(
        h("p", { class: "counts" }, entry.counts.map((c) => `${c.label}: ${c.count}`).join(" · ")),
        h("p", {}, t("progress.attended", { percent: entry.percent, count: entry.marked })),
        h("p", { class: "hint" }, t("progress.recent")),
        h("ul", { class: "plain" }, entry.recent.map((mark) =>
          h("li", { class: "row" }, h("span", {}, mark.when), h("span", {}, mark.label)))),
      );
    }
    view.append(card);
  }
  view.append(h("h1", {}, t("progress.grades")));
  if (!data.grades.length) view.append(h("p", { class: "hint" }, t("progress.no_grades")));
  for (const entry of data.grades) {
    view.append(h("section", { class: "card", "data-group": entry.group.id }, groupTitle(h, entry.group),
      h("ul", { class: "plain" }, entry.grades.map((grade) => h("li", { "data-grade": grade.id },
        h("div", { class: "row" },
          h("span", {}, `${grade.date} · ${grade.kind}`),
          h("b", { class: "score" }, `${grade.score}/${grade.max}`)),
        grade.comment ? h("div", { class: "hint comment" }, grade.comment) : null)))));
  }
}

function moneyList(ctx, title, items, line) {
  const { h } = ctx;
  return h("section", { class: "card" }, h("h2", {}, title), h("ul", { class: "plain" }, items.map(line)));
}

async function money(view, ctx, params) {
  const { h, t } = ctx;
  const data = await load(view, ctx, "money", "/api/learner/money", params);
  if (!data) return;
  view.append(h("section", { class: "card balance" },
    h("p", { class: `big money${data.balance.debt ? " negative" : ""}`, "data-amount": data.balance.amount },
      data.balance.words),
    h("p", { class: "hint" }, data.month_charge.amount
      ? t("money.month_charge", { amount: data.month_charge.text })
      : t("money.no_month_charge"))));
  if (data.payments.length) {
    view.append(moneyList(ctx, t("money.payments"), data.payments, (p) =>
      h("li", { class: `row${p.reversed ? " struck" : ""}`, "data-payment": p.id },
        h("span", {}, h("span", { class: "what" }, `${p.when} · ${p.method}`),
          p.reversed ? h("span", { class: "tag" }, ` · ↩️ ${t("money.reversed")}`) : null),
        h("span", { class: "money" }, p.text))));
  } else {
    view.append(h("p", { class: "hint" }, t("money.no_payments")));
  }
  if (data.refunds.length) {
    view.append(moneyList(ctx, t("money.refunds"), data.refunds, (r) =>
      h("li", { class: "row", "data-refund": r.id },
        h("span", {}, `${r.when} · ${r.method}`), h("span", { class: "money" }, r.text))));
  }
  if (data.charges.length) {
    view.append(moneyList(ctx, t("money.charges"), data.charges, (c) =>
      h("li", { class: `row${c.cancelled ? " struck" : ""}`, "data-charge": c.id },
        h("span", {}, h("span", { class: "what" },
          [c.month, t("money.due", { date: c.due }), c.group].filter(Boolean).join(" · ")),
          c.cancelled ? h("span", { class: "tag" }, ` · ❌ ${t("money.cancelled")}`) : null),
        h("span", { class: "money" }, c.text))));
  }
}

export default { week, progress, money };
