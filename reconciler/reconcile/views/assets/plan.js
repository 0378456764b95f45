"use strict";
// plan.html's list: every person and org unit with actions, from the JSON in #plan-data,
// grouped by business unit, then by category; filtered by the controls; drawn a page at a
// time when a unit is opened. Data is only ever set as textContent.
(function () {
  const PAGE = 200; // rows drawn per unit at a time
  const OPEN_ALL = 400; // a filter matching at most this many people opens every unit
  const data = JSON.parse(document.getElementById("plan-data").textContent);
  const people = data.people;
  const units = data.units;
  const memberships = new Set(data.membershipKinds);
  const $ = (id) => document.getElementById(id);
  const controls = {
    search: $("search"), unit: $("unit"), kind: $("kind"), cause: $("cause"),
    employee: $("employee"), ids: $("ids"),
  };
  let haystacks = null; // lower-cased text of each row, made on the first search
  let shown = []; // unit index -> matching row indices

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function option(select, value, text) {
    const node = el("option", "", text);
    node.value = value;
    select.appendChild(node);
  }

  function actionId(row, action) {
    if (action.length > 3) return action[3];
    const kind = data.kinds[action[0]];
    if (memberships.has(action[0])) return kind + ":" + row[1] + ":" + data.orgs[action[2]][0];
    return kind + ":" + row[1];
  }

  function orgName(action) {
    return data.orgs[action[2]][1];
  }

  function haystack(index) {
    if (haystacks === null) {
      haystacks = people.map((row) => {
        const parts = [row[1], row[2], units[row[0]].name, units[row[0]].key];
        for (const action of row[4]) {
          parts.push(actionId(row, action), data.kindLabels[action[0]]);
          parts.push(memberships.has(action[0]) ? orgName(action) : action[2]);
        }
        return parts.join("\n").toLowerCase();
      });
    }
    return haystacks[index];
  }

  function filters() {
    return {
      search: controls.search.value.trim().toLowerCase(),
      unit: controls.unit.value,
      kind: controls.kind.value,
      cause: controls.cause.value,
      employee: controls.employee.value.trim().toLowerCase(),
    };
  }

  function matches(row, index, f) {
    if (f.unit !== "" && String(row[0]) !== f.unit) return false;
    if (f.kind !== "") {
      const [what, value] = [f.kind[0], Number(f.kind.slice(2))];
      if (what === "c" && !(row[3] & (1 << value))) return false;
      if (what === "k" && !row[4].some((a) => a[0] === value)) return false;
    }
    if (f.cause !== "" && !row[4].some((a) => a[1] === Number(f.cause))) return false;
    if (f.employee !== "") {
      const id = row[1].toLowerCase();
      if (!id.startsWith(f.employee) && !row[2].toLowerCase().includes(f.employee)) return false;
    }
    return f.search === "" || haystack(index).includes(f.search);
  }

  function apply() {
    const f = filters();
    shown = units.map(() => []);
    let count = 0;
    let actions = 0;
    people.forEach((row, index) => {
      if (matches(row, index, f)) {
        shown[row[0]].push(index);
        count += 1;
        actions += row[4].length;
      }
    });
    const filtered = Object.values(f).some((v) => v !== "");
    $("status").textContent = (filtered ? "matching: " : "") +
      count.toLocaleString("en") + (count === 1 ? " row, " : " rows, ") +
      actions.toLocaleString("en") + (actions === 1 ? " action" : " actions");
    drawUnits(filtered && count <= OPEN_ALL);
    remember(f);
  }

  function drawUnits(openAll) {
    const main = $("units");
    main.replaceChildren();
    let first = true;
    units.forEach((unit, u) => {
      const rows = shown[u];
      if (rows.length === 0) return;
      const section = el("details", "unit");
      const summary = el("summary");
      summary.appendChild(el("span", "name", unit.name));
      if (unit.key && unit.key !== unit.name) summary.appendChild(el("code", "key", unit.key));
      summary.appendChild(el("span", "tally", unit.tally));
      const n = rows.length;
      summary.appendChild(el("span", "count", n.toLocaleString("en") + (n === 1 ? " row" : " rows")));
      section.appendChild(summary);
      const body = el("div", "body");
      section.appendChild(body);
      let drawn = 0;
      const more = () => {
        drawn = drawRows(body, rows, drawn);
      };
      section.addEventListener("toggle", () => {
        if (section.open && drawn === 0) more();
      });
      section.more = more;
      main.appendChild(section);
      if (openAll || first) section.open = true;
      first = false;
    });
    if (!main.firstChild) main.appendChild(el("p", "empty", "Nothing matches."));
  }

  function drawRows(body, rows, from) {
    const old = body.querySelector("button.more");
    if (old) old.remove();
    let table = body.querySelector("table");
    if (!table) {
      table = el("table", "rows");
      const head = el("tr");
      for (const text of ["name", "id", "changes"]) head.appendChild(el("th", "", text));
      table.appendChild(head);
      body.appendChild(table);
    }
    let category = from > 0 ? categoryOf(people[rows[from - 1]]) : -1;
    const to = Math.min(rows.length, from + PAGE);
    for (let i = from; i < to; i += 1) {
      const row = people[rows[i]];
      const c = categoryOf(row);
      if (c !== category) {
        category = c;
        const tr = el("tr", "category");
        const th = el("th", "", categoryLabel(row, c));
        th.colSpan = 3;
        tr.appendChild(th);
        table.appendChild(tr);
      }
      table.appendChild(drawRow(row));
    }
    if (to < rows.length) {
      const left = rows.length - to;
      const button = el("button", "more", "show " + Math.min(PAGE, left).toLocaleString("en") +
        " more of " + left.toLocaleString("en"));
      button.addEventListener("click", () => body.parentElement.more());
      body.appendChild(button);
    }
    return to;
  }

  // In the org units' section (its key is "") a new unit is "new", a changed one "changed":
  // "joining" and "updated" are words for people.
  function categoryLabel(row, c) {
    const name = data.categories[c];
    if (data.units[row[0]].key !== "") return name;
    return { joining: "new", updated: "changed" }[name] || name;
  }

  function categoryOf(row) {
    for (let c = 0; c < data.categories.length; c += 1) if (row[3] & (1 << c)) return c;
    return data.categories.length - 1;
  }

  function drawRow(row) {
    const tr = el("tr");
    tr.appendChild(el("td", "who", row[2] || "—"));
    tr.appendChild(el("td", "id", row[1]));
    const cell = el("td", "changes");
    const joined = [];
    for (const action of row[4]) {
      if (memberships.has(action[0])) {
        joined.push(action);
        continue;
      }
      const line = el("div", "action");
      line.appendChild(el("span", "said", action[2]));
      decorate(line, row, [action]);
      cell.appendChild(line);
    }
    if (joined.length) {
      const line = el("div", "action");
      line.appendChild(el("span", "verb", "memberships "));
      for (const action of joined) {
        const add = data.kinds[action[0]] === "add_membership";
        line.appendChild(el("span", add ? "add" : "remove", (add ? "+" : "−") + orgName(action)));
        line.appendChild(document.createTextNode(" "));
      }
      decorate(line, row, joined);
      cell.appendChild(line);
    }
    tr.appendChild(cell);
    return tr;
  }

  function decorate(line, row, actions) {
    const causes = new Set(actions.map((a) => a[1]).filter((c) => data.causes[c] !== "hr"));
    for (const c of causes) line.appendChild(el("span", "cause " + data.causes[c], data.causeLabels[c]));
    for (const action of actions) line.appendChild(el("span", "aid", actionId(row, action)));
  }

  function remember(f) {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(f)) if (value !== "") params.set(key, value);
    const hash = params.toString();
    history.replaceState(null, "", hash ? "#" + hash : location.pathname + location.search);
  }

  function restore() {
    const params = new URLSearchParams(location.hash.slice(1));
    for (const key of ["search", "unit", "kind", "cause", "employee"]) {
      if (params.has(key)) controls[key].value = params.get(key);
    }
  }

  function setUp() {
    option(controls.unit, "", "every business unit (" + units.length.toLocaleString("en") + ")");
    units.forEach((unit, u) => option(controls.unit, String(u), unit.name +
      (unit.key && unit.key !== unit.name ? " (" + unit.key + ")" : "")));
    option(controls.kind, "", "every kind");
    data.categories.forEach((c, i) => option(controls.kind, "c:" + i, c));
    data.kinds.forEach((k, i) => option(controls.kind, "k:" + i, "· " + data.kindLabels[i]));
    option(controls.cause, "", "every cause");
    data.causes.forEach((c, i) => option(controls.cause, String(i), data.causeLabels[i]));
    let timer = 0;
    const later = () => {
      clearTimeout(timer);
      timer = setTimeout(apply, 150);
    };
    for (const key of ["search", "employee"]) controls[key].addEventListener("input", later);
    for (const key of ["unit", "kind", "cause"]) controls[key].addEventListener("change", apply);
    controls.ids.addEventListener("change", () => {
      document.body.classList.toggle("show-ids", controls.ids.checked);
    });
    document.addEventListener("keydown", (event) => {
      if (event.key === "/" && document.activeElement.tagName !== "INPUT") {
        event.preventDefault();
        controls.search.focus();
      }
    });
    $("controls").hidden = false;
    restore();
    apply();
    // Milliseconds from navigation to the first draw: the benchmark reads it back.
    document.body.dataset.drawnMs = String(Math.round(performance.now()));
  }

  setUp();
})();
