// The list page's selection: enables "Delete selected…" and says how many are ticked.
(function () {
  "use strict";
  var form = document.getElementById("bulk-form");
  if (!form) return;
  var button = document.getElementById("bulk-delete");
  var count = document.getElementById("bulk-count");
  var all = document.getElementById("select-page");
  var boxes = Array.prototype.slice.call(document.querySelectorAll('input[name="ids"][form="bulk-form"]'));

  function update() {
    var ticked = boxes.filter(function (box) { return box.checked; }).length;
    button.disabled = ticked === 0;
    count.textContent = ticked === 0 ? "None selected" : ticked + " selected";
    if (all) {
      all.checked = ticked > 0 && ticked === boxes.length;
      all.indeterminate = ticked > 0 && ticked < boxes.length;
    }
  }

  boxes.forEach(function (box) { box.addEventListener("change", update); });
  if (all) {
    all.addEventListener("change", function () {
      boxes.forEach(function (box) { box.checked = all.checked; });
      update();
    });
  }
  update();
})();
