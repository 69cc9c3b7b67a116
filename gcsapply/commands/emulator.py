"""``gcsapply emulator serve``: run the local GCS emulator until SIGTERM or Ctrl-C."""

from __future__ import annotations

import os
import signal
import sys
import threading

from gcsapply.emulator import EmulatorCredentials, EmulatorServer
from gcsapply.emulator.credentials import EMBEDDED_AK, EMBEDDED_DOMAIN, EMBEDDED_PASSWORD, EMBEDDED_SK, EMBEDDED_USER
from gcsapply.emulator.errors import EmulatorError
from gcsapply.emulator.guard import is_loopback
from gcsapply.errors import UsageError

SK_ENV = "GCSAPPLY_EMULATOR_SK"
PASSWORD_ENV = "GCSAPPLY_EMULATOR_PASSWORD"


def add_arguments(parser) -> None:
    sub = parser.add_subparsers(dest="emulator_command", metavar="SUBCOMMAND")
    serve = sub.add_parser("serve", help="serve the GCS API on a local port",
                           description="Serve an emulated GCS API (plus IAM tokens, Cromwell, "
                           "monitoring and a /_emulator control API) until SIGTERM or Ctrl-C.")
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to bind (default 127.0.0.1); off loopback needs --allow-remote")
    serve.add_argument("--allow-remote", action="store_true",
                       help="allow a --host off loopback: the control API (no authentication) and "
                       "the built-in credentials then face the network")
    serve.add_argument("--port", type=int, default=0, help="port (default 0: any free port)")
    serve.add_argument("--db", default="gcsapply-emulator.sqlite",
                       help="SQLite database; kept across restarts (default %(default)s)")
    serve.add_argument("--ak", help="access key to accept (default: the built-in one)")
    serve.add_argument("--sk", help=f"its secret key (prefer ${SK_ENV})")
    serve.add_argument("--user", help="IAM user name for POST /v3/auth/tokens")
    serve.add_argument("--password", help=f"its password (prefer ${PASSWORD_ENV})")
    serve.add_argument("--domain", help="its account (domain) name")
    serve.add_argument("--job-seconds", type=float, default=5.0,
                       help="how long every job takes (default 5)")
    serve.add_argument("--reads-per-minute", type=int, default=0, help="GET limit (0: off)")
    serve.add_argument("--writes-per-minute", type=int, default=0, help="write limit (0: off)")
    serve.add_argument("--latency-ms", type=float, default=0, help="added to every API call")
    serve.add_argument("--fault-rate", type=float, default=0.0,
                       help="probability of an injected fault per API call (0-1)")
    serve.add_argument("--fault-seed", type=int, default=0, help="seed of the fault sequence")
    serve.add_argument("--execution-names", choices=("unique", "any"), default="unique",
                       help="whether execution names must be unique (the service: unique)")


def run(args) -> int:
    if getattr(args, "emulator_command", None) != "serve":
        raise UsageError("missing subcommand", hint="run 'gcsapply emulator serve --help'")
    warnings = [*check_host(args.host, args.allow_remote), *_secret_flag_warnings(args)]
    credentials = _credentials(args)
    try:
        server = EmulatorServer(args.db, host=args.host, port=args.port, credentials=credentials,
                                job_seconds=args.job_seconds, reads_per_minute=args.reads_per_minute,
                                writes_per_minute=args.writes_per_minute, latency_ms=args.latency_ms,
                                fault_rate=args.fault_rate, fault_seed=args.fault_seed,
                                execution_names=args.execution_names,
                                allow_remote=args.allow_remote)
    except EmulatorError as exc:  # a setting out of range
        raise UsageError(exc.detail or exc.message, hint="see 'gcsapply emulator serve --help'") from None
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr, flush=True)
    stop = threading.Event()
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
    try:
        server.start()
    except (OSError, OverflowError) as exc:
        server.stop()
        raise UsageError(f"cannot listen on {args.host}:{args.port}: {exc}",
                         hint="choose another --host/--port (--port 0 picks a free one)") from None
    try:
        print(f"gcsapply emulator listening on {server.url}", flush=True)
        print(f"  database: {server.db_path}", flush=True)
        print(f"  AK/SK: access key {credentials.ak} (secret key not shown); any X-Project-Id",
              flush=True)
        print(f"  IAM: POST {server.url}/v3/auth/tokens for user {credentials.user} in domain "
              f"{credentials.domain} (password not shown)", flush=True)
        print(f"  jobs take {args.job_seconds:g} s; control API under {server.url}/_emulator/",
              flush=True)
        stop.wait()
    finally:
        server.stop()
    print("gcsapply emulator stopped", file=sys.stderr, flush=True)
    return 0


def check_host(host: str, allow_remote: bool) -> list[str]:
    """The warnings that binding ``host`` deserves; UsageError for an address off loopback
    without ``--allow-remote``. Nothing is bound or resolved."""
    if is_loopback(host):
        return []
    shown = host or "(every interface)"
    if not allow_remote:
        raise UsageError(f"--host {shown} is not a loopback address (127.0.0.0/8, ::1, localhost)",
                         hint="the emulator's control API has no authentication and its built-in "
                         "credentials are public: keep the default 127.0.0.1, or add "
                         "--allow-remote to serve the network anyway")
    return [f"--host {shown} is not a loopback address: the control API (/_emulator/*: reset, "
            "seed, clock, faults; no authentication) and the credentials it accepts (the "
            "built-in ones unless --ak/--user are given) are reachable from the network"]


def _secret_flag_warnings(args) -> list[str]:
    flags = [(flag, env) for flag, env, given in (("--sk", SK_ENV, args.sk),
                                                  ("--password", PASSWORD_ENV, args.password))
             if given]
    return [f"{flag} on the command line is visible to other users of this machine (ps, "
            f"/proc); set ${env} instead" for flag, env in flags]


def _credentials(args) -> EmulatorCredentials:
    sk = args.sk or os.environ.get(SK_ENV)
    if bool(args.ak) != bool(sk):
        raise UsageError("give both an access key (--ak) and its secret key "
                         f"(--sk or ${SK_ENV}), or neither for the built-in pair")
    password = args.password or os.environ.get(PASSWORD_ENV)
    if args.user and not password:
        raise UsageError(f"--user needs a password (--password or ${PASSWORD_ENV})")
    if password and not args.user:
        raise UsageError("a password was given without --user")
    return EmulatorCredentials(
        ak=args.ak or EMBEDDED_AK, sk=sk or EMBEDDED_SK,
        user=args.user or EMBEDDED_USER, password=password or EMBEDDED_PASSWORD,
        domain=args.domain or EMBEDDED_DOMAIN)
