"""``clearance serve``: the web UI with the pipeline on the embedded default."""

from __future__ import annotations

import click


def register(group: click.Group) -> None:
    group.add_command(serve)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option(
    "--no-pipeline",
    is_flag=True,
    help="Do not start the Prefect server and worker; run review and publication inline.",
)
def serve(host: str, port: int, no_pipeline: bool) -> None:
    """Run the web UI (development server; use gunicorn in production, see docs/DEPLOY.md)."""
    import contextlib
    import os
    import signal

    from werkzeug.serving import run_simple

    from clearance.settings import Pipeline, Settings, env_name, load_settings, serving_base_url
    from webapp import create_app

    settings = serving_base_url(load_settings(), host, port)
    if no_pipeline:
        settings = settings.with_overrides(pipeline=Pipeline.INLINE)
    # the pipeline's worker processes read their settings from the environment
    os.environ[env_name(Settings, "public_base_url")] = settings.public_base_url
    url = f"http://{host}:{port}/"

    def _stop(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt  # SIGTERM stops like Ctrl+C: the pipeline is shut down cleanly

    signal.signal(signal.SIGTERM, _stop)
    with contextlib.ExitStack() as stack:
        if not no_pipeline:
            from flows.server import pipeline_running

            click.echo("starting the pipeline (Prefect server and worker)...")
            pipeline = stack.enter_context(pipeline_running(settings))
            click.echo(f"pipeline:  {getattr(pipeline, 'api_url', pipeline)}")
        app = create_app(settings)
        click.echo(f"Clearance is running at {url}")
        click.echo(
            "Log in as the administrator `clearance init` created, with the one-time password it "
            "printed (you will choose a new one). Press Ctrl+C to stop."
        )
        with contextlib.suppress(KeyboardInterrupt):
            run_simple(host, port, app, threaded=True, use_reloader=False, use_debugger=False)
        click.echo("stopping...")
