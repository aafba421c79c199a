/* Kernel-free explorer (issue 23): picks one of the frames stored in the page.
   Each explorer is a <div class="bc-static-explorer"> holding its frames as JSON in a
   <script type="application/json">; a <select> (optional) picks a group of frames, each
   range slider picks a value, and the picture and caption of that frame are shown. */
(function () {
  function setup(root) {
    if (root.dataset.bcReady) return;
    root.dataset.bcReady = "1";
    var data = JSON.parse(root.querySelector("script.bc-frames").textContent);
    var select = root.querySelector("select.bc-group");
    var sliders = Array.prototype.slice.call(root.querySelectorAll("input.bc-axis"));
    var img = root.querySelector("img.bc-frame");
    var caption = root.querySelector(".bc-caption");
    function group() { return data.groups[select ? select.value : data.order[0]]; }
    function show() {
      var g = group(), index = 0;
      sliders.forEach(function (s, a) {
        var values = g.axes[a];
        s.max = values.length - 1;
        if (+s.value > values.length - 1) s.value = values.length - 1;
        index = index * values.length + (+s.value);
        root.querySelector(".bc-value-" + a).textContent = values[+s.value];
      });
      var frame = g.frames[index];
      img.src = frame.src;
      caption.textContent = frame.text;
      caption.classList.toggle("bc-diverged", !!frame.diverged);
      root.dataset.frame = (select ? select.value : "") + ":" + index;
    }
    if (select) select.addEventListener("change", show);
    sliders.forEach(function (s) { s.addEventListener("input", show); });
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
