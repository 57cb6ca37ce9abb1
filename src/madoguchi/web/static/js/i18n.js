// Japanese and English: the browser's preference picks, a switch overrides (remembered).
const SUPPORTED = ["ja", "en"];
const STORAGE_KEY = "madoguchi.lang";
const catalogs = {};
let current = "ja";

/** The language to use: the saved choice, else the first supported browser language. */
export function preferredLanguage() {
  const saved = localStorage.getItem(STORAGE_KEY);
  if (SUPPORTED.includes(saved)) return saved;
  for (const tag of navigator.languages || [navigator.language || "ja"]) {
    const base = tag.toLowerCase().split("-")[0];
    if (SUPPORTED.includes(base)) return base;
  }
  return "ja";
}

/** Load the catalog for `lang` and translate the page. */
export async function setLanguage(lang, { remember = false } = {}) {
  if (!SUPPORTED.includes(lang)) lang = "ja";
  if (!catalogs[lang]) {
    const response = await fetch(`/static/i18n/${lang}.json`);
    catalogs[lang] = await response.json();
  }
  current = lang;
  if (remember) localStorage.setItem(STORAGE_KEY, lang);
  document.documentElement.lang = lang;
  translate(document);
  document.dispatchEvent(new CustomEvent("languagechange", { detail: { lang } }));
}

export function language() {
  return current;
}

/** The text for `key`, with `{name}` placeholders filled from `params`. */
export function t(key, params = {}) {
  const text = (catalogs[current] && catalogs[current][key]) ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in params ? String(params[name]) : `{${name}}`));
}

/** A configured text {ja, en} (or name_ja/name_en) in the current language. */
export function localized(value) {
  if (!value) return "";
  if (typeof value === "string") return value;
  if ("ja" in value || "en" in value) return (current === "en" ? value.en || value.ja : value.ja || value.en) || "";
  return (current === "en" ? value.name_en || value.name_ja : value.name_ja || value.name_en) || "";
}

/** Fill every [data-i18n] element (text) and [data-i18n-attr="attr:key"] attribute under root. */
export function translate(root) {
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-attr]")) {
    for (const pair of el.dataset.i18nAttr.split(";")) {
      const [attr, key] = pair.split(":");
      el.setAttribute(attr, t(key));
    }
  }
}

/** <mdg-lang-switch>: a button toggling between 日本語 and English. */
class LanguageSwitch extends HTMLElement {
  connectedCallback() {
    this.innerHTML = `<button type="button" class="lang-switch"></button>`;
    const button = this.querySelector("button");
    const render = () => {
      button.textContent = current === "ja" ? "English" : "日本語";
      button.setAttribute("aria-label", current === "ja" ? "Switch to English" : "日本語に切り替え");
    };
    button.addEventListener("click", () => setLanguage(current === "ja" ? "en" : "ja", { remember: true }));
    document.addEventListener("languagechange", render);
    render();
  }
}
customElements.define("mdg-lang-switch", LanguageSwitch);
