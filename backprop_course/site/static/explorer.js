/* Kernel-free explorer (issue 23): picks one of the frames stored in the page.
   Each explorer is a <div class="bc-static-explorer"> whose frames are pictures in a list of
   <details> (what a viewer that runs no script shows); this script makes its controls (a
   <select> of groups, optional, and a range slider per axis) from the JSON beside it, hides
   the list, and on every move shows the picture and caption of the frame they pick. */
(function () {
  function setup(root) {
    if (root.dataset.bcReady) return;
    root.dataset.bcReady = "1";
    var data = JSON.parse(root.querySelector("script.bc-frames").textContent);
    var frames = {};
    root.querySelectorAll("details.bc-item").forEach(function (d) {
      var text = d.querySelector("summary").textContent;
      (frames[d.dataset.group] = frames[d.dataset.group] || [])[+d.dataset.index] = {
        src: d.querySelector("img").src,
        text: text.slice(text.indexOf(": ") + 2),
        diverged: d.dataset.diverged === "1"
      };
    });
    // the controls: a <select> of groups (when there are several) and a slider per axis
    var box = root.querySelector(".bc-controls"), select = null, sliders = [];
    var first = data.axes[data.start[0]];
    function labelled(text, control, value) {
      var label = document.createElement("label");
      label.appendChild(document.createTextNode(text + " "));
      label.appendChild(control);
      if (value) label.appendChild(value);
      box.appendChild(label);
    }
    if (data.group_label) {
      select = document.createElement("select");
      select.className = "bc-group";
      data.order.forEach(function (k) { select.add(new Option(k, k, false, k === data.start[0])); });
      labelled(data.group_label, select);
    }
    data.labels.forEach(function (text, a) {
      var s = document.createElement("input");
      s.type = "range"; s.className = "bc-axis"; s.min = 0; s.step = 1;
      s.max = first[a].length - 1; s.value = data.start[1][a];
      s.setAttribute("aria-label", text);
      var value = document.createElement("b");
      value.className = "bc-value-" + a;
      labelled(text, s, value);
      sliders.push(s);
    });
    var img = root.querySelector("img.bc-frame");
    var caption = root.querySelector(".bc-caption");
    function show() {
      var group = select ? select.value : data.order[0], axes = data.axes[group], index = 0;
      sliders.forEach(function (s, a) {
        var values = axes[a];
        s.max = values.length - 1;
        if (+s.value > values.length - 1) s.value = values.length - 1;
        index = index * values.length + (+s.value);
        root.querySelector(".bc-value-" + a).textContent = values[+s.value];
      });
      var frame = frames[group][index];
      img.src = frame.src;
      caption.textContent = frame.text;
      caption.classList.toggle("bc-diverged", frame.diverged);
      root.dataset.frame = group + ":" + index;
    }
    if (select) select.addEventListener("change", show);
    sliders.forEach(function (s) { s.addEventListener("input", show); });
    root.querySelector(".bc-all").hidden = true;
    root.classList.add("bc-live");
    show();
  }
  // the explorer this script belongs to (JupyterLab runs it when the output is attached);
  // otherwise every explorer of the page
  var me = document.currentScript;
  var own = me && me.closest ? me.closest(".bc-static-explorer") : null;
  var roots = own ? [own] : document.querySelectorAll(".bc-static-explorer");
  for (var i = 0; i < roots.length; i++) setup(roots[i]);
})();
