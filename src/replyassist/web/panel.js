// <replyassist-panel>: the replyassist agent-UI plugin.
//
// A dependency-free custom element (plain ES module, shadow DOM, CSS inside) that shows a
// conversation, its tags (mood, urgency, flags with confidence), the SLA countdown, the
// drafts streamed from POST {api-base}/suggest/stream, the cited articles, and lets the
// agent insert, copy, rewrite, send (feedback "accepted"/"edited") or reject a draft.
// Nothing is ever sent to the customer by this panel: "Send" records feedback and fires
// the `replyassist:feedback` DOM event; the host helpdesk does the sending.
//
// API data is only ever written with textContent / attributes, never innerHTML.
// Documentation: docs/plugin.md.

export const STRINGS = {
  en: {
    title: "Reply suggestions",
    conversation: "Conversation",
    analysis: "Analysis",
    drafts: "Drafts",
    articles: "Articles",
    reply: "Your reply",
    replyPlaceholder: "Insert a draft or type your reply…",
    customer: "Customer",
    agent: "Agent",
    bot: "Bot",
    note: "Internal note",
    mood: "Mood",
    urgency: "Urgency",
    register: "Register",
    language: "Language",
    intent: "Intent",
    priority: "Priority",
    confidence: "confidence",
    slaDue: "Reply due in {t}",
    slaOverdue: "Overdue by {t}",
    slaNone: "No SLA",
    draftN: "Draft {n}",
    tone: "Tone",
    strategy: "Strategy",
    warnings: "Warnings",
    sources: "Sources",
    insert: "Insert",
    insertLabel: "Insert draft {n} into the reply box",
    copy: "Copy",
    copyLabel: "Copy draft {n}",
    copyReply: "Copy reply",
    reject: "Reject",
    rejectLabel: "Reject draft {n}",
    send: "Send",
    sendLabel: "Send the reply (records feedback)",
    rewrite: "Rewrite",
    friendlier: "Friendlier",
    more_formal: "More formal",
    shorter: "Shorter",
    more_empathetic: "More empathetic",
    fix: "Fix",
    translate: "Translate",
    rewriteLabel: "Rewrite the reply: {a}",
    retry: "Retry",
    retryLabel: "Retry the suggestion",
    errorTitle: "Suggestions unavailable",
    errorUnreachable: "The reply assistant cannot be reached.",
    loading: "Analysing the conversation…",
    streaming: "Writing a draft…",
    ready: "{n} drafts ready",
    rewriting: "Rewriting…",
    rewritten: "Rewritten",
    copied: "Copied",
    copyFailed: "Copy failed",
    sent: "Feedback recorded: {a}",
    rejected: "Draft {n} rejected",
    nothingToSend: "The reply is empty",
    noConversation: "No conversation selected",
    noDrafts: "No drafts",
    reactions: "Reactions",
    reactionLabel: "Add reaction {l}",
    help: "Keyboard shortcuts",
    shortcutInsert: "Insert draft 1, 2 or 3",
    shortcutCopy: "Copy the reply",
    shortcutSend: "Send the reply",
    shortcutRetry: "Retry",
    accepted: "accepted",
    edited: "edited",
    rejectedAction: "rejected",
    streamingDraft: "being written…",
    moods: { angry: "angry", frustrated: "frustrated", anxious: "anxious", confused: "confused",
             disappointed: "disappointed", neutral: "neutral", positive: "positive" },
    urgencies: { critical: "critical", high: "high", normal: "normal", low: "low" },
    registers: { formal: "formal", casual: "casual" },
    tones: { empathetic: "empathetic", apologetic: "apologetic", reassuring: "reassuring",
             informative: "informative", friendly: "friendly", formal: "formal",
             enthusiastic: "enthusiastic" },
    strategies: { generated: "generated", composed: "composed" },
    flags: { legal_threat: "legal threat", churn_threat: "churn threat",
             public_exposure: "public exposure", safety_risk: "safety risk",
             abusive_language: "abusive language", repeat_contact: "repeat contact",
             vulnerable_customer: "vulnerable customer", prompt_injection: "prompt injection" },
    warningCodes: { llm_unavailable: "LLM unavailable", ungrounded_link: "Link removed",
                    ungrounded_claim: "Unverified claim", pii_leak_blocked: "Personal data removed",
                    prompt_leak: "Instructions removed", over_channel_limit: "Too long for the channel",
                    shortened: "Shortened", language_mismatch: "Other language",
                    hidden_text_removed: "Hidden text removed", customer_echo: "Echo removed",
                    banned_phrase: "Banned phrase removed", banned_claim: "Banned claim removed",
                    public_personal_data: "Public reply", unknown_citation: "Unknown source",
                    placeholder_unfilled: "Placeholder to fill", injection_echo: "Injected text removed",
                    rewrite_unchanged: "Unchanged", rewrite_dropped_content: "Content dropped",
                    partial_fix: "Partly fixed" },
  },
  fr: {
    title: "Suggestions de réponse",
    conversation: "Conversation",
    analysis: "Analyse",
    drafts: "Brouillons",
    articles: "Articles",
    reply: "Votre réponse",
    replyPlaceholder: "Insérez un brouillon ou tapez votre réponse…",
    customer: "Client",
    agent: "Conseiller",
    bot: "Bot",
    note: "Note interne",
    mood: "Humeur",
    urgency: "Urgence",
    register: "Registre",
    language: "Langue",
    intent: "Motif",
    priority: "Priorité",
    confidence: "confiance",
    slaDue: "Réponse attendue dans {t}",
    slaOverdue: "En retard de {t}",
    slaNone: "Pas de délai",
    draftN: "Brouillon {n}",
    tone: "Ton",
    strategy: "Stratégie",
    warnings: "Avertissements",
    sources: "Sources",
    insert: "Insérer",
    insertLabel: "Insérer le brouillon {n} dans la réponse",
    copy: "Copier",
    copyLabel: "Copier le brouillon {n}",
    copyReply: "Copier la réponse",
    reject: "Rejeter",
    rejectLabel: "Rejeter le brouillon {n}",
    send: "Envoyer",
    sendLabel: "Envoyer la réponse (enregistre le retour)",
    rewrite: "Réécrire",
    friendlier: "Plus chaleureux",
    more_formal: "Plus formel",
    shorter: "Plus court",
    more_empathetic: "Plus empathique",
    fix: "Corriger",
    translate: "Traduire",
    rewriteLabel: "Réécrire la réponse : {a}",
    retry: "Réessayer",
    retryLabel: "Relancer la suggestion",
    errorTitle: "Suggestions indisponibles",
    errorUnreachable: "L'assistant de réponse est injoignable.",
    loading: "Analyse de la conversation…",
    streaming: "Rédaction d'un brouillon…",
    ready: "{n} brouillons prêts",
    rewriting: "Réécriture…",
    rewritten: "Réécrit",
    copied: "Copié",
    copyFailed: "Échec de la copie",
    sent: "Retour enregistré : {a}",
    rejected: "Brouillon {n} rejeté",
    nothingToSend: "La réponse est vide",
    noConversation: "Aucune conversation sélectionnée",
    noDrafts: "Aucun brouillon",
    reactions: "Réactions",
    reactionLabel: "Ajouter la réaction {l}",
    help: "Raccourcis clavier",
    shortcutInsert: "Insérer le brouillon 1, 2 ou 3",
    shortcutCopy: "Copier la réponse",
    shortcutSend: "Envoyer la réponse",
    shortcutRetry: "Réessayer",
    accepted: "accepté",
    edited: "modifié",
    rejectedAction: "rejeté",
    streamingDraft: "en cours de rédaction…",
    moods: { angry: "en colère", frustrated: "agacé", anxious: "inquiet", confused: "perdu",
             disappointed: "déçu", neutral: "neutre", positive: "positif" },
    urgencies: { critical: "critique", high: "haute", normal: "normale", low: "basse" },
    registers: { formal: "vouvoiement", casual: "familier" },
    tones: { empathetic: "empathique", apologetic: "excuses", reassuring: "rassurant",
             informative: "informatif", friendly: "chaleureux", formal: "formel",
             enthusiastic: "enthousiaste" },
    strategies: { generated: "générée", composed: "composée" },
    flags: { legal_threat: "menace juridique", churn_threat: "risque de départ",
             public_exposure: "exposition publique", safety_risk: "risque de sécurité",
             abusive_language: "propos injurieux", repeat_contact: "relance",
             vulnerable_customer: "client vulnérable", prompt_injection: "injection de consignes" },
    warningCodes: { llm_unavailable: "LLM indisponible", ungrounded_link: "Lien retiré",
                    ungrounded_claim: "Affirmation non vérifiée", pii_leak_blocked: "Données personnelles retirées",
                    prompt_leak: "Consignes retirées", over_channel_limit: "Trop long pour le canal",
                    shortened: "Raccourci", language_mismatch: "Autre langue",
                    hidden_text_removed: "Texte caché retiré", customer_echo: "Reprise du client retirée",
                    banned_phrase: "Formule interdite retirée", banned_claim: "Affirmation interdite retirée",
                    public_personal_data: "Réponse publique", unknown_citation: "Source inconnue",
                    placeholder_unfilled: "Champ à compléter", injection_echo: "Texte injecté retiré",
                    rewrite_unchanged: "Inchangé", rewrite_dropped_content: "Contenu perdu",
                    partial_fix: "Correction partielle" },
  },
};

