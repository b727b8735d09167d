// Indicator dashboard: Chart.js (served from node_modules) and a sortable table.
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("indicator-data").textContent);
  const blue = "#1f5fa8", orange = "#d9822b";
  const common = { responsive: true, maintainAspectRatio: false, animation: false };

  const provincesCanvas = document.getElementById("provinces-chart");
  if (provincesCanvas) new Chart(provincesCanvas, {
    type: "bar",
    data: {
      labels: data.provinces.map((r) => r.name),
      datasets: [{ label: data.labels.per10k, backgroundColor: blue,
                   data: data.provinces.map((r) => r.per_10k) }],
    },
    options: common,
  });

  new Chart(document.getElementById("national-chart"), {
    type: "line",
    data: {
      labels: data.national.map((r) => r.year),
      datasets: [
        { label: data.labels.computed, borderColor: blue, backgroundColor: blue,
          data: data.national.map((r) => r.computed) },
        { label: data.labels.official, borderColor: orange, backgroundColor: orange, borderDash: [6, 4],
          data: data.national.map((r) => r.official) },
      ],
    },
    options: common,
  });

  const select = document.getElementById("province-select");
  let provinceChart = null;
  function drawProvince() {
    const rows = data.all.filter((r) => r.region === select.value);
    // the nation's value of each of the province's years (a province may lack some)
    const nation = new Map(data.all.filter((r) => r.region === "CN").map((r) => [r.year, r]));
    const national = rows.map((r) => nation.get(r.year) || { per_10k: null });
    const name = rows.length ? rows[0].name : select.value;
    if (provinceChart) provinceChart.destroy();
    provinceChart = new Chart(document.getElementById("province-chart"), {
      type: "line",
      data: {
        labels: rows.map((r) => r.year),
        datasets: [
          { label: name, borderColor: blue, backgroundColor: blue,
            data: rows.map((r) => r.per_10k) },
          { label: data.labels.nation, borderColor: "#888", backgroundColor: "#888",
            data: national.map((r) => r.per_10k) },
        ],
      },
      options: common,
    });
  }
  if (select && select.options.length) {
    select.addEventListener("change", drawProvince);
    drawProvince();
  }

  // Click a heading to sort by it: names A to Z first, numbers largest first; again to
  // reverse. The heading says how the table is sorted (aria-sort, shown by an arrow).
  document.querySelectorAll("table.sortable th.sortable").forEach((th, column) => {
    th.setAttribute("role", "columnheader");
    th.tabIndex = 0;
    const sort = () => {
      const body = th.closest("table").tBodies[0];
      const numeric = th.dataset.type === "num";
      const current = th.getAttribute("aria-sort");
      const descending = current ? current === "ascending" : numeric;
      th.closest("tr").querySelectorAll("th").forEach((h) => h.removeAttribute("aria-sort"));
      th.setAttribute("aria-sort", descending ? "descending" : "ascending");
      const key = (tr) => {
        const text = tr.cells[column].textContent.trim();
        return numeric ? parseFloat(text.replace(/,/g, "")) : text;
      };
      const rows = Array.from(body.rows).sort((a, b) => {
        const x = key(a), y = key(b);
        const order = x < y ? -1 : x > y ? 1 : 0;
        return descending ? -order : order;
      });
      rows.forEach((tr) => body.appendChild(tr));
    };
    th.addEventListener("click", sort);
    th.addEventListener("keydown", (e) => {
      if (e.key === "Enter" || e.key === " ") {
        e.preventDefault();
        sort();
      }
    });
  });
})();
