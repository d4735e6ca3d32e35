"""The ``replyassist`` command line (Typer)."""

from __future__ import annotations

import json
import sys
import tempfile
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from .errors import ReplyAssistError, UserError

__all__ = ["app", "main"]

app = typer.Typer(help="Reply suggestions for customer-service agents, offline first.",
                  no_args_is_help=True, pretty_exceptions_enable=False)
ingest_app = typer.Typer(help="Load knowledge articles or past conversations into the store.",
                         no_args_is_help=True)
app.add_typer(ingest_app, name="ingest")


class _RunByDefault(TyperGroup):
    """``replyassist eval CASES.jsonl …`` runs an evaluation; ``eval compare`` and
    ``eval convert`` are subcommands."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # typer's vendored click
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


library_app = typer.Typer(
    help="Review the response library: canonical replies mined from past answers "
    "(approve, block, edit, export to a helpdesk, import review decisions).",
    no_args_is_help=True)
app.add_typer(library_app, name="library")
ranking_app = typer.Typer(
    help="The ranking of articles and past exchanges, learnt from a tenant's own history.",
    no_args_is_help=True)
app.add_typer(ranking_app, name="ranking")

eval_app = typer.Typer(cls=_RunByDefault, no_args_is_help=True,
                       help="Score replyassist (and baselines) on test conversations.")
app.add_typer(eval_app, name="eval")


class ModeChoice(StrEnum):
    auto = "auto"
    generated = "generated"
    composed = "composed"


class OnErrorChoice(StrEnum):
    skip = "skip"
    stop = "stop"


class StatusChoice(StrEnum):
    candidate = "candidate"
    approved = "approved"
    blocked = "blocked"


class KindChoice(StrEnum):
    greeting = "greeting"
    thanks = "thanks"
    apology = "apology"
    closing = "closing"
    question = "question"
    action = "action"
    body = "body"


class ExportChoice(StrEnum):
    json = "json"
    csv = "csv"
    zendesk = "zendesk"


TenantOpt = Annotated[str | None, typer.Option("--tenant", "-t", help="Tenant (brand) id.")]
StoreOpt = Annotated[str | None, typer.Option(
    "--store", help="Store directory, or http://host:port of a Chroma server.")]
ConfigOpt = Annotated[Path | None, typer.Option("--config", help="TOML config file.")]
EmbedderOpt = Annotated[str | None, typer.Option(
    "--embedder", help="use-multilingual (default), minilm, or a sentence-transformers path.")]
OnErrorOpt = Annotated[OnErrorChoice, typer.Option(
    "--on-error", help="On a bad record: skip it (and report it) or stop.")]


def _assistant(store: str | None, config: Path | None, embedder: str | None = None,
               brand_file: Path | None = None,
               top_articles: int | None = None):  # type: ignore[no-untyped-def]
    from .assistant import ReplyAssistant
    from .brand import BrandVoice
    from .settings import Settings

    settings = Settings.load(config, store=store, embedder=embedder, top_articles=top_articles)
    if store:
        settings = settings.model_copy(update={"chroma_url": None})
    brand = BrandVoice.from_yaml(brand_file) if brand_file else None
    return ReplyAssistant.from_settings(settings, brand=brand)


def _fail(error: ReplyAssistError) -> typer.Exit:
    typer.echo(f"error [{error.code}]: {error}", err=True)
    return typer.Exit(2 if isinstance(error, UserError) else 1)


def _report(report) -> None:  # type: ignore[no-untyped-def]
    for error in report.errors:
        typer.echo(f"skipped: {error}", err=True)
    typer.echo(report.summary())


@ingest_app.command("kb")
def ingest_kb(
    path: Annotated[Path, typer.Argument(help="Folder of .md/.html/.txt articles, or .jsonl.")],
    tenant: TenantOpt = None, store: StoreOpt = None,
    prune: Annotated[bool, typer.Option("--prune", help="Remove articles gone from PATH.")] = False,
    on_error: OnErrorOpt = OnErrorChoice.stop, config: ConfigOpt = None,
    embedder: EmbedderOpt = None,
) -> None:
    """Ingest knowledge articles (incremental: unchanged articles are skipped)."""
    try:
        with _assistant(store, config, embedder) as assistant:  # stops an embedder process
            report = assistant.ingest_kb(path, tenant=tenant, prune=prune,
                                         on_error=on_error.value, progress=sys.stderr.isatty())
    except ReplyAssistError as error:
        raise _fail(error) from error
    _report(report)


@ingest_app.command("history")
def ingest_history(
    path: Annotated[Path, typer.Argument(help="JSONL file of past conversations.")],
    tenant: TenantOpt = None, store: StoreOpt = None,
    on_error: OnErrorOpt = OnErrorChoice.stop, config: ConfigOpt = None,
    embedder: EmbedderOpt = None,
) -> None:
    """Ingest past conversations: each agent answer becomes an exchange (PII scrubbed)."""
    try:
        with _assistant(store, config, embedder) as assistant:  # stops an embedder process
            report = assistant.ingest_history(path, tenant=tenant, on_error=on_error.value,
                                              progress=sys.stderr.isatty())
    except ReplyAssistError as error:
        raise _fail(error) from error
    _report(report)


def _suggest_all(assistant, source, name: str, tenant: str | None, mode: str,  # type: ignore[no-untyped-def]
                 as_json: bool) -> int:
    from .jsonl import read_records
    from .models import Conversation
    from .render import render_suggestions

    failures = 0
    for record in read_records(source, Conversation, name=name):
        if record.error is not None or record.value is None:
            typer.echo(f"error [{record.error.code if record.error else 'invalid_input'}]: "
                       f"{record.error}", err=True)
            failures += 1
            continue
        try:
            result = assistant.suggest(record.value, mode=mode, tenant=tenant)
        except ReplyAssistError as error:
            typer.echo(f"error [{error.code}]: {name}:{record.line}: {error}", err=True)
            failures += 1
            continue
        if as_json:
            typer.echo(result.model_dump_json())
        else:
            typer.echo(render_suggestions(record.value, result) + "\n")
    return failures


@app.command()
def suggest(
    path: Annotated[str, typer.Argument(help="A .json or .jsonl conversation file, or - .")],
    tenant: TenantOpt = None, store: StoreOpt = None,
    mode: Annotated[ModeChoice, typer.Option("--mode")] = ModeChoice.auto,
    as_json: Annotated[bool, typer.Option("--json", help="One Suggestions JSON per line.")] = False,
    config: ConfigOpt = None, embedder: EmbedderOpt = None,
    brand: Annotated[Path | None, typer.Option("--brand", help="Brand voice YAML.")] = None,
    articles: Annotated[int | None, typer.Option(
        "--articles", min=1, metavar="N",
        help="Knowledge articles returned per conversation (default: top_articles of the "
             "settings, 3).")] = None,
) -> None:
    """Suggest replies for each conversation of PATH."""
    try:
        assistant = _assistant(store, config, embedder, brand, top_articles=articles)
        if path == "-":
            failures = _suggest_all(assistant, sys.stdin.buffer, "<stdin>", tenant,
                                    mode.value, as_json)
        else:
            if not Path(path).is_file():
                raise _fail(UserError(f"{path}: no such file"))
            failures = _suggest_all(assistant, Path(path), path, tenant, mode.value, as_json)
    except ReplyAssistError as error:
        raise _fail(error) from error
    if failures:
        raise typer.Exit(1)


@app.command()
def triage(
    path: Annotated[str, typer.Argument(help="A .json or .jsonl file of conversations, or - .")],
    now: Annotated[str | None, typer.Option(
        "--now", help="Clock for waiting times and SLA (ISO 8601); default: now.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One QueueItem JSON per line.")] = False,
    config: ConfigOpt = None, embedder: EmbedderOpt = None,
    brand: Annotated[Path | None, typer.Option("--brand", help="Brand YAML (SLA, intents).")]
    = None,
    on_error: OnErrorOpt = OnErrorChoice.stop,
) -> None:
    """Order a mixed batch of conversations (every channel) into one queue: priority first,
    then the earliest SLA due time."""
    from datetime import UTC, datetime

    from .assistant import default_analyzer
    from .brand import BrandVoice
    from .embeddings import load_embedder
    from .jsonl import read_records
    from .models import Conversation
    from .render import render_queue
    from .settings import Settings
    from .triage import triage as order

    try:
        clock = datetime.fromisoformat(now) if now else datetime.now(UTC)
    except ValueError as exc:
        raise _fail(UserError(f"--now: not an ISO 8601 date-time: {now!r}")) from exc
    try:
        settings = Settings.load(config, embedder=embedder)
        voice = BrandVoice.from_yaml(brand) if brand else BrandVoice(
            default_language=settings.default_language)
        source = sys.stdin.buffer if path == "-" else Path(path)
        if path != "-" and not Path(path).is_file():
            raise UserError(f"{path}: no such file")
        conversations, failures = [], 0
        for record in read_records(source, Conversation, name="<stdin>" if path == "-" else path):
            if record.error is not None or record.value is None:
                typer.echo(f"error [{record.error.code if record.error else 'invalid_input'}]: "
                           f"{record.error}", err=True)
                failures += 1
                if on_error == OnErrorChoice.stop:
                    raise typer.Exit(2)
                continue
            conversations.append(record.value)
        vectors_from = load_embedder(settings.embedder)
        queue = order(conversations, default_analyzer(settings, voice, vectors_from),
                      embedder=vectors_from, now=clock)
    except ReplyAssistError as error:
        raise _fail(error) from error
    for item in queue:
        typer.echo(item.model_dump_json() if as_json else render_queue(item))
    if failures:
        raise typer.Exit(1)


# --------------------------------------------------------------------------- library
ByOpt = Annotated[str | None, typer.Option(
    "--by", help="Who decides (recorded as reviewed_by); default: your login name.")]


def _library(store: str | None, config: Path | None):  # type: ignore[no-untyped-def]
    """The response library of the settings, and their default tenant, without loading
    an embedder (list, show, review, export and import only read and write SQL)."""
    from .library import LibraryStore
    from .settings import Settings

    settings = Settings.load(config, store=store)
    if store:
        settings = settings.model_copy(update={"chroma_url": None})
    url = getattr(settings, "library_url", None)
    library = LibraryStore(url) if url else LibraryStore.beside(settings.store_location)
    return library, settings.tenant


def _reviewer(by: str | None) -> str | None:
    if by:
        return by
    import getpass

    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name (some containers)
        return None


def _short(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 1] + "…"


def _reply_line(reply) -> str:  # type: ignore[no-untyped-def]
    edited = "*" if reply.edited_text else " "
    return (f"{reply.id:<16}  {reply.status:<9}  {reply.support:>7}  {reply.kind:<8}  "
            f"{reply.language:<5}  {edited}{_short(reply.current_text, 70)}")


def _reply_details(reply) -> str:  # type: ignore[no-untyped-def]
    lines = [f"{reply.id}  [{reply.status}]  {reply.kind}  {reply.language}  "
             f"(tenant {reply.tenant})",
             f"text:         {reply.text}"]
    if reply.edited_text:
        lines.append(f"edited text:  {reply.edited_text}  (used in drafts)")
    lines.append(f"support:      {reply.support} conversations ({reply.uses} uses)")
    if reply.channels:
        lines.append("channels:     " + ", ".join(
            f"{c} {n}" for c, n in sorted(reply.channels.items(), key=lambda kv: -kv[1])))
    if reply.doc_ids:
        lines.append("articles:     " + ", ".join(reply.doc_ids))
    if reply.first_seen or reply.last_seen:
        lines.append(f"seen:         {reply.first_seen or '?'} → {reply.last_seen or '?'}")
    if reply.reviewed_at:
        lines.append(f"reviewed:     {reply.reviewed_at:%Y-%m-%d %H:%M} UTC"
                     + (f" by {reply.reviewed_by}" if reply.reviewed_by else ""))
    if reply.variants:
        lines.append(f"variants ({len(reply.variants)}):")
        lines.extend(f"  {n:>4}×  {text}" for text, n in sorted(
            reply.variants.items(), key=lambda kv: (-kv[1], kv[0])))
    if reply.examples:
        lines.append(f"example contexts ({len(reply.examples)}):")
        for example in reply.examples:
            lines.append(f"  [{example.conversation_id}] {_short(example.context, 200)}")
    return "\n".join(lines)


def _check_ids(library, tenant: str, ids: list[str]) -> None:  # type: ignore[no-untyped-def]
    """Every id first: one unknown id and nothing is applied."""
    for reply_id in ids:
        library.get(tenant, reply_id)  # NotFoundError names it


@library_app.command("mine")
def library_mine(
    tenant: TenantOpt = None, store: StoreOpt = None, config: ConfigOpt = None,
    embedder: EmbedderOpt = None,
) -> None:
    """Mine the tenant's response library from its past answers not mined yet."""
    try:
        with _assistant(store, config, embedder) as assistant:
            report = assistant.mine_library(tenant)
    except ReplyAssistError as error:
        raise _fail(error) from error
    typer.echo(report.summary())


