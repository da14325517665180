// A local stand-in for Telegram's telegram-web-app.js in the browser tests: the initData
// the test signed (window.__TEST_INIT_DATA__), its theme, and the calls the app makes.
(function () {
  const config = window.__TEST_TELEGRAM__ || {};
  const handlers = {};
  const calls = [];
  const button = (name) => ({
    isVisible: false,
    show() { this.isVisible = true; calls.push(`${name}.show`); },
    hide() { this.isVisible = false; calls.push(`${name}.hide`); },
    onClick(fn) { (handlers[`${name}.click`] = handlers[`${name}.click`] || []).push(fn); },
    offClick() {},
  });
  window.Telegram = {
    WebApp: {
      initData: config.initData || "",
      initDataUnsafe: {},
      colorScheme: config.colorScheme || "light",
      themeParams: config.themeParams || {},
      platform: "tdesktop",
      version: "8.0",
      BackButton: button("BackButton"),
      MainButton: button("MainButton"),
      HapticFeedback: { impactOccurred() {}, notificationOccurred() {}, selectionChanged() {} },
      ready() { calls.push("ready"); },
      expand() { calls.push("expand"); },
      close() { calls.push("close"); },
      onEvent(name, fn) { (handlers[name] = handlers[name] || []).push(fn); },
      offEvent() {},
      showAlert(message, callback) { calls.push(`alert:${message}`); if (callback) callback(); },
      showConfirm(message, callback) { calls.push(`confirm:${message}`); callback(true); },
      __calls: calls,
      __press(name) { (handlers[`${name}.click`] || []).forEach((fn) => fn()); },
    },
  };
})();
