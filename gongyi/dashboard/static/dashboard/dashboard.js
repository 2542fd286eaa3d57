/* The festival dashboard: draw the server's first snapshot with ECharts, then poll the JSON every TTL seconds.
   No dependencies beyond the vendored ECharts; every text from the data goes in through textContent. */
(function () {
  "use strict";
  var root = document.getElementById("dashboard");
  var source = document.getElementById("dashboard-data");
  if (!root || !source) { return; }
  var labels = JSON.parse(document.getElementById("dashboard-labels").textContent);
  var data = JSON.parse(source.textContent);
  var api = root.getAttribute("data-api");
  var ttl = Math.max(1, parseInt(root.getAttribute("data-ttl"), 10) || 5);
  var charts = {};
  var lastGiftKey = null;

  function yuan(fen) {
    // Integer arithmetic, the same text as the server's format_yuan: ¥1,234.56
    var sign = fen < 0 ? "-" : "";
    fen = Math.abs(fen);
    var whole = Math.floor(fen / 100).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    var part = String(fen % 100).padStart(2, "0");
    return sign + "¥" + whole + "." + part;
  }
  function wan(fen) { // axis labels: 万元 for big amounts
    var y = fen / 100;
    return y >= 10000 ? (y / 10000).toFixed(y >= 1e6 ? 0 : 1) + labels.wan : y.toFixed(0);
  }
  function clock(iso) { return iso ? iso.slice(11, 16) : ""; } // ISO text in Asia/Shanghai: keep its own hh:mm
  function hourLabel(iso) { return iso.slice(5, 7) + "/" + iso.slice(8, 10) + " " + iso.slice(11, 13) + labels.hour; }
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }
  function fill(list, items, render, emptyText) {
    var nodes = items.map(render);
    if (!nodes.length) { nodes = [el("li", "muted", emptyText)]; }
    list.replaceChildren.apply(list, nodes);
  }
  function rankItem(rank, name, detail, amount) {
    var li = el("li");
    li.appendChild(el("span", "rank", String(rank)));
    var who = el("span", "who", name);
    who.appendChild(el("small", null, detail));
    li.appendChild(who);
    li.appendChild(el("b", null, amount));
    return li;
  }

  function renderNumbers(d) {
    root.querySelectorAll("[data-field]").forEach(function (node) {
      var value = d[node.getAttribute("data-field")];
      node.textContent = node.getAttribute("data-format") === "yuan" ? yuan(value) : String(value);
    });
    var generated = document.getElementById("dash-generated");
    generated.textContent = d.generated_at.slice(11, 19);
    generated.setAttribute("datetime", d.generated_at);
    var live = document.getElementById("dash-live");
    live.textContent = d.is_open ? labels.open : labels.closed;
    live.classList.toggle("off", !d.is_open);
    var summary = document.getElementById("drive-summary");
    if (summary && d.drive) {
      summary.textContent = d.drive.units + " " + labels.units + " · " + d.drive.givers + " " + labels.people +
        " · " + yuan(d.drive.total_fen);
    }
  }

  function renderLists(d) {
    fill(document.getElementById("pool-list"), d.pools, function (p) {
      var li = el("li");
      li.appendChild(el("b", null, p.name));
      li.appendChild(el("span", null, labels.left + " " + yuan(p.left_fen) + "（" + p.left_percent + "%）"));
      li.appendChild(el("span", null, labels.matched + " " + yuan(p.matched_fen) + " / " + yuan(p.total_fen)));
      li.appendChild(el("span", null, labels.availableNow + " " + yuan(p.available_now_fen)));
      return li;
    }, labels.noPool);
    fill(document.getElementById("unit-list"), d.top_units, function (u) {
      return rankItem(u.rank, u.name, u.detail + " · " + u.givers + " " + labels.people, yuan(u.total_fen));
    }, labels.noUnits);
    fill(document.getElementById("district-list"), d.districts, function (r) {
      return rankItem(r.rank, r.name, r.units + " " + labels.units + " · " + r.givers + " " + labels.people,
        yuan(r.total_fen));
    }, labels.noDistricts);
    fill(document.getElementById("project-list"), d.top_projects, function (p) {
      return rankItem(p.rank, p.title, p.organisation + " · " + p.gifts + " " + labels.gifts, yuan(p.raised_fen));
    }, labels.noGifts);
    var previous = lastGiftKey;
    fill(document.getElementById("gift-feed"), d.latest_gifts, function (g) {
      var li = el("li");
      li.appendChild(el("time", null, clock(g.paid_at)));
      li.appendChild(el("span", "who", g.name));
      li.appendChild(el("b", null, yuan(g.amount_fen)));
      if (g.matched_fen) { li.appendChild(el("em", null, "+" + yuan(g.matched_fen) + " " + labels.match)); }
      li.appendChild(el("small", null, g.project));
      return li;
    }, labels.noGifts);
    // Flash the gifts that arrived since the last poll (the list is newest first).
    var keys = d.latest_gifts.map(function (g) { return g.paid_at + "|" + g.amount_fen + "|" + g.name; });
    lastGiftKey = keys[0] || null;
    if (previous !== null) {
      var items = document.getElementById("gift-feed").children;
      for (var i = 0; i < keys.length && keys[i] !== previous; i++) { items[i].classList.add("new"); }
    }
    var last = d.hours.length ? d.hours[d.hours.length - 1] : null;
    document.getElementById("hours-fallback").textContent = last
      ? labels.lastHour + " " + clock(last.hour) + "：" + last.gifts + " " + labels.gifts + "，" + yuan(last.amount_fen)
      : labels.notStarted;
  }

  var axis = { color: "#8e9bc4" };
  var grid = { left: 8, right: 16, top: 28, bottom: 8, containLabel: true };

  function renderCharts(d) {
    if (!charts.hours) { return; }
    charts.hours.setOption({
      xAxis: { data: d.hours.map(function (h) { return hourLabel(h.hour); }) },
      series: [
        { name: labels.giftsPerHour, data: d.hours.map(function (h) { return h.gifts; }) },
        { name: labels.amountPerHour, data: d.hours.map(function (h) { return h.amount_fen; }) }
      ]
    });
    var projects = d.top_projects.slice().reverse(); // biggest on top of a horizontal bar chart
    charts.projects.setOption({
      yAxis: { data: projects.map(function (p) { return p.title; }) },
      series: [
        { name: labels.raised, data: projects.map(function (p) { return p.raised_fen; }) },
        { name: labels.match, data: projects.map(function (p) { return p.matched_fen; }) }
      ]
    });
    var pool = d.pools[0];
    charts.pool.setOption({
      series: [{
        data: [{ value: pool ? pool.left_percent : 0, name: pool ? pool.name : labels.noPool }],
        detail: { formatter: pool ? "{value}%\n" + yuan(pool.left_fen) : labels.noPool }
      }]
    });
  }

  function initCharts() {
    if (!window.echarts) { return; }
    root.classList.add("js");
    charts.hours = echarts.init(document.getElementById("chart-hours"));
    charts.hours.setOption({
      animation: false,
      color: ["#ffc857", "#ff5a5f"],
      tooltip: { trigger: "axis", confine: true },
      legend: { top: 0, right: 0, textStyle: axis },
      grid: grid,
      xAxis: { type: "category", boundaryGap: false, axisLabel: axis, data: [] },
      yAxis: [
        { type: "value", minInterval: 1, axisLabel: axis, splitLine: { lineStyle: { color: "#22346b" } } },
        { type: "value", axisLabel: { color: "#8e9bc4", formatter: wan }, splitLine: { show: false } }
      ],
      series: [
        { type: "line", smooth: true, showSymbol: false, areaStyle: { opacity: 0.25 }, data: [] },
        { type: "line", smooth: true, showSymbol: false, yAxisIndex: 1, lineStyle: { type: "dashed" },
          tooltip: { valueFormatter: yuan }, data: [] }
      ]
    });
    charts.projects = echarts.init(document.getElementById("chart-projects"));
    charts.projects.setOption({
      animation: false,
      color: ["#ffc857", "#7fd1ae"],
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, confine: true, valueFormatter: yuan },
      legend: { top: 0, right: 0, textStyle: axis },
      grid: grid,
      xAxis: { type: "value", axisLabel: { color: "#8e9bc4", formatter: wan },
        splitLine: { lineStyle: { color: "#22346b" } } },
      yAxis: { type: "category", axisLabel: { color: "#e8ecf8", width: 150, overflow: "truncate" }, data: [] },
      series: [{ type: "bar", stack: "money", data: [] }, { type: "bar", stack: "money", data: [] }]
    });
    charts.pool = echarts.init(document.getElementById("chart-pool"));
    charts.pool.setOption({
      animation: false,
      series: [{
        type: "gauge", min: 0, max: 100, radius: "92%", center: ["50%", "58%"],
        progress: { show: true, width: 14, itemStyle: { color: "#ffc857" } },
        axisLine: { lineStyle: { width: 14, color: [[1, "#22346b"]] } },
        axisTick: { show: false }, splitLine: { show: false }, axisLabel: { show: false },
        pointer: { show: false }, anchor: { show: false }, title: { show: false },
        detail: { valueAnimation: false, offsetCenter: [0, "10%"], color: "#fff", fontSize: 20, lineHeight: 26 },
        data: [{ value: 0 }]
      }]
    });
    window.addEventListener("resize", function () {
      Object.keys(charts).forEach(function (k) { charts[k].resize(); });
    });
  }

  function render(d) {
    data = d;
    renderNumbers(d);
    renderLists(d);
    renderCharts(d);
    root.setAttribute("data-generated", d.generated_at);
  }

  function poll() {
    if (document.hidden) { setTimeout(poll, ttl * 1000); return; }
    // No cookies: the same URL for every screen, so a proxy or CDN can answer for TTL seconds.
    fetch(api, { credentials: "omit", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (d) { if (d) { render(d); } })
      .catch(function () { /* keep the last figures on screen; try again next time */ })
      .finally(function () { setTimeout(poll, ttl * 1000); });
  }

  initCharts();
  render(data);
  root.setAttribute("data-ready", "1");
  setTimeout(poll, ttl * 1000);
})();
