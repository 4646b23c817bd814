// explore.html: the owner's network and the identity graph, drawn by vis-network.
// Everything from mail is set as text (textContent, canvas labels), never as HTML.
(function () {
  "use strict";
  var DATA = JSON.parse(document.getElementById("explore-data").textContent);
  var $ = function (id) { return document.getElementById(id); };
  var COLOURS = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948",
                 "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];
  var KIND_COLOURS = {you: "#222222", list: "#8a8a8a", organisation: "#c9a227",
                      relay: "#c9a227", machinery: "#bab0ac", mine: "#222222",
                      other: "#4e79a7"};
  var state = {graph: "communication", from: 0, to: 0, network: null};

  // -- the months the slider walks ------------------------------------------------
  var monthSet = {};
  DATA.communication.edges.forEach(function (e) {
    e.months.forEach(function (m) { if (m[0]) monthSet[m[0]] = true; });
  });
  DATA.identities.edges.forEach(function (e) {
    e.months.forEach(function (m) { if (m[0]) monthSet[m[0]] = true; });
  });
  var MONTHS = Object.keys(monthSet).sort();
  var HELP = $("panel").firstElementChild.cloneNode(true);

  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (cls) node.className = cls;
    return node;
  }

  function inPeriod(month) {
    if (!MONTHS.length || (state.from === 0 && state.to === MONTHS.length - 1)) return true;
    return month >= MONTHS[state.from] && month <= MONTHS[state.to];
  }

  function fullPeriod() {
    return !MONTHS.length || (state.from === 0 && state.to === MONTHS.length - 1);
  }

  // -- what each graph draws in the period ----------------------------------------
  function inThePeriod(months) { // messages of those months the period holds
    return months.reduce(function (sum, m) {
      return sum + (m[0] && inPeriod(m[0]) ? m[1] : 0);
    }, 0);
  }

  function communicationView() {
    var edges = [], touched = {};
    DATA.communication.edges.forEach(function (e, i) {
      var n = fullPeriod() ? e.messages : inThePeriod(e.months);
      if (!n) return;
      touched[e.a] = touched[e.b] = true;
      edges.push({id: "c" + i, from: e.a, to: e.b, value: n, title: undefined,
                  label: undefined, index: i});
    });
    var nodes = DATA.communication.nodes.filter(function (n) {
      return fullPeriod() || touched[n.id];
    }).map(function (n) {
      var colour = KIND_COLOURS[n.kind] ||
        (n.community ? COLOURS[(n.community - 1) % COLOURS.length] : "#9fb3c8");
      return {id: n.id, label: n.label, value: Math.max(n.messages, 1),
              shape: n.kind === "list" ? "box" : "dot", color: colour,
              font: {color: n.kind === "list" ? "#ffffff" : "#222222"}};
    });
    return {nodes: nodes, edges: edges};
  }

  function identityView() {
    var edges = [], touched = {};
    DATA.identities.edges.forEach(function (e, i) {
      // a pair with no dated message (the mailbox alone ties it) belongs to no period
      if (!fullPeriod() && !inThePeriod(e.months)) return;
      touched[e.a] = touched[e.b] = true;
      edges.push({id: "i" + i, from: e.a, to: e.b, value: Math.max(e.score, 0.1),
                  dashes: e.confidence === "" || e.score < DATA.claim, index: i});
    });
    var nodes = DATA.identities.nodes.filter(function (n) {
      return fullPeriod() || touched[n.id];
    }).map(function (n) {
      return {id: n.id, label: n.label ? n.label + "\n" + n.id : n.id, shape: "dot", size: 12,
              color: n.owner ? KIND_COLOURS.mine : KIND_COLOURS.other};
    });
    return {nodes: nodes, edges: edges};
  }

  // -- the panel ------------------------------------------------------------------
  function panel() {
    var box = $("panel");
    box.replaceChildren();
    return box;
  }

  function messageList(box, refs, total) {
    var list = el("ol", null, "messages");
    refs.forEach(function (m) {
      var item = el("li");
      item.appendChild(el("span", m.date || "no date", "date"));
      item.appendChild(el("span", m.subject || "(no subject)", "subject"));
      item.appendChild(el("code", m.message_id, "message-id"));
      list.appendChild(item);
    });
    box.appendChild(list);
    if (total > refs.length) {
      box.appendChild(el("p", "… and " + (total - refs.length) + " more", "more"));
    }
  }

  function showLinks(box, e) {
    var head = (e.finding ? e.finding + ": " : "") + e.a + " — " + e.b;
    box.appendChild(el("h3", head));
    box.appendChild(el("p", "same person: " + e.score.toFixed(2) +
      (e.confidence ? " (" + e.confidence + ")" : "") + " · " + e.relation, "meta"));
    e.links.forEach(function (l) {
      var section = el("div", null, "link");
      section.appendChild(el("h4", l.evidence_name === l.evidence ? l.evidence :
        l.evidence_name + " (" + l.evidence + ")"));
      section.appendChild(el("p", l.detail, "detail"));
      section.appendChild(el("p", "seen by " + (l.observer_class || "nobody named") + ", " +
        l.messages_total + " message(s)", "meta"));
      messageList(section, l.messages, l.messages_total);
      box.appendChild(section);
    });
  }

  function showNode(id) {
    var box = panel();
    if (state.graph === "communication") {
      var node = DATA.communication.nodes.find(function (n) { return n.id === id; });
      box.appendChild(el("h2", node.label));
      box.appendChild(el("p", node.kind + (node.community ? " · community " + node.community :
        "") + " · " + node.messages + " message(s) with others", "meta"));
      box.appendChild(el("h3", "Addresses"));
      var list = el("ul", null, "addresses");
      node.addresses.forEach(function (a) { list.appendChild(el("li", a)); });
      box.appendChild(list);
    } else {
      var identity = DATA.identities.nodes.find(function (n) { return n.id === id; });
      box.appendChild(el("h2", identity.label || identity.id));
      box.appendChild(el("p", identity.id, "address"));
      box.appendChild(el("p", identity.owner ? "yours: " + identity.kind : "another's address",
        "meta"));
    }
    var links = DATA.identities.edges.filter(function (e) {
      var addresses = state.graph === "communication" ?
        DATA.communication.nodes.find(function (n) { return n.id === id; }).addresses : [id];
      return addresses.indexOf(e.a) >= 0 || addresses.indexOf(e.b) >= 0;
    });
    box.appendChild(el("h3", links.length ? "Links" : "No link ties these addresses"));
    links.forEach(function (e) { showLinks(box, e); });
  }

  function showEdge(id) {
    var box = panel();
    var index = Number(id.slice(1));
    if (id[0] === "c") {
      var e = DATA.communication.edges[index];
      var label = function (n) {
        return DATA.communication.nodes.find(function (x) { return x.id === n; }).label;
      };
      box.appendChild(el("h2", label(e.a) + " — " + label(e.b)));
      box.appendChild(el("p", e.messages + " message(s) between them, the newest listed",
        "meta"));
      messageList(box, e.shown, e.messages);
    } else {
      showLinks(box, DATA.identities.edges[index]);
    }
  }

  // -- drawing --------------------------------------------------------------------
  function draw() {
    var view = state.graph === "communication" ? communicationView() : identityView();
    var options = {
      nodes: {scaling: {min: 8, max: 40, label: {enabled: true, min: 12, max: 22}},
              font: {size: 14, face: "system-ui, sans-serif"}},
      edges: {color: {color: "#b8c2cc", highlight: "#e15759"}, smooth: false,
              scaling: {min: 1, max: 10}},
      physics: {solver: "forceAtlas2Based", stabilization: {iterations: 300}},
      interaction: {hover: true, tooltipDelay: 100000, navigationButtons: false,
                    keyboard: false}
    };
    if (state.network) state.network.destroy();
    state.network = new vis.Network($("graph"), {
      nodes: new vis.DataSet(view.nodes), edges: new vis.DataSet(view.edges)
    }, options);
    state.network.once("stabilizationIterationsDone", function () {
      state.network.setOptions({physics: false});
      state.network.fit({animation: false});
      document.body.dataset.ready = "true";
    });
    state.network.on("click", function (params) {
      if (params.nodes.length) showNode(params.nodes[0]);
      else if (params.edges.length) showEdge(params.edges[0]);
    });
    var whole = DATA.communication;
    var capped = state.graph === "communication" && whole.nodes_total > whole.nodes.length ?
      " (the busiest " + whole.nodes.length + " of " + whole.nodes_total + " people and " +
      whole.edges.length + " of " + whole.edges_total + " edges; the graph files hold all)" : "";
    $("count").textContent = view.nodes.length + " nodes, " + view.edges.length + " edges" +
      capped;
    document.body.dataset.nodes = String(view.nodes.length);
    document.body.dataset.edges = String(view.edges.length);
    window.exploreNetwork = state.network; // for tests and the curious
    if (!view.nodes.length) document.body.dataset.ready = "true"; // nothing to settle
  }

  function showPeriod() {
    $("period").textContent = MONTHS.length ?
      MONTHS[state.from] + " to " + MONTHS[state.to] : "no dated messages";
  }

  function search() {
    var wanted = $("search").value.trim().toLowerCase();
    if (!wanted) return;
    var nodes = state.graph === "communication" ? DATA.communication.nodes :
      DATA.identities.nodes;
    var hit = nodes.find(function (n) {
      return [n.id, n.label].concat(n.addresses || []).some(function (v) {
        return v && v.toLowerCase().indexOf(wanted) >= 0;
      });
    });
    var drawn = hit && state.network.body.data.nodes.get(hit.id);
    var capped = state.graph === "communication" &&
      DATA.communication.nodes_total > DATA.communication.nodes.length;
    $("search-result").textContent = drawn ? "" : !hit ? (capped ?
      "not among the " + nodes.length + " busiest drawn (the graph files hold everybody)" :
      "nobody by that name or address") :
      fullPeriod() ? hit.id + " is not drawn" : hit.id + " is not drawn in this period";
    if (drawn) {
      state.network.selectNodes([hit.id]);
      state.network.focus(hit.id, {scale: 1.5, animation: false});
      showNode(hit.id);
    }
  }

  // -- controls -------------------------------------------------------------------
  ["from", "to"].forEach(function (end) {
    var slider = $(end);
    slider.max = String(Math.max(MONTHS.length - 1, 0));
    slider.value = end === "from" ? "0" : slider.max;
    slider.disabled = MONTHS.length < 2;
    slider.addEventListener("input", function () {
      state[end] = Number(slider.value);
      if (state.from > state.to) {
        if (end === "from") { state.to = state.from; $("to").value = String(state.to); }
        else { state.from = state.to; $("from").value = String(state.from); }
      }
      showPeriod();
    });
    slider.addEventListener("change", function () {
      document.body.dataset.ready = "";
      draw();
    });
  });
  state.to = Math.max(MONTHS.length - 1, 0);
  document.querySelectorAll("button[data-graph]").forEach(function (button) {
    button.addEventListener("click", function () {
      state.graph = button.dataset.graph;
      document.querySelectorAll("button[data-graph]").forEach(function (b) {
        b.setAttribute("aria-pressed", String(b === button));
      });
      $("panel").replaceChildren(HELP.cloneNode(true));
      document.body.dataset.ready = "";
      draw();
    });
  });
  $("search-form").addEventListener("submit", function (event) {
    event.preventDefault();
    search();
  });
  showPeriod();
  draw();
})();
