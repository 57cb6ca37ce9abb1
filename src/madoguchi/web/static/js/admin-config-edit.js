// Admin: edit a section of the center (skills, calendars with hours/holidays/closures, queues,
// agents, dispositions, not-ready reasons) as YAML. The server checks the whole center with the
// validated loader and writes a new version of the center file; problems come back as
// FILE:LINE. Skills, calendars, dispositions and reasons go into service at once; what routing
// builds at start (queues, the skill catalogue…) waits for a restart, and the page says which.
import { api, esc } from "./api.js";
import { t } from "./i18n.js";

const $ = (id) => document.getElementById(id);

export async function loadConfigEdit() {
  const select = $("edit-section");
  if (!select.dataset.wired) {
    select.dataset.wired = "true";
    select.addEventListener("change", loadConfigEdit);
    $("edit-save").addEventListener("click", save);
    $("skills-form").addEventListener("submit", moveAgent);
  }
  $("edit-problems").innerHTML = "";
  $("edit-status").textContent = "";
  const section = await api(`/api/v1/admin/config/sections/${select.value}`);
  $("edit-yaml").value = section.yaml;
  $("edit-readonly").textContent = section.read_only_yaml;
  $("edit-readonly-box").classList.toggle("hidden", !section.read_only_yaml);
  $("edit-file").textContent = section.file;
  $("edit-restart").classList.toggle("hidden", !section.restart_required);
}

function showSaved(saved) {
  const applied = saved.applied.join(", ");
  $("edit-status").textContent = saved.restart_required
    ? t("edit.saved_restart", { file: saved.file, applied: applied || "—", waiting: saved.waiting.join(", ") })
    : t("edit.saved_live", { file: saved.file, applied: applied || "—" });
  $("edit-restart").classList.toggle("hidden", !saved.restart_required);
}

function showProblems(failure) {
  $("edit-problems").innerHTML = `<p class="error">${esc(failure.message)}</p>
    <ul id="edit-problem-list">${failure.details.map((d) => `<li><code>${esc(d.field)}</code> ${esc(d.message)}</li>`).join("")}</ul>`;
}

async function save() {
  $("edit-problems").innerHTML = "";
  $("edit-status").textContent = "";
  try {
    const saved = await api(`/api/v1/admin/config/sections/${$("edit-section").value}`, {
      method: "PUT",
      body: { yaml: $("edit-yaml").value },
    });
    showSaved(saved);
  } catch (failure) {
    showProblems(failure);
  }
}

async function moveAgent(event) {
  event.preventDefault();
  $("edit-problems").innerHTML = "";
  $("edit-status").textContent = "";
  const skills = {};
  for (const part of $("skills-value").value.split(",")) {
    const [skill, level] = part.split(":").map((s) => s.trim());
    if (skill) skills[skill] = Number(level || 1);
  }
  const agent = $("skills-agent").value.trim();
  try {
    const saved = await api(`/api/v1/admin/agents/${encodeURIComponent(agent)}/skills`, { method: "PUT", body: { skills } });
    showSaved(saved);
    if ($("edit-section").value === "agents") loadConfigEdit();
  } catch (failure) {
    showProblems(failure);
  }
}