export const REWRITE_ACTIONS = ["friendlier", "more_formal", "shorter", "more_empathetic", "fix",
                                "translate"];

const CSS = `
:host { display: block; box-sizing: border-box; max-width: 100%; min-width: 0;
  font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d2330;
  --ra-accent: #2f5bd3; --ra-bad: #c62828; --ra-muted: #5f6776; --ra-border: #d9dde6;
  --ra-bg: #ffffff; --ra-soft: #f4f6fa; }
*, *::before, *::after { box-sizing: border-box; }
[hidden] { display: none !important; }
.panel { background: var(--ra-bg); border: 1px solid var(--ra-border); border-radius: 10px;
  padding: 12px; display: grid; gap: 12px; min-width: 0; max-width: 100%; overflow-wrap: anywhere; }
header { display: flex; align-items: center; gap: 8px; flex-wrap: wrap; }
header h2 { font-size: 16px; margin: 0; flex: 1 1 auto; }
h3 { font-size: 13px; text-transform: uppercase; letter-spacing: .04em; color: var(--ra-muted);
  margin: 0 0 6px; }
.cols { display: grid; gap: 12px; grid-template-columns: repeat(auto-fit, minmax(min(100%, 340px), 1fr));
  align-items: start; min-width: 0; }
.col { display: grid; gap: 12px; min-width: 0; }
section { min-width: 0; }
button { font: inherit; cursor: pointer; border: 1px solid var(--ra-border); background: var(--ra-soft);
  color: inherit; border-radius: 6px; padding: 5px 10px; min-height: 32px; }
button:hover { border-color: var(--ra-accent); }
button:focus-visible, a:focus-visible, textarea:focus-visible { outline: 2px solid var(--ra-accent);
  outline-offset: 2px; }
button.primary { background: var(--ra-accent); color: #fff; border-color: var(--ra-accent); }
button:disabled { opacity: .5; cursor: default; }
.help { position: relative; }
.help > button { border-radius: 50%; width: 32px; padding: 0; }
.tooltip { position: absolute; right: 0; top: 38px; z-index: 10; background: #1d2330; color: #fff;
  border-radius: 8px; padding: 8px 12px; width: max-content; max-width: min(300px, 80vw);
  box-shadow: 0 4px 16px rgba(0,0,0,.2); }
.tooltip ul { margin: 4px 0 0; padding: 0; list-style: none; }
.tooltip li { margin: 2px 0; }
kbd { font: 12px ui-monospace, monospace; background: rgba(255,255,255,.15); border-radius: 4px;
  padding: 1px 4px; }
.error { border: 1px solid var(--ra-bad); background: #fdecea; color: #7f1d1d; border-radius: 8px;
  padding: 8px 12px; display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }
.error .msg { flex: 1 1 200px; }
.status { color: var(--ra-muted); font-size: 13px; min-height: 1.4em; }
.turns { list-style: none; margin: 0; padding: 0; display: grid; gap: 6px; max-height: 320px;
  overflow-y: auto; }
.turn { border-radius: 8px; padding: 6px 10px; background: var(--ra-soft); white-space: pre-wrap; }
.turn.agent, .turn.bot { background: #e8eefc; margin-left: 12%; }
.turn.customer { margin-right: 12%; }
.turn.note { background: #fff7d6; border: 1px dashed #c9a400; }
.turn .who { font-size: 12px; color: var(--ra-muted); display: block; white-space: normal; }
.chips { display: flex; flex-wrap: wrap; gap: 6px; }
.chip { display: inline-flex; align-items: center; gap: 4px; border-radius: 999px; padding: 2px 10px;
  background: var(--ra-soft); border: 1px solid var(--ra-border); font-size: 13px; }
.chip .conf { color: var(--ra-muted); font-size: 12px; }
.chip.flag { background: #fdecea; border-color: #f2b8b5; color: #7f1d1d; }
.chip.mood-angry, .chip.mood-frustrated, .chip.urgency-critical, .chip.urgency-high {
  background: #fdecea; border-color: #f2b8b5; }
.chip.mood-positive, .chip.urgency-low { background: #e7f6ec; border-color: #b5dfc2; }
.sla { font-variant-numeric: tabular-nums; }
.sla.overdue { background: var(--ra-bad); border-color: var(--ra-bad); color: #fff; }
.drafts { display: grid; gap: 10px; }
.card { border: 1px solid var(--ra-border); border-radius: 8px; padding: 10px; display: grid; gap: 6px;
  min-width: 0; }
.card.streaming .text::after { content: "▍"; animation: blink 1s steps(1) infinite; }
@keyframes blink { 50% { opacity: 0; } }
.card .meta { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; font-size: 13px; }
.card .meta strong { margin-right: 4px; }
.card .text { white-space: pre-wrap; margin: 0; }
.card.rejected { opacity: .55; }
.warnings { margin: 0; padding-left: 18px; color: #8a4b00; font-size: 13px; }
.links { margin: 0; padding-left: 18px; font-size: 13px; }
a { color: var(--ra-accent); }
.actions { display: flex; flex-wrap: wrap; gap: 6px; }
textarea { width: 100%; min-height: 110px; resize: vertical; font: inherit; padding: 8px;
  border: 1px solid var(--ra-border); border-radius: 8px; }
.rewrite { display: flex; flex-wrap: wrap; gap: 6px; margin: 6px 0; }
.rewrite button { font-size: 13px; padding: 4px 8px; }
.reactions button { border-radius: 999px; padding: 2px 10px; min-height: 28px; }
@media (max-width: 480px) {
  .panel { padding: 8px; }
  .turn.agent, .turn.bot { margin-left: 6%; }
  .turn.customer { margin-right: 6%; }
}
`;

