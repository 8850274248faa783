"""The ``vclinic`` command. Every subcommand reads the same ``VCLINIC_`` settings."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from pydantic import ValidationError

from app.core.config import Settings, get_settings


class ConfigurationError(SystemExit):
    def __init__(self, message: str) -> None:
        print(f"vclinic: configuration error: {message}", file=sys.stderr)
        super().__init__(2)


DEV_MODE_HINT = (
    "outside dev mode the service needs its production settings (VCLINIC_SECRET_KEY, VCLINIC_AUDIT_KEY, "
    "VCLINIC_JWKS, VCLINIC_JWT_ISSUER); to try it on this machine, start it in dev mode: "
    "`VCLINIC_DEV_MODE=true vclinic serve`, or `make run`"
)


def load_settings() -> Settings:
    try:
        return get_settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "VCLINIC_" + "_".join(str(part) for part in first["loc"]).upper() if first["loc"] else ""
        message = str(first["msg"]).removeprefix("Value error, ")
        if _would_start_in_dev_mode():
            message = f"{message}\n{DEV_MODE_HINT}"
        raise ConfigurationError(f"{name}: {message}" if name else message) from None


def _would_start_in_dev_mode() -> bool:
    """Whether the only thing missing is the production settings, which dev mode does without."""
    try:
        Settings(dev_mode=True)
    except ValidationError:
        return False
    return True


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from app.core.limits import server_header_cap
    from app.core.metrics import share_metrics_between_workers
    from app.records.wiring import check_practices_file

    settings = load_settings()
    try:
        check_practices_file(settings)
    except ValueError as exc:
        raise ConfigurationError(str(exc)) from None
    workers = args.workers or settings.workers
    if workers > 1:
        share_metrics_between_workers(settings.var_dir)
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=workers,
        access_log=False,
        log_config=None,
        proxy_headers=True,
        timeout_graceful_shutdown=20,
        # h11 rather than httptools: only h11 lets uvicorn bound the headers it buffers, which outweighs
        # httptools' speed for a service whose load is a clinic's worth of consultants.
        http="h11",
        h11_max_incomplete_event_size=server_header_cap(settings.max_header_bytes),
    )
    return 0


def _migrate(_args: argparse.Namespace) -> int:
    from app.migrations.runner import migrate_to_head

    migrate_to_head(load_settings())
    print("database migrated to the latest schema")
    return 0


def _token(args: argparse.Namespace) -> int:
    from app.auth.dev_keys import dev_key_directory, dev_key_exists, mint_dev_token
    from app.auth.principal import InvalidClaims, Principal

    settings = load_settings()
    if not settings.dev_mode:
        raise ConfigurationError("VCLINIC_DEV_MODE: tokens are minted with the development key only")
    if not dev_key_exists(settings):
        # A key made here would be one the running service has never seen, and its tokens would all be 401s.
        raise ConfigurationError(
            f"VCLINIC_VAR_DIR: no development key in {dev_key_directory(settings)}; the service makes it "
            "when it first starts in dev mode (`make run`). Run this from the directory the service runs in, "
            "or set VCLINIC_VAR_DIR to the service's data directory"
        )
    claims = {
        "sub": args.sub,
        "role": args.role,
        "specialty": args.specialty,
        "ods": args.ods,
        "name": args.name,
    }
    try:
        Principal.from_claims(claims)
    except InvalidClaims as exc:
        print(f"vclinic token: {exc}", file=sys.stderr)
        return 2
    print(mint_dev_token(settings, claims, lifetime_seconds=args.lifetime))
    return 0


def _cds_token(args: argparse.Namespace) -> int:
    from app.auth.dev_keys import dev_key_directory
    from app.cds_hooks.dev_ehr import dev_ehr_key_exists, mint_dev_ehr_token

    settings = load_settings()
    if not settings.dev_mode:
        raise ConfigurationError("VCLINIC_DEV_MODE: the demo EHR signs in dev mode only")
    if not dev_ehr_key_exists(settings):
        raise ConfigurationError(
            f"VCLINIC_VAR_DIR: no demo EHR key in {dev_key_directory(settings)}; the service makes it "
            "when it first starts in dev mode (`make run`)"
        )
    path = (
        "/cds-services"
        + (f"/{args.service}" if args.service else "")
        + ("/feedback" if args.feedback else "")
    )
    print(mint_dev_ehr_token(settings, path))
    return 0


def _audit_verify(_args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from app.audit.service import verify_chain
    from app.core.db import create_engine, session_factory

    settings = load_settings()

    async def verify() -> int:
        engine = create_engine(settings)
        try:
            async with session_factory(engine)() as session:
                verdict = await verify_chain(session, settings.audit_key.get_secret_value().encode())
        finally:
            await engine.dispose()
        for problem in verdict.problems:
            print(f"audit log broken: {problem}", file=sys.stderr)
        if verdict.intact:
            print(
                f"audit log intact: {verdict.events} events, {verdict.events - verdict.unsealed} sealed in "
                f"{verdict.batches} batches"
            )
        age = verdict.unsealed_age_seconds(datetime.now(UTC))
        print(f"unsealed tail: {verdict.unsealed} events, the oldest {age:.1f} s old")
        return 0 if verdict.intact else 1

    return asyncio.run(verify())


def _openapi(args: argparse.Namespace) -> int:
    from app.openapi_export import current_spec, spec_file_is_current

    if args.check:
        if spec_file_is_current(Path(args.file)):
            print(f"{args.file} is up to date")
            return 0
        print(f"{args.file} is stale: run `make openapi`", file=sys.stderr)
        return 1
    sys.stdout.write(current_spec())
    return 0


def _mock_gp(args: argparse.Namespace) -> int:
    from adapters.mock_gp import serve_mock_gp

    if args.demo:
        from datetime import date

        from adapters.demo.practice import write_demo_practice

        write_demo_practice(Path(args.data), date.today())
    serve_mock_gp(port=args.port, data_dir=Path(args.data), host=args.host)
    return 0


def _worker(args: argparse.Namespace) -> int:
    import signal

    from app.case_finding.wiring import run_case_finding_worker
    from app.core.logging import configure_logging
    from app.follow_up.wiring import run_follow_up_worker
    from app.outbox.wiring import run_worker

    settings = load_settings()
    configure_logging(settings.log_level)

    async def work() -> tuple[int, int, int]:
        if args.once:
            attempted = await run_worker(settings, once=True)
            ran = await run_case_finding_worker(settings, once=True)
            return attempted, ran, await run_follow_up_worker(settings, once=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signal_number in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signal_number, stop.set)
        return await asyncio.gather(
            run_worker(settings, once=False, stop=stop),
            run_case_finding_worker(settings, once=False, stop=stop),
            run_follow_up_worker(settings, once=False, stop=stop),
        )

    try:
        attempted, ran, rounds = asyncio.run(work())
    except ValueError as exc:
        raise ConfigurationError(str(exc)) from None
    if args.once:
        print(f"outbox: {attempted} delivery attempt(s) made")
        print(f"case-finding: {ran} run(s) made")
        print(f"follow-up: {rounds} round(s) of checks and overdue notices")
    return 0


def _case_find(args: argparse.Namespace) -> int:
    from app.case_finding.progress import print_findings, progress_display
    from app.case_finding.wiring import case_find_in_foreground
    from app.core.errors import ProblemError
    from app.core.logging import configure_logging

    settings = load_settings()
    configure_logging(settings.log_level)
    try:
        with progress_display() as show:
            run, found = asyncio.run(
                case_find_in_foreground(
                    settings, practice_ods=args.practice, specialty=args.specialty, show=show, full=args.full
                )
            )
    except ValueError as exc:
        raise ConfigurationError(str(exc)) from None
    except ProblemError as exc:
        print(f"vclinic case-find: {exc.detail}", file=sys.stderr)
        return 1
    print_findings(run, found)
    if run.status != "done":
        print(
            f"vclinic case-find: the run ended {run.status}: {run.error or 'no reason given'}",
            file=sys.stderr,
        )
        return 1
    return 0


def _follow_up_check(_args: argparse.Namespace) -> int:
    from app.core.logging import configure_logging
    from app.follow_up.wiring import check_follow_up_once

    settings = load_settings()
    configure_logging(settings.log_level)
    try:
        closed = asyncio.run(check_follow_up_once(settings))
    except ValueError as exc:
        raise ConfigurationError(str(exc)) from None
    print(f"follow-up: {closed} action(s) closed by result")
    return 0


def _outbox_retry(args: argparse.Namespace) -> int:
    from app.core.db import create_engine, session_factory
    from app.outbox.service import retry_messages

    settings = load_settings()

    async def retry() -> int:
        engine = create_engine(settings)
        try:
            async with session_factory(engine)() as session, session.begin():
                return await retry_messages(session, message_ids=args.message or (), all_dead=args.all_dead)
        finally:
            await engine.dispose()

    count = asyncio.run(retry())
    print(f"outbox: {count} message(s) queued for delivery again")
    if args.message and count < len(args.message):
        print("outbox: some ids are not failed or dead messages; they were left alone", file=sys.stderr)
        return 1
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vclinic", description="Virtual Clinic service")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve the API and the consultant page")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=None)
    serve.set_defaults(handler=_serve)

    commands.add_parser("migrate", help="bring the database schema up to date").set_defaults(handler=_migrate)

    token = commands.add_parser("token", help="mint a development token (dev mode only)")
    token.add_argument("--role", required=True, choices=["consultant", "gp", "gp-system", "admin"])
    token.add_argument("--sub", default="dev-user")
    token.add_argument("--specialty")
    token.add_argument("--ods")
    token.add_argument("--name")
    token.add_argument("--lifetime", type=int, default=8 * 3600, help="seconds")
    token.set_defaults(handler=_token)

    cds_token = commands.add_parser(
        "cds-token", help="sign a JWT for one CDS Hooks call as the demo EHR (dev mode only)"
    )
    cds_token.add_argument("--service", help="a service id, e.g. renal-advice; discovery without it")
    cds_token.add_argument("--feedback", action="store_true", help="for the service's feedback endpoint")
    cds_token.set_defaults(handler=_cds_token)

    audit = commands.add_parser("audit", help="audit trail tools")
    audit_commands = audit.add_subparsers(dest="audit_command", required=True)
    audit_commands.add_parser("verify", help="check every sealed batch and the unsealed tail").set_defaults(
        handler=_audit_verify
    )

    openapi = commands.add_parser("openapi", help="print the OpenAPI spec, or --check the exported file")
    openapi.add_argument("--check", action="store_true")
    openapi.add_argument("--file", default="openapi/openapi.json")
    openapi.set_defaults(handler=_openapi)

    mock_gp = commands.add_parser("mock-gp", help="run a mock GP FHIR server for tests and demos")
    mock_gp.add_argument("--port", type=int, required=True)
    mock_gp.add_argument("--data", required=True, help="a folder of FHIR R4 JSON files")
    mock_gp.add_argument("--host", default="127.0.0.1")
    mock_gp.add_argument(
        "--demo", action="store_true", help="first write the demo practice's records to --data"
    )
    mock_gp.set_defaults(handler=_mock_gp)

    worker = commands.add_parser(
        "worker",
        help="deliver queued advice to practices, seal the audit log, run case-finding and follow-up checks",
    )
    worker.add_argument("--once", action="store_true", help="deliver what is due now, then exit")
    worker.set_defaults(handler=_worker)

    case_find = commands.add_parser(
        "case-find", help="run one specialty's case-finding over a practice's population, here and now"
    )
    case_find.add_argument("--practice", required=True, help="the practice's ODS code")
    case_find.add_argument("--specialty", required=True, help="a specialty code, e.g. nephrology")
    case_find.add_argument(
        "--full",
        action="store_true",
        help="read the whole population, not only what changed since the last run",
    )
    case_find.set_defaults(handler=_case_find)

    follow_up = commands.add_parser("follow-up", help="follow-up actions of consultants' advice")
    follow_up_commands = follow_up.add_subparsers(dest="follow_up_command", required=True)
    follow_up_commands.add_parser(
        "check", help="check every open action a result can close against the GP record, now"
    ).set_defaults(handler=_follow_up_check)

    outbox = commands.add_parser("outbox", help="advice delivery tools")
    outbox_commands = outbox.add_subparsers(dest="outbox_command", required=True)
    retry = outbox_commands.add_parser("retry", help="queue failed or dead deliveries again")
    which = retry.add_mutually_exclusive_group(required=True)
    which.add_argument("--message", action="append", metavar="ID", help="a message id (repeatable)")
    which.add_argument("--all-dead", action="store_true", help="every delivery that ran out of retries")
    retry.set_defaults(handler=_outbox_retry)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    return handler(args)


if __name__ == "__main__":
    sys.exit(main())
