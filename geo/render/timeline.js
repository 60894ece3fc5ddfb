(function () {
  "use strict";
  var map = __MAP__, root = document.getElementById(__ID__), ICONS = __ICONS__, W = __WORDS__;
  var D = JSON.parse(document.getElementById(__ID__ + "-data").textContent);
  var A = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  var CODE = new Int8Array(128);
  for (var i = 0; i < 64; i++) CODE[A.charCodeAt(i)] = i;
  function ints(s) {  // zigzag varints, 5 bits per character (geo.render.encode)
    var out = [], v = 0, mult = 1;
    for (var i = 0; i < s.length; i++) {
      var c = CODE[s.charCodeAt(i)];
      v += (c & 31) * mult;
      if (c < 32) { out.push(v % 2 ? -(v + 1) / 2 : v / 2); v = 0; mult = 1; } else mult *= 32;
    }
    return out;
  }
  function cumsum(a) { for (var i = 1; i < a.length; i++) a[i] += a[i - 1]; return a; }
  var days = cumsum(ints(D.days)), N = days.length, cur = -1, timer = null;
  function iso(k) { return new Date(days[k] * 864e5).toISOString().slice(0, 10); }
  function human(k, year) {  // "18 Mar 2025", as geo.render.labels.format_date writes it
    var d = new Date(days[k] * 864e5);
    return d.getUTCDate() + " " + W.months[d.getUTCMonth()] +
      (year === false ? "" : " " + d.getUTCFullYear());
  }
  function num(a) {
    var s = String(Math.round(Math.abs(a)));
    return s.replace(/\B(?=(\d{3})+(?!\d))/g, W.group);
  }
  function km2(a, signed) {
    var r = Math.round(a), sign = r < 0 ? "\u2212" : (signed && r > 0 ? "+" : "");
    return sign + num(a) + " " + W.unit;
  }
  var scale = Math.pow(10, -((D.layers[0] || {enc: {precision: 5}}).enc.precision));
  function polygons(text) {  // geo.render.patches.encode_polygons
    var v = ints(text), out = [], pos = 1, x = 0, y = 0, np = v[0] || 0;
    var counts = v.slice(1, 1 + np);
    pos = 1 + np;
    for (var p = 0; p < np; p++) {
      var rings = [];
      for (var r = 0; r < counts[p]; r++) {
        var n = v[pos++], ring = new Array(n);
        for (var j = 0; j < n; j++) {
          x += v[pos++]; y += v[pos++]; ring[j] = L.latLng(y * scale, x * scale);
        }
        rings.push(ring);
      }
      out.push(rings);
    }
    return out;
  }
  var changePane = map.createPane("geo-tl-change");
  changePane.style.zIndex = 420;
  var shows = {change: true, trail: D.trail > 0};
  var layers = D.layers.map(function (spec, li) {
    var e = spec.enc, sc = Math.pow(10, -e.precision), d = ints(e.coords);
    var n = d.length / 2, pts = new Array(n), x = 0, y = 0;
    for (var i = 0; i < n; i++) {
      x += d[2 * i]; y += d[2 * i + 1]; pts[i] = L.latLng(y * sc, x * sc);
    }
    var lens = ints(e.chunk_lengths), off = new Int32Array(lens.length + 1);
    for (i = 0; i < lens.length; i++) off[i + 1] = off[i] + lens[i];
    var at = cumsum(ints(spec.at)), idx = new Int32Array(N), k = -1;
    for (var g = 0; g < N; g++) { while (k + 1 < at.length && at[k + 1] <= g) k++; idx[g] = k; }
    var ly = {spec: spec, pts: pts, off: off, at: at, idx: idx, tokens: [], cache: new Map(),
              patches: new Map(), shown: -2, label: root.querySelectorAll(".geo-tl-area")[li]};
    ly.poly = L.polygon([], {color: spec.colour, fillColor: spec.colour, weight: 1,
      fillOpacity: 0.4, className: "geo-tl-layer geo-tl-layer-" + li}).addTo(map);
    function patchLayer(kind, opacity, weight) {
      var colour = spec[kind + "_colour"];
      return L.polygon([], {pane: "geo-tl-change", color: colour, fillColor: colour,
        weight: weight, fillOpacity: opacity, interactive: false,
        className: "geo-tl-" + kind + (opacity < 0.5 ? "-trail" : "") + " geo-tl-change-" + li});
    }
    ly.trail = {gained: patchLayer("gained", 0.3, 0), lost: patchLayer("lost", 0.3, 0)};
    ly.change = {gained: patchLayer("gained", 0.85, 1), lost: patchLayer("lost", 0.85, 1)};
    ["gained", "lost"].forEach(function (kind) {
      ly.trail[kind].addTo(map); ly.change[kind].addTo(map);
    });
    ly.poly.bindTooltip(function () {
      var el = document.createElement("div");
      el.textContent = spec.name + " \u00b7 " + human(at[ly.shown]) + " \u00b7 " +
        km2(spec.area_km2[ly.shown]) + " \u00b7 " + W.source.toLowerCase() + ": " + spec.source;
      return el;
    }, {sticky: true});
    return ly;
  });
  function apply(prev, ops) {  // (keep, skip, n, n token deltas)* against the previous date
    var out = [], pos = 0, last = 0, i = 0, j;
    while (i < ops.length) {
      var keep = ops[i], skip = ops[i + 1], n = ops[i + 2];
      for (j = 0; j < keep; j++) out.push(prev[pos + j]);
      if (keep) last = out[out.length - 1];
      pos += keep + skip;
      for (j = 0; j < n; j++) { last += ops[i + 3 + j]; out.push(last); }
      i += 3 + n;
    }
    return out;
  }
  function shape(ly, k) {
    var hit = ly.cache.get(k);
    if (hit) return hit;
    var t = ly.tokens;
    for (var j = t.length; j <= k; j++) {
      t.push(apply(j ? t[j - 1] : [], ints(ly.spec.enc.dates[j])));
    }
    var polys = [], rings = [], ring = [], toks = t[k];
    for (var i = 0; i <= toks.length; i++) {
      var tok = i < toks.length ? toks[i] : 0;
      if (tok >= 2) {
        for (var v = ly.off[tok - 2], end = ly.off[tok - 1]; v < end; v++) ring.push(ly.pts[v]);
        continue;
      }
      if (ring.length) { rings.push(ring); ring = []; }
      if (tok === 0 && rings.length) { polys.push(rings); rings = []; }
    }
    ly.cache.set(k, polys);
    if (ly.cache.size > 64) ly.cache.delete(ly.cache.keys().next().value);
    return polys;
  }
  function patches(ly, kind, k) {
    var key = kind + k, hit = ly.patches.get(key);
    if (!hit) {
      hit = polygons(ly.spec[kind][k] || "");
      ly.patches.set(key, hit);
      if (ly.patches.size > 512) ly.patches.delete(ly.patches.keys().next().value);
    }
    return hit;
  }
  function drawChange(ly, k) {
    ["gained", "lost"].forEach(function (kind) {
      ly.change[kind].setLatLngs(shows.change && k > 0 ? patches(ly, kind, k) : []);
      var trail = [];
      if (shows.trail && k > 0) {
        for (var j = k - 1; j > 0 && days[ly.at[j]] > days[ly.at[k]] - D.trail; j--) {
          trail = trail.concat(patches(ly, kind, j));
        }
      }
      ly.trail[kind].setLatLngs(trail);
    });
  }
  function changeText(ly, k) {  // "+12 km² since 17 Mar (gained 14 km², lost 2 km²)"
    if (k <= 0) return "";
    var s = ly.spec, net = s.area_km2[k] - s.area_km2[k - 1];
    return km2(net, true) + " " + W.since.replace("{date}", human(ly.at[k - 1], false)) + " (" +
      W.gained.toLowerCase() + " " + km2(s.gained_km2[k]) + ", " + W.lost.toLowerCase() + " " +
      km2(s.lost_km2[k]) + ")";
  }
  var slider = root.querySelector(".geo-tl-slider"), label = root.querySelector(".geo-tl-date");
  var tip = root.querySelector(".geo-tl-tip"), cursor = root.querySelector(".geo-tl-cursor");
  var playBtn = root.querySelector(".geo-tl-play"), speed = root.querySelector(".geo-tl-speed");
  function placeTip(g) {
    var ly = layers[0], k = ly.idx[g], thumb = 8, w = slider.offsetWidth;
    tip.textContent = human(g) + " \u00b7 " + (k < 0 ? W.no_data_yet : km2(ly.spec.area_km2[k]) +
      (k > 0 ? " \u00b7 " + changeText(ly, k) : ""));
    var x = thumb + (w - 2 * thumb) * (N > 1 ? g / (N - 1) : 0.5);
    tip.style.left = x + "px";
    var half = tip.offsetWidth / 2;
    tip.className = "geo-tl-tip" + (x - half < 0 ? " geo-tl-tip-left" :
      x + half > w ? " geo-tl-tip-right" : "");
    if (x - half < 0) tip.style.left = Math.max(0, x - 12) + "px";
    if (x + half > w) tip.style.left = Math.min(w, x + 12) + "px";
  }
  var hashTimer = null, userView = false, panelHeight = -1;
  function writeHash() {
    hashTimer = null;
    var parts = ["date=" + iso(cur)];
    if (userView) {
      var c = map.getCenter();
      parts.push("map=" + map.getZoom() + "/" + c.lat.toFixed(4) + "/" + c.lng.toFixed(4));
    }
    var hash = "#" + parts.join("&");
    if (location.hash !== hash) history.replaceState(null, "", hash);
  }
  function scheduleHash() {
    if (hashTimer === null) hashTimer = setTimeout(writeHash, timer === null ? 0 : 300);
  }
  function show(g) {
    g = Math.max(0, Math.min(N - 1, Math.round(g)));
    layers.forEach(function (ly) {
      var k = ly.idx[g];
      if (k !== ly.shown) {
        ly.poly.setLatLngs(k < 0 ? [] : shape(ly, k));
        drawChange(ly, k);
        ly.shown = k;
      }
      ly.label.textContent = ly.spec.name + ": " + (k < 0 ? W.no_data_yet :
        km2(ly.spec.area_km2[k]) + (ly.at[k] === g ? "" : " (" +
        W.as_of.replace("{date}", human(ly.at[k])) + ")") +
        (k > 0 ? " \u00b7 " + changeText(ly, k) : ""));
    });
    cur = g;
    slider.value = g;
    label.textContent = human(g);
    cursor.style.left = (N > 1 ? 100 * g / (N - 1) : 50) + "%";
    if (root.offsetHeight !== panelHeight) fit();  // the panel grew: the map gives way
    placeTip(g);
    markBar();
    scheduleHash();
    return g;
  }
  function redraw() { layers.forEach(function (ly) { drawChange(ly, ly.shown); }); }
  // --- bar chart of the change per day or month (first layer), under the slider ---------------
  var bars = root.querySelector(".geo-tl-bars"), period = root.querySelector(".geo-tl-period");
  var measure = root.querySelector(".geo-tl-measure"), NS = "http://www.w3.org/2000/svg";
  var groups = [];
  function buildGroups() {
    var ly = layers[0], s = ly.spec, out = [], byKey = {};
    for (var k = 1; k < ly.at.length; k++) {
      var g = ly.at[k], d = new Date(days[g] * 864e5);
      var key = period.value === "day" ? String(g) : d.getUTCFullYear() * 12 + d.getUTCMonth();
      var item = byKey[key];
      if (!item) {
        item = byKey[key] = {first: g, last: g, gained: 0, lost: 0, net: 0,
          name: period.value === "day" ? human(g) :
            W.short_months[d.getUTCMonth()] + " " + d.getUTCFullYear()};
        out.push(item);
      }
      item.first = Math.min(item.first, ly.at[k - 1] + 1);
      item.last = g;
      item.gained += s.gained_km2[k]; item.lost += s.lost_km2[k];
      item.net += s.area_km2[k] - s.area_km2[k - 1];
    }
    return out;
  }
  function drawBars() {
    while (bars.lastChild && bars.lastChild.nodeName !== "title") bars.removeChild(bars.lastChild);
    groups = buildGroups();
    var gross = measure.value === "gross", s = layers.length ? layers[0].spec : null;
    if (!s) return;
    var top = 0, bottom = 0;
    groups.forEach(function (b) {
      top = Math.max(top, gross ? b.gained : Math.max(b.net, 0));
      bottom = Math.max(bottom, gross ? b.lost : Math.max(-b.net, 0));
    });
    var span = top + bottom || 1, zero = 2 + 96 * top / span;
    function rect(b, value, up, colour, cls) {
      if (!(value > 0)) return;
      var x0 = N > 1 ? 1000 * (b.first - 0.5) / (N - 1) : 0;
      var x1 = N > 1 ? 1000 * (b.last + 0.5) / (N - 1) : 1000;
      var h = Math.max(96 * value / span, 0.8), el = document.createElementNS(NS, "rect");
      el.setAttribute("x", Math.max(0, x0).toFixed(2));
      el.setAttribute("width", Math.max(0.6, Math.min(1000, x1) - Math.max(0, x0) - 0.3).toFixed(2));
      el.setAttribute("y", (up ? zero - h : zero).toFixed(2));
      el.setAttribute("height", h.toFixed(2));
      el.setAttribute("fill", colour);
      el.setAttribute("class", cls);
      el.setAttribute("data-date", String(b.last));
      var t = document.createElementNS(NS, "title");
      t.textContent = b.name + ": " + km2(b.net, true) + " (" + W.gained.toLowerCase() + " " +
        km2(b.gained) + ", " + W.lost.toLowerCase() + " " + km2(b.lost) + ")";
      el.appendChild(t);
      bars.appendChild(el);
    }
    groups.forEach(function (b) {
      if (gross) {
        rect(b, b.gained, true, s.gained_colour, "geo-tl-bar geo-tl-bar-gained");
        rect(b, b.lost, false, s.lost_colour, "geo-tl-bar geo-tl-bar-lost");
      } else {
        rect(b, Math.abs(b.net), b.net > 0, b.net > 0 ? s.gained_colour : s.lost_colour,
             "geo-tl-bar geo-tl-bar-net");
      }
    });
    var axis = document.createElementNS(NS, "line");
    axis.setAttribute("x1", "0"); axis.setAttribute("x2", "1000");
    axis.setAttribute("y1", zero.toFixed(2)); axis.setAttribute("y2", zero.toFixed(2));
    axis.setAttribute("stroke", "#999"); axis.setAttribute("vector-effect", "non-scaling-stroke");
    bars.appendChild(axis);
    markBar();
  }
  function markBar() {
    var rects = bars.querySelectorAll("rect");
    for (var i = 0; i < rects.length; i++) {
      var b = +rects[i].getAttribute("data-date"), hit = false;
      for (var j = 0; j < groups.length; j++) {
        if (groups[j].last === b) { hit = cur >= groups[j].first && cur <= groups[j].last; break; }
      }
      rects[i].setAttribute("opacity", hit ? "1" : "0.55");
    }
  }
  // --- controls --------------------------------------------------------------------------------
  function stop() {
    if (timer !== null) clearInterval(timer);
    timer = null;
    playBtn.innerHTML = ICONS.play; playBtn.setAttribute("aria-label", W.play);
    playBtn.title = W.play;
    scheduleHash();
  }
  function play() {
    if (timer !== null) clearInterval(timer);
    if (cur >= N - 1) show(0);
    timer = setInterval(function () {
      if (cur >= N - 1) stop(); else show(cur + 1);
    }, +speed.value);
    playBtn.innerHTML = ICONS.pause; playBtn.setAttribute("aria-label", W.pause);
    playBtn.title = W.pause;
  }
  var acts = {first: function () { show(0); }, last: function () { show(N - 1); },
    prev: function () { show(cur - 1); }, next: function () { show(cur + 1); },
    play: function () { if (timer === null) play(); else stop(); }};
  root.querySelector(".geo-tl-controls").addEventListener("click", function (ev) {
    var button = ev.target.closest && ev.target.closest("button[data-act]");
    if (!button) return;
    var act = button.getAttribute("data-act");
    if (!act) return;
    if (act !== "play") stop();
    acts[act]();
  });
  slider.addEventListener("input", function () { stop(); show(+slider.value); });
  speed.addEventListener("change", function () { if (timer !== null) play(); });
  period.addEventListener("change", drawBars);
  measure.addEventListener("change", drawBars);
  root.querySelector(".geo-tl-chart").addEventListener("click", function (ev) {
    var bar = ev.target.closest && ev.target.closest("rect[data-date]");
    stop();
    if (bar) { show(+bar.getAttribute("data-date")); return; }
    var r = ev.currentTarget.getBoundingClientRect();
    show((ev.clientX - r.left) / r.width * (N - 1));
  });
  var legend = document.querySelector(".geo-tl-legend");
  if (legend) {
    L.DomEvent.disableClickPropagation(legend);
    legend.addEventListener("change", function (ev) {
      var what = ev.target.getAttribute("data-show");
      if (what) { shows[what] = ev.target.checked; redraw(); }
    });
  }
  document.addEventListener("keydown", function (ev) {
    if (/^(INPUT|SELECT|TEXTAREA)$/.test(ev.target.tagName)) return;
    if (ev.key === "ArrowLeft") { stop(); show(cur - 1); }
    if (ev.key === "ArrowRight") { stop(); show(cur + 1); }
  });
  // --- the URL hash: #date=2025-03-18&map=zoom/lat/lon -------------------------------------------
  function fromHash() {
    var params = {};
    location.hash.replace(/^#/, "").split("&").forEach(function (part) {
      var kv = part.split("=");
      if (kv.length === 2) params[decodeURIComponent(kv[0])] = decodeURIComponent(kv[1]);
    });
    var view = /^(\d+)\/(-?[\d.]+)\/(-?[\d.]+)$/.exec(params.map || "");
    if (view) { map.setView([+view[2], +view[3]], +view[1], {animate: false}); userView = true; }
    var when = /^\d{4}-\d{2}-\d{2}$/.test(params.date || "") ? Date.parse(params.date) : NaN;
    if (isNaN(when)) return null;
    var day = Math.floor(when / 864e5), g = 0;  // the last date on or before it
    while (g + 1 < N && days[g + 1] <= day) g++;
    return g;
  }
  var api = {show: show, play: play, stop: stop, size: N,
    index: function () { return cur; }, date: function () { return iso(cur); },
    step: function (d) { return show(cur + (d === undefined ? 1 : d)); }};
  root.geoTimeline = api;
  window.geoTimeline = api;
  function fit() {  // the map ends where the panel starts, so no control hides behind it
    panelHeight = root.offsetHeight;
    map.getContainer().style.height = Math.max(100, window.innerHeight - panelHeight) + "px";
    map.invalidateSize({animate: false});
    if (cur >= 0) placeTip(cur);
  }
  window.addEventListener("resize", fit);
  fit();
  if (D.bounds) {  // no animation, so the first drawing is final
    map.fitBounds([[D.bounds[1], D.bounds[0]], [D.bounds[3], D.bounds[2]]], {animate: false,
      paddingTopLeft: [10, 60], paddingBottomRight: [10, 10]});
  }
  drawBars();
  var start = fromHash();
  show(start === null ? N - 1 : start);
  map.on("dragend zoomend", function () { userView = true; scheduleHash(); });
  window.addEventListener("hashchange", function () {
    var g = fromHash();
    if (g !== null && g !== cur) { stop(); show(g); }
  });
})();
