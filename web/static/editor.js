// YASGUI over the local endpoint, with no call to any other host.
(function () {
  "use strict";
  const endpoint = new URL("sparql", document.baseURI.replace(/editor$|sparql$/, "")).href;
  const prefixes = JSON.parse(document.getElementById("prefixes").textContent);
  const examples = JSON.parse(document.getElementById("example-texts").textContent);
  const graphs = JSON.parse(document.getElementById("example-graphs").textContent);
  const header = Object.entries(prefixes).map(([p, iri]) => `PREFIX ${p}: <${iri}>`).join("\n");
  const start = `${header}\n\nSELECT ?patent ?title WHERE {\n  ?patent a hvp:InventionPatent ;` +
    `\n          dcterms:title ?title .\n} LIMIT 20\n`;
  // The "class" and "property" autocompleters ask lov.linkeddata.es: switch them off.
  const local = ["prefixes", "variables"];
  Yasgui.Yasqe.defaults.autocompleters = local.slice();
  delete Yasgui.Yasqe.Autocompleters["class"];
  delete Yasgui.Yasqe.Autocompleters["property"];
  const yasgui = new Yasgui(document.getElementById("yasgui"), {
    requestConfig: { endpoint: endpoint, method: "POST" },
    copyEndpointOnNewTab: false,
    endpointCatalogueOptions: { getData: () => [{ endpoint: endpoint }] },
    persistenceId: "hvp-kg",
    yasqe: { value: start, autocompleters: local.slice() },
  });
  const tab = yasgui.getTab();
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
  window.hvpYasgui = yasgui;
  // YASGUI's own controls have no labels: name them for screen readers, also in tabs that
  // YASGUI draws later.
  const names = [
    ["input.autocomplete", "SPARQL endpoint"],
    [".CodeMirror textarea", "SPARQL query"],
    [".tabPanel input[type=text], .tabsList input[type=text], a input[type=text]", "tab name"],
    ["select:has(option[value='application/sparql-results+json'])",
     "answer format for SELECT and ASK"],
    ["select:has(option[value='text/turtle'])", "answer format for CONSTRUCT and DESCRIBE"],
  ];
  const root = document.getElementById("yasgui");
  const label = () => names.forEach(([selector, name]) => {
    root.querySelectorAll(selector).forEach((e) => {
      if (!e.hasAttribute("aria-label")) e.setAttribute("aria-label", name);
    });
  });
  label();
  new MutationObserver(label).observe(root, { childList: true, subtree: true });
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
      status.textContent = "Computing the derived graphs this example reads…";
      select.disabled = true;
      const url = new URL(`queries/${encodeURIComponent(select.value)}/graphs`, endpoint);
      fetch(url, { method: "POST", headers: { Accept: "application/json" } })
        .then((r) => r.ok ? r.json() : r.json().catch(() => ({ detail: r.statusText }))
          .then((p) => { throw new Error(p.detail || r.statusText); }))
        .then((answer) => { status.textContent = ""; show(i, answer.graphs); })
        .catch((e) => {
          status.textContent = `Could not compute the derived graphs: ${e.message}`;
          show(i, graphs[i]);
        })
        .finally(() => { select.disabled = false; });
    });
  }
})();