@ranking_app.command("fit")
def ranking_fit(
    tenant: TenantOpt = None, store: StoreOpt = None, config: ConfigOpt = None,
    embedder: EmbedderOpt = None,
) -> None:
    """Fit the tenant's ranking on its history now (history ingests refit it as it grows)."""
    try:
        with _assistant(store, config, embedder) as assistant:
            report = assistant.fit_ranking(tenant)
    except ReplyAssistError as error:
        raise _fail(error) from error
    typer.echo(report.summary())


@ranking_app.command("show")
def ranking_show(
    tenant: TenantOpt = None, store: StoreOpt = None, config: ConfigOpt = None,
    embedder: EmbedderOpt = None,
) -> None:
    """Print the tenant's ranking (its own fit, or the package defaults) as JSON."""
    try:
        with _assistant(store, config, embedder) as assistant:
            shown = assistant.ranking(tenant)
    except ReplyAssistError as error:
        raise _fail(error) from error
    typer.echo(json.dumps(shown, indent=2, ensure_ascii=False))


@library_app.command("list")
def library_list(
    tenant: TenantOpt = None, store: StoreOpt = None, config: ConfigOpt = None,
    status: Annotated[StatusChoice | None, typer.Option("--status")] = None,
    language: Annotated[str | None, typer.Option("--language", help="e.g. en, fr.")] = None,
    kind: Annotated[KindChoice | None, typer.Option("--kind")] = None,
    min_support: Annotated[int, typer.Option(
        "--min-support", min=0, help="Given in at least N past conversations.")] = 0,
    limit: Annotated[int | None, typer.Option("--limit", min=1)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One LibraryReply JSON per line.")]
    = False,
) -> None:
    """The tenant's library replies, most supported first (* = edited text)."""
    try:
        library, default_tenant = _library(store, config)
        acting = tenant or default_tenant
        with library:
            replies = library.replies(acting, status=status.value if status else None,
                                      language=language, kind=kind.value if kind else None,
                                      min_support=min_support, limit=limit)
    except ReplyAssistError as error:
        raise _fail(error) from error
    if as_json:
        for reply in replies:
            typer.echo(reply.model_dump_json())
        return
    if not replies:
        typer.echo(f"no library replies for tenant {acting!r}"
                   + (" with these filters" if status or language or kind or min_support
                      else " (mine them: replyassist library mine)"), err=True)
        return
    typer.echo(f"{'id':<16}  {'status':<9}  {'support':>7}  {'kind':<8}  {'lang':<5}   text")
    for reply in replies:
        typer.echo(_reply_line(reply))


@library_app.command("show")
def library_show(
    reply_id: Annotated[str, typer.Argument(metavar="ID", help="A library reply id (r-…).")],
    tenant: TenantOpt = None, store: StoreOpt = None, config: ConfigOpt = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Everything about one reply: texts, counts, variants, example contexts, review."""
    try:
        library, default_tenant = _library(store, config)
        with library:
            reply = library.get(tenant or default_tenant, reply_id)
    except ReplyAssistError as error:
        raise _fail(error) from error
    typer.echo(reply.model_dump_json(indent=2) if as_json else _reply_details(reply))


def _set_status(ids: list[str], status: str, tenant: str | None, store: str | None,
                config: Path | None, by: str | None) -> None:
    from .library import ReplyEdit

    try:
        library, default_tenant = _library(store, config)
        acting = tenant or default_tenant
        with library:
            _check_ids(library, acting, ids)
            edit = ReplyEdit(status=status, reviewed_by=_reviewer(by))  # type: ignore[arg-type]
            replies = [library.review(acting, reply_id, edit) for reply_id in ids]
    except ReplyAssistError as error:
        raise _fail(error) from error
    for reply in replies:
        typer.echo(_reply_line(reply))


@library_app.command("approve")
def library_approve(
    ids: Annotated[list[str], typer.Argument(metavar="ID...", help="Library reply ids.")],
    tenant: TenantOpt = None, store: StoreOpt = None, config: ConfigOpt = None,
    by: ByOpt = None,
) -> None:
    """Approve replies: drafts may use them whatever their support."""
    _set_status(ids, "approved", tenant, store, config, by)


@library_app.command("block")
def library_block(
    ids: Annotated[list[str], typer.Argument(metavar="ID...", help="Library reply ids.")],
    tenant: TenantOpt = None, store: StoreOpt = None, config: ConfigOpt = None,
    by: ByOpt = None,
) -> None:
    """Block replies: drafts never use them (re-mining keeps them blocked)."""
    _set_status(ids, "blocked", tenant, store, config, by)


@library_app.command("edit")
def library_edit(
    reply_id: Annotated[str, typer.Argument(metavar="ID", help="A library reply id.")],
    text: Annotated[str | None, typer.Option(
        "--text", help="The team's version (keeps slots such as {name}, {order_id}).")]
    = None,
    clear: Annotated[bool, typer.Option("--clear", help="Drop the edit: back to the mined "
                                        "text.")] = False,
    tenant: TenantOpt = None, store: StoreOpt = None, config: ConfigOpt = None,
    by: ByOpt = None,
) -> None:
    """Replace a reply's text with the team's version (it survives re-mining)."""
    from pydantic import ValidationError

    from .errors import InvalidInputError
    from .library import ReplyEdit

    try:
        if clear == (text is not None):
            raise UserError("give either --text \"...\" or --clear")
        library, default_tenant = _library(store, config)
        acting = tenant or default_tenant
        with library:
            if clear:
                reply = library.clear_edit(acting, reply_id)
            else:
                try:
                    edit = ReplyEdit(edited_text=(text or "").strip() or None,
                                     reviewed_by=_reviewer(by))
                except ValidationError as exc:
                    raise InvalidInputError(exc.errors()[0]["msg"], field="edited_text") \
                        from exc
                if edit.edited_text is None:
                    raise InvalidInputError("the text is empty (use --clear to drop an "
                                            "edit)", field="edited_text")
                library.get(acting, reply_id)
                reply = library.review(acting, reply_id, edit)
    except ReplyAssistError as error:
        raise _fail(error) from error
    typer.echo(_reply_line(reply))


@library_app.command("export")
def library_export(
    tenant: TenantOpt = None, store: StoreOpt = None, config: ConfigOpt = None,
    format: Annotated[ExportChoice, typer.Option(
        "--format", help="json or csv (our records, re-importable), zendesk (macros).")]
    = ExportChoice.json,
    status: Annotated[StatusChoice | None, typer.Option("--status")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write here (default: stdout).")]
    = None,
) -> None:
    """Export the tenant's replies (zendesk: active macros for approved, none for blocked)."""
    from .library.export import export_replies

    try:
        library, default_tenant = _library(store, config)
        acting = tenant or default_tenant
        with library:
            replies = library.replies(acting, status=status.value if status else None)
        text = export_replies(replies, format.value)
    except ReplyAssistError as error:
        raise _fail(error) from error
    if out is None:
        typer.echo(text, nl=False)
        return
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise _fail(UserError(f"{out}: cannot be written ({exc.strerror})")) from exc
    typer.echo(f"wrote {len(replies)} replies of {acting} to {out} ({format.value})", err=True)


@library_app.command("import")
def library_import(
    path: Annotated[Path, typer.Argument(metavar="FILE", help="An edited json or csv export.")],
    tenant: TenantOpt = None, store: StoreOpt = None, config: ConfigOpt = None,
    by: ByOpt = None,
) -> None:
    """Apply the review decisions of an edited json/csv export (all or nothing)."""
    from .library.export import import_review

    try:
        library, default_tenant = _library(store, config)
        with library:
            result = import_review(library, tenant or default_tenant, path,
                                   reviewed_by=_reviewer(by))
    except ReplyAssistError as error:
        raise _fail(error) from error
    for reply in result.applied:
        typer.echo(_reply_line(reply))
    typer.echo(result.summary())


@eval_app.command("run")
def eval_run(
    cases: Annotated[Path, typer.Argument(help="Conversations with `expected` (JSONL).")],
    kb: Annotated[Path | None, typer.Option("--kb", help="Articles to ingest first.")] = None,
    history: Annotated[Path | None, typer.Option(
        "--history", help="Past conversations to ingest first (JSONL).")] = None,
    tenant: TenantOpt = None, store: StoreOpt = None,
    mode: Annotated[ModeChoice, typer.Option("--mode")] = ModeChoice.composed,
    out: Annotated[Path, typer.Option("--out", help="Run directory (resumable).")]
    = Path("eval-run"),
    baselines: Annotated[bool, typer.Option(
        "--baselines", help="Also run BM25, dense, LangChain and most-used baselines.")] = False,
    judge: Annotated[bool, typer.Option(
        "--judge/--no-judge", help="LLM judge rubric (needs an LLM).")] = True,
    config: ConfigOpt = None, embedder: EmbedderOpt = None,
    brand: Annotated[Path | None, typer.Option("--brand", help="Brand YAML.")] = None,
) -> None:
    """Evaluate on CASES: retrieval, tags, drafts, judge, latency and cost; writes
    report.json, report.md and report.html in --out (rerun to resume)."""
    from .evals.judge import Judge
    from .evals.runner import evaluate

    try:
        if not cases.is_file():
            raise UserError(f"{cases}: no such file")
        if store is None:
            out.mkdir(parents=True, exist_ok=True)
            store = str(out / "store")
        assistant = _assistant(store, config, embedder, brand)
        from .evals.runner import load_cases

        tenants = {c.tenant for c in load_cases(cases)[0]}
        target = tenant or (tenants.pop() if len(tenants) == 1 else assistant.settings.tenant)
        from .evals.runner import ingest_inputs

        for line in ingest_inputs(assistant, kb, history, target):
            typer.echo(line, err=True)
        rubric = Judge(assistant.chat_model, assistant.prompts, assistant.brand) \
            if judge and assistant.chat_model is not None and mode.value != "composed" else None
        result = evaluate(assistant, cases, out, mode=mode.value, tenant=tenant,
                          baselines=baselines, judge=rubric)
    except ReplyAssistError as error:
        raise _fail(error) from error
    from .evals.render import render_markdown

    typer.echo(render_markdown(result))
    typer.echo(f"\nreports in {out}/ (report.json, report.md, report.html)", err=True)


@eval_app.command("compare")
def eval_compare(
    run_a: Annotated[Path, typer.Argument(help="Run directory or report.json (before).")],
    run_b: Annotated[Path, typer.Argument(help="Run directory or report.json (after).")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Per-metric deltas between two runs, and the cases that got worse."""
    from .evals.compare import compare_reports, load_report, render_comparison

    try:
        diff = compare_reports(load_report(run_a), load_report(run_b))
    except ReplyAssistError as error:
        raise _fail(error) from error
    typer.echo(json.dumps(diff, indent=2, ensure_ascii=False, default=str) if as_json
               else render_comparison(diff))


@eval_app.command("convert")
def eval_convert(
    data: Annotated[Path, typer.Argument(help="Folder of the public data sets.")],
    out: Annotated[Path, typer.Argument(help="Where to write cases, articles, history.")],
    limit: Annotated[int | None, typer.Option("--limit", help="Cap each tag set.")] = None,
) -> None:
    """Convert the public data sets found in DATA into evaluation inputs."""
    from .evals.converters import convert_all

    try:
        written = convert_all(data, out, limit=limit)
    except ReplyAssistError as error:
        raise _fail(error) from error
    for name, paths in written.items():
        typer.echo(f"{name}: " + ", ".join(str(p) for p in paths))


@app.command()
def demo(
    as_json: Annotated[bool, typer.Option("--json", help="One Suggestions JSON per line.")] = False,
    embedder: EmbedderOpt = None,
) -> None:
    """Ingest the bundled sample brand into a temporary store and suggest replies, offline."""
    from .sample import SAMPLE_TENANT, sample_path

    with tempfile.TemporaryDirectory(prefix="replyassist-demo-") as tmp:
        try:
            assistant = _assistant(str(Path(tmp) / "store"), None, embedder,
                                   sample_path("brand.yaml"))
            out = sys.stderr if as_json else sys.stdout
            for report in (assistant.ingest_kb(sample_path("kb"), tenant=SAMPLE_TENANT),
                           assistant.ingest_history(sample_path("history.jsonl"),
                                                    tenant=SAMPLE_TENANT)):
                print(report.summary(), file=out)
            print(file=out)
            failures = _suggest_all(assistant, sample_path("incoming.jsonl"), "incoming.jsonl",
                                    SAMPLE_TENANT, "auto", as_json)
        except ReplyAssistError as error:
            raise _fail(error) from error
    if failures:
        raise typer.Exit(1)


@app.command()
def schema(
    out: Annotated[Path | None, typer.Option("--out", help="Write one file per model here.")]
    = None,
) -> None:
    """Print (or write) the JSON Schema of the public formats, for plugin authors."""
    from . import models

    names = ["Conversation", "KnowledgeArticle", "Suggestions"]
    schemas = {n: getattr(models, n).model_json_schema() for n in names}
    if out is None:
        typer.echo(json.dumps(schemas, indent=2, ensure_ascii=False))
        return
    out.mkdir(parents=True, exist_ok=True)
    for name, value in schemas.items():
        (out / f"{name}.schema.json").write_text(json.dumps(value, indent=2, ensure_ascii=False)
                                                 + "\n", encoding="utf-8")
    typer.echo(f"wrote {len(schemas)} schemas to {out}")


@app.command()
def serve(
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port.")] = 8000,
    store: StoreOpt = None,
    keys_file: Annotated[Path | None, typer.Option(
        "--keys-file", help="API keys (YAML/JSON); default: REPLYASSIST_API_KEYS(_FILE).")]
    = None,
    config: ConfigOpt = None,
    demo: Annotated[bool, typer.Option(
        "--demo", help="Serve the sample brand (ingested into a temporary store) with a "
        "demo key: open /demo.")] = False,
) -> None:
    """Run the HTTP API (docs/api.md): /v1/suggest, /v1/suggest/stream, /v1/rewrite, …"""
    from .api.serve import app_from_env, demo_app
    from .api.serve import serve as run

    if demo:
        with tempfile.TemporaryDirectory(prefix="replyassist-serve-demo-") as tmp:
            try:
                api = demo_app(Path(tmp) / "store", config_file=config)
            except ReplyAssistError as error:
                raise _fail(error) from error
            typer.echo(f"demo: open http://{host}:{port}/demo", err=True)
            run(api, host=host, port=port)
        return
    try:
        api = app_from_env(store=store, keys_file=keys_file, config_file=config)
    except ReplyAssistError as error:
        raise _fail(error) from error
    if not api.state.config.keys:
        typer.echo("warning: no API keys configured; every /v1 request will get 401",
                   err=True)
    run(api, host=host, port=port)


def main() -> None:
    app()
