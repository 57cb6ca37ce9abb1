import { api, landingPage, rememberSignIn } from "./api.js";
import { preferredLanguage, setLanguage, t } from "./i18n.js";

await setLanguage(preferredLanguage());

// already signed in: straight to the role's page
try {
  const me = await api("/api/v1/auth/me");
  location.href = landingPage(me.role);
} catch {
  /* not signed in */
}

const form = document.getElementById("sign-in");
const error = document.getElementById("sign-in-error");
form.addEventListener("submit", async (submit) => {
  submit.preventDefault();
  error.textContent = "";
  try {
    const me = await api("/api/v1/auth/sign-in", {
      method: "POST",
      body: { username: form.username.value, password: form.password.value },
    });
    rememberSignIn(me);
    const next = new URLSearchParams(location.search).get("next");
    location.href = next && next.startsWith("/") && !next.startsWith("//") ? next : landingPage(me.role);
  } catch (failure) {
    error.textContent = failure.status === 429 ? t("login.too_many") : t("login.failed");
  }
});
