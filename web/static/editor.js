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
  tab.setEndpoint(endpoint);
  window.hvpYasgui = yasgui;
  const select = document.getElementById("examples");
  if (select) {
    select.addEventListener("change", () => {
      const i = select.selectedIndex - 1;
      if (i >= 0) {
        // The dataset goes in the endpoint's URL: YASGUI's own defaultGraphs setting sends the
        // named graphs' values as default-graph-uri (@zazuko/yasgui 4.x).
        const dataset = new URLSearchParams(graphs[i].map((g) => ["default-graph-uri", g]));
        const current = yasgui.getTab();
        current.setEndpoint(graphs[i].length ? `${endpoint}?${dataset}` : endpoint);
        current.getYasqe().setValue(examples[i]);
      }
    });
  }
})();
