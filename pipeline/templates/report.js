// The report's only script (allowed by its hash in the page's Content-Security-Policy): filters the article
// list as the reader types and marks the article being shown. Everything else works without it.
(function () {
  "use strict";
  var input = document.getElementById("article-search");
  var count = document.getElementById("article-count");
  var items = Array.prototype.slice.call(document.querySelectorAll("#article-list li"));
  var texts = null;

  function docText(li) {
    var doc = document.getElementById(li.getAttribute("data-anchor"));
    return doc ? doc.textContent.toLowerCase() : "";
  }

  function filter() {
    var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
    if (words.length && texts === null) {
      texts = items.map(docText);
    }
    var shown = 0;
    items.forEach(function (li, i) {
      var hay = (li.getAttribute("data-search") || "") + " " + (texts ? texts[i] : "");
      var ok = words.every(function (w) { return hay.indexOf(w) !== -1; });
      li.hidden = !ok;
      if (ok) { shown += 1; }
    });
    if (count) { count.textContent = shown + " of " + items.length + " shown"; }
  }

  function markCurrent() {
    var id = window.location.hash.slice(1);
    items.forEach(function (li) {
      li.classList.toggle("current", li.getAttribute("data-anchor") === id);
    });
  }

  if (input) {
    input.addEventListener("input", filter);
    filter();
  }
  window.addEventListener("hashchange", markCurrent);
  markCurrent();
})();
