// YASGUI over the local endpoint, with no call to any other host; results that link to this
// server's pages and show literals readably; a chart view; permalinks; the model beside the
// editor; a query history kept in this browser.
(function () {
  "use strict";
  const json = (id) => JSON.parse(document.getElementById(id).textContent);
  const root = document.getElementById("yasgui");
  const endpoint = new URL(root.dataset.endpoint, document.baseURI).href;
  const prefixes = json("prefixes");
  const examples = json("example-texts");
  const graphs = json("example-graphs");
  const local = json("local-links");
  const T = json("editor-texts");
  const permalinkQuery = json("permalink-query");
  const locale = document.documentElement.lang || "en";
  const XSD = "http://www.w3.org/2001/XMLSchema#";
  const NUMERIC = new Set(["integer", "decimal", "double", "float", "long", "int", "short",
    "byte", "nonNegativeInteger", "positiveInteger", "negativeInteger", "nonPositiveInteger",
    "unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte"].map((t) => XSD + t));
  const header = Object.entries(prefixes).map(([p, iri]) => `PREFIX ${p}: <${iri}>`).join("\n");
  const start = `${header}\n\nSELECT ?patent ?title WHERE {\n  ?patent a hvp:InventionPatent ;` +
    `\n          dcterms:title ?title .\n} LIMIT 20\n`;

  // ---- results: links to this server, literals readable --------------------------------
  const escape = (text) => String(text).replace(/[&<>"']/g, (c) => (
    { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  // The path this server serves an IRI at (web.links.to_path), or null.
  const localPath = (iri) => {
    if (Object.prototype.hasOwnProperty.call(local.exact, iri)) return local.exact[iri];
    for (const [ns, path] of local.under) {
      if (iri.startsWith(ns) && iri.length > ns.length) return path + iri.slice(ns.length);
    }
    return null;
  };
  // hvp:grantDate, patent/CN-T01 (this server's path) or the IRI itself (web.links.short_iri)
  const shortIri = (iri, known) => {
    let best = null;
    for (const [p, ns] of Object.entries(Object.assign({}, prefixes, known || {}))) {
      if (ns && iri.startsWith(ns) && (!best || ns.length > best[1].length)) best = [p, ns];
    }
    const path = localPath(iri);
    if (path && !path.startsWith("/def")) return path.slice(1);
    return best ? `${best[0]}:${iri.slice(best[1].length)}` : iri;
  };
  const numberFormat = new Intl.NumberFormat(locale, { maximumFractionDigits: 6 });
  // A literal's value as a reader wants it: numbers grouped by locale, others as they are.
  const literalText = (b) => {
    if (b.datatype && NUMERIC.has(b.datatype) && b.value.trim() !== "" &&
        Number.isFinite(Number(b.value))) {
      return numberFormat.format(Number(b.value));
    }
    return b.value;
  };
  const cell = (b, known) => {
    if (b.type === "uri" && !localPath(b.value) && !/^https?:\/\//i.test(b.value)) {  // urn:...
      return `<div><span class="nonIri">${escape(shortIri(b.value, known))}</span></div>`;
    }
    if (b.type === "uri") {
      const path = localPath(b.value);
      const cls = path ? "iri local" : "iri";
      return `<div><span><a class="${cls}" href="${escape(path || b.value)}" ` +
        `title="${escape(b.value)}">${escape(shortIri(b.value, known))}</a></span></div>`;
    }
    if (b.type === "bnode") return `<div><span class="nonIri">_:${escape(b.value)}</span></div>`;
    let badge = "";
    if (b["xml:lang"]) {
      badge = `<span class="badge lang" title="@${escape(b["xml:lang"])}">` +
        `${escape(b["xml:lang"])}</span>`;
    } else if (b.datatype && b.datatype !== XSD + "string") {
      badge = `<span class="badge type" title="${escape(b.datatype)}">` +
        `${escape(shortIri(b.datatype, known))}</span>`;
    }
    return `<div><span class="nonIri literal" title="${escape(b.value)}">` +
      `${escape(literalText(b))}</span>${badge}</div>`;
  };
  Yasgui.Yasr.plugins.table.prototype.getCellContent = function (binding, known) {
    return cell(binding, known);
  };
  // Numbers sort as numbers (YASR sorts every cell by its text: "10" before "9")
  const columns = Yasgui.Yasr.plugins.table.prototype.getColumns;
  Yasgui.Yasr.plugins.table.prototype.getColumns = function () {
    return columns.call(this).map((c, i) => (i === 0 ? c : Object.assign({}, c, {
      render: (b, type, row, meta) => ((type === "sort" || type === "type") && b && b.datatype &&
        NUMERIC.has(b.datatype) && Number.isFinite(Number(b.value)) ? Number(b.value)
        : c.render(b, type, row, meta)),
    })));
  };
  // YASR's views and the table's pager in the page's language
  const named = (Plugin, label) => class extends Plugin {
    constructor(yasr) { super(yasr); this.label = label; }
  };
  const Table = Yasgui.Yasr.plugins.table;
  Table.defaults.tableConfig.language = Object.assign({}, Table.defaults.tableConfig.language,
    T.dataTables);
  Yasgui.Yasr.registerPlugin("table", named(Table, T.table));
  Yasgui.Yasr.registerPlugin("response", named(Yasgui.Yasr.plugins.response, T.response));

  // ---- the chart view ----------------------------------------------------------------
  const MOST_BARS = 500;
  const isNumber = (b) => b && b.type !== "uri" && b.type !== "bnode" && b.value.trim() !== "" &&
    Number.isFinite(Number(b.value));
  const svgIcon = () => {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 16 16");
    svg.setAttribute("aria-hidden", "true");
    [[1, 9, 4], [6, 4, 9], [11, 7, 6]].forEach(([x, y, h]) => {
      const r = document.createElementNS(ns, "rect");
      r.setAttribute("x", x); r.setAttribute("y", y);
      r.setAttribute("width", "4"); r.setAttribute("height", h);
      r.setAttribute("fill", "currentColor");
      svg.appendChild(r);
    });
    const div = document.createElement("div");
    div.appendChild(svg);
    return div;
  };
  class ChartView {
    constructor(yasr) {
      this.yasr = yasr;
      this.priority = 5;
      this.label = T.chart;
      this.chart = null;
      this.settings = {};
    }
    getIcon() { return svgIcon(); }
    canHandleResults() {
      const r = this.yasr.results;
      if (!r || r.getType() !== "json") return false;
      const rows = r.getBindings();
      return !!(rows && rows.length && r.getVariables().length);
    }
    columns() {
      const r = this.yasr.results;
      const vars = r.getVariables(), rows = r.getBindings();
      const numeric = vars.filter((v) => rows.some((row) => isNumber(row[v])) &&
        rows.every((row) => !row[v] || isNumber(row[v])));
      return { vars, rows, numeric };
    }
    select(id, text, options, value) {
      const label = document.createElement("label");
      label.textContent = `${text} `;
      const select = document.createElement("select");
      select.id = id;
      options.forEach(([v, name]) => {
        const o = document.createElement("option");
        o.value = v; o.textContent = name; o.selected = v === value;
        select.appendChild(o);
      });
      label.appendChild(select);
      return [label, select];
    }
    draw(persistent) {
      const { vars, rows, numeric } = this.columns();
      const box = document.createElement("div");
      box.className = "hvp-chart";
      this.yasr.resultsEl.appendChild(box);
      if (!numeric.length) {
        const p = document.createElement("p");
        p.className = "hint";
        p.textContent = T.noNumbers;
        box.appendChild(p);
        return;
      }
      const saved = Object.assign({}, persistent || {}, this.settings);
      const s = {
        type: ["bar", "line", "pie"].includes(saved.type) ? saved.type : "bar",
        label: vars.includes(saved.label) ? saved.label :
          (vars.find((v) => !numeric.includes(v)) || vars[0]),
        value: numeric.includes(saved.value) ? saved.value : numeric[0],
      };
      const controls = document.createElement("div");
      controls.className = "hvp-chart-controls";
      const [l1, kind] = this.select("chart-type", T.kind,
        [["bar", T.bar], ["line", T.line], ["pie", T.pie]], s.type);
      const [l2, labels] = this.select("chart-labels", T.labels, vars.map((v) => [v, v]), s.label);
      const [l3, values] = this.select("chart-values", T.values, numeric.map((v) => [v, v]),
        s.value);
      controls.append(l1, l2, l3);
      box.appendChild(controls);
      const frame = document.createElement("div");
      frame.className = "hvp-chart-frame";
      const canvas = document.createElement("canvas");
      canvas.id = "results-chart";
      canvas.setAttribute("role", "img");
      frame.appendChild(canvas);
      box.appendChild(frame);
      const note = document.createElement("p");
      note.className = "hint";
      box.appendChild(note);
      const render = () => {
        this.settings = { type: kind.value, label: labels.value, value: values.value };
        this.yasr.storePluginConfig("chart", this.settings);
        const shown = rows.slice(0, MOST_BARS);
        note.textContent = rows.length > MOST_BARS ? T.firstRows.replace("{n}", MOST_BARS) : "";
        const name = (b) => !b ? "" : b.type === "uri" ? shortIri(b.value) : literalText(b);
        canvas.setAttribute("aria-label", `${values.value} / ${labels.value}`);
        if (this.chart) this.chart.destroy();
        const pie = kind.value === "pie";
        const palette = ["#1f5fa8", "#d9822b", "#3a8f5c", "#a33b3b", "#7b5ea7", "#2a9bb5",
          "#b58a2a", "#5b6577"];
        this.chart = new Chart(canvas, {
          type: kind.value,
          data: {
            labels: shown.map((row) => name(row[labels.value])),
            datasets: [{
              label: values.value,
              data: shown.map((row) => (row[values.value] ? Number(row[values.value].value) : null)),
              backgroundColor: pie ? shown.map((_, i) => palette[i % palette.length]) : palette[0],
              borderColor: palette[0],
            }],
          },
          options: { responsive: true, maintainAspectRatio: false, animation: false,
                     plugins: { legend: { display: pie } } },
        });
      };
      [kind, labels, values].forEach((e) => e.addEventListener("change", render));
      render();
    }
    destroy() {
      if (this.chart) this.chart.destroy();
      this.chart = null;
    }
  }
  Yasgui.Yasr.registerPlugin("chart", ChartView);
  Yasgui.Yasr.defaults.pluginOrder = ["table", "chart", "response"];

  // ---- YASGUI, this endpoint only --------------------------------------------------------
  // The "class" and "property" autocompleters ask lov.linkeddata.es: switch them off.
  const completers = ["prefixes", "variables"];
  Yasgui.Yasqe.defaults.autocompleters = completers.slice();
  delete Yasgui.Yasqe.Autocompleters["class"];
  delete Yasgui.Yasqe.Autocompleters["property"];
  const permalinks = new URL(root.dataset.permalinks, document.baseURI).href;
  const keep = (query) => fetch(permalinks, {
    method: "POST", headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify({ query: query }),
  }).then((r) => r.json().then((body) => {
    if (!r.ok) throw new Error(body.detail || r.statusText);
    return body.url;
  }));
  const yasgui = new Yasgui(root, {
    tabName: T.tabName,
    requestConfig: { endpoint: endpoint, method: "POST" },
    copyEndpointOnNewTab: false,
    endpointCatalogueOptions: { getData: () => [{ endpoint: endpoint }] },
    persistenceId: "hvp-kg",
    yasqe: { value: start, autocompleters: completers.slice(),
             createShortLink: (yasqe) => keep(yasqe.getValue()) },
    yasr: { prefixes: prefixes },
  });
  let tab = yasgui.getTab();
  if (!new URLSearchParams(window.location.search).get("query") &&
      !tab.getYasqe().getValue().trim()) {
    tab.getYasqe().setValue(start);
  }
  // Only this endpoint: a saved tab or a shared link keeps its dataset (an example's, in the
  // URL's query string); any other endpoint is replaced.
  const saved = tab.getEndpoint() || "";
  if (saved !== endpoint && !saved.startsWith(`${endpoint}?`)) {
    tab.setEndpoint(endpoint);
  }
  // A permalink (/q/ID): its query in a tab of its own (the one that holds it already, if
  // any), run at once.
  if (typeof permalinkQuery === "string") {
    const kept = yasgui.persistentConfig.getTabs().find(
      (id) => yasgui.persistentConfig.getTab(id).yasqe.value === permalinkQuery);
    tab = kept ? yasgui.selectTabId(kept) : yasgui.addTab(true, { name: T.permalinkTab });
    tab.setEndpoint(endpoint);
    tab.getYasqe().setValue(permalinkQuery);
    tab.query().catch(() => {});
  }
  window.hvpYasgui = yasgui;

  // YASGUI's own controls have no labels: name them for screen readers, also in tabs that
  // YASGUI draws later.
  const names = [
    ["input.autocomplete", T.endpoint],
    [".CodeMirror textarea", T.query],
    [".tabPanel input[type=text], .tabsList input[type=text], a input[type=text]", T.tab],
    ["select:has(option[value='application/sparql-results+json'])", T.selectFormat],
    ["select:has(option[value='text/turtle'])", T.graphFormat],
  ];
  const label = () => names.forEach(([selector, name]) => {
    root.querySelectorAll(selector).forEach((e) => {
      if (!e.hasAttribute("aria-label")) e.setAttribute("aria-label", name);
    });
  });
  label();

  // YASGUI's own words that it has no setting for (buttons, menus, titles, the results'
  // summary), in the page's language: each text, title, placeholder and aria-label that is
  // one of them (web/editor.py, yasgui_words) is replaced, also in what YASGUI draws later;
  // the query, the results and the response are left alone.
  const words = T.yasgui.words;
  const patterns = T.yasgui.patterns.map(([re, to]) => [new RegExp(re), to]);
  const say = (text) => {
    const bare = (text || "").trim();
    if (!bare) return null;
    if (Object.prototype.hasOwnProperty.call(words, bare)) return text.replace(bare, words[bare]);
    for (const [re, to] of patterns) {
      const m = bare.match(re);
      if (m) return to.replace(/\{(\d)\}/g, (_, i) => say(m[i]) || m[i]);
    }
    return null;
  };
  const DATA = ".CodeMirror, table.dataTable tbody, .yasr_results pre";
  const translate = () => {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      if (n.parentElement && n.parentElement.closest(DATA)) continue;
      const to = say(n.nodeValue);
      if (to !== null && to !== n.nodeValue) n.nodeValue = to;
    }
    root.querySelectorAll("[title], [placeholder], [aria-label]").forEach((e) => {
      ["title", "placeholder", "aria-label"].forEach((name) => {
        const value = e.getAttribute(name);
        const to = say(value);
        if (to !== null && to !== value) e.setAttribute(name, to);
      });
    });
  };
  const watch = () => { label(); if (patterns.length) translate(); };
  watch();
  new MutationObserver(watch).observe(root, { childList: true, subtree: true,
                                              characterData: true });

  // ---- canned examples ------------------------------------------------------------------
  const select = document.getElementById("examples");
  const status = document.getElementById("example-status");
  const show = (i, dataset) => {
    // The dataset goes in the endpoint's URL: YASGUI's own defaultGraphs setting sends the
    // named graphs' values as default-graph-uri (@zazuko/yasgui 4.x).
    const params = new URLSearchParams(dataset.map((g) => ["default-graph-uri", g]));
    const current = yasgui.getTab();
    current.setEndpoint(dataset.length ? `${endpoint}?${params}` : endpoint);
    current.getYasqe().setValue(examples[i]);
  };
  if (select) {
    select.addEventListener("change", () => {
      const i = select.selectedIndex - 1;
      if (i < 0) {
        return;
      }
      if (!graphs[i].length) {
        status.textContent = "";
        show(i, []);
        return;
      }
      // The example reads derived graphs (a classification, the indicators), which the store
      // may not hold yet: the app computes them first.
      status.textContent = T.computing;
      select.disabled = true;
      const url = new URL(`queries/${encodeURIComponent(select.value)}/graphs`, endpoint);
      // queued for the writer: 503 with Refresh while being computed, then asked again
      const ask = () => fetch(url, { method: "POST", headers: { Accept: "application/json" } })
        .then((r) => r.status === 503 && r.headers.get("Refresh")
          ? new Promise((wait) => setTimeout(wait, 1000 * Number(r.headers.get("Retry-After") || 2)))
            .then(ask)
          : r);
      ask()
        .then((r) => r.ok ? r.json() : r.json().catch(() => ({ detail: r.statusText }))
          .then((p) => { throw new Error(p.detail || r.statusText); }))
        .then((answer) => { status.textContent = ""; show(i, answer.graphs); })
        .catch((e) => {
          status.textContent = T.computeFailed.replace("{reason}", e.message);
          show(i, graphs[i]);
        })
        .finally(() => { select.disabled = false; });
    });
  }

  // ---- the model beside the editor: click to insert ------------------------------------
  const declare = (yasqe, p, iri) => {
    const text = yasqe.getValue();
    if (new RegExp(`^\\s*PREFIX\\s+${p}:`, "mi").test(text)) return;
    yasqe.replaceRange(`PREFIX ${p}: <${iri}>\n`, { line: 0, ch: 0 });
  };
  document.querySelectorAll("aside.model button.insert").forEach((b) => {
    b.addEventListener("click", () => {
      const yasqe = yasgui.getTab().getYasqe();
      if (b.dataset.prefix) {
        declare(yasqe, b.dataset.prefix, b.dataset.iri);
      } else {
        yasqe.replaceSelection(b.dataset.text);
        if (b.dataset.text.startsWith("hvp:")) declare(yasqe, "hvp", prefixes.hvp);
      }
      yasqe.focus();
    });
  });

  // ---- permalink --------------------------------------------------------------------------
  const linkButton = document.getElementById("permalink");
  const linkStatus = document.getElementById("permalink-status");
  const linkUrl = document.getElementById("permalink-url");
  linkButton.addEventListener("click", () => {
    linkButton.disabled = true;
    keep(yasgui.getTab().getYasqe().getValue())
      .then((url) => {
        linkStatus.textContent = T.permalinkMade;
        linkUrl.value = url;
        linkUrl.hidden = false;
        linkUrl.focus();
        linkUrl.select();
      })
      .catch((e) => {
        linkUrl.hidden = true;
        linkStatus.textContent = T.permalinkFailed.replace("{reason}", e.message);
      })
      .finally(() => { linkButton.disabled = false; });
  });

  // ---- history (YASGUI keeps each tab's last query and answer; this keeps every query run) --
  const HISTORY = "hvp-kg-history", MOST = 50;
  const list = document.querySelector("#history ol.history");
  const empty = document.getElementById("history-empty");
  const read = () => {
    try { return JSON.parse(window.localStorage.getItem(HISTORY)) || []; } catch (e) { return []; }
  };
  const write = (items) => {
    try { window.localStorage.setItem(HISTORY, JSON.stringify(items)); } catch (e) { /* full */ }
  };
  const summary = (query) => {
    const lines = query.split("\n").map((l) => l.trim())
      .filter((l) => l && !/^(PREFIX|BASE)\b/i.test(l) && !l.startsWith("#"));
    return (lines.join(" ") || query.trim()).slice(0, 120);
  };
  const drawHistory = () => {
    const items = read();
    list.replaceChildren(...items.map((item) => {
      const li = document.createElement("li");
      const b = document.createElement("button");
      b.type = "button";
      b.className = "insert";
      b.textContent = summary(item.query);
      b.title = new Date(item.time).toLocaleString(locale);
      b.addEventListener("click", () => yasgui.getTab().getYasqe().setValue(item.query));
      li.appendChild(b);
      return li;
    }));
    empty.textContent = items.length ? "" : T.emptyHistory;
  };
  yasgui.on("query", (_, queried) => {
    const query = queried.getYasqe().getValue();
    const items = [{ query: query, time: Date.now() },
      ...read().filter((item) => item.query !== query)].slice(0, MOST);
    write(items);
    drawHistory();
  });
  document.getElementById("history-clear").addEventListener("click", () => {
    write([]);
    drawHistory();
  });
  drawHistory();
})();