const SHORTCUTS = [["Alt+1…3", "shortcutInsert"], ["Alt+C", "shortcutCopy"],
                   ["Alt+Enter", "shortcutSend"], ["Alt+R", "shortcutRetry"]];

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "text") node.textContent = value;
    else if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function safeUrl(url) {
  if (typeof url !== "string") return null;
  try {
    const parsed = new URL(url, document.baseURI);
    return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.href : null;
  } catch {
    return null;
  }
}

function formatDuration(ms) {
  const total = Math.max(0, Math.floor(ms / 1000));
  const d = Math.floor(total / 86400);
  const h = Math.floor((total % 86400) / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const pad = (n) => String(n).padStart(2, "0");
  if (d) return `${d}d ${h}h`;
  if (h) return `${h}h ${pad(m)}min`;
  return `${m}min ${pad(s)}s`;
}

export class ApiError extends Error {
  constructor(code, message, status = 0) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

/** Parse a text/event-stream body; calls onEvent(type, data) for each event. */
export async function readEventStream(response, onEvent) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  const flush = (block) => {
    let type = "message";
    const data = [];
    for (const line of block.split(/\r?\n/)) {
      if (!line || line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? "" : line.slice(colon + 1);
      if (value.startsWith(" ")) value = value.slice(1);
      if (field === "event") type = value;
      else if (field === "data") data.push(value);
    }
    if (!data.length) return;
    const raw = data.join("\n");
    let parsed = raw;
    try { parsed = JSON.parse(raw); } catch { /* a bare string */ }
    onEvent(type, parsed);
  };
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let match;
    while ((match = /\r?\n\r?\n/.exec(buffer))) {
      flush(buffer.slice(0, match.index));
      buffer = buffer.slice(match.index + match[0].length);
    }
  }
  buffer += decoder.decode();
  if (buffer.trim()) flush(buffer);
}

export class ReplyAssistPanel extends HTMLElement {
  static get observedAttributes() { return ["api-base", "api-key", "lang", "mode"]; }

  constructor() {
    super();
    this._conversation = null;
    this._suggestions = null;   // the final Suggestions
    this._analysis = null;
    this._articles = [];
    this._streamText = "";
    this._streaming = false;
    this._tokens = 0;
    this._error = null;
    this._inserted = null;      // {index, text}
    this._rejected = new Set();
    this._shownAt = null;
    this._abort = null;
    this._retryAction = null;
    this._timer = null;
    this._statusKey = null;
    this._statusVars = {};
    this._onKey = (event) => this._shortcut(event);
    this.attachShadow({ mode: "open" });
    this._build();
  }

  // ---------------------------------------------------------------- properties
  get apiBase() { return (this.getAttribute("api-base") || "/v1").replace(/\/+$/, ""); }
  set apiBase(value) { this.setAttribute("api-base", value); }
  get apiKey() { return this.getAttribute("api-key") || ""; }
  set apiKey(value) { this.setAttribute("api-key", value); }
  get mode() { return this.getAttribute("mode") || null; }
  set mode(value) { if (value) this.setAttribute("mode", value); else this.removeAttribute("mode"); }
  get language() {
    const attr = (this.getAttribute("lang") || "").toLowerCase();
    const chosen = attr || (navigator.language || "en").toLowerCase();
    return chosen.startsWith("fr") ? "fr" : "en";
  }
  get conversation() { return this._conversation; }
  set conversation(value) {
    this._conversation = value || null;
    this._renderConversation();
    if (this._conversation) this.suggest();
    else this._reset();
  }
  get suggestions() { return this._suggestions; }
  /** A read-only snapshot for hosts and tests. */
  get state() {
    return { streaming: this._streaming, tokens: this._tokens, error: this._error,
             drafts: this._drafts().length, inserted: this._inserted,
             reply: this._reply ? this._reply.value : "" };
  }
  get replyText() { return this._reply.value; }
  set replyText(value) { this._reply.value = value ?? ""; }

  connectedCallback() {
    document.addEventListener("keydown", this._onKey);
    this._timer = setInterval(() => this._renderSla(), 1000);
    this._renderAll();
  }

  disconnectedCallback() {
    document.removeEventListener("keydown", this._onKey);
    clearInterval(this._timer);
    if (this._abort) this._abort.abort();
  }

  attributeChangedCallback(name, oldValue, newValue) {
    if (oldValue === newValue) return;
    if (name === "lang") this._renderAll();
  }

  t(key, vars = {}) {
    const table = STRINGS[this.language] || STRINGS.en;
    let text = table[key] ?? STRINGS.en[key] ?? key;
    for (const [name, value] of Object.entries(vars)) text = text.replace(`{${name}}`, value);
    return text;
  }

  label(group, value) {
    const table = (STRINGS[this.language] || STRINGS.en)[group] || {};
    return table[value] ?? String(value).replaceAll("_", " ");
  }

  // ---------------------------------------------------------------- skeleton
  _build() {
    const root = this.shadowRoot;
    root.append(el("style", { text: CSS }));
    this._titleEl = el("h2");
    this._helpButton = el("button", { type: "button", "aria-expanded": "false", "aria-controls": "ra-help",
                                      part: "help-button", text: "?",
                                      onclick: () => this._toggleHelp() });
    this._helpTip = el("div", { id: "ra-help", role: "tooltip", class: "tooltip", hidden: true });
    this._helpButton.setAttribute("aria-describedby", "ra-help");
    const help = el("div", { class: "help", onmouseenter: () => this._toggleHelp(true),
                             onmouseleave: () => this._toggleHelp(false) },
                    this._helpButton, this._helpTip);
    this._helpButton.addEventListener("focus", () => this._toggleHelp(true));
    this._helpButton.addEventListener("blur", () => this._toggleHelp(false));
    this._helpButton.addEventListener("keydown", (event) => {
      if (event.key === "Escape") this._toggleHelp(false);
    });

    this._errorMsg = el("span", { class: "msg" });
    this._errorTitle = el("strong");
    this._retryButton = el("button", { type: "button", class: "retry", onclick: () => this.retry() });
    this._errorEl = el("div", { class: "error", role: "alert", hidden: true },
                       this._errorTitle, this._errorMsg, this._retryButton);
    this._statusEl = el("div", { class: "status", role: "status", "aria-live": "polite" });

    this._convTitle = el("h3");
    this._turns = el("ol", { class: "turns" });
    this._analysisTitle = el("h3");
    this._chips = el("div", { class: "chips analysis-chips" });
    this._sla = el("span", { class: "chip sla", hidden: true });
    this._reactionsEl = el("div", { class: "chips reactions", hidden: true });
    this._articlesTitle = el("h3");
    this._articlesEl = el("ul", { class: "links articles" });
    this._articlesSection = el("section", { class: "articles-section", hidden: true },
                               this._articlesTitle, this._articlesEl);

    this._draftsTitle = el("h3");
    this._draftsEl = el("div", { class: "drafts" });

    this._replyLabel = el("label", { for: "ra-reply" });
    this._reply = el("textarea", { id: "ra-reply", class: "reply", part: "reply" });
    this._rewriteBar = el("div", { class: "rewrite", role: "group" });
    this._rewriteButtons = REWRITE_ACTIONS.map((action) => {
      const button = el("button", { type: "button", "data-action": action,
                                    onclick: () => this.rewrite(action) });
      this._rewriteBar.append(button);
      return button;
    });
    this._rewriteWarnings = el("ul", { class: "warnings rewrite-warnings", hidden: true });
    this._copyReplyButton = el("button", { type: "button", class: "copy-reply",
                                           onclick: () => this.copyReply() });
    this._sendButton = el("button", { type: "button", class: "primary send", onclick: () => this.send() });

    const left = el("div", { class: "col" },
      el("section", { class: "conversation" }, this._convTitle, this._turns),
      el("section", { class: "analysis" }, this._analysisTitle,
         el("div", { class: "chips" }, this._chips, this._sla), this._reactionsEl),
      this._articlesSection);
    const right = el("div", { class: "col" },
      el("section", { class: "drafts-section" }, this._draftsTitle, this._draftsEl),
      el("section", { class: "reply-section" }, this._replyLabel, this._reply, this._rewriteBar,
         this._rewriteWarnings, el("div", { class: "actions" }, this._copyReplyButton, this._sendButton)));
    this._panel = el("div", { class: "panel", part: "panel" },
      el("header", {}, this._titleEl, help), this._errorEl, this._statusEl,
      el("div", { class: "cols" }, left, right));
    root.append(this._panel);
  }

  _toggleHelp(force) {
    const show = force === undefined ? this._helpTip.hidden : force;
    this._helpTip.hidden = !show;
    this._helpButton.setAttribute("aria-expanded", String(show));
  }

  // ---------------------------------------------------------------- rendering
  _renderAll() {
    this._renderStrings();
    this._renderConversation();
    this._renderAnalysis();
    this._renderDrafts();
    this._renderArticles();
    this._renderSla();
    this._renderError();
    this._renderStatus();
  }

  _renderStrings() {
    this._panel.setAttribute("lang", this.language);
    this._titleEl.textContent = this.t("title");
    this._helpButton.setAttribute("aria-label", this.t("help"));
    this._helpTip.replaceChildren(el("strong", { text: this.t("help") }),
      el("ul", {}, SHORTCUTS.map(([keys, key]) => el("li", {}, el("kbd", { text: keys }), " ", this.t(key)))));
    this._convTitle.textContent = this.t("conversation");
    this._analysisTitle.textContent = this.t("analysis");
    this._articlesTitle.textContent = this.t("articles");
    this._draftsTitle.textContent = this.t("drafts");
    this._replyLabel.textContent = this.t("reply");
    this._reply.placeholder = this.t("replyPlaceholder");
    this._rewriteBar.setAttribute("aria-label", this.t("rewrite"));
    for (const button of this._rewriteButtons) {
      const action = button.dataset.action;
      button.textContent = this.t(action);
      button.setAttribute("aria-label", this.t("rewriteLabel", { a: this.t(action) }));
    }
    this._copyReplyButton.textContent = this.t("copyReply");
    this._copyReplyButton.setAttribute("aria-keyshortcuts", "Alt+C");
    this._sendButton.textContent = this.t("send");
    this._sendButton.setAttribute("aria-label", this.t("sendLabel"));
    this._sendButton.setAttribute("aria-keyshortcuts", "Alt+Enter");
    this._retryButton.textContent = this.t("retry");
    this._retryButton.setAttribute("aria-label", this.t("retryLabel"));
    this._retryButton.setAttribute("aria-keyshortcuts", "Alt+R");
    this._errorTitle.textContent = this.t("errorTitle");
  }

  _renderConversation() {
    const conv = this._conversation;
    if (!conv || !Array.isArray(conv.messages)) {
      this._turns.replaceChildren(el("li", { class: "status", text: this.t("noConversation") }));
      return;
    }
    const name = conv.customer && conv.customer.name;
    const time = (iso) => {
      if (!iso) return "";
      const date = new Date(iso);
      return isNaN(date) ? "" : date.toLocaleString(this.language, { dateStyle: "short", timeStyle: "short" });
    };
    this._turns.replaceChildren(...conv.messages.map((m) => {
      const role = ["customer", "agent", "bot", "note"].includes(m.role) ? m.role : "customer";
      let who = this.t(role);
      if (role === "customer" && name) who = `${name} (${who})`;
      const stamp = time(m.created_at);
      return el("li", { class: `turn ${role}`, "data-role": role },
                el("span", { class: "who", text: stamp ? `${who} · ${stamp}` : who }),
                String(m.text ?? ""));
    }));
  }

  _chip(cls, label, value, confidence) {
    const chip = el("span", { class: `chip ${cls}` }, el("span", { text: `${label}: ${value}` }));
    if (typeof confidence === "number") {
      const pct = `${Math.round(confidence * 100)} %`;
      chip.append(el("span", { class: "conf", text: pct }));
      chip.setAttribute("title", `${this.t("confidence")} ${pct}`);
    }
    return chip;
  }

  _renderAnalysis() {
    const a = this._analysis;
    if (!a) { this._chips.replaceChildren(); this._reactionsEl.hidden = true; return; }
    const conf = a.confidence || {};
    const chips = [];
    if (a.mood) chips.push(this._chip(`mood mood-${a.mood}`, this.t("mood"), this.label("moods", a.mood), conf.mood));
    if (a.urgency) chips.push(this._chip(`urgency urgency-${a.urgency}`, this.t("urgency"),
                                         this.label("urgencies", a.urgency), conf.urgency));
    if (a.register) chips.push(this._chip("register", this.t("register"), this.label("registers", a.register),
                                          conf.register));
    if (a.language) chips.push(this._chip("language", this.t("language"), a.language, conf.language));
    if (a.intent) chips.push(this._chip("intent", this.t("intent"), String(a.intent).replaceAll("_", " "),
                                        conf.intent));
    if (typeof a.priority === "number") chips.push(this._chip("priority", this.t("priority"),
                                                              a.priority.toFixed(0)));
    for (const flag of a.flags || []) {
      chips.push(el("span", { class: `chip flag flag-${flag}`, text: this.label("flags", flag) }));
    }
    this._chips.replaceChildren(...chips);
    const reactions = (this._suggestions && this._suggestions.reactions) || [];
    this._reactionsEl.hidden = !reactions.length;
    this._reactionsEl.replaceChildren(...(reactions.length ? [el("span", { class: "who", text: `${this.t("reactions")}:` })] : []),
      ...reactions.map((r) => el("button", { type: "button", class: "reaction",
        "aria-label": this.t("reactionLabel", { l: r.label || r.value }), title: r.label || "",
        text: r.kind === "emoji" ? r.value : (r.label || "GIF"),
        onclick: () => this._react(r) })));
  }

  _renderSla() {
    const due = this._analysis && this._analysis.sla_due_at;
    if (!due) { this._sla.hidden = true; return; }
    const left = new Date(due).getTime() - Date.now();
    if (isNaN(left)) { this._sla.hidden = true; return; }
    this._sla.hidden = false;
    const overdue = left < 0;
    this._sla.classList.toggle("overdue", overdue);
    this._sla.textContent = `${this.t(overdue ? "slaOverdue" : "slaDue", { t: formatDuration(Math.abs(left)) })}`;
    this._sla.setAttribute("title", new Date(due).toLocaleString(this.language));
  }

  _drafts() {
    if (this._suggestions) return this._suggestions.drafts || [];
    if (this._streaming && this._streamText) {
      return [{ text: this._streamText, tone: null, strategy: "generated", citations: [], warnings: [],
                streaming: true }];
    }
    return [];
  }

  _renderDrafts() {
    const drafts = this._drafts();
    if (!drafts.length) {
      this._draftsEl.replaceChildren(...(this._suggestions ? [el("p", { class: "status", text: this.t("noDrafts") })] : []));
      return;
    }
    this._draftsEl.replaceChildren(...drafts.map((draft, i) => this._card(draft, i)));
  }

  _card(draft, i) {
    const n = i + 1;
    const meta = el("div", { class: "meta" }, el("strong", { text: this.t("draftN", { n }) }));
    if (draft.streaming) meta.append(el("span", { class: "chip", text: this.t("streamingDraft") }));
    if (draft.tone) meta.append(el("span", { class: `chip tone tone-${draft.tone}`,
                                             text: `${this.t("tone")}: ${this.label("tones", draft.tone)}` }));
    if (draft.strategy) meta.append(el("span", { class: "chip strategy",
                                                 text: this.label("strategies", draft.strategy) }));
    if (typeof draft.confidence === "number") {
      meta.append(el("span", { class: "chip conf", text: `${Math.round(draft.confidence * 100)} %`,
                               title: this.t("confidence") }));
    }
    const card = el("article", { class: `card${draft.streaming ? " streaming" : ""}${this._rejected.has(i) ? " rejected" : ""}`,
                                 "data-index": i, "aria-label": this.t("draftN", { n }),
                                 "aria-busy": draft.streaming ? "true" : null },
                    meta, el("p", { class: "text", text: draft.text }));
    if (draft.warnings && draft.warnings.length) {
      card.append(el("ul", { class: "warnings", "aria-label": this.t("warnings") },
        draft.warnings.map((w) => this._warning(w))));
    }
    if (draft.citations && draft.citations.length) {
      card.append(el("ul", { class: "links citations", "aria-label": this.t("sources") },
        draft.citations.map((c) => el("li", {}, this._link(c.url, c.title || c.doc_id, c.doc_id)))));
    }
    if (!draft.streaming) {
      const shortcut = n <= 3 ? `Alt+${n}` : null;
      card.append(el("div", { class: "actions" },
        el("button", { type: "button", class: "insert", "aria-label": this.t("insertLabel", { n }),
                       "aria-keyshortcuts": shortcut, title: shortcut, text: this.t("insert"),
                       onclick: () => this.insertDraft(i) }),
        el("button", { type: "button", class: "copy", "aria-label": this.t("copyLabel", { n }),
                       text: this.t("copy"), onclick: () => this._copy(draft.text) }),
        el("button", { type: "button", class: "reject", "aria-label": this.t("rejectLabel", { n }),
                       text: this.t("reject"), disabled: this._rejected.has(i),
                       onclick: () => this.reject(i) })));
    }
    return card;
  }

  _warning(w) {
    const known = ((STRINGS[this.language] || STRINGS.en).warningCodes || {})[w.code];
    const item = el("li", { "data-code": w.code });
    if (known) item.append(el("strong", { text: known }), w.message ? ` — ${w.message}` : "");
    else item.textContent = w.message || w.code;
    return item;
  }

  _link(url, title, docId) {
    const href = safeUrl(url);
    if (!href) return el("span", { text: title, "data-doc-id": docId });
    return el("a", { href, target: "_blank", rel: "noopener noreferrer", "data-doc-id": docId, text: title });
  }

  _renderArticles() {
    const articles = (this._suggestions && this._suggestions.articles) || this._articles || [];
    this._articlesSection.hidden = !articles.length;
    this._articlesEl.replaceChildren(...articles.map((a) => el("li", {}, this._link(a.url, a.title || a.doc_id, a.doc_id))));
  }

  _renderError() {
    const err = this._error;
    this._errorEl.hidden = !err;
    if (err) this._errorMsg.textContent = err.code === "api_unreachable" ? this.t("errorUnreachable")
      : `${err.message || err.code}${err.code ? ` (${err.code})` : ""}`;
  }

  _setStatus(key, vars = {}) {
    this._statusKey = key;
    this._statusVars = vars;
    this._renderStatus();
  }

  _renderStatus() {
    const vars = { ...this._statusVars };
    if (vars.a) vars.a = this.t(vars.a);
    this._statusEl.textContent = this._statusKey ? this.t(this._statusKey, vars) : "";
  }

  _reset() {
    if (this._abort) this._abort.abort();
    this._suggestions = null;
    this._analysis = null;
    this._articles = [];
    this._streamText = "";
    this._streaming = false;
    this._tokens = 0;
    this._error = null;
    this._inserted = null;
    this._rejected = new Set();
    this._shownAt = null;
    this._reply.value = "";
    this._rewriteWarnings.hidden = true;
    this._retryAction = null;
    this._setStatus(null);
    this._renderAll();
  }

  // ---------------------------------------------------------------- API
  _headers() {
    const headers = { "Content-Type": "application/json", Accept: "application/json" };
    if (this.apiKey) headers.Authorization = `Bearer ${this.apiKey}`;
    return headers;
  }

  async _post(path, body, { signal, accept } = {}) {
    let response;
    try {
      const headers = this._headers();
      if (accept) headers.Accept = accept;
      response = await fetch(`${this.apiBase}${path}`, { method: "POST", headers, body: JSON.stringify(body), signal });
    } catch (error) {
      if (error && error.name === "AbortError") throw error;
      throw new ApiError("api_unreachable", this.t("errorUnreachable"));
    }
    if (!response.ok) {
      let code = `http_${response.status}`;
      let message = response.statusText || code;
      try {
        const data = await response.json();
        if (data && data.error) { code = data.error.code || code; message = data.error.message || message; }
      } catch { /* not JSON */ }
      throw new ApiError(code, message, response.status);
    }
    return response;
  }

  /** Stream a suggestion for the current conversation (called when `conversation` is set). */
  async suggest() {
    const conversation = this._conversation;
    if (!conversation) return;
    this._reset();
    const controller = new AbortController();
    this._abort = controller;
    this._streaming = true;
    this._setStatus("loading");
    const body = { ...conversation };
    delete body.expected;
    if (this.mode) body.mode = this.mode;
    try {
      let response;
      try {
        response = await this._post("/suggest/stream", body, { signal: controller.signal, accept: "text/event-stream" });
      } catch (error) {
        if (!(error instanceof ApiError) || (error.status !== 404 && error.status !== 405)) throw error;
        response = null; // no streaming endpoint: plain POST /suggest
      }
      if (response && (response.headers.get("content-type") || "").includes("text/event-stream")) {
        await readEventStream(response, (type, data) => {
          if (controller.signal.aborted) return;
          this._onStreamEvent(type, data);
        });
      } else {
        const plain = response || await this._post("/suggest", body, { signal: controller.signal });
        this._onStreamEvent("final", await plain.json());
      }
      if (!this._suggestions && !this._error && !controller.signal.aborted) {
        throw new ApiError("stream_incomplete", "The suggestion stream ended without a result.");
      }
    } catch (error) {
      if (error && error.name === "AbortError") return;
      this._fail(error);
    } finally {
      if (this._abort === controller) {
        this._streaming = false;
        this._abort = null;
      }
    }
  }

  _onStreamEvent(type, data) {
    if (type === "analysis") {
      this._analysis = data;
      this._renderAnalysis();
      this._renderSla();
    } else if (type === "articles") {
      this._articles = Array.isArray(data) ? data : [];
      this._renderArticles();
    } else if (type === "token") {
      this._tokens += 1;
      this._streamText += typeof data === "string" ? data : String(data ?? "");
      if (this._tokens === 1) { this._setStatus("streaming"); this._renderDrafts(); }
      else {
        const text = this._draftsEl.querySelector(".card.streaming .text");
        if (text) text.textContent = this._streamText; else this._renderDrafts();
      }
    } else if (type === "final") {
      this._suggestions = data;
      this._analysis = data.analysis || this._analysis;
      this._streaming = false;
      this._shownAt = performance.now();
      this._renderAnalysis();
      this._renderSla();
      this._renderDrafts();
      this._renderArticles();
      this._setStatus("ready", { n: (data.drafts || []).length });
      this._emit("replyassist:suggestions", { suggestions: data });
    } else if (type === "error") {
      const err = (data && data.error) || {};
      this._fail(new ApiError(err.code || "error", err.message || "error"));
    }
  }

  _fail(error) {
    this._streaming = false;
    this._error = { code: error.code || "error", message: error.message || String(error) };
    this._setStatus(null);
    this._renderDrafts();
    this._renderError();
    this._emit("replyassist:error", { error: this._error });
  }

  /** Retry what failed last: a rewrite or a feedback call, else the suggestion. */
  retry() {
    const action = this._retryAction;
    this._retryAction = null;
    if (action) { this._error = null; this._renderError(); action(); }
    else if (this._conversation) this.suggest();
  }

  _emit(name, detail) {
    this.dispatchEvent(new CustomEvent(name, { detail, bubbles: true, composed: true }));
  }

  // ---------------------------------------------------------------- actions
  insertDraft(index) {
    const draft = this._drafts()[index];
    if (!draft || draft.streaming) return false;
    this._inserted = { index, text: draft.text };
    this._reply.value = draft.text;
    this._rewriteWarnings.hidden = true;
    this._reply.focus();
    this._emit("replyassist:insert", { index, text: draft.text, draft,
                                       suggestion_id: this._suggestions && this._suggestions.suggestion_id });
    return true;
  }

  async _copy(text) {
    let ok = false;
    try {
      if (navigator.clipboard && window.isSecureContext) {
        await navigator.clipboard.writeText(text);
        ok = true;
      }
    } catch { ok = false; }
    if (!ok) {
      const scratch = el("textarea", { "aria-hidden": "true", readonly: true,
                                       style: "position:fixed;top:0;left:0;width:1px;height:1px;opacity:0" });
      scratch.value = text;
      this.shadowRoot.append(scratch);
      scratch.select();
      try { ok = document.execCommand("copy"); } catch { ok = false; }
      scratch.remove();
    }
    this._setStatus(ok ? "copied" : "copyFailed");
    this._emit("replyassist:copy", { text, ok });
    return ok;
  }

  copyReply() { return this._copy(this._reply.value); }

  async rewrite(action) {
    const text = this._reply.value.trim();
    if (!text) { this._setStatus("nothingToSend"); return; }
    const conv = this._conversation || {};
    const body = { text: this._reply.value, action };
    // translate: into the customer's language; other actions keep the text's language
    const language = (this._analysis && this._analysis.language) || (conv.customer && conv.customer.locale
      ? conv.customer.locale.split("-")[0] : null);
    if (action === "translate" && language) body.language = language;
    if (conv.channel) body.channel = conv.channel;
    if (this._conversation) { body.conversation = { ...conv }; delete body.conversation.expected; }
    this._setStatus("rewriting");
    this._rewriteButtons.forEach((b) => { b.disabled = true; });
    try {
      const response = await this._post("/rewrite", body);
      const data = await response.json();
      if (typeof data.text === "string") this._reply.value = data.text;
      const warnings = data.warnings || [];
      this._rewriteWarnings.hidden = !warnings.length;
      this._rewriteWarnings.replaceChildren(...warnings.map((w) => this._warning(w)));
      this._setStatus("rewritten");
      this._emit("replyassist:rewrite", { action, text: data.text, warnings });
    } catch (error) {
      this._retryAction = () => this.rewrite(action);
      this._fail(error);
    } finally {
      this._rewriteButtons.forEach((b) => { b.disabled = false; });
    }
  }

  _feedbackBase(index) {
    const s = this._suggestions || {};
    const conv = this._conversation || {};
    const drafts = this._drafts();
    const draft = drafts[index] || drafts[0] || { text: "" };
    const body = {
      suggestion_id: s.suggestion_id || null,
      conversation_id: s.conversation_id || conv.id,
      draft_text: draft.text,
      draft_index: drafts[index] ? index : 0,
    };
    if (draft.tone) body.tone = draft.tone;
    const a = this._analysis || {};
    if (a.intent) body.intent = a.intent;
    if (conv.channel) body.channel = conv.channel;
    if (a.language) body.language = a.language;
    if (this._shownAt !== null) body.time_to_decision_ms = Math.round(performance.now() - this._shownAt);
    if (this._conversation) { body.conversation = { ...conv }; delete body.conversation.expected; }
    return body;
  }

  async _sendFeedback(body) {
    try {
      const response = await this._post("/feedback", body);
      let record = null;
      try { record = await response.json(); } catch { /* empty body */ }
      this._emit("replyassist:feedback", { feedback: body, record });
      return record;
    } catch (error) {
      this._retryAction = () => this._sendFeedback(body);
      this._fail(error);
      return null;
    }
  }

  /** Record the reply as sent: "accepted" if it is the inserted draft unchanged, else "edited". */
  async send() {
    const sent = this._reply.value;
    if (!sent.trim()) { this._setStatus("nothingToSend"); return null; }
    const index = this._inserted ? this._inserted.index : 0;
    const body = this._feedbackBase(index);
    const unchanged = this._inserted && sent.trim() === this._inserted.text.trim();
    body.action = unchanged ? "accepted" : "edited";
    body.sent_text = sent;
    const record = await this._sendFeedback(body);
    if (record !== null) this._setStatus("sent", { a: body.action === "accepted" ? "accepted" : "edited" });
    return record;
  }

  async reject(index) {
    const drafts = this._drafts();
    if (!drafts[index] || drafts[index].streaming) return null;
    const body = this._feedbackBase(index);
    body.action = "rejected";
    const record = await this._sendFeedback(body);
    if (record !== null) {
      this._rejected.add(index);
      this._renderDrafts();
      this._setStatus("rejected", { n: index + 1 });
    }
    return record;
  }

  _react(reaction) {
    if (reaction.kind === "emoji") {
      const value = this._reply.value;
      this._reply.value = value ? `${value.replace(/\s+$/, "")} ${reaction.value}` : reaction.value;
    }
    this._emit("replyassist:reaction", { reaction });
  }

  _shortcut(event) {
    if (!event.altKey || event.ctrlKey || event.metaKey || !this.isConnected) return;
    const code = event.code || "";
    let handled = true;
    const digit = /^(?:Digit|Numpad)([1-9])$/.exec(code);
    if (digit) handled = this.insertDraft(Number(digit[1]) - 1);
    else if (code === "KeyC") this.copyReply();
    else if (code === "Enter" || code === "NumpadEnter") this.send();
    else if (code === "KeyR") this.retry();
    else handled = false;
    if (handled) event.preventDefault();
  }
}

if (!customElements.get("replyassist-panel")) customElements.define("replyassist-panel", ReplyAssistPanel);
