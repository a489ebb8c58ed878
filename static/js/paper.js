/* Keyboard entry of paper ballots (templates/rules/paper.html).
 *
 * The page works without this file: a search form and three buttons per person. This
 * adds the keys a clerk uses for a stack of 300 ballots without touching the mouse:
 *   in the search box   Enter or ↓ picks the first person found (the results are
 *                       fetched first if they are not for what is typed; a 1, 2 or
 *                       3 pressed while they come is kept as the choice);
 *   on a person         ↑ ↓ change person, 1 2 3 choose 赞成 反对 弃权 (the button of
 *                       that choice takes the focus, so Enter enters it), Esc goes back
 *                       to the search box, any other key starts a new search;
 *   after an entry      the search box is empty and focused for the next ballot.
 * Digits typed in the search box stay there: door numbers are digits. The file is
 * loaded once per full page load and listens on the document, so the panels htmx
 * swaps in need nothing of their own.
 */
(function () {
  "use strict";

  var CHOICE_KEYS = { "1": 0, "2": 1, "3": 2 };
  var pickWhenFound = false;
  var queuedChoice = null;

  function searchBox() {
    return document.getElementById("paper-q");
  }

  function people() {
    return Array.prototype.slice.call(document.querySelectorAll("#paper-results [data-match]"));
  }

  function resultsAreFor(value) {
    var list = document.querySelector("#paper-results .paper-matches");
    return list !== null && list.getAttribute("data-q") === value.trim();
  }

  function say(text) {
    var live = document.getElementById("paper-live");
    if (!live || !text) {
      return;
    }
    // Emptied first, so the same words twice in a row are read twice.
    live.textContent = "";
    window.setTimeout(function () {
      live.textContent = text;
    }, 60);
  }

  function markCurrent(person) {
    people().forEach(function (each) {
      each.classList.toggle("is-current", each === person);
    });
  }

  function pick(person) {
    if (!person) {
      return false;
    }
    markCurrent(person);
    person.focus();
    return true;
  }

  function backToSearch(selectAll) {
    var box = searchBox();
    if (!box) {
      return;
    }
    box.focus();
    if (selectAll) {
      box.select();
    }
  }

  function choose(person, index) {
    var button = person.querySelectorAll(".paper-choice")[index];
    if (button) {
      markCurrent(person);
      button.focus();
    }
  }

  function pickFirst() {
    var first = people()[0];
    var choice = queuedChoice;
    queuedChoice = null;
    if (!pick(first)) {
      var summary = document.querySelector("#paper-results .paper-matches");
      say(summary ? summary.textContent.trim() : "");
    } else if (choice !== null) {
      choose(first, choice);
    }
  }

  function onSearchKey(event, box) {
    var key = event.key;
    if (!window.htmx) {
      return; // htmx did not load: Enter submits the search form as it would without us
    }
    if (pickWhenFound) {
      // The query was sent with Enter: until its people are shown, a digit is the
      // choice for the first of them, and a second Enter waits with the first.
      if (Object.prototype.hasOwnProperty.call(CHOICE_KEYS, key)) {
        event.preventDefault();
        queuedChoice = CHOICE_KEYS[key];
        return;
      }
      if (key === "Enter") {
        event.preventDefault();
        return;
      }
      if (key.length === 1 || key === "Backspace" || key === "Delete") {
        pickWhenFound = false;
        queuedChoice = null;
      }
    }
    if (key !== "Enter" && key !== "ArrowDown") {
      return;
    }
    event.preventDefault();
    if (!box.value.trim()) {
      return;
    }
    if (resultsAreFor(box.value)) {
      pickFirst();
    } else {
      pickWhenFound = true;
      window.htmx.trigger(box, "search");
    }
  }

  function onPersonKey(event, person) {
    var key = event.key;
    var everyone = people();
    var at = everyone.indexOf(person);
    if (key === "ArrowDown" || key === "ArrowUp") {
      event.preventDefault();
      var next = everyone[at + (key === "ArrowDown" ? 1 : -1)];
      if (next) {
        pick(next);
      } else if (key === "ArrowUp") {
        backToSearch(false);
      }
    } else if (Object.prototype.hasOwnProperty.call(CHOICE_KEYS, key)) {
      event.preventDefault();
      choose(person, CHOICE_KEYS[key]);
    } else if (key === "Enter" && event.target === person) {
      event.preventDefault();
      say(person.getAttribute("data-ask") || "1 2 3");
    } else if (key === "Escape") {
      event.preventDefault();
      backToSearch(true);
    } else if (key.length === 1 && !event.ctrlKey && !event.metaKey && !event.altKey) {
      // Typing again means the next person: the key lands in the search box.
      backToSearch(true);
    }
  }

  document.addEventListener("keydown", function (event) {
    if (event.isComposing) {
      return;
    }
    var target = event.target;
    if (!(target instanceof Element)) {
      return;
    }
    if (target.id === "paper-q") {
      onSearchKey(event, target);
      return;
    }
    var person = target.closest("#paper-results [data-match]");
    if (person) {
      onPersonKey(event, person);
    }
  });

  // A swap of the results while a person has the focus (a late answer to a search)
  // would drop the focus on the page: the same person and button take it back. Keys
  // typed into the search box while an entry was on its way start the next search.
  var refocus = null;
  var carried = "";

  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail && event.detail.target;
    var active = document.activeElement;
    if (!target || !active) {
      return;
    }
    if (target.id === "paper-results") {
      var person = active.closest ? active.closest("[data-match]") : null;
      var buttons = person ? person.querySelectorAll(".paper-choice") : [];
      refocus = person
        ? { id: person.id, button: Array.prototype.indexOf.call(buttons, active) }
        : null;
    } else if (target.id === "paper-entry") {
      carried = active.id === "paper-q" && !resultsAreFor(active.value) ? active.value : "";
    }
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail && event.detail.target;
    if (!target) {
      return;
    }
    if (target.id === "paper-results") {
      markCurrent(people()[0]);
      var wanted = refocus;
      var again = wanted && document.getElementById(wanted.id);
      refocus = null;
      if (pickWhenFound) {
        pickWhenFound = false;
        pickFirst();
      } else if (again) {
        var button = again.querySelectorAll(".paper-choice")[wanted.button];
        markCurrent(again);
        (button || again).focus();
      }
    } else if (target.id === "paper-entry") {
      pickWhenFound = false;
      queuedChoice = null;
      var done = target.querySelector(".paper-done");
      var box = searchBox();
      if (done) {
        say(done.textContent.trim());
        if (carried && box) {
          box.value = carried;
          window.htmx.trigger(box, "search");
        }
      }
      carried = "";
      backToSearch(false);
    }
  });

  function start() {
    markCurrent(people()[0]);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
