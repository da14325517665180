// The teacher's screens: today's lessons, and a lesson's attendance sheet as a grid.
// A tap on a student cycles the mark in the page (in the order the server sends, that of
// attendance.next_status); Save sends every mark at once. The server decides who may
// mark when, and says why not in the person's language.

async function today(view, ctx) {
  const { h, t } = ctx;
  const data = await ctx.api("/api/teacher/today");
  view.append(h("h1", {}, `${t("week.today")}, ${data.label}`));
  if (!data.lessons.length) {
    view.append(h("p", { class: "hint" }, t("today.none")));
    return;
  }
  for (const lesson of data.lessons) {
    const body = [
      h("div", { class: "row" }, h("b", { class: "time" }, lesson.time), h("span", { class: "hint" }, lesson.status_label)),
      h("div", { class: "what" }, lesson.group.name),
      lesson.room ? h("div", { class: "hint" }, t("today.room", { room: lesson.room })) : null,
    ];
    view.append(lesson.cancelled
      ? h("section", { class: "card lesson cancelled", "data-lesson": lesson.id }, body)
      : h("button", { class: "card lesson open", "data-lesson": lesson.id,
        onclick: () => ctx.go("sheet", { lesson: lesson.id }) }, body));
  }
}

function counts(data, marks) {
  const values = Object.values(marks);
  return data.cycle
    .map((status) => `${data.labels[status].icon} ${values.filter((v) => v === status).length}`)
    .join(" · ");
}

function drawSheet(view, ctx, data, notice) {
  const { h, t, clear } = ctx;
  clear(view);
  const marks = {};
  for (const student of data.students) if (!student.frozen) marks[student.id] = student.mark;
  const lesson = data.lesson;
  const status = h("p", { class: "status", role: "status" });
  const tally = h("p", { class: "counts" });
  const alert = h("p", { class: "error", role: "alert", hidden: true });
  const save = h("button", { class: "button save", disabled: !data.markable || null }, ctx.t("app.save"));
  const saved = () => data.students.every((s) => s.frozen || s.stored === marks[s.id]);
  const refresh = () => {
    tally.textContent = counts(data, marks);
    status.textContent = saved() ? t("sheet.saved") : t("sheet.unsaved");
    status.className = `status ${saved() ? "ok" : "warn"}`;
  };
  view.append(
    h("h1", {}, `${t("sheet.title")} · ${lesson.group.name}`, h("span", { class: "hint" }, ` (${lesson.course})`)),
    h("p", { class: "hint" }, [lesson.when, lesson.room ? t("today.room", { room: lesson.room }) : null]
      .filter(Boolean).join(" · ")),
  );
  if (notice) view.append(h("p", { class: "card ok", role: "note" }, notice));
  if (!data.students.length) {
    view.append(h("p", { class: "hint" }, t("sheet.nobody")));
    return;
  }
  if (data.refusal) view.append(h("p", { class: "card warn refusal", role: "note" }, data.refusal));
  else view.append(h("p", { class: "hint" }, t("sheet.hint")));
  if (data.after_day) view.append(h("p", { class: "card warn", role: "note" }, t("sheet.after_day")));
  if (data.students.some((s) => s.frozen)) view.append(h("p", { class: "hint" }, t("sheet.frozen")));
  const grid = h("div", { class: "sheet-grid", role: "list" });
  for (const student of data.students) {
    const mark = h("span", { class: "mark" });
    const cell = h("button", {
      class: "student", role: "listitem", "data-student": student.id,
      disabled: (!data.markable || student.frozen) || null,
    }, mark, h("span", { class: "name" }, student.name));
    const show = () => {
      if (student.frozen) {
        mark.textContent = `${data.frozen_icon} ${t("sheet.frozen_mark")}`;
        cell.dataset.mark = "frozen";
        return;
      }
      const value = data.markable ? marks[student.id] : student.stored;
      cell.dataset.mark = value || "none";
      mark.textContent = value ? `${data.labels[value].icon} ${data.labels[value].word}` : t("sheet.not_marked");
    };
    cell.addEventListener("click", () => {
      const at = data.cycle.indexOf(marks[student.id]);
      marks[student.id] = data.cycle[(at + 1) % data.cycle.length];
      show();
      refresh();
      ctx.tg && ctx.tg.HapticFeedback && ctx.tg.HapticFeedback.selectionChanged();
    });
    show();
    grid.append(cell);
  }
  view.append(tally, grid);
  if (data.markable) {
    save.addEventListener("click", async () => {
      save.disabled = true;
      alert.hidden = true;
      status.textContent = t("sheet.saving");
      try {
        const result = await ctx.api(`/api/sheet/${lesson.id}`, { method: "POST", body: { marks } });
        drawSheet(view, ctx, result, result.message);
      } catch (error) {
        alert.textContent = ctx.errorText(error);
        alert.hidden = false;
        save.disabled = false;
        refresh();
      }
    });
    view.append(h("div", { class: "buttons sticky" }, save), status, alert);
    refresh();
  } else {
    tally.textContent = counts(data, Object.fromEntries(
      data.students.filter((s) => s.stored).map((s) => [s.id, s.stored])));
  }
}

async function sheet(view, ctx, params) {
  const data = await ctx.api(`/api/sheet/${encodeURIComponent(params.lesson)}`);
  drawSheet(view, ctx, data, null);
}

export default { today, sheet };
