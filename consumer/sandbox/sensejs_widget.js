/* flexmit sandbox: a stand-in for SenseJS (contract section 10.1), served at /sensejs/widget.js.
 *
 * Loader contract: window['JS-Widget'] names the global ('fc'); calls made before this script
 * arrived wait in fc.q; fc('init', mid, siteId) opens one session per page and later calls are
 * ignored. It reads a few device signals, never a form field, posts them to the sandbox, which
 * issues the sense key. How the real widget hands the key to the page is not documented; this
 * stand-in sets window.fc.senseKey and then dispatches a 'fc:sensekey' CustomEvent on document
 * with detail.senseKey.
 */
(function (window, document) {
  "use strict";
  var name = window["JS-Widget"] || "fc";
  var queued = (window[name] && window[name].q) || [];
  var script = document.currentScript || findScript();
  var sessionsUrl = new URL("sessions", script.src).href;
  var started = false;

  function fc(command) {
    if (command === "init") {
      init(arguments[1], arguments[2]);
    }
  }
  fc.q = [];
  fc.senseKey = null;

  function findScript() {
    var scripts = document.getElementsByTagName("script");
    for (var i = scripts.length - 1; i >= 0; i--) {
      if (/\/sensejs\/widget\.js(\?|$)/.test(scripts[i].src)) {
        return scripts[i];
      }
    }
    throw new Error("SenseJS stand-in: cannot find its own script element");
  }

  function signals() {
    var screen = window.screen || {};
    return {
      timezone: Intl.DateTimeFormat().resolvedOptions().timeZone || null,
      timezoneOffset: new Date().getTimezoneOffset(),
      language: navigator.language || null,
      userAgent: navigator.userAgent,
      screen: screen.width + "x" + screen.height,
      colorDepth: screen.colorDepth || null,
      viewport: window.innerWidth + "x" + window.innerHeight,
      touch: "ontouchstart" in window,
      page: window.location.pathname
    };
  }

  function init(mid, siteId) {
    if (started) {
      return;
    }
    started = true;
    // text/plain keeps this a CORS "simple request": no preflight before the key is issued.
    fetch(sessionsUrl, {
      method: "POST",
      headers: { "Content-Type": "text/plain" },
      body: JSON.stringify({ mid: mid, siteId: siteId, signals: signals() })
    })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.json();
      })
      .then(function (body) {
        publish(body.senseKey);
      })
      .catch(function (error) {
        console.warn("SenseJS stand-in: no sense key: " + error.message);
      });
  }

  function publish(senseKey) {
    fc.senseKey = senseKey;
    document.dispatchEvent(new CustomEvent("fc:sensekey", { detail: { senseKey: senseKey } }));
  }

  window[name] = fc;
  for (var i = 0; i < queued.length; i++) {
    fc.apply(null, queued[i]);
  }
})(window, document);
