"""One event loop for everything: store, engine, facade and HTTP API, started and stopped in order.

`echoer serve`, the shell, the workbench and the demo all run the engine embedded;
action services ack to the API on the same loop. The socket is bound before the
engine exists, so `--listen 127.0.0.1:0` picks a free port and the engine dispatches
with the real ack URL; the engine starts only once the API accepts, so no ack can
arrive at a closed door. Shutdown runs the other way round: API, engine, store.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import gc
import logging
import signal
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from echoer_tui.config import (
    Listen,
    resolve_data_dir,
    resolve_listen,
    resolve_store,
    resolve_token,
)
from echoer_tui.errors import EchoerError

if TYPE_CHECKING:
    from starlette.types import ASGIApp

    from echoer_tui.service.facade import Workbench
    from echoer_tui.service.local import LocalWorkbench

SHUTDOWN_GRACE_SECONDS = 5
"""How long open requests may take to finish once shutdown began."""

log = logging.getLogger("echoer")


class ListenError(EchoerError):
    """The API cannot listen where it was asked to (address in use, not local, no permission)."""


def bind_socket(listen: Listen) -> socket.socket:
    """A socket bound to `listen` (port 0: a free one), or a ListenError naming the address."""
    try:
        infos = socket.getaddrinfo(
            listen.host, listen.port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
    except socket.gaierror as error:
        raise ListenError(f"cannot listen on {listen}: unknown host ({error.strerror})") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError as error:
        sock.close()
        if error.errno == errno.EADDRINUSE:
            reason = "the address is already in use (is another echoer running?)"
        elif error.errno == errno.EACCES:
            reason = "permission denied (ports below 1024 need privileges)"
        elif error.errno == errno.EADDRNOTAVAIL:
            reason = "no such local address"
        else:
            reason = error.strerror or str(error)
        raise ListenError(f"cannot listen on {listen}: {reason}") from None
    sock.set_inheritable(True)
    return sock


@asynccontextmanager
async def serve_asgi(app: ASGIApp, sock: socket.socket) -> AsyncIterator[None]:
    """Serve `app` on the bound `sock` with uvicorn on this loop until the block exits."""
    import uvicorn

    config = uvicorn.Config(
        app,
        lifespan="off",
        # The caller's logging decides where server messages go: stderr for `serve`,
        # a file under the full-screen workbench and the shell (never onto their screen).
        log_config=None,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=SHUTDOWN_GRACE_SECONDS,
    )
    config.load()
    server = uvicorn.Server(config)
    server.lifespan = config.lifespan_class(config)
    main_loop: asyncio.Task[None] | None = None
    try:
        await server.startup(sockets=[sock])
        if server.should_exit:
            raise ListenError(f"cannot listen on {sock.getsockname()}")
        main_loop = asyncio.create_task(server.main_loop(), name="echoer-http")
        yield
    finally:
        server.should_exit = True
        if main_loop is not None:
            # Its only work left is noticing should_exit on its next 0.1 s tick.
            main_loop.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await main_loop
        if server.started:
            await server.shutdown(sockets=[sock])
        sock.close()


@asynccontextmanager
async def embedded(
    data_dir: Path, listen: Listen, token: str | None = None, *, store_url: str | None = None
) -> AsyncIterator[LocalWorkbench]:
    """Store + engine + facade + API on this loop; yields the running workbench.

    The store is the one `store_url` names (`storage.urls`: postgresql://…, tinydb://DIR,
    memory://) when given, else the journal store in `data_dir`.
    """
    from echoer_tui.api.app import create_app
    from echoer_tui.engine import Engine
    from echoer_tui.service.local import LocalWorkbench
    from echoer_tui.storage import open_store
    from echoer_tui.storage.urls import open_store_url

    sock = bind_socket(listen)
    real = Listen(listen.host, sock.getsockname()[1])
    try:
        store = await (open_store_url(store_url) if store_url else open_store(data_dir))
    except BaseException:
        sock.close()
        raise
    settle_heap()
    try:
        engine = Engine(store, ack_url=f"{real.url}/step")
        workbench = LocalWorkbench(store, engine, real.url)
        app = create_app(workbench, engine.ack, token=token)
        started = False
        try:
            async with serve_asgi(app, sock):
                try:
                    await workbench.start()
                    started = True
                    yield workbench
                finally:
                    # Long-lived streams (/watch) end now, so the server can stop.
                    app.state.api.closing.set()
        finally:
            if started:
                await workbench.close()
    finally:
        await store.close()


def open_workbench(args: argparse.Namespace) -> AbstractAsyncContextManager[Workbench]:
    """The workbench the shell, the TUI and the demo use: embedded, or `--server URL`."""
    token = resolve_token(getattr(args, "token", None))
    server = getattr(args, "server", None)
    store_url = resolve_store(getattr(args, "store", None))
    if server:
        if getattr(args, "store", None):
            raise EchoerError(
                "--store names the store of an embedded engine; with --server the "
                "server's own store is used (give --store to `echoer serve` instead)"
            )
        from echoer_tui.service.remote import RemoteWorkbench

        return _remote(RemoteWorkbench(server, token))
    data_dir = resolve_data_dir(getattr(args, "data_dir", None))
    listen = resolve_listen(getattr(args, "listen", None))
    return embedded(data_dir, listen, token, store_url=store_url)


@asynccontextmanager
async def _remote(workbench: Workbench) -> AsyncIterator[Workbench]:
    await workbench.start()
    try:
        yield workbench
    finally:
        await workbench.close()


def serve(args: argparse.Namespace) -> int:
    """`echoer serve`: engine and API until SIGTERM or Ctrl-C; exit 0 after a clean stop."""
    if getattr(args, "server", None):
        raise EchoerError("echoer serve runs its own engine; --server makes no sense here")
    data_dir = resolve_data_dir(args.data_dir)
    listen = resolve_listen(args.listen)
    token = resolve_token(args.token)
    store_url = resolve_store(getattr(args, "store", None))
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    return asyncio.run(_serve(data_dir, listen, token, store_url))


async def _serve(data_dir: Path, listen: Listen, token: str | None, store_url: str | None) -> int:
    from echoer_tui.storage.urls import redact_url

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        async with embedded(data_dir, listen, token, store_url=store_url) as workbench:
            print(f"echoer: API listening on {workbench.api_url}", flush=True)
            if store_url:
                print(f"echoer: store {redact_url(store_url)}", flush=True)
            else:
                print(f"echoer: data in {data_dir}", flush=True)
            if not listen.is_loopback and not token:
                print(
                    f"echoer: warning: listening on {listen.host} without a token; anyone who "
                    "can reach this address can change flows (set --token or ECHOER_TOKEN)",
                    file=sys.stderr,
                    flush=True,
                )
            await stop.wait()
            print("echoer: shutting down", flush=True)
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(Exception):
                loop.remove_signal_handler(signum)
    print("echoer: stopped; in-flight runs resume at the next start", flush=True)
    return 0


def settle_heap() -> None:
    """Keep the cyclic GC off what the store loaded at open and make it run less often.

    Under load the engine allocates many short-lived dicts; with the default thresholds
    full collections walked ~400,000 long-lived objects and took a fifth of the server's
    time (bench_load: 601-609 -> 891-922 acks/s with this, memory unchanged).
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 1_000)
